"""Personal data rights through the real core: the privacy notice, /mydata as a JSON file, and
/forget, after which nothing personal remains in any table while the counts stay right."""

from __future__ import annotations

import json

from sqlalchemy import select

from data.records import ConversationState
from data.schema import interactions, metadata, outbox, signups, volunteers
from tests.harness import Bot
from tests.scenarios import onboard, post_mission
from tests.timeline import run

MISSION = "Tri alimentaire | samedi 14h-17h | Entrepôt | 2"  # Sat 5 Dec, 14:00-17:00 Paris
COMMENT = "Les cagettes de pommes étaient lourdes mais quelle ambiance"


async def everything_as_text(bot: Bot) -> dict[str, str]:
    """Every table of the schema, every row, as text."""
    out: dict[str, str] = {}
    async with bot.store.connection() as conn:
        for table in metadata.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            out[table.name] = json.dumps(
                [dict(r._mapping) for r in rows], ensure_ascii=False, default=str
            ).casefold()
    return out


async def test_privacy_shows_the_notice_and_the_consent(bot: Bot) -> None:
    zoe = bot.person("zoe", "Zoé")
    await zoe.say("/privacy")
    assert "version 2026-11" in zoe.texts() and "/forget" in zoe.texts()
    assert "Tu n'as pas donné ton accord" in zoe.last
    await onboard(zoe)
    await zoe.say("/confidentialite")
    assert "Tu as donné ton accord (version 2026-11) le dimanche 29 novembre" in zoe.last


async def test_mydata_sends_a_json_file_privately_even_from_the_group(bot: Bot) -> None:
    zoe = bot.person("zoe", "Zoé")
    await zoe.join_group()
    await onboard(zoe, place="Montreuil 93100")
    await zoe.say("/mydata", in_group=True)
    assert "envoyé en privé" in bot.group_messages[-1].text
    file = zoe.inbox[-1].file
    assert file is not None and file[0].endswith(".json")
    data = json.loads(file[1].decode("utf-8"))
    assert data["volunteer"][0]["display_name"] == "Zoé"
    assert data["identities"][0]["platform_user_id"] == "zoe"
    assert {c["purpose"] for c in data["consents"]} == {"profile"}
    assert data["skills"] and data["availability"] and data["memberships"]
    assert "Zoé" not in "".join(m.text for m in bot.group_messages[-1:])


async def test_forget_erases_everything_personal_and_keeps_the_counts(bot: Bot) -> None:
    admin = bot.person("admin", "Adèle")
    await admin.join_group()
    coord = bot.person("coord", "Coralie")
    zeph = bot.person("zeph-4242", "Zéphyrine")
    await zeph.join_group()
    await onboard(zeph, skills="cuisine, permis B", place="Montreuil 93100")
    mission_id = await post_mission(bot, coord, MISSION)
    await coord.say(f"/invite {mission_id}")
    assert "Une mission pourrait te plaire" in zeph.last
    await zeph.press("Oui, je viens")
    await run(bot, days=6, hours=10)  # Saturday 20:00: the follow-up
    assert "Es-tu venu·e" in zeph.last
    await zeph.press("Oui, j'y étais")
    await zeph.press("⭐⭐⭐⭐")
    await zeph.say(COMMENT)
    assert "Merci pour ton retour" in zeph.last
    async with bot.store.transaction() as tx:  # a dialog in progress, with free text
        await tx.conversations.save(
            "memory",
            "zeph-4242",
            "private",
            ConversationState("profile", "place", {"draft": "Montreuil 93100"}),
        )
    await admin.say("/stats")
    assert "Zéphyrine" in admin.texts()
    before = await everything_as_text(bot)
    for needle in ("zéphyrine", "zeph-4242", "montreuil", "cagettes", "permis b"):
        assert any(needle in text for text in before.values()), needle

    await zeph.say("/forget")
    assert "Effacer toutes tes données" in zeph.last
    await zeph.press("Non, garder")
    assert "rien n'a été effacé" in zeph.last
    await zeph.say("/oublier")
    await zeph.press("Oui, tout effacer")
    assert "tes données sont effacées" in zeph.last

    after = await everything_as_text(bot)
    for needle in ("zéphyrine", "zeph-4242", "montreuil", "93100", "cagettes", "permis b"):
        found = [name for name, text in after.items() if needle in text]
        assert not found, f"{needle!r} still in {found}"
    async with bot.store.connection() as conn:
        rows = (
            await conn.execute(select(signups.c.status, signups.c.rating, signups.c.comment))
        ).all()
        assert [tuple(r) for r in rows] == [("attended", 4, None)]
        names = (await conn.execute(select(volunteers.c.display_name))).scalars().all()
        assert "—" in names
        kinds = (await conn.execute(select(interactions.c.kind))).scalars().all()
    assert "personal_data_access" in kinds and "erased" in kinds
    await admin.say("/stats")
    assert "Bénévoles actifs : 1" in admin.texts().split("---")[-3]
    assert "Heures données : 3 h" in admin.texts()


async def test_after_forget_the_person_starts_again_as_someone_new(bot: Bot) -> None:
    zoe = bot.person("zoe", "Zoé")
    await onboard(zoe)
    await zoe.say("/forget")
    await zoe.press("Oui, tout effacer")
    await zoe.say("/mystats")
    assert "Tu n'as pas encore de profil" in zoe.last
    await zoe.say("/privacy")
    assert "Tu n'as pas donné ton accord" in zoe.last


async def test_forget_keeps_other_peoples_messages_that_only_look_like_the_name(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    marc, marcel = bot.person("marc", "Marc"), bot.person("marcel", "Marcel")
    for person in (marc, marcel):
        await person.join_group()
        await onboard(person)
    mission = await post_mission(bot, coord, "Marché de Noël | samedi 14h-17h | Place | 3")
    await coord.say(f"/invite {mission}", in_group=True)  # invitations to both, via the outbox
    assert any("Marché de Noël" in m.text for m in marcel.inbox)

    async def outbox_to(user_id: str) -> list[dict[str, object]]:
        async with bot.store.transaction() as tx:
            rows = await tx.conn.execute(select(outbox.c.payload))
            return [p for (p,) in rows if p.get("user_id") == user_id]

    assert await outbox_to("marc") and await outbox_to("marcel")
    await marc.say("/forget")
    await marc.press("Oui, tout effacer")
    assert await outbox_to("marc") == [], "what was sent to Marc is erased with him"
    kept = await outbox_to("marcel")
    assert kept and "Marché de Noël" in json.dumps(kept, ensure_ascii=False)
    assert "Marcel" in json.dumps(kept, ensure_ascii=False), "Marcel is someone else"
