"""Start, help, cancel, language, and the greeting when the bot or a member arrives."""

from __future__ import annotations

from bot.context import Context, UserError
from bot.events import BotAdded
from bot.features import onboarding
from bot.i18n import LANGUAGES
from bot.router import Router
from data.records import Role

__all__ = ["greet", "register"]


def register(router: Router) -> None:
    router.command("start", start, aliases=("demarrer",), help_key="help.start")

    async def help_for_router(ctx: Context, args: str) -> None:
        await help_command(ctx, args, router)

    router.command("help", help_for_router, aliases=("aide",), help_key="help.help")
    router.command("cancel", cancel, aliases=("annuler",), help_key="help.cancel")
    router.command("language", language, aliases=("langue",), help_key="help.language")
    router.button("lang", _language_button)


async def start(ctx: Context, args: str) -> None:
    """`/start` in private begins onboarding; `/start m12` also signs up to mission 12 after it."""
    if not ctx.chat.is_private:
        ctx.reply("general.group_intro")
        return
    if args.startswith("claim-"):  # a link to claim a profile the association imported
        from bot.features import imports

        await imports.claim_with_code(ctx, args.removeprefix("claim-"))
        return
    then_join = int(args[1:]) if args[:1] == "m" and args[1:].isdigit() and len(args) < 10 else None
    if ctx.volunteer.onboarded:
        if then_join is not None:
            from bot.features import signups

            await signups.join(ctx, then_join, "deeplink")
            return
        ctx.private("general.welcome_back", name=ctx.volunteer.display_name)
        return
    await onboarding.begin(ctx, then_join=then_join)


async def help_command(ctx: Context, _args: str, router: Router) -> None:
    """The commands this person can use here, one line each."""
    lines = [ctx.t("help.header")]
    for spec in router.commands.values():
        if spec.help_key is None:
            continue
        if spec.min_role is not None and spec.min_role is not Role.VOLUNTEER:
            if ctx.org is not None and not ctx.has_role(spec.min_role):
                continue
            if ctx.org is None and not await _has_role_anywhere(ctx, spec.min_role):
                continue
        lines.append(ctx.t(spec.help_key))
    ctx.say("\n".join(lines))


async def _has_role_anywhere(ctx: Context, role: Role) -> bool:
    return bool(await ctx.tx.orgs.orgs_of(ctx.volunteer.id, min_role=role))


async def cancel(ctx: Context, _args: str) -> None:
    if await ctx.clear_dialog():
        ctx.reply("general.cancelled")
    else:
        ctx.reply("general.nothing_to_cancel")


async def language(ctx: Context, args: str) -> None:
    choice = args.strip().lower()
    if not choice:
        ctx.private(
            "general.choose_language",
            buttons=(tuple(ctx.button(f"language.{lang}", f"lang:{lang}") for lang in LANGUAGES),),
        )
        return
    await _set_language(ctx, choice)


async def _language_button(ctx: Context, payload: str) -> None:
    await _set_language(ctx, payload)
    ctx.answer()


async def _set_language(ctx: Context, choice: str) -> None:
    if choice not in LANGUAGES:
        raise UserError("general.unknown_language", choices=", ".join(LANGUAGES))
    await ctx.tx.people.update(ctx.volunteer.id, language=choice)
    ctx.lang = choice
    ctx.private("general.language_set")


async def greet(ctx: Context) -> None:
    """The bot joined a group (introduce itself) or a member did (invite them to present themselves)."""
    if isinstance(ctx.event, BotAdded):
        ctx.reply("general.group_intro")
        return
    ctx.reply(
        "general.member_welcome",
        name=ctx.user.display_name,
        buttons=((ctx.button("general.present_myself", "ob:begin"),),),
    )
