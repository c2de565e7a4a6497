"""The terminal chat: try the real bot with no token, as several people, in a group and in private.

Type as the current person; bot commands work as on Telegram. Terminal commands:
  /as NAME [fr|en]   become someone (created on first use); /as coordinator is a group admin
  /group, /private   switch chat          /reply N TEXT   reply in the group to message N
  N or M.N           press button N of the latest message with buttons (or of message M)
  /who               who is here          /quit           leave (Ctrl-D and Ctrl-C work too)
  /import FILE.csv   send a local file to the bot, as a document with the caption /import
"""

from __future__ import annotations

import asyncio
import queue
import re
import sys
import threading
import unicodedata
from pathlib import Path
from typing import Any, TextIO

from adapters.memory import MemoryOutlet, MemoryPlatform, Message, Person
from bot.core import Core
from bot.events import MessageRef

__all__ = ["TerminalChat"]

HELP = __doc__.split("\n", 2)[2] if __doc__ else ""
MAX_FILE_BYTES = 1_000_000  # as the Telegram adapter: a volunteer list, not an archive


class TerminalChat:
    """A platform whose people are typed in the terminal."""

    name = "terminal"

    def __init__(
        self,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        files_dir: Path | None = None,
    ) -> None:
        """`files_dir`: where files the bot sends (CSV, charts, calendars) are saved, so
        they can be opened; None shows only their name and size."""
        self._in = stdin or sys.stdin
        self._out = stdout or sys.stdout
        self._files_dir = files_dir
        self.outlet = MemoryOutlet(platform="terminal")
        self.outlet.listeners.append(self._show)
        self._platform: MemoryPlatform | None = None
        self.people: dict[str, Person] = {}
        self.current = "coordinator"
        self.in_group = True

    # --- output --------------------------------------------------------------

    def _print(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    def _who_sees(self, chat_id: str) -> str:
        if self._platform is not None and chat_id == self._platform.group.chat_id:
            return f"[groupe « {self._platform.group.title} »]"
        person = self.people.get(chat_id)
        return f"[privé → {person.user.display_name if person else chat_id}]"

    def _show(self, chat_id: str, message: Message, edited: bool) -> None:
        flag = " (modifié)" if edited else ""
        self._print(f"\n{self._who_sees(chat_id)} #{message.message_id}{flag}")
        for line in message.text.splitlines():
            self._print(f"  {line}")
        if message.file is not None:
            name, content = message.file
            self._print(f"  📎 {name} ({len(content)} octets)")
            if self._files_dir is not None:
                self._print(f"     → {self._save(message.message_id, name, content)}")
            if name.endswith(".csv"):  # small tables (exports, claim codes): shown in full
                for line in content.decode("utf-8-sig", errors="replace").splitlines()[:60]:
                    self._print(f"  | {line}")
        number = 1
        for row in message.buttons:
            cells = []
            for button in row:
                cells.append(f"[{number}] {button.label}")
                number += 1
            self._print("  " + "  ".join(cells))

    def _save(self, message_id: str, name: str, content: bytes) -> Path | str:
        assert self._files_dir is not None
        safe = re.sub(r"[^\w.-]+", "_", Path(name).name) or "file"
        path = self._files_dir / f"{message_id}-{safe}"
        try:
            self._files_dir.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        except OSError as exc:
            return f"(non enregistré : {exc.strerror or exc})"
        return path

    # --- people --------------------------------------------------------------

    def _person(self, name: str, language: str | None = None) -> Person:
        assert self._platform is not None
        key = name.casefold()
        if key not in self.people:
            person = self._platform.person(key, name, language or "fr")
            self.people[key] = person
            if key == "coordinator":
                self._platform.chat_admins.add(key)
        elif language:
            old = self.people[key]
            self.people[key] = self._platform.person(key, old.user.display_name, language)
        return self.people[key]

    def _prompt(self) -> str:
        where = "groupe" if self.in_group else "privé"
        return f"{self.current}@{where}> "

    # --- input ---------------------------------------------------------------

    def _start_reader(
        self, loop: asyncio.AbstractEventLoop
    ) -> queue.SimpleQueue[asyncio.Future[str]]:
        """Read stdin in a daemon thread, one line per request (the prompt is shown first):
        a read still blocked at shutdown never holds the process up."""
        requests: queue.SimpleQueue[asyncio.Future[str]] = queue.SimpleQueue()

        def deliver(future: asyncio.Future[str], line: str) -> None:
            if not future.done():
                future.set_result(line)

        def read() -> None:
            while True:
                future = requests.get()
                line = self._in.readline()
                try:
                    loop.call_soon_threadsafe(deliver, future, line)
                except RuntimeError:  # the chat already ended and its loop is closed
                    return
                if not line:
                    return

        threading.Thread(target=read, name="terminal-stdin", daemon=True).start()
        return requests

    async def _read_line(
        self, requests: queue.SimpleQueue[asyncio.Future[str]], stop: asyncio.Event
    ) -> str | None:
        read: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        requests.put(read)
        stopped: asyncio.Future[bool] = asyncio.ensure_future(stop.wait())
        waiting: set[asyncio.Future[Any]] = {read, stopped}
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if read in done:
            stopped.cancel()
            return read.result() or None  # "" is the end of input
        read.cancel()
        return None

    async def run(self, core: Core, stop: asyncio.Event) -> None:
        core.attach(self.outlet)
        self._platform = MemoryPlatform(
            core.handle, self.outlet, group_id="terminal-group", group_title="Mon association"
        )
        self._person("coordinator")
        self._print(
            "Mainforte — chat dans le terminal. Vous êtes « coordinator » (admin du groupe)."
        )
        self._print(HELP)
        lines = self._start_reader(asyncio.get_running_loop())
        while not stop.is_set():
            self._out.write(self._prompt())
            self._out.flush()
            line = await self._read_line(lines, stop)
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            if not await self._terminal_command(line):
                break

    async def _terminal_command(self, line: str) -> bool:
        """Act on one typed line; False to quit."""
        head, _, rest = line.partition(" ")
        if head in ("/quit", "/exit"):
            return False
        if head == "/as":
            parts = rest.split()
            if not parts:
                self._print("Usage : /as NOM [fr|en]")
                return True
            language = parts[1] if len(parts) > 1 and parts[1] in ("fr", "en") else None
            self.current = self._person(parts[0], language).user.user_id
            self._print(f"Vous êtes maintenant {self.people[self.current].user.display_name}.")
            return True
        if head in ("/group", "/groupe"):
            self.in_group = True
            return True
        if head in ("/private", "/prive", "/privé"):
            self.in_group = False
            return True
        if head == "/who":
            self._print(", ".join(p.user.display_name for p in self.people.values()))
            return True
        person = self.people[self.current]
        if head == "/reply":
            number, _, text = rest.partition(" ")
            target = self._find(number)
            if target is None or not text:
                self._print("Usage : /reply NUMÉRO_DU_MESSAGE texte")
                return True
            await person.say(
                text,
                in_group=True,
                reply_to=MessageRef("terminal", target.chat_id, target.message_id),
            )
            return True
        if head in ("/import", "/importer") and rest.strip():
            await self._send_file(person, head, rest.strip())
            return True
        if _is_press(line):
            await self._press(person, line)
            return True
        if _looks_like_press(line):
            self._print("Pas de bouton à ce numéro ici.")
            return True
        await person.say(line, in_group=self.in_group)
        return True

    async def _send_file(self, person: Person, caption: str, path: str) -> None:
        """Read a local file and send it to the bot, as Telegram sends a document."""
        try:
            name, content = await asyncio.to_thread(_read_file, path)
        except OSError as exc:
            self._print(f"Impossible de lire {path} : {exc.strerror}")
            return
        if len(content) > MAX_FILE_BYTES:
            size, limit = len(content) // 1000, MAX_FILE_BYTES // 1000
            self._print(f"Fichier trop gros : {size} Ko, {limit} Ko au maximum.")
            return
        await person.send_file(name, content, caption, in_group=self.in_group)

    def _find(self, number: str) -> Message | None:
        for chat in self.outlet.chats.values():
            for message in chat.messages:
                if message.message_id == number:
                    return message
        return None

    def _visible(self, person: Person) -> list[Message]:
        assert self._platform is not None
        chat_id = self._platform.group.chat_id if self.in_group else person.user.user_id
        return [m for m in self.outlet.chat(chat_id).messages if m.buttons]

    async def _press(self, person: Person, line: str) -> None:
        message_no, _, button_no = line.rpartition(".")
        message = self._find(message_no) if message_no else None
        if message_no and message is None:
            self._print(f"Pas de message #{message_no}.")
            return
        if message is None:
            visible = self._visible(person)
            message = visible[-1] if visible else None
        buttons = [b for row in message.buttons for b in row] if message else []
        index = int(button_no) - 1
        if message is None or not 0 <= index < len(buttons):
            self._print("Pas de bouton à ce numéro ici.")
            return
        answer, _alert = await person.press_button(buttons[index], message)
        if answer:
            self._print(f"  ↳ {answer}")


def _read_file(path: str) -> tuple[str, bytes]:
    """The file's name and at most one byte more than the limit (enough to refuse it)."""
    file = Path(path).expanduser()
    with file.open("rb") as stream:
        return file.name, stream.read(MAX_FILE_BYTES + 1)


def _is_press(line: str) -> bool:
    """'2' or '12.2': ASCII digits only ('1.' or '²' are ordinary text)."""
    return re.fullmatch(r"(?:[0-9]{1,6}\.)?[0-9]{1,3}", line) is not None


def _looks_like_press(line: str) -> bool:
    """Digits and dots only, but not a valid 'N' or 'M.N' ('1.', '²', '1..2')."""
    return all(char == "." or char.isdigit() or unicodedata.category(char) == "No" for char in line)
