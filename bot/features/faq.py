"""Answers to frequent questions: coordinators keep a FAQ (/faq add|list|remove); a question
asked to the bot in private, or in a group with an @mention, is answered from it when the
match is confident, and otherwise forwarded to the coordinators, who answer it with one tap
and a message, then may add that answer to the FAQ with one more tap (after checking it).

A forwarded question is kept (see data.repos.faq) for `KEEP_QUESTIONS` at most, and goes
with the rest of its author's data when they ask to be forgotten; buttons carry its id.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import timedelta
from typing import Any

from bot.context import Context, UserError
from bot.events import Button, Keyboard
from bot.faqmatch import FaqMatcher
from bot.outbox import queue_private
from bot.router import Flow, Router
from bot.scheduler import Job
from bot.text import clean_line
from data.records import Organisation, Role
from data.repos.faq import QUESTION_TASK, ForwardedQuestion

__all__ = ["KEEP_QUESTIONS", "group_question", "private_question", "register"]

_FLOW = "fqa"  # a coordinator answering a forwarded question
_ADD = "fqf"  # a coordinator adding an answer they gave to the FAQ
_MAX_QUESTION = 500
_MAX_ANSWER = 2000
KEEP_QUESTIONS = timedelta(days=30)  # then a forwarded question's text is forgotten


def register(router: Router) -> None:
    router.command("faq", faq_command, min_role=Role.COORDINATOR, help_key="help.faq")
    router.flow(Flow(_FLOW, _answer_text, _answer_button))
    router.flow(Flow(_ADD, _rephrased_text, _add_button))
    router.private_text = private_question
    router.group_mention = group_question
    router.task(QUESTION_TASK, _forget_question)


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


async def _answer_from_faq(ctx: Context, orgs: list[Organisation], text: str) -> bool:
    """Answer in the current chat when the FAQ of these organisations knows the answer."""
    entries = await ctx.tx.faq.entries([o.id for o in orgs])
    questions, answers = [e.question for e in entries], [e.answer for e in entries]
    found = FaqMatcher(questions, answers).match(text) if entries else None
    if found is None:
        return False
    entry = entries[found.index]
    await ctx.tx.interactions.log(
        "faq_answered", org_id=entry.org_id, volunteer_id=ctx.volunteer.id
    )
    ctx.reply("faq.answer", question=entry.question, answer=entry.answer)
    return True


async def private_question(ctx: Context, text: str) -> bool:
    """Answer free private text from the FAQ, or forward it; False when it is no question."""
    text = text.strip()
    if not _looks_like_a_question(text):
        return False
    orgs = await ctx.tx.orgs.orgs_of(ctx.volunteer.id)
    if not orgs:
        return False
    if await _answer_from_faq(ctx, orgs, text):
        return True
    sent = await _forward(ctx, orgs, text[:_MAX_QUESTION], {"private": True})
    ctx.reply("faq.forwarded_to_coordinators" if sent else "faq.no_coordinator")
    return True


async def group_question(ctx: Context, text: str) -> None:
    """A group message that @mentions the bot: answer it in the group, or forward it.

    The coordinators' answer goes to the person privately when the bot can write to them
    (they went through onboarding, so they opened the private chat, and it never failed);
    otherwise it is posted in the group where they asked, the question being public there.
    """
    text = text.strip()
    if not _looks_like_a_question(text):
        ctx.reply("faq.mention_help", name=ctx.user.display_name)
        return
    assert ctx.org is not None
    if await _answer_from_faq(ctx, [ctx.org], text):
        return
    reachable = any(i.reachable for i in await ctx.tx.people.identities_of(ctx.volunteer.id))
    privately = ctx.volunteer.onboarded and reachable
    where = {
        "private": privately,
        "chat": {"platform": ctx.chat.platform, "chat_id": ctx.chat.chat_id},
    }
    sent = await _forward(ctx, [ctx.org], text[:_MAX_QUESTION], where)
    if not sent:
        ctx.reply("faq.no_coordinator_group", name=ctx.user.display_name)
    elif privately:
        ctx.reply("faq.forwarded_group_private", name=ctx.user.display_name)
    else:
        ctx.reply("faq.forwarded_group_here", name=ctx.user.display_name)


async def _forward(
    ctx: Context, orgs: list[Organisation], question: str, where: dict[str, Any]
) -> int:
    """Keep the question and send it to each organisation's coordinators; how many got it."""
    digest = hashlib.sha1(question.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]
    asker = ctx.volunteer.id
    sent = 0
    for org in orgs:
        coordinators = [
            member_id
            for member_id, role in await ctx.tx.orgs.members(org.id)
            if role.rank >= Role.COORDINATOR.rank and member_id != asker
        ]
        if not coordinators:
            continue
        stamp = f"{org.id}:{asker}:{ctx.now.isoformat()}:{digest}"
        question_id = await ctx.tx.faq.keep_question(
            f"faqq:{stamp}",
            org.id,
            asker,
            {"question": question, "answers": {}, **where},
            forget_at=ctx.now + KEEP_QUESTIONS,
            now=ctx.now,
        )
        reached = 0
        for member_id in coordinators:
            reached += await queue_private(
                ctx.tx,
                ctx.services,
                member_id,
                f"faq:{stamp}:{member_id}",
                "faq.forwarded",
                org_id=org.id,
                buttons_of=functools.partial(
                    _buttons, ctx, "faq.answer_button", _FLOW, question_id
                ),
                name=ctx.volunteer.display_name,
                question=question,
            )
        if not reached:
            await ctx.tx.faq.drop_question(question_id)  # nobody can answer it: keep nothing
        sent += reached
    await ctx.tx.interactions.log(
        "faq_forwarded", org_id=orgs[0].id, volunteer_id=asker, coordinators=sent
    )
    return sent


