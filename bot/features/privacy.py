"""Personal data rights (GDPR): /privacy, /mydata (a JSON file) and /forget (erasure).

Erasure keeps an anonymous tombstone so the statistics stay right (see
`data.repos.privacy`); the person can start again with /start as someone new.
"""

from __future__ import annotations

import json
import logging

from bot.context import Context, UserError
from bot.features.onboarding import CONSENT_VERSION
from bot.files import send_file_privately
from bot.policy import RETENTION_GRACE, Policy, retention_months_for
from bot.router import Router
from data.repos import Tx

__all__ = ["erase_person", "register"]

_log = logging.getLogger(__name__)


def register(router: Router) -> None:
    router.command(
        "privacy", privacy_command, aliases=("confidentialite",), help_key="help.privacy"
    )
    router.command("mydata", mydata_command, aliases=("mesdonnees",), help_key="help.mydata")
    router.command("forget", forget_command, aliases=("oublier",), help_key="help.forget")
    router.button("fg", _forget_button)


async def privacy_command(ctx: Context, _args: str) -> None:
    """The privacy notice, with the person's own consent privately."""
    orgs = await ctx.tx.orgs.orgs_of(ctx.volunteer.id)
    ctx.reply(
        "privacy.notice",
        version=CONSENT_VERSION,
        months=retention_months_for(Policy.of(org.settings) for org in orgs),
        grace=RETENTION_GRACE.days,
    )
    consent = await ctx.tx.people.consent(ctx.volunteer.id, "profile")
    if consent is None:
        ctx.private("privacy.no_consent")
    else:
        version, given = consent
        date = ctx.services.catalogs.date(ctx.lang, given, ctx.tz)
        ctx.private("privacy.consent_given", version=version, date=date)


async def mydata_command(ctx: Context, _args: str) -> None:
    """Everything stored about the person, as a JSON file in their private chat."""
    data = await ctx.tx.privacy.everything_about(ctx.volunteer.id)
    content = json.dumps(data, ensure_ascii=False, indent=1, default=str).encode("utf-8")
    await ctx.tx.interactions.log("data_exported", volunteer_id=ctx.volunteer.id)
    send_file_privately(ctx, "mes-donnees.json", content, ctx.t("privacy.mydata_caption"))


async def forget_command(ctx: Context, _args: str) -> None:
    if not ctx.chat.is_private:
        ctx.reply("files.sent_privately")
    ctx.private(
        "privacy.forget_ask",
        buttons=(
            (ctx.button("privacy.forget_yes", "fg:yes"),),
            (ctx.button("privacy.forget_no", "fg:no"),),
        ),
    )


async def _forget_button(ctx: Context, payload: str) -> None:
    if payload == "no":
        ctx.answer()
        ctx.private("privacy.forget_kept")
        return
    if payload != "yes":
        raise UserError("errors.stale_button")
    await erase_person(ctx.tx, ctx.volunteer.id, reason="request")
    ctx.answer()
    ctx.private("privacy.forgotten")


async def erase_person(tx: Tx, volunteer_id: int, *, reason: str) -> None:
    """Erase the person's personal data, keeping anonymous aggregates (`PrivacyRepo.erase`).

    The one eraser: /forget ("request") and the retention sweep ("inactive") both use it.
    """
    await tx.privacy.erase(volunteer_id)
    await tx.interactions.log("erased", volunteer_id=volunteer_id, reason=reason)
    _log.info("personal data of volunteer %d erased (%s)", volunteer_id, reason)
