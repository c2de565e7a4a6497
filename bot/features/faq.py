"""Answers to frequent questions: coordinators keep a FAQ (/faq add|list|remove); a question
asked to the bot in private is answered from it when the match is confident, and otherwise
forwarded to the coordinators, who can answer it with one tap and a message."""

from __future__ import annotations

import functools
import hashlib

from bot.context import Context, UserError
from bot.events import Button, Keyboard
from bot.faqmatch import FaqMatcher
from bot.outbox import queue_private
from bot.router import Flow, Router
from data.records import Role

__all__ = ["register"]

_FLOW = "fqa"  # a coordinator answering a forwarded question
_MAX_QUESTION = 500
_MAX_ANSWER = 2000


def register(router: Router) -> None:
    router.command("faq", faq_command, min_role=Role.COORDINATOR, help_key="help.faq")
    router.flow(Flow(_FLOW, _answer_text, _answer_button))
    router.private_text = private_question


async def faq_command(ctx: Context, args: str) -> None:
    org = await ctx.org_for(Role.COORDINATOR)
    action, _, rest = args.partition(" ")
    action = action.lower()
    if action in ("add", "ajouter"):
        question, sep, answer = rest.partition("|")
        question, answer = question.strip(), answer.strip()
        if not sep or not question or not answer:
            raise UserError("faq.usage")
        if len(question) > _MAX_QUESTION or len(answer) > _MAX_ANSWER:
            raise UserError("errors.too_long", limit=_MAX_ANSWER)
        await ctx.tx.faq.add(org.id, question, answer, ctx.volunteer.id)
        await ctx.tx.interactions.log("faq_added", org_id=org.id, volunteer_id=ctx.volunteer.id)
        ctx.reply("faq.added", number=len(await ctx.tx.faq.entries([org.id])))
        return
    entries = await ctx.tx.faq.entries([org.id])
    if action in ("", "list", "liste"):
        if not entries:
            ctx.reply("faq.empty")
            return
        lines = [ctx.t("faq.header", org=org.name)]
        lines += [
            ctx.t("faq.line", number=n, question=e.question, answer=e.answer)
            for n, e in enumerate(entries, 1)
        ]
        ctx.say("\n".join(lines))
        return
    if action in ("remove", "retirer", "supprimer"):
        number = rest.strip().lstrip("#")
        if not number.isdigit() or not 1 <= int(number) <= len(entries):
            raise UserError("faq.bad_number", count=len(entries))
        entry = entries[int(number) - 1]
        await ctx.tx.faq.remove(org.id, entry.id)
        ctx.reply("faq.removed", question=entry.question)
        return
    raise UserError("faq.usage")


def _looks_like_a_question(text: str) -> bool:
    return "?" in text or len(text.split()) >= 4


async def private_question(ctx: Context, text: str) -> bool:
    """Answer free private text from the FAQ, or forward it; False when it is no question."""
    text = text.strip()
    if not _looks_like_a_question(text):
        return False
    orgs = await ctx.tx.orgs.orgs_of(ctx.volunteer.id)
    if not orgs:
        return False
    entries = await ctx.tx.faq.entries([o.id for o in orgs])
    found = FaqMatcher([e.question for e in entries]).match(text) if entries else None
    if found is not None:
        entry = entries[found.index]
        await ctx.tx.interactions.log(
            "faq_answered", org_id=entry.org_id, volunteer_id=ctx.volunteer.id
        )
        ctx.reply("faq.answer", question=entry.question, answer=entry.answer)
        return True
    question = text[:_MAX_QUESTION]
    digest = hashlib.sha1(question.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]
    sent = 0
    for org in orgs:
        members = await ctx.tx.orgs.members(org.id)
        for member_id, role in members:
            if role.rank < Role.COORDINATOR.rank or member_id == ctx.volunteer.id:
                continue
            data = f"{_FLOW}:{org.id}:{ctx.volunteer.id}"
            sent += await queue_private(
                ctx.tx,
                ctx.services,
                member_id,
                f"faq:{org.id}:{ctx.volunteer.id}:{member_id}:{ctx.now.isoformat()}:{digest}",
                "faq.forwarded",
                org_id=org.id,
                buttons_of=functools.partial(_answer_buttons, ctx, data),
                name=ctx.volunteer.display_name,
                question=question,
            )
    await ctx.tx.interactions.log(
        "faq_forwarded", org_id=orgs[0].id, volunteer_id=ctx.volunteer.id, coordinators=sent
    )
    ctx.reply("faq.forwarded_to_coordinators" if sent else "faq.no_coordinator")
    return True


def _answer_buttons(ctx: Context, data: str, lang: str) -> Keyboard:
    return ((Button(ctx.services.catalogs.t(lang, "faq.answer_button"), data),),)


async def _answer_button(ctx: Context, payload: str) -> None:
    org_part, _, asker_part = payload.partition(":")
    if not org_part.isdigit() or not asker_part.isdigit():
        raise UserError("errors.stale_button")
    role = await ctx.tx.orgs.role(int(org_part), ctx.volunteer.id)
    if role is None or role.rank < Role.COORDINATOR.rank:
        raise UserError("errors.need_coordinator")
    await ctx.set_private_dialog(
        _FLOW, "answer", {"org_id": int(org_part), "asker_id": int(asker_part)}
    )
    ctx.answer()
    ctx.private("faq.ask_answer")


async def _answer_text(ctx: Context, text: str) -> None:
    state = await ctx.dialog()
    assert state is not None
    answer = text.strip()[:_MAX_ANSWER]
    if not answer:
        raise UserError("faq.ask_answer")
    org_id, asker_id = int(state.data["org_id"]), int(state.data["asker_id"])
    await ctx.clear_dialog()
    digest = hashlib.sha1(answer.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]
    await queue_private(
        ctx.tx,
        ctx.services,
        asker_id,
        f"faqreply:{org_id}:{asker_id}:{ctx.volunteer.id}:{ctx.now.isoformat()}:{digest}",
        "faq.reply",
        org_id=org_id,
        name=ctx.volunteer.display_name,
        answer=answer,
    )
    ctx.reply("faq.reply_sent")