def _buttons(ctx: Context, key: str, prefix: str, question_id: int, lang: str) -> Keyboard:
    return ((Button(ctx.services.catalogs.t(lang, key), f"{prefix}:{question_id}"),),)


async def _forget_question(job: Job) -> None:
    """The retention period is over: the question's text and answers go."""
    await job.tx.faq.update_question(job.task.id, {})


async def _require_coordinator(ctx: Context, org_id: int) -> None:
    role = await ctx.tx.orgs.role(org_id, ctx.volunteer.id)
    if role is None or role.rank < Role.COORDINATOR.rank:
        raise UserError("errors.need_coordinator")


async def _kept_question(ctx: Context, part: str) -> ForwardedQuestion:
    if not part.isdigit() or len(part) > 12:
        raise UserError("errors.stale_button")
    question = await ctx.tx.faq.question(int(part))
    if question is None:
        raise UserError("faq.question_gone")
    await _require_coordinator(ctx, question.org_id)
    return question


# --- a coordinator answers ------------------------------------------------------------


async def _answer_button(ctx: Context, payload: str) -> None:
    org_part, _, asker_part = payload.partition(":")
    if asker_part:  # a button from before questions were kept: "org:asker"
        if not org_part.isdigit() or not asker_part.isdigit():
            raise UserError("errors.stale_button")
        await _require_coordinator(ctx, int(org_part))
        data: dict[str, Any] = {"org_id": int(org_part), "asker_id": int(asker_part)}
    else:
        question = await _kept_question(ctx, org_part)
        data = {
            "org_id": question.org_id,
            "asker_id": question.asker_id,
            "question_id": question.id,
        }
    await ctx.set_private_dialog(_FLOW, "answer", data)
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
    question: ForwardedQuestion | None = None
    if "question_id" in state.data:
        question = await ctx.tx.faq.question(int(state.data["question_id"]))
        if question is None:
            ctx.reply("faq.question_gone")
            return
    key = await _deliver_answer(ctx, org_id, asker_id, question, answer)
    if question is None or key == "faq.reply_unreachable":
        ctx.reply(key)
        return
    question.data["answers"][str(ctx.volunteer.id)] = answer
    await ctx.tx.faq.update_question(question.id, question.data)
    ctx.reply(key, buttons=_buttons(ctx, "faq.add_button", _ADD, question.id, ctx.lang))


