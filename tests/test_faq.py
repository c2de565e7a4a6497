"""The FAQ: the matcher's precision on the labelled set it was tuned on and on a held-out
set, /faq with questions asked in private or with an @mention in the group, answered or
forwarded to the coordinators, and answers added to the FAQ with one tap, through the real
core; the @mention as the Telegram adapter reads it, over the fake Bot API."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.memory import Person
from bot.events import Text
from bot.faqmatch import FaqMatcher
from tests.fake_telegram import BOT_ID, BOT_USERNAME, Sent
from tests.harness import Bot
from tests.scenarios import onboard
from tests.test_privacy import everything_as_text
from tests.test_telegram import GROUP_ID, World, fake_bot_api, running_world

HELD_OUT = Path(__file__).parent / "data" / "faq_heldout.csv"
TEST2 = Path(__file__).parent / "data" / "faq_test2.csv"

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
# The answers, as coordinators would write them: the matcher reads them too.
FAQ_ANSWERS = [
    "Oui : parking gratuit derrière l'entrepôt, accès par la rue des Lilas, sinon places dans la rue. / "
    "Yes: free car park behind the warehouse, entrance on rue des Lilas, otherwise street parking.",
    "Oui, viens avec des gants de travail si tu en as ; sinon on t'en prête sur place. / "
    "Yes, come with work gloves if you have some; otherwise we lend you a pair on site.",
    "Ouvre la mission et touche « Me retirer », ou réponds « Je ne peux plus » au rappel. Préviens-nous au plus tôt ! / "
    'Open the mission and tap "Withdraw", or answer "I can\'t come" to the reminder. Please tell us as early as you can!',
    "Oui, l'association offre le déjeuner et les boissons aux bénévoles pour les missions de plus de 4 heures. / "
    "Yes, the association offers lunch and drinks to volunteers on missions longer than 4 hours.",
    "12 rue des Lilas, 69003 Lyon : le portail vert au fond de la cour. / "
    "12 rue des Lilas, 69003 Lyon: the green gate at the back of the yard.",
    "Oui, à partir de 8 ans et avec un adulte qui reste responsable d'eux. / "
    "Yes, from 8 years old, with an adult who stays responsible for them.",
    "Non, l'association assure tous ses bénévoles (responsabilité civile et accidents) pendant les missions. / "
    "No, the association insures all its volunteers (liability and accidents) during missions.",
    "Demande-la aux coordinateurs : on t'envoie une attestation qui récapitule tes heures. / "
    "Ask the coordinators: we send you a certificate listing your hours.",
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


def measure(labelled: list[tuple[str, int | None]]) -> tuple[float, float, list[str]]:
    """Precision (right answers among answers given), recall (right answers among the
    questions the FAQ can answer) and the wrong answers, of the matcher on `labelled`."""
    matcher = FaqMatcher(FAQ, FAQ_ANSWERS)
    answered = correct = 0
    wrong: list[str] = []
    for question, expected in labelled:
        found = matcher.match(question)
        if found is None:
            continue
        answered += 1
        if found.index == expected:
            correct += 1
        else:
            wrong.append(f"{question!r} -> {FAQ[found.index]!r}")
    askable = sum(1 for _, expected in labelled if expected is not None)
    precision = correct / answered if answered else 1.0
    recall = correct / askable
    print(f"FAQ precision {precision:.2f} ({correct}/{answered}), recall {recall:.2f}")
    print("\n".join(wrong))
    return precision, recall, wrong


def held_out(path: Path = HELD_OUT) -> list[tuple[str, int | None, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        rows = csv.DictReader(line for line in file if not line.startswith("#"))
        return [
            (r["question"], int(r["expected"]) if r["expected"] else None, r["language"])
            for r in rows
        ]


def test_faq_answers_with_high_precision() -> None:
    """On the set the threshold was tuned on (measured: precision 0.97, recall 0.95): an
    optimistic measure."""
    assert len(LABELLED) >= 60
    precision, recall, wrong = measure(LABELLED)
    assert precision >= 0.95, wrong
    assert recall >= 0.9


def test_faq_precision_and_recall_on_held_out_questions() -> None:
    """On questions written after the first tuning (measured then: precision 0.84, recall
    0.37). The word view, the synonyms and the answers were then tuned on them too
    (measured: precision 1.00, recall 0.60), so they became a development set; the honest
    measure is now faq_test2.csv."""
    rows = held_out()
    assert len(rows) >= 60 and {lang for _, _, lang in rows} == {"fr", "en"}
    assert sum(1 for _, expected, _ in rows if expected is None) >= 15
    tuned = {question.casefold() for question, _ in LABELLED}
    assert not [q for q, _, _ in rows if q.casefold() in tuned]
    precision, recall, wrong = measure([(q, expected) for q, expected, _ in rows])
    assert precision >= 0.95, wrong
    assert recall >= 0.55


def test_faq_precision_and_recall_on_a_second_held_out_set() -> None:
    """On questions written before the matcher was reworked and measured once, at the end
    (before: precision 0.70, recall 0.29; after: precision 0.88, recall 0.45)."""
    rows = held_out(TEST2)
    assert len(rows) >= 80 and {lang for _, _, lang in rows} == {"fr", "en"}
    assert sum(1 for _, expected, _ in rows if expected is None) >= 20
    earlier = {q.casefold() for q, _ in LABELLED} | {q.casefold() for q, _, _ in held_out()}
    assert not [q for q, _, _ in rows if q.casefold() in earlier]
    precision, recall, wrong = measure([(q, expected) for q, expected, _ in rows])
    assert precision >= 0.85, wrong
    assert recall >= 0.42


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


# --- questions in the group, and answers added to the FAQ ------------------------------------


async def mention(bot: Bot, person: Person, text: str) -> None:
    """Write in the group, @mentioning the bot (the adapter has taken the mention out)."""
    await bot.platform.handle(Text(person.user, bot.platform.group, text, mentions_bot=True))


async def coordinator_with_faq(bot: Bot) -> Person:
    coord = bot.person("coord", "Coralie")
    bot.platform.chat_admins.add("coord")
    await coord.join_group()
    await coord.say("/faq add Où peut-on se garer ? | Rue des Lilas", in_group=True)
    return coord


async def test_a_mention_in_the_group_is_answered_there_or_forwarded(bot: Bot) -> None:
    coord = await coordinator_with_faq(bot)
    alice = bot.person("alice", "Alice")
    await alice.join_group()
    await onboard(alice)
    private_before = len(alice.inbox)

    await mention(bot, alice, "on peut se garer où ?")
    assert "Rue des Lilas" in bot.group_messages[-1].text
    await mention(bot, alice, "")
    assert "Pose-moi ta question" in bot.group_messages[-1].text
    await alice.say("on peut se garer où ?", in_group=True)  # no mention: not for the bot
    assert "Pose-moi" in bot.group_messages[-1].text

    await mention(bot, alice, "Est-ce que je peux venir avec mon chien ?")
    assert "la réponse t'arrivera en privé" in bot.group_messages[-1].text
    assert "Question de Alice" in coord.last and "chien" in coord.last
    await coord.press("Répondre")
    await coord.say("Oui, s'il est calme.")
    assert "Réponse transmise" in coord.last
    assert "Réponse de Coralie : Oui, s'il est calme." in alice.last
    assert len(alice.inbox) == private_before + 1

    # Bob never opened a private chat with the bot: the answer comes in the group.
    bob = bot.person("bob", "Bob")
    await bob.join_group()
    await mention(bot, bob, "Y a-t-il un vestiaire pour nos affaires ?")
    assert "la réponse arrivera ici" in bot.group_messages[-1].text
    await coord.press("Répondre")
    await coord.say("Oui, au fond à gauche.")
    assert "Réponse publiée dans le groupe" in coord.last
    assert "Bob, réponse de Coralie à ta question : Oui, au fond à gauche." in (
        bot.group_messages[-1].text
    )
    assert bob.inbox == []


async def test_nobody_to_forward_a_group_question_to(bot: Bot) -> None:
    alice = bot.person("alice", "Alice")
    await alice.join_group()
    await mention(bot, alice, "Est-ce que je peux venir avec mon chien ?")
    assert "aucun coordinateur" in bot.group_messages[-1].text


async def test_an_answer_is_added_to_the_faq_with_one_tap_after_a_check(bot: Bot) -> None:
    coord = await coordinator_with_faq(bot)
    alice = bot.person("alice", "Alice")
    await alice.join_group()
    await onboard(alice)
    await alice.say("Est-ce que je peux venir avec mon chien ?")
    await coord.press("Répondre")
    await coord.say("Oui, s'il est calme.")
    assert "Réponse transmise" in coord.last
    buttons = [b for m in coord.inbox for row in m.buttons for b in row]
    assert all(len(b.data.encode("utf-8")) <= 64 for b in buttons)
    assert not [b for b in buttons if "chien" in b.data]

    await coord.press("Ajouter à la FAQ")
    assert "chien" in coord.last and "rien de personnel" in coord.last
    await coord.press("✅ Ajouter")
    assert "ajoutée à la FAQ (n° 2)" in coord.last
    answer, alert = await coord.press("✅ Ajouter")
    assert alert and answer is not None and "déjà dans la FAQ (n° 2)" in answer
    answer, _ = await coord.press("Ajouter à la FAQ")
    assert answer is not None and "déjà dans la FAQ" in answer
    await coord.say("/faq list", in_group=True)
    assert "2. Est-ce que je peux venir avec mon chien ?" in bot.group_messages[-1].text
    assert bot.group_messages[-1].text.count("chien") == 1

    await alice.say("je peux venir avec mon chien ?")
    assert "Oui, s'il est calme." in alice.last  # now from the FAQ, no coordinator needed

    await coord.say("/faq remove 2", in_group=True)
    answer, alert = await coord.press("Ajouter à la FAQ")
    assert alert and answer is not None and "puis retirée" in answer

    # Personal details in the question: the coordinator rewrites it before it goes public.
    await alice.say("Mon fils Léopold a 15 ans, il peut venir avec moi ?")
    await coord.press("Répondre")
    await coord.say("Oui, dès 14 ans avec une autorisation parentale.")
    await coord.press("Ajouter à la FAQ")
    await coord.press("Reformuler")
    assert "telle qu'elle apparaîtra" in coord.last
    await coord.say("\x07")
    assert "caractères" in coord.last or "contrôle" in coord.last
    await coord.say("À partir de quel âge peut-on venir ?")
    assert "ajoutée à la FAQ (n° 2)" in coord.last
    await coord.say("/faq list", in_group=True)
    listing = bot.group_messages[-1].text
    assert "À partir de quel âge" in listing and "Léopold" not in listing


async def test_an_answer_added_with_one_tap_helps_the_faq_understand_later_questions(
    bot: Bot,
) -> None:
    """The matcher reads the answers too: a later question in other words than the added
    one ("laisse les habits" for "dépose les dons de vêtements") meets words of the answer."""
    question = "Où est-ce qu'on dépose les dons de vêtements ?"
    answer = "Au local de la rue Vaubecour, le mardi soir : on y trie les habits donnés."
    later = "où je laisse les habits que je donne ?"
    faq = ["Où peut-on se garer ?", question]
    assert FaqMatcher(faq).match(later) is None  # the question alone is not enough
    assert FaqMatcher(faq, ["Rue des Lilas", answer]).match(later) is not None

    coord = await coordinator_with_faq(bot)
    alice = bot.person("alice", "Alice")
    await alice.join_group()
    await onboard(alice)
    await alice.say(question)
    await coord.press("Répondre")
    await coord.say(answer)
    await coord.press("Ajouter à la FAQ")
    await coord.press("✅ Ajouter")
    assert "ajoutée à la FAQ (n° 2)" in coord.last
    questions_before = len(coord.inbox)

    await alice.say(later)
    assert "rue Vaubecour" in alice.last  # answered from the FAQ...
    assert len(coord.inbox) == questions_before  # ...without bothering the coordinators


async def test_forget_erases_forwarded_questions_and_stale_taps_say_so(bot: Bot) -> None:
    coord = await coordinator_with_faq(bot)
    zoe = bot.person("zoe", "Zoé")
    await zoe.join_group()
    await onboard(zoe)
    await zoe.say("Mon voisin Gaspard peut-il m'accompagner samedi ?")
    await coord.press("Répondre")
    await coord.say("Bien sûr, présente-le à l'accueil.")
    await mention(bot, zoe, "Puis-je prêter la remorque Tartempion pour samedi ?")
    before = await everything_as_text(bot)
    assert any("gaspard" in text for text in before.values())
    assert any("tartempion" in text for text in before.values())

    await zoe.say("/forget")
    await zoe.press("Oui, tout effacer")
    after = await everything_as_text(bot)
    for needle in ("gaspard", "tartempion", "présente-le à l'accueil"):
        found = [name for name, text in after.items() if needle in text]
        assert not found, f"{needle!r} still in {found}"

    answer, alert = await coord.press("Ajouter à la FAQ")
    assert alert and answer is not None and "n'est plus disponible" in answer
    answer, alert = await coord.press("Répondre")
    assert alert and answer is not None and "n'est plus disponible" in answer


async def test_forwarded_questions_are_forgotten_after_thirty_days(bot: Bot) -> None:
    coord = await coordinator_with_faq(bot)
    alice = bot.person("alice", "Alice")
    await alice.join_group()
    await onboard(alice)
    await alice.say("Est-ce que je peux venir avec mon chien Rantanplan ?")
    bot.clock.advance(days=29)
    await bot.core.tasks.run_due()
    assert "rantanplan" in (await everything_as_text(bot))["tasks"]
    bot.clock.advance(days=2)
    await bot.core.tasks.run_due()
    assert "rantanplan" not in (await everything_as_text(bot))["tasks"]
    answer, _ = await coord.press("Répondre")
    assert answer is not None and "n'est plus disponible" in answer


# --- the @mention on Telegram -------------------------------------------------------------


@pytest.fixture
async def telegram(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as tests/test_telegram.py does
    async with fake_bot_api() as fake, running_world(fake, sqlite_url) as world:
        yield world


async def say_with_entities(
    world: World, user_id: int, text: str, entities: list[dict[str, object]]
) -> None:
    """A group message carrying Telegram's entities (offsets in UTF-16 code units)."""
    fake = world.fake
    sender = fake.user(user_id, "Awa")
    message_id = 9000 + len(fake.messages.get(GROUP_ID, []))
    sent = Sent(GROUP_ID, message_id, text, sender=sender)
    fake.messages.setdefault(GROUP_ID, []).append(sent)
    body = fake.message_json(sent)
    body["entities"] = entities
    await world.settle(fake.push({"message": body}))


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def test_telegram_mentions_of_the_bot_reach_the_faq(telegram: World) -> None:
    coord = telegram.coordinator()
    await coord.say("/faq add Où peut-on se garer ? | Rue des Lilas", in_group=True)
    assert "n° 1" in telegram.group_messages[-1].text
    count = len(telegram.group_messages)

    prefix = "👋 "  # an emoji counts two UTF-16 units: the offset must account for it
    handle = f"@{BOT_USERNAME}"
    text = f"{prefix}{handle} on peut se garer où ?"
    mention_entity = {"type": "mention", "offset": utf16(prefix), "length": utf16(handle)}
    await say_with_entities(telegram, 21, text, [mention_entity])
    assert "Rue des Lilas" in telegram.group_messages[-1].text
    assert len(telegram.group_messages) == count + 1

    await say_with_entities(
        telegram,
        21,
        "Mainforte",
        [
            {
                "type": "text_mention",
                "offset": 0,
                "length": 9,
                "user": {"id": BOT_ID, "is_bot": True, "first_name": "Mainforte"},
            }
        ],
    )
    assert "Pose-moi ta question" in telegram.group_messages[-1].text
    count = len(telegram.group_messages)

    other = "@SomeOtherBot où se garer ?"
    await say_with_entities(telegram, 21, other, [{"type": "mention", "offset": 0, "length": 13}])
    await coord.say("/faq list", in_group=True)  # the next message is the list: nothing before
    assert len(telegram.group_messages) == count + 1
