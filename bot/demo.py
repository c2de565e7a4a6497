"""`mainforte demo`: a scripted scenario through the real core on a temporary database.

An association's group, 30 volunteers who describe their skills in their own
words, a coordinator posting three missions, sign-ups by button and by reply,
a full mission with a waitlist, a withdrawal and the promotion that follows.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from adapters.memory import MemoryOutlet, MemoryPlatform, Message, Person
from bot.config import Settings
from bot.core import Core
from bot.services import Services
from data.store import Store

__all__ = ["VOLUNTEERS", "play_demo"]

# (name, skills in their own words, place, Saturday afternoon free?)
VOLUNTEERS: tuple[tuple[str, str, str], ...] = (
    ("Awa", "manutention, accueil du public", "Paris 75011"),
    ("Bastien", "permis B et un peu de bricolage", "Montreuil 93100"),
    ("Chloé", "cuisine, j'adore cuisiner pour beaucoup de monde", "Paris 75020"),
    ("Djamel", "compta, tresorerie", "Bagnolet"),
    ("Emma", "anglais courant, traduction", "Paris 75012"),
    ("Farid", "premiers secours (PSC1)", "Vincennes"),
    ("Gaëlle", "jardinnage, potager", "Montreuil"),
    ("Hugo", "dev web, informatique", "Paris 75010"),
    ("Inès", "aide aux devoirs, maths", "Paris 75019"),
    ("Jules", "conduite de camion, permis C", "Pantin"),
    ("Karima", "arabe, traduction, accompagnement administratif", "Paris 75018"),
    ("Léo", "photographie, vidéo", "Paris 75011"),
    ("Manon", "graphisme, réseaux sociaux", "Paris 75003"),
    ("Nicolas", "tri alimentaire, banque alimentaire", "Paris 75011"),
    ("Océane", "animation enfants, BAFA", "Romainville"),
    ("Paul", "bricolage, réparations, plomberie", "Paris 75020"),
    ("Quentin", "sport, coach de foot", "Les Lilas"),
    ("Rose", "visite aux personnes âgées, écoute", "Paris 75011"),
    ("Samir", "maraude, accueil des sans-abri", "Paris 75010"),
    ("Théa", "FLE, cours de français", "Paris 75013"),
    ("Ulysse", "logistique, manutention", "Paris 75012"),
    ("Valentine", "recherche de financements, subventions", "Paris 75005"),
    ("William", "english, cooking", "Paris 75011"),
    ("Xavier", "juridique, droit", "Paris 75009"),
    ("Yasmine", "cuisine, service", "Bagnolet"),
    ("Zoé", "accueil, caisse", "Paris 75011"),
    ("Adèle", "couture, tricot", "Montreuil"),
    ("Bruno", "electricité, bricolage", "Paris 75020"),
    ("Camille", "communication, rédaction", "Paris 75004"),
    ("David", "manut, port de charges", "Paris 75011"),
)


class _Transcript:
    def __init__(self, out: TextIO, platform: MemoryPlatform) -> None:
        self.out = out
        self.platform = platform
        self.quiet = False

    def show(self, chat_id: str, message: Message, edited: bool) -> None:
        if self.quiet:
            return
        where = "groupe" if chat_id == self.platform.group.chat_id else f"privé → {chat_id}"
        self.out.write(f"  🤖 [{where}]{' (modifié)' if edited else ''}\n")
        for line in message.text.splitlines():
            self.out.write(f"     {line}\n")
        for row in message.buttons:
            self.out.write("     " + "  ".join(f"[{button.label}]" for button in row) + "\n")

    def act(self, person: Person, what: str) -> None:
        if not self.quiet:
            self.out.write(f"\n» {person.user.display_name} : {what}\n")

    def title(self, text: str) -> None:
        self.out.write(f"\n=== {text} ===\n")


async def _onboard(
    t: _Transcript, person: Person, skills: str, place: str, *, started: bool = False
) -> None:
    if not started:
        t.act(person, "/start")
        await person.say("/start")
    t.act(person, "[J'accepte]")
    await person.press("J'accepte")
    t.act(person, skills)
    await person.say(skills)
    t.act(person, "[Oui, c'est ça]")
    await person.press("Oui, c'est ça")
    t.act(person, "[sam. après-midi] [Valider]")
    await person.press("sam. après-midi")
    await person.press("Valider")
    t.act(person, place)
    await person.say(place)
    t.act(person, "[2 par semaine]")
    await person.press("2 par semaine")


async def play_demo(settings: Settings, out: TextIO | None = None) -> int:
    """Play the scenario and print it; returns the process exit code."""
    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="mainforte-demo-") as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        settings = dataclasses.replace(settings, database_url=url)
        store = Store(url)
        try:
            await store.migrate()
            core = Core(Services.build(store, settings))
            outlet = MemoryOutlet(platform="demo")
            core.attach(outlet)
            platform = MemoryPlatform(core.handle, outlet, group_title="Banque alimentaire du 11e")
            t = _Transcript(out, platform)
            outlet.listeners.append(t.show)
            await _scenario(t, platform)
        finally:
            await store.close()
    return 0


async def _scenario(t: _Transcript, platform: MemoryPlatform) -> None:
    coordinator = platform.person("coralie", "Coralie")
    platform.chat_admins.add("coralie")
    people = [platform.person(name.lower(), name) for name, _, _ in VOLUNTEERS]

    t.title("Le bot arrive dans le groupe")
    t.act(coordinator, "/help")
    await coordinator.say("/help", in_group=True)

    t.title("Une bénévole arrive dans le groupe et se présente en privé")
    t.act(people[0], "rejoint le groupe")
    await people[0].join_group()
    t.act(people[0], "[Me présenter]")
    await people[0].press("Me présenter")
    await _onboard(t, people[0], VOLUNTEERS[0][1], VOLUNTEERS[0][2], started=True)
    t.quiet = True
    for person in people[1:]:
        await person.join_group()
    t.quiet = False
    t.title("Un autre bénévole tape /start en privé")
    await _onboard(t, people[1], VOLUNTEERS[1][1], VOLUNTEERS[1][2])
    t.title("28 autres bénévoles rejoignent le groupe et se présentent (messages masqués)")
    t.quiet = True
    for person, (_, skills, place) in zip(people[2:], VOLUNTEERS[2:], strict=True):
        await _onboard(t, person, skills, place)
    t.quiet = False

    t.title("La coordinatrice publie trois missions")
    lines = (
        "Tri et distribution | samedi 14h-17h | Entrepôt, 12 rue des Lilas | 3 | manutention, accueil",
        "Maraude du soir | mardi 20h-23h | Gare de l'Est | 4 | maraude",
        "Atelier cuisine | dimanche 10h-13h | Local de l'asso | 2 | cuisine",
    )
    for line in lines:
        t.act(coordinator, f"/mission {line}")
        await coordinator.say(f"/mission {line}", in_group=True)
        t.act(coordinator, "[Publier]")
        await coordinator.press(
            "Publier", platform.outlet.chat(platform.group.chat_id).messages[-1]
        )

    group = platform.outlet.chat(platform.group.chat_id).messages
    card = next(m for m in group if m.text.startswith("🤝 Tri et distribution · #"))

    t.title("Inscriptions : un bouton, des réponses en mots")
    t.act(people[0], "[Je participe] sur la carte")
    await people[0].press("Je participe", card)
    t.act(people[13], "répond à la carte : « moi ! »")
    await people[13].reply(card, "moi !")
    t.act(people[20], "répond : « ok pour moi 👍 »")
    await people[20].reply(card, "ok pour moi 👍")

    t.title("La mission est complète : liste d'attente")
    t.act(people[29], "[Je participe]")
    await people[29].press("Je participe", card)
    t.act(people[25], "répond : « je peux venir aussi ? »")
    await people[25].reply(card, "je peux venir aussi ?")

    t.title("Un désistement : la place est proposée au premier de la liste d'attente")
    t.act(people[13], "répond : « finalement je peux pas, désolé »")
    await people[13].reply(card, "finalement je peux pas, désolé")
    t.act(people[29], "[Je confirme] (la place lui est réservée quelques heures)")
    await people[29].press("Je confirme")

    t.title("Les missions ouvertes")
    t.act(people[1], "/missions")
    await people[1].say("/missions")
    t.out.write(
        "\nFin de la démo : tout ce qui précède est passé par le vrai cœur du bot et une vraie base SQLite.\n"
    )