async def _deliver_answer(
    ctx: Context, org_id: int, asker_id: int, question: ForwardedQuestion | None, answer: str
) -> str:
    """Send the answer privately, or in the group the question came from; the key to tell."""
    digest = hashlib.sha1(answer.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]
    stamp = f"{org_id}:{asker_id}:{ctx.volunteer.id}:{ctx.now.isoformat()}:{digest}"
    data: dict[str, Any] = question.data if question is not None else {"private": True}
    if data.get("private", True) and await queue_private(
        ctx.tx,
        ctx.services,
        asker_id,
        f"faqreply:{stamp}",
        "faq.reply",
        org_id=org_id,
        name=ctx.volunteer.display_name,
        answer=answer,
    ):
        return "faq.reply_sent"
    chat = data.get("chat")
    org = await ctx.tx.orgs.get(org_id)
    asker = await ctx.tx.people.get(asker_id)
    if not chat or org is None or asker is None:
        return "faq.reply_unreachable"
    text = ctx.services.catalogs.t(
        org.language,
        "faq.reply_in_group",
        asker=asker.display_name,
        name=ctx.volunteer.display_name,
        answer=answer,
    )
    await ctx.tx.outbox.add(
        f"faqgroup:{stamp}",
        platform=str(chat["platform"]),
        kind="chat",
        org_id=org_id,
        payload={"chat_id": str(chat["chat_id"]), "text": text, "buttons": [], "title": None},
    )
    return "faq.reply_sent_group"


# --- ...and adds the answer to the FAQ ---------------------------------------------------


async def _add_button(ctx: Context, payload: str) -> None:
    """`fqf:<id>` shows what would be added; `:y` adds it; `:e` asks for a new wording."""
    id_part, _, choice = payload.partition(":")
    question = await _kept_question(ctx, id_part)
    answer = await _addable_answer(ctx, question)
    ctx.answer()
    if choice == "y":
        await _add_to_faq(ctx, question, str(question.data["question"]), answer)
    elif choice == "e":
        await ctx.set_private_dialog(_ADD, "question", {"question_id": question.id})
        ctx.private("faq.ask_rephrased")
    elif not choice:
        ctx.private(
            "faq.confirm_add",
            question=question.data["question"],
            answer=answer,
            buttons=(
                (
                    ctx.button("faq.confirm_yes", f"{_ADD}:{question.id}:y"),
                    ctx.button("faq.rephrase", f"{_ADD}:{question.id}:e"),
                ),
            ),
        )
    else:
        raise UserError("errors.stale_button")


async def _addable_answer(ctx: Context, question: ForwardedQuestion) -> str:
    """This coordinator's answer to the question, unless the question is already in the FAQ."""
    entry_id = question.data.get("faq_entry_id")
    if entry_id is not None:
        entries = await ctx.tx.faq.entries([question.org_id])
        numbers = [n for n, e in enumerate(entries, 1) if e.id == entry_id]
        if numbers:
            raise UserError("faq.already_added", number=numbers[0])
        raise UserError("faq.entry_removed")
    answer = question.data.get("answers", {}).get(str(ctx.volunteer.id))
    if not answer:
        raise UserError("errors.stale_button")
    return str(answer)


async def _rephrased_text(ctx: Context, text: str) -> None:
    state = await ctx.dialog()
    assert state is not None
    question = await ctx.tx.faq.question(int(state.data["question_id"]))
    if question is None:
        await ctx.clear_dialog()
        ctx.reply("faq.question_gone")
        return
    wording = clean_line(text, max_len=_MAX_QUESTION, what=ctx.t("field.question"))
    await ctx.clear_dialog()
    try:
        await _require_coordinator(ctx, question.org_id)
        answer = await _addable_answer(ctx, question)
    except UserError as exc:  # the dialog is over either way
        ctx.reply(exc.key, **exc.params)
        return
    await _add_to_faq(ctx, question, wording, answer)


async def _add_to_faq(ctx: Context, question: ForwardedQuestion, wording: str, answer: str) -> None:
    entry_id = await ctx.tx.faq.add(question.org_id, wording, answer, ctx.volunteer.id)
    question.data["faq_entry_id"] = entry_id
    await ctx.tx.faq.update_question(question.id, question.data)
    await ctx.tx.interactions.log(
        "faq_added", org_id=question.org_id, volunteer_id=ctx.volunteer.id, source="answer"
    )
    ctx.private("faq.added", number=len(await ctx.tx.faq.entries([question.org_id])))
