"""The FAQ: the matcher's precision on a labelled set, and /faq with private questions
answered or forwarded to the coordinators through the real core."""

from __future__ import annotations

from bot.faqmatch import FaqMatcher
from tests.harness import Bot
from tests.scenarios import onboard

FAQ = [
    "Où peut-on se garer ? / Where can I park?",
    "Faut-il apporter des gants ? / Do I need to bring gloves?",
    "Comment me désinscrire d'une mission ? / How do I cancel my sign-up?",
    "Est-ce que les repas sont fournis ? / Is food provided?",
    "Quelle est l'adresse de l'entrepôt ? / What is the warehouse address?",
    "Peut-on venir avec des enfants ? / Can I bring my children?",
    "Faut-il une assurance ? / Do I need insurance?",
    "Comment obtenir une attestation de bénévolat ? / How do I get a volunteering certificate?",
]

# (question, index of the FAQ entry it asks about, or None when nothing should match)
LABELLED: list[tuple[str, int | None]] = [
    ("où se garer ?", 0),
    ("Il y a un parking ?", 0),
    ("on peut se garer où svp", 0),
    ("ou peut on se gare", 0),
    ("where do I park", 0),
    ("where can i park my car?", 0),
    ("parking?", 0),
    ("je dois apporter des gants ?", 1),
    ("faut il des gants", 1),
    ("faut-il prendre des gans ?", 1),
    ("do I need gloves?", 1),
    ("should I bring gloves", 1),
    ("gloves needed?", 1),
    ("comment je me désinscris d'une mission ?", 2),
    ("comment se désinscrire", 2),
    ("comment me desincrire d'une mision", 2),
    ("how do I cancel my signup?", 2),
    ("how to cancel my sign up", 2),
    ("les repas sont fournis ?", 3),
    ("est ce que le repas est fourni", 3),
    ("is food provided?", 3),
    ("is the food provided", 3),
    ("repas fournis?", 3),
    ("quelle est l'adresse de l'entrepôt ?", 4),
    ("c'est quoi l'adresse de l'entrepot", 4),
    ("adresse entrepot ?", 4),
    ("what's the warehouse address?", 4),
    ("warehouse address", 4),
    ("je peux venir avec mes enfants ?", 5),
    ("peut on venir avec des enfant", 5),
    ("can I bring my kids?", 5),
    ("can i bring my children", 5),
    ("enfants acceptés ?", 5),
    ("faut-il une assurance ?", 6),
    ("j'ai besoin d'une assurance ?", 6),
    ("do I need an insurance?", 6),
    ("insurance needed?", 6),
    ("comment avoir une attestation de bénévolat ?", 7),
    ("attestation de benevolat ?", 7),
    ("how to get a volunteering certificate", 7),
    ("can I get a certificate?", 7),
    ("Quel temps fera-t-il samedi ?", None),
    ("Qui est le président de l'association ?", None),
    ("Combien de bénévoles sont inscrits ?", None),
    ("Est-ce que je peux changer de mission ?", None),
    ("What time does the mission start?", None),
    ("Who is the coordinator?", None),
    ("How many people signed up?", None),
    ("Is there a train station nearby?", None),
    ("Quelle est la date de la prochaine distribution ?", None),
    ("Je suis en retard, que faire ?", None),
    ("I will be late, what should I do?", None),
    ("Can I volunteer from home?", None),
    ("Faut-il parler anglais ?", None),
    ("Y a-t-il des toilettes sur place ?", None),
    ("How old do I have to be?", None),
    ("Quel âge faut-il avoir ?", None),
    ("Est-ce que je peux faire un don ?", None),
    ("Can I donate money?", None),
    ("Combien de temps dure la mission ?", None),
    ("How long does the mission last?", None),
    ("Le local est-il accessible en fauteuil ?", None),
]


def test_faq_answers_with_high_precision() -> None:
    assert len(LABELLED) >= 60
    matcher = FaqMatcher(FAQ)
    answered = correct = 0
    wrong: list[str] = []
    for question, expected in LABELLED:
        found = matcher.match(question)
        if found is None:
            continue
        answered += 1
        if found.index == expected:
            correct += 1
        else:
            wrong.append(f"{question!r} -> {FAQ[found.index]!r}")
    askable = sum(1 for _, expected in LABELLED if expected is not None)
    precision = correct / answered if answered else 1.0
    recall = correct / askable
    print(f"FAQ precision {precision:.2f} ({correct}/{answered}), recall {recall:.2f}")
    print("\n".join(wrong))
    assert precision >= 0.9, wrong
    assert recall >= 0.6


def test_an_empty_faq_matches_nothing() -> None:
    assert FaqMatcher([]).match("où se garer ?") is None
    assert FaqMatcher(FAQ).match("???") is None


async def test_faq_commands_answers_and_forwarding(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    await coord.join_group()
    bot.platform.chat_admins.add("coord")
    await coord.say("/faq", in_group=True)
    assert "La FAQ est vide" in bot.group_messages[-1].text
    await coord.say(
        "/faq add Où peut-on se garer ? / Where can I park? | Rue des Lilas", in_group=True
    )
    assert "n° 1" in bot.group_messages[-1].text
    await coord.say("/faq add Sans barre verticale", in_group=True)
    assert "Utilisation" in bot.group_messages[-1].text
    await coord.say("/faq add Faut-il des gants ? | Oui, apporte-les", in_group=True)
    await coord.say("/faq list", in_group=True)
    assert "2. Faut-il des gants ?" in bot.group_messages[-1].text

    alice = bot.person("alice", "Alice")
    await alice.join_group()
    await onboard(alice)
    await alice.say("/faq list")
    assert "coordinat" in alice.last
    await alice.say("on peut se garer où ?")
    assert "Rue des Lilas" in alice.last
    await alice.say("bonjour")
    assert "Rue des Lilas" not in alice.last  # not a question: not understood

    await alice.say("Est-ce que je peux venir avec mon chien ?")
    assert "je transmets ta question aux coordinateurs" in alice.last
    assert "Question de Alice" in coord.last and "chien" in coord.last
    await coord.press("Répondre")
    await coord.say("Oui, s'il est calme.")
    assert "Réponse transmise" in coord.last
    assert "Réponse de Coralie : Oui, s'il est calme." in alice.last

    await coord.say("/faq remove 3", in_group=True)
    assert "1 à 2" in bot.group_messages[-1].text
    await coord.say("/faq remove 1", in_group=True)
    assert "retirée" in bot.group_messages[-1].text
    await alice.say("where can I park?")
    assert "je transmets" in alice.last
