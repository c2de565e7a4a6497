"""The terminal chat, driven like a person at the keyboard, through the real `run_bot`.

Each test types a script into `TerminalChat` (stdin and stdout are `io.StringIO`) and
reads the screen. A typed line may depend on the screen so far, as for a person who
reads the number of the mission card before replying to it.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, cast

import pytest

from adapters.terminal import TerminalChat
from bot.app import run_bot
from bot.config import Settings
from data.records import SignupStatus
from data.store import Store

Line = str | Callable[[str], str]

MISSION = "/mission Tri alimentaire | demain 14h-17h | Entrepôt, 12 rue des Lilas | 2 | manutention"
CARD_TITLE = "🤝 Tri alimentaire · #1"
NO_BUTTON = "Pas de bouton à ce numéro ici."
REPLY_USAGE = "Usage : /reply NUMÉRO_DU_MESSAGE texte"
SESSION_TIMEOUT = 60.0


class Typist:
    """Standard input that types the next line when the chat asks for one (all the terminal
    chat reads is `readline`)."""

    def __init__(self, screen: io.StringIO, lines: Iterable[Line]) -> None:
        self._screen = screen
        self._lines = list(lines)

    def readline(self) -> str:
        if not self._lines:
            return ""  # end of input, as Ctrl-D
        line = self._lines.pop(0)
        return (line(self._screen.getvalue()) if callable(line) else line) + "\n"


@dataclass(frozen=True)
class Shown:
    """One message as the terminal printed it."""

    where: str
    number: str
    edited: bool
    text: str


_HEADER = re.compile(r"^\[(?P<where>.+)\] #(?P<number>\d+)(?P<edited> \(modifié\))?$")


def shown(screen: str) -> list[Shown]:
    """The messages on the screen, in the order printed (an edit is printed again)."""
    messages: list[Shown] = []
    current: tuple[str, str, bool] | None = None
    body: list[str] = []
    for line in [*screen.splitlines(), ""]:
        header = _HEADER.match(line)
        if header or not line.startswith("  "):
            if current is not None:
                messages.append(Shown(*current, "\n".join(body)))
                current, body = None, []
            if header:
                current = (header["where"], header["number"], bool(header["edited"]))
            continue
        if current is not None:
            body.append(line[2:])
    return messages


def number_of(text: str) -> Callable[[str], str]:
    """The number of the latest message showing `text`, read from the screen."""

    def read(screen: str) -> str:
        numbers = [m.number for m in shown(screen) if text in m.text]
        assert numbers, f"no message shows {text!r}"
        return numbers[-1]

    return read


def latest(screen: str, number: str) -> Shown:
    """Message `number` as last printed (after its edits)."""
    return [m for m in shown(screen) if m.number == number][-1]


def onboarding(name: str) -> list[Line]:
    """Present oneself in private by pressing numbered buttons."""
    return [
        f"/as {name}",
        "/private",
        "/start",
        "1",  # J'accepte
        "cuisine, manutention",
        "1",  # Oui, c'est ça
        "17",  # sam. après-midi: 6th row, 2nd column of the week grid
        "22",  # Valider
        "Paris 75011",
        "2",  # 2 par semaine au plus
    ]


async def type_into_terminal(url: str, lines: Iterable[Line], files_dir: Path | None = None) -> str:
    """Run the bot with the terminal chat until the typed lines run out; return the screen."""
    screen = io.StringIO()
    chat = TerminalChat(cast(TextIO, Typist(screen, lines)), screen, files_dir)
    settings = Settings(database_url=url, outbox_sweep_seconds=60)
    async with asyncio.timeout(SESSION_TIMEOUT):  # a session that never ends fails, not hangs
        await run_bot(settings, [chat], install_signals=False)
    return screen.getvalue()


async def test_volunteers_and_a_coordinator_in_the_terminal(sqlite_url: str) -> None:
    screen = await type_into_terminal(
        sqlite_url,
        [
            *onboarding("Alice"),
            "/as coordinator",
            "/group",
            MISSION,
            "1",  # Publier, on the summary
            "/as Alice",
            lambda s: f"{number_of(CARD_TITLE)(s)}.1",  # M.N: Je participe, on the card
            *onboarding("Bob"),
            "/group",
            lambda s: f"/reply {number_of(CARD_TITLE)(s)} moi !",
            "/who",
            "/quit",
            "never typed: /quit ended the session",
        ],
    )
    assert "Vous êtes maintenant Alice." in screen
    assert "[privé → Alice]" in screen and "Merci, ton profil est prêt !" in screen
    assert "📅 sam. après-midi" in screen

    summary = [m for m in shown(screen) if m.text.startswith("Voici la mission")]
    assert summary[0].where == "groupe « Mon association »"
    assert summary[0].text.endswith("[1] Publier  [2] Annuler")
    assert summary[-1].edited and "Publier" not in summary[-1].text
    assert "Mission #1 « Tri alimentaire » publiée ✅" in screen

    card_no = number_of(CARD_TITLE)(screen)
    first = next(m for m in shown(screen) if m.number == card_no)
    assert "👥 0/2 inscrits" in first.text
    assert "[1] Je participe  [2] Détails  [3] Me retirer" in first.text
    assert "↳ C'est noté, tu es inscrit·e ✅" in screen
    assert "Bob est inscrit·e à « Tri alimentaire » ✅" in screen
    card = latest(screen, card_no)
    assert card.edited and "👥 2/2 inscrits" in card.text
    assert "✅ Complet" in card.text
    after_alice = [m for m in shown(screen) if m.number == card_no and "1/2 inscrits" in m.text]
    assert after_alice and after_alice[0].edited
    assert "coordinator, Alice, Bob" in screen
    assert screen.rstrip().endswith("bob@groupe>")

    store = Store(sqlite_url)
    try:
        async with store.transaction() as tx:
            statuses = [s.status for s in await tx.missions.signups(1)]
    finally:
        await store.close()
    assert statuses == [SignupStatus.CONFIRMED, SignupStatus.CONFIRMED]


async def test_pressing_a_button_by_number_in_private(sqlite_url: str) -> None:
    screen = await type_into_terminal(sqlite_url, ["/private", "/start", "2"])
    consent = number_of("D'accord ?")(screen)
    assert latest(screen, consent).text.endswith("[1] J'accepte  [2] Non merci")
    assert "Pas de souci : je n'enregistre rien." in screen


async def test_someone_else_in_english(sqlite_url: str) -> None:
    screen = await type_into_terminal(sqlite_url, ["/as Sam en", "/private", "/start"])
    assert "Vous êtes maintenant Sam." in screen
    assert "Welcome Sam!" in screen and "[1] I agree  [2] No thanks" in screen


async def test_mistyped_lines_get_a_helpful_line_and_the_chat_goes_on(sqlite_url: str) -> None:
    screen = await type_into_terminal(
        sqlite_url,
        [
            "1",  # no message with buttons yet
            "/reply",
            "/reply 1",
            "/reply 999 moi !",
            "/as",
            "/private",
            "/start",
            "3",  # the consent has two buttons
            "0",
            "/nimportequoi",
            "/start",  # still there: the consent is shown again
        ],
    )
    assert screen.count(NO_BUTTON) == 3
    assert screen.count(REPLY_USAGE) == 3
    assert "Usage : /as NOM [fr|en]" in screen
    assert "Je ne connais pas la commande /nimportequoi." in screen
    assert screen.count("D'accord ?") == 2
    assert "je n'enregistre rien" not in screen


@pytest.mark.parametrize("typed", ["1.", "²"])
async def test_a_malformed_button_number_is_refused(sqlite_url: str, typed: str) -> None:
    screen = await type_into_terminal(sqlite_url, ["/private", "/start", typed, "/who"])
    assert NO_BUTTON in screen
    assert "coordinator" in screen.splitlines()[-1]


async def test_a_button_of_a_message_that_does_not_exist_is_not_pressed(
    sqlite_url: str,
) -> None:
    screen = await type_into_terminal(sqlite_url, ["/private", "/start", "999.2"])
    assert "Pas de message #999." in screen
    assert "je n'enregistre rien" not in screen


async def test_files_the_bot_sends_are_saved_to_open_them(sqlite_url: str, tmp_path: Path) -> None:
    files = tmp_path / "files"
    screen = await type_into_terminal(sqlite_url, ["/private", "/mydata"], files)
    saved = list(files.iterdir())
    assert len(saved) == 1 and saved[0].suffix == ".json", saved
    assert str(saved[0]) in screen
    assert json.loads(saved[0].read_bytes())  # the very file the bot sent, readable
