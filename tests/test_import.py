"""Importing an association's volunteer spreadsheet, and people claiming their profile.

Through the real core: the admin sends the CSV privately; every row must be right or
nothing is imported; each person gets a one-time code, claims the profile with it,
agrees, and from then on is a candidate for missions like anyone who onboarded.
Also the parsing on its own, the terminal chat, Telegram (document download through
the fake Bot API) and the command line.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TextIO, cast

import pytest
from sqlalchemy import func, select

from adapters.memory import MemoryPlatform, Person
from adapters.terminal import TerminalChat
from bot.app import run_bot
from bot.availability import parse_availability
from bot.config import Settings
from bot.features.imports import CLAIM_VALID_DAYS, MAX_FAILURES
from bot.imports import MAX_ROWS, decode, parse_volunteers, phone_key
from data.schema import consents, memberships, volunteer_claims, volunteers
from matching.skills import SkillNormaliser
from matching.taxonomy import load_taxonomy
from tests.fake_telegram import BOT_USERNAME
from tests.harness import Bot
from tests.scenarios import onboard, post_mission
from tests.test_bad_input import db_state, nothing_changes
from tests.test_telegram import World, fake_bot_api, running_world
from tests.test_telegram import _ptb_timedelta as _ptb_timedelta  # autouse fixture
from tests.test_terminal import Typist

FRENCH = (
    "\ufeffPrénom;Nom;Téléphone;Compétences;Disponibilités;Ville\r\n"
    "Awa;Diallo;06 12 34 56 78;cuisine, permis B;samedi après-midi, dimanche matin;Montreuil\r\n"
    "Élodie;Lefèvre;+33 7 98 76 54 32;jardinage;week-end;Paris 75011\r\n"
).encode()
ENGLISH = (
    b"First name,Last name,E-mail,Skills,Availability,Town,Postcode\r\n"
    b"John,Smith,john@example.org,cooking,Saturday afternoon,London,\r\n"
    b"Mary,Jones,mary@example.org,first aid; driving,weekdays evenings,Lyon,69003\r\n"
)
BAD = (
    "Nom complet;Téléphone;Disponibilités\n"
    "Awa Diallo;0612345678;samedi\n"
    ";0698765432;dimanche\n"  # line 3: no name
    "Bob Martin;0611111111;samedi\n"
    "Chloé Petit;06 22;sauf le lundi\n"  # line 5: bad phone, availability not understood
).encode()
MISSION = "Repas solidaire | samedi 14h-17h | Cuisine centrale | 2 | cuisine"


async def admin_of(bot: Bot) -> Person:
    admin = bot.person("admin", "Adèle")
    await admin.join_group()
    return admin


def codes_of(person: Person) -> dict[str, tuple[str, str]]:
    """Name -> (code, link) from the last CSV file the person received."""
    file = next(m.file for m in reversed(person.inbox) if m.file is not None)
    assert file is not None
    rows = list(csv.reader(io.StringIO(file[1].decode("utf-8-sig")), delimiter=";"))
    assert file[1].startswith(b"\xef\xbb\xbf") and rows[0][0] in ("ligne", "line")
    return {r[1]: (r[5], r[6]) for r in rows[1:]}


async def count(bot: Bot, table: object) -> int:
    async with bot.store.connection() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


# --- parsing ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def normaliser() -> SkillNormaliser:
    return SkillNormaliser(load_taxonomy())


def test_french_file_with_bom_accents_and_semicolons(normaliser: SkillNormaliser) -> None:
    parsed = parse_volunteers(FRENCH, normaliser)
    assert parsed.ok and not parsed.warnings
    awa, elodie = parsed.rows
    assert (awa.name, awa.phone, awa.place) == ("Awa Diallo", "06 12 34 56 78", "Montreuil")
    assert {sid for sid, _ in awa.skills} >= {"cooking", "driving_b"}
    assert awa.availability == {(5, "afternoon"), (6, "morning")}
    assert elodie.name == "Élodie Lefèvre" and elodie.postcode == "75011"
    assert elodie.availability == {
        (d, p) for d in (5, 6) for p in ("morning", "afternoon", "evening")
    }


def test_windows_1252_and_commas_are_read_too(normaliser: SkillNormaliser) -> None:
    content = "Nom complet,Courriel,Compétences\nJérôme Dupré,jd@example.fr,cuisine\n"
    assert decode(content.encode("cp1252")) == content
    parsed = parse_volunteers(content.encode("cp1252"), normaliser)
    assert parsed.ok and parsed.rows[0].name == "Jérôme Dupré"
    assert parsed.rows[0].email == "jd@example.fr"


def test_every_bad_line_is_reported_with_its_number(normaliser: SkillNormaliser) -> None:
    parsed = parse_volunteers(BAD, normaliser)
    assert not parsed.ok
    assert [(p.line, p.key) for p in parsed.errors] == [
        (3, "import.err_no_name"),
        (5, "import.err_phone"),
        (5, "import.err_availability"),
    ]


def test_blank_first_rows_and_cells_over_two_lines_keep_the_line_numbers(
    normaliser: SkillNormaliser,
) -> None:
    content = b'\n\nNom,Prenom,Telephone\nDiallo,Awa,0612345678\n\n"Martin\nBob",,06 22\n'
    parsed = parse_volunteers(content, normaliser)
    assert [(p.line, p.key) for p in parsed.errors] == [(6, "import.err_phone")]


def test_the_same_person_twice_and_unknown_words(normaliser: SkillNormaliser) -> None:
    content = (
        b"Name;Phone;Skills;Notes\n"
        b"Awa Diallo;0612345678;cooking, origami;x\n"
        b"DIALLO Awa;+33 6 12 34 56 78;;y\n"
    )
    parsed = parse_volunteers(content, normaliser)
    assert [(p.line, p.key, p.params) for p in parsed.errors] == [
        (3, "import.err_duplicate", {"other": 2})
    ]
    keys = {p.key for p in parsed.warnings}
    assert keys == {"import.warn_column", "import.warn_free_skills"}, parsed.warnings


def test_files_too_big_or_too_long_or_without_names_are_refused(
    normaliser: SkillNormaliser,
) -> None:
    rows = "".join(f"Personne {n}\n" for n in range(MAX_ROWS + 1))
    too_many = parse_volunteers(f"Nom complet\n{rows}".encode(), normaliser)
    assert [p.key for p in too_many.errors] == ["import.err_too_many"]
    too_big = parse_volunteers(b"Nom\n" + b"x" * 1_000_001, normaliser)
    assert [p.key for p in too_big.errors] == ["import.err_too_big"]
    no_name = parse_volunteers(b"Email;Phone\na@b.fr;0612345678\n", normaliser)
    assert [p.key for p in no_name.errors] == ["import.err_no_name_column"]
    assert [p.key for p in parse_volunteers(b"", normaliser).errors] == ["import.err_empty"]


@pytest.mark.parametrize(
    "phone",
    [
        "06 12 34 56 78",
        "+33 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "0033 6 12 34 56 78",
        "612345678",
    ],
)
def test_one_phone_written_many_ways_is_one_person(phone: str) -> None:
    assert phone_key(phone) == "0612345678"


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ("samedi matin, dimanche soir", {(5, "morning"), (6, "evening")}),
        ("lundi au mercredi soir", {(0, "evening"), (1, "evening"), (2, "evening")}),
        ("mercredi 18h-20h", {(2, "evening")}),
        ("Sam. après-midi", {(5, "afternoon")}),
        ("lundi matin et mardi soir", {(0, "morning"), (1, "evening")}),
        ("indifférent", set()),
        ("Saturday mornings", {(5, "morning")}),
        ("le matin en semaine", {(d, "morning") for d in range(5)}),
        ("matin samedi, soir dimanche", {(5, "morning"), (6, "evening")}),
        ("tous les samedis matin", {(5, "morning")}),
        ("samedi après midi", {(5, "afternoon")}),
    ],
)
def test_availability_words(text: str, cells: set[tuple[int, str]]) -> None:
    assert parse_availability(text) == frozenset(cells)


@pytest.mark.parametrize("text", ["sauf le lundi", "25h", "samedi peut-être", "quand je peux"])
def test_availability_not_understood(text: str) -> None:
    assert parse_availability(text) is None


# --- importing in the chat ----------------------------------------------------------------


async def test_an_admin_imports_a_french_file_and_gets_the_codes(bot: Bot) -> None:
    admin = await admin_of(bot)
    await admin.send_file("benevoles.csv", FRENCH, "/import")
    texts = admin.texts()
    assert "2 bénévole(s) importé(s), 0 mis à jour" in texts
    assert f"pendant {CLAIM_VALID_DAYS} jours" in texts
    codes = codes_of(admin)
    assert set(codes) == {"Awa Diallo", "Élodie Lefèvre"}
    code, link = codes["Awa Diallo"]
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code) and link == f"/claim {code}"
    async with bot.store.transaction() as tx:
        claims = (await tx.conn.execute(select(volunteer_claims))).all()
        assert len(claims) == 2 and all(c.claimed_at is None for c in claims)
        assert all(code.replace("-", "") not in c.code_hash for c in claims)
        awa = await tx.people.get(claims[0].volunteer_id)
        assert awa is not None and awa.display_name == "Awa Diallo" and not awa.onboarded
        skills = {s.skill_id for s in await tx.people.skills(awa.id)}
        assert {"cooking", "driving_b"} <= skills
        assert await tx.people.availability(awa.id) == {(5, "afternoon"), (6, "morning")}
        assert await tx.people.identities_of(awa.id) == []
        assert await tx.people.consent(awa.id, "profile") is None
        assert await tx.orgs.role(claims[0].org_id, awa.id) is None, "not a member until claimed"


async def test_an_english_file_from_an_english_admin(bot: Bot) -> None:
    admin = bot.person("admin", "Adele", language="en")
    await admin.join_group()
    await admin.send_file("volunteers.csv", ENGLISH)  # no caption: a CSV alone is enough
    assert "Done: 2 volunteer(s) imported" in admin.texts()
    assert set(codes_of(admin)) == {"John Smith", "Mary Jones"}
    async with bot.store.transaction() as tx:
        mary = (
            await tx.conn.execute(
                select(volunteers).where(volunteers.c.display_name == "Mary Jones")
            )
        ).one()
        assert mary.postcode == "69003" and mary.location_text == "Lyon 69003"
        assert len(await tx.people.availability(mary.id)) == 5


async def test_a_file_with_two_bad_lines_imports_nothing(bot: Bot) -> None:
    admin = await admin_of(bot)
    before = await db_state(bot)
    await admin.send_file("benevoles.csv", BAD, "/import")
    answer = admin.last
    assert "Rien n'a été importé : 3 erreur(s)" in answer
    assert "Ligne 3 : il manque le nom." in answer
    assert "Ligne 5 : téléphone illisible « 06 22 »." in answer
    assert "Ligne 5 : disponibilités incomprises « sauf le lundi »" in answer
    assert "Ligne 2" not in answer and "Ligne 4" not in answer
    assert await db_state(bot) == before
    assert await count(bot, volunteer_claims) == 0
    assert not any(m.file for m in admin.inbox)


async def test_an_admin_of_two_associations_names_the_one_in_the_caption(bot: Bot) -> None:
    admin = await admin_of(bot)
    club = MemoryPlatform(bot.core.handle, bot.outlet, "group-2", "Club de foot")
    await club.person("admin", "Adèle").join_group()
    async with nothing_changes(bot):
        await admin.send_file("benevoles.csv", FRENCH, "/import")
    assert "plusieurs associations (Banque alimentaire, Club de foot)" in admin.last
    await admin.send_file("benevoles.csv", FRENCH, "/import club")
    async with bot.store.transaction() as tx:
        claims = (await tx.conn.execute(select(volunteer_claims.c.org_id))).scalars().all()
        space = await tx.orgs.chat_space("memory", "group-2")
    assert space is not None and claims == [space.org_id, space.org_id]


async def test_a_volunteer_cannot_import(bot: Bot) -> None:
    vera = bot.person("vera", "Véra")
    await vera.join_group()
    async with nothing_changes(bot):
        await vera.send_file("benevoles.csv", FRENCH, "/import")
        assert "Seuls les admins" in vera.last
        await vera.say("/import")
        assert "Seuls les admins" in vera.last
    assert await count(bot, volunteer_claims) == 0


async def test_import_alone_explains_and_other_files_are_refused(bot: Bot) -> None:
    admin = await admin_of(bot)
    await admin.say("/import")
    assert "envoie-moi ici le fichier CSV" in admin.last and "/import en légende" in admin.last
    async with nothing_changes(bot):
        await admin.send_file("liste.xlsx", b"PK\x03\x04", "/import")
        assert "n'est pas un fichier CSV" in admin.last
        await admin.send_file("benevoles.csv", FRENCH, "/import", in_group=True)
        assert "en privé" in bot.group_messages[-1].text
    assert "Awa" not in "".join(m.text for m in bot.group_messages)


async def test_importing_the_same_file_again_creates_no_duplicates(bot: Bot) -> None:
    admin = await admin_of(bot)
    await admin.send_file("benevoles.csv", FRENCH, "/import")
    first = codes_of(admin)
    people = await count(bot, volunteers)
    await admin.send_file("benevoles.csv", FRENCH, "/import")
    assert "0 bénévole(s) importé(s), 2 mis à jour" in admin.texts()
    second = codes_of(admin)
    assert await count(bot, volunteers) == people and await count(bot, volunteer_claims) == 2
    assert first["Awa Diallo"][0] != second["Awa Diallo"][0], "a new code replaces the old one"
    awa = bot.person("awa", "Awa")
    await awa.say(f"/claim {first['Awa Diallo'][0]}")
    assert "ne marche pas" in awa.last
    await awa.say(f"/claim {second['Awa Diallo'][0]}")
    await awa.press("J'accepte")
    await admin.send_file("benevoles.csv", FRENCH, "/import")
    assert "0 bénévole(s) importé(s), 1 mis à jour, 1 déjà relié(s)" in admin.texts()
    assert codes_of(admin)["Awa Diallo"] == ("", "")


# --- claiming -----------------------------------------------------------------------------


async def imported(bot: Bot) -> dict[str, tuple[str, str]]:
    admin = await admin_of(bot)
    await admin.send_file("benevoles.csv", FRENCH, "/import")
    return codes_of(admin)


async def test_claiming_with_the_code_links_the_profile_after_consent(bot: Bot) -> None:
    code = (await imported(bot))["Awa Diallo"][0]
    awa = bot.person("awa", "Awa")
    await awa.say(f"/claim {code.lower().replace('-', ' ')}")
    assert "Banque alimentaire t'a inscrit·e comme bénévole" in awa.last
    assert "Awa Diallo" in awa.last and "Pour te proposer des missions" in awa.last
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity("memory", "awa")
        assert identity is not None
        assert await tx.people.consent(identity.volunteer_id, "profile") is None
    await awa.press("J'accepte")
    assert "C'est relié" in awa.texts()
    assert "👤 Awa Diallo" in awa.last and "samedi" not in awa.last  # the short day names
    assert "sam. après-midi" in awa.last and "Montreuil" in awa.last
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity("memory", "awa")
        assert identity is not None
        me = await tx.people.get(identity.volunteer_id)
        assert me is not None and me.onboarded and me.display_name == "Awa Diallo"
        assert await tx.people.consent(me.id, "profile") is not None
        assert {s.skill_id for s in await tx.people.skills(me.id)} >= {"cooking", "driving_b"}
        claim = (await tx.conn.execute(select(volunteer_claims))).all()
        mine = [c for c in claim if c.claimed_at is not None]
        assert len(mine) == 1 and mine[0].volunteer_id == me.id
        assert await tx.orgs.role(mine[0].org_id, me.id) is not None
    assert await count(bot, volunteers) == 1 + 1 + 1  # the admin, Awa, Élodie (still imported)


async def test_the_deep_link_claims_too(bot: Bot) -> None:
    code = (await imported(bot))["Élodie Lefèvre"][0]
    elodie = bot.person("elodie", "Élo")
    await elodie.say(f"/start claim-{code.replace('-', '')}")
    assert "Élodie Lefèvre" in elodie.last
    await elodie.press("J'accepte")
    assert "C'est relié" in elodie.texts()


async def test_wrong_reused_and_expired_codes(bot: Bot) -> None:
    codes = await imported(bot)
    awa, bob, zoe = bot.person("awa", "Awa"), bot.person("bob", "Bob"), bot.person("zoe", "Zoé")
    await awa.say("/claim")
    assert "suivi du code" in awa.last
    await awa.say("/claim ABCDE-FGHJK")
    assert "Ce code ne marche pas" in awa.last
    await awa.say(f"/claim {codes['Awa Diallo'][0]}")
    await awa.press("J'accepte")
    await bob.say(f"/claim {codes['Awa Diallo'][0]}")
    assert "Ce code a déjà servi. Si ce n'était pas toi" in bob.last
    await awa.say(f"/claim {codes['Awa Diallo'][0]}")
    assert "ton profil est déjà relié" in awa.last
    bot.clock.advance(days=CLAIM_VALID_DAYS + 1)
    await zoe.say("/help")  # Zoé's first message creates her chat profile
    async with nothing_changes(bot):
        await zoe.say(f"/claim {codes['Élodie Lefèvre'][0]}")
    assert "Ce code a expiré le" in zoe.last


async def test_profiles_nobody_claimed_are_erased_when_their_code_expires(bot: Bot) -> None:
    await bot.core.prepare()  # what the bot plans when it starts: the daily sweep
    codes = await imported(bot)
    awa = bot.person("awa", "Awa")
    await awa.say(f"/claim {codes['Awa Diallo'][0]}")
    await awa.press("J'accepte")
    assert await count(bot, volunteer_claims) == 2
    bot.clock.advance(days=CLAIM_VALID_DAYS - 1)
    await bot.core.tasks.run_due()
    assert await count(bot, volunteers) == 3, "still claimable: kept"
    bot.clock.advance(days=2)
    await bot.core.tasks.run_due()
    async with bot.store.transaction() as tx:
        names = {r.display_name for r in await tx.conn.execute(select(volunteers))}
        kept = (await tx.conn.execute(select(volunteer_claims))).all()
    assert names == {"Adèle", "Awa Diallo"}, "Élodie never claimed nor consented"
    assert len(kept) == 1 and kept[0].claimed_at is not None


async def test_repeated_wrong_codes_are_limited(bot: Bot) -> None:
    code = (await imported(bot))["Awa Diallo"][0]
    mallory = bot.person("mallory", "Mallory")
    for n in range(MAX_FAILURES):
        await mallory.say(f"/claim AAAAA-BBBB{n + 2}")
        assert "ne marche pas" in mallory.last
    await mallory.say(f"/claim {code}")
    assert "Trop de codes essayés" in mallory.last, "even the right code waits"
    bot.clock.advance(hours=1, minutes=1)
    await mallory.say(f"/claim {code}")
    assert "t'a inscrit·e comme bénévole" in mallory.last


async def test_refusing_erases_the_imported_profile(bot: Bot) -> None:
    code = (await imported(bot))["Awa Diallo"][0]
    awa = bot.person("awa", "Awa")
    await awa.say(f"/claim {code}")
    await awa.press("Non, effacer")
    assert "le profil importé est effacé" in awa.last
    async with bot.store.connection() as conn:
        names = (await conn.execute(select(volunteers.c.display_name))).scalars().all()
        given = (await conn.execute(select(func.count()).select_from(consents))).scalar_one()
    assert "Awa Diallo" not in names and given == 0
    await awa.say(f"/claim {code}")
    assert "ne marche pas" in awa.last
    admin = bot.person("admin", "Adèle")
    await admin.send_file("benevoles.csv", FRENCH, "/import")  # the same file, a month later
    assert "1 personne(s) avaient refusé le profil importé" in admin.texts()
    codes = codes_of(admin)
    assert codes["Awa Diallo"] == ("", "") and codes["Élodie Lefèvre"][0]
    async with bot.store.connection() as conn:
        names = (await conn.execute(select(volunteers.c.display_name))).scalars().all()
    assert "Awa Diallo" not in names, "her refusal is remembered"


async def test_an_onboarded_person_keeps_what_they_said_and_gains_the_skills(bot: Bot) -> None:
    code = (await imported(bot))["Élodie Lefèvre"][0]
    elodie = bot.person("elodie", "Élo")
    await onboard(elodie, skills="cuisine", place="Vincennes 94300")  # Saturday afternoon
    await elodie.say(f"/claim {code}")
    await elodie.press("J'accepte")
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity("memory", "elodie")
        assert identity is not None
        me = await tx.people.get(identity.volunteer_id)
        assert me is not None and me.postcode == "94300" and me.max_invitations_per_week == 2
        assert await tx.people.availability(me.id) == {(5, "afternoon")}
        assert {s.skill_id for s in await tx.people.skills(me.id)} >= {"cooking", "gardening"}
        rows = (await tx.conn.execute(select(memberships.c.volunteer_id))).scalars().all()
        assert rows.count(me.id) == 1


async def test_a_claimed_volunteer_is_a_candidate_and_unclaimed_ones_are_not(bot: Bot) -> None:
    code = (await imported(bot))["Awa Diallo"][0]
    coord = bot.person("coord", "Coralie")
    mission_id = await post_mission(bot, coord, MISSION)
    await coord.say(f"/match {mission_id}")
    assert "Awa Diallo" not in coord.last, "no consent yet: never ranked"
    awa = bot.person("awa", "Awa")
    await awa.say(f"/claim {code}")
    await awa.press("J'accepte")
    await coord.say(f"/match {mission_id}")
    assert "1. Awa Diallo : Cuisine · libre le samedi après-midi" in coord.last


async def test_mydata_and_forget_cover_the_claim(bot: Bot) -> None:
    code = (await imported(bot))["Awa Diallo"][0]
    awa = bot.person("awa", "Awa")
    await awa.say(f"/claim {code}")
    await awa.press("J'accepte")
    await awa.say("/mydata")
    file = awa.inbox[-1].file
    assert file is not None and b'"imported_profiles"' in file[1] and b"claimed_at" in file[1]
    await awa.say("/forget")
    await awa.press("Oui, tout effacer")
    async with bot.store.connection() as conn:
        left = (await conn.execute(select(volunteer_claims.c.volunteer_id))).scalars().all()
        names = (await conn.execute(select(volunteers.c.display_name))).scalars().all()
    assert len(left) == 1, "only Élodie's unclaimed profile is left"
    assert "Awa Diallo" not in names


# --- terminal, Telegram, command line -----------------------------------------------------


async def test_terminal_import_of_a_local_file(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "benevoles.csv"
    path.write_bytes(FRENCH)
    screen = io.StringIO()
    chat = TerminalChat(
        cast(TextIO, Typist(screen, ["/group", "bonjour", "/private", f"/import {path}", "/quit"])),
        screen,
    )
    settings = Settings(database_url=sqlite_url, admins=("terminal:coordinator",))
    async with asyncio.timeout(60):
        await run_bot(settings, [chat], install_signals=False)
    out = screen.getvalue()
    assert "2 bénévole(s) importé(s)" in out
    assert re.search(r"📎 codes-\d{4}-\d{2}-\d{2}\.csv", out)
    assert "| 2;Awa Diallo;06 12 34 56 78;;nouveau;" in out


@pytest.fixture
async def telegram(sqlite_url: str) -> AsyncIterator[World]:
    async with (
        fake_bot_api() as fake,
        running_world(fake, sqlite_url, admins=("telegram:1",)) as world,
    ):
        yield world


async def test_telegram_document_is_downloaded_and_imported(telegram: World) -> None:
    fake = telegram.fake
    admin = telegram.person(1, "Adèle")
    await admin.say("/help", in_group=True)  # the admin's organisation is the group's
    await telegram.settle(
        fake.document(admin.user, fake.chats[1], "benevoles.csv", FRENCH, caption="/import")
    )
    assert fake.downloads and fake.calls_of("getFile")
    assert "2 bénévole(s) importé(s)" in admin.texts()
    sent = [m for m in fake.visible(1) if m.file is not None][-1]
    assert sent.file is not None and sent.file[0].startswith("codes-")
    rows = list(csv.reader(io.StringIO(sent.file[1].decode("utf-8-sig")), delimiter=";"))
    link = rows[1][6]
    assert link.startswith(f"https://t.me/{BOT_USERNAME}?start=claim-")
    awa = telegram.person(2, "Awa")
    await awa.say(f"/start {link.split('start=')[1]}")
    assert "Awa Diallo" in awa.last
    await awa.press("J'accepte")
    assert "C'est relié" in awa.texts()


async def test_telegram_refuses_a_big_document_without_downloading_it(telegram: World) -> None:
    fake = telegram.fake
    admin = telegram.person(1, "Adèle")
    big = b"Nom\n" + b"x" * 1_100_000
    await telegram.settle(fake.document(admin.user, fake.chats[1], "gros.csv", big))
    assert "Fichier trop gros : 1000 Ko au maximum" in admin.last
    assert fake.downloads == [] and fake.calls_of("getFile") == []


async def test_claim_codes_expire_after_the_configured_days(bot: Bot) -> None:
    code = (await imported(bot))["Awa Diallo"][0]
    bot.clock.advance(days=CLAIM_VALID_DAYS)
    bot.clock.advance(seconds=-60)
    awa = bot.person("awa", "Awa")
    await awa.say(f"/claim {code}")
    assert "t'a inscrit·e" in awa.last
    bot.clock.advance(seconds=120)
    await awa.press("J'accepte")
    assert "a expiré" in awa.last
