"""Importing the association's volunteer list, and people claiming their imported profile.

An admin sends the spreadsheet (CSV) to the bot privately, with `/import` as caption or
alone. Nothing is imported unless every row is right: otherwise the admin gets the
errors row by row. Each new person gets a profile and a one-time code; the admin gets a
CSV with the codes (and Telegram links) to pass on. Importing the same file again finds
the same people (name with phone or e-mail): unclaimed profiles are updated and get a
new code, claimed ones are left to their owner.

An imported profile has no consent: nobody can see it in a ranking or invite it until
its person claims it (`/claim CODE` or the `/start claim-CODE` link), reads what is
kept, and agrees. On agreement the imported profile is merged into the person's chat
profile: what the person already said themselves wins (availability, place), skills
are put together, nothing is dropped. On refusal the imported profile is deleted.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.context import Context, UserError
from bot.exports import to_csv
from bot.features import onboarding
from bot.files import send_file_privately
from bot.i18n import Catalogs
from bot.imports import MAX_BYTES, ImportRow, Parsed, Problem, parse_volunteers
from bot.router import Flow, Router
from data.records import Organisation, Role, VolunteerClaim, VolunteerSkill

if TYPE_CHECKING:
    from bot.config import Settings
    from data.repos import Tx

__all__ = [
    "CLAIM_VALID_DAYS",
    "ImportOutcome",
    "apply_import",
    "claim_with_code",
    "import_file",
    "register",
]

FLOW = "cl"
CLAIM_VALID_DAYS = 60
MAX_FAILURES = 5  # wrong codes per person and hour
FAILURE_WINDOW = timedelta(hours=1)
MAX_SHOWN_PROBLEMS = 30  # the rest is counted: a message stays readable and under 4096 chars
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud, typed by hand
CODE_LENGTH = 10  # 31**10: about 2**49 codes
DEEP_LINK_PREFIX = "claim-"
_STATUS_KEYS = {
    "new": "import.status_new",
    "updated": "import.status_updated",
    "claimed": "import.status_claimed",
    "refused": "import.status_refused",
}


def register(router: Router) -> None:
    router.command(
        "import",
        import_command,
        aliases=("importer",),
        min_role=Role.ADMIN,
        private_only=True,
        help_key="help.import",
    )
    router.command("claim", claim_command, aliases=("code",), help_key="help.claim")
    router.flow(Flow(FLOW, _on_text, _on_button))
    router.file_shared = file_shared


# --- codes --------------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def code_hash(text: str) -> str | None:
    """The stored form of a code as typed ("abcde fghjk", "ABCDE-FGHJK"); None if it cannot be one."""
    code = re.sub(r"[\s\-_.]", "", text).upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return hashlib.sha256(code.encode()).hexdigest()


def claim_link(settings: Settings, code: str) -> str:
    username = settings.extra.get("telegram_bot_username")
    if username:
        return f"https://t.me/{username}?start={DEEP_LINK_PREFIX}{code}"
    return f"/claim {shown_code(code)}"


# --- importing ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    row: ImportRow
    status: str  # "new", "updated", "claimed" (left to its owner) or "refused" (left out)
    code: str | None


async def apply_import(
    tx: Tx, org: Organisation, rows: tuple[ImportRow, ...], imported_by: int | None, now: datetime
) -> list[ImportOutcome]:
    """Create or update the profiles of a checked file, each with a fresh code."""
    outcomes = []
    expires = now + timedelta(days=CLAIM_VALID_DAYS)
    refused = await tx.claims.refused(org.id)
    for row in rows:
        if row.key in refused:
            outcomes.append(ImportOutcome(row, "refused", None))
            continue
        existing = await tx.claims.by_person(org.id, row.key)
        if existing is not None and existing.claimed:
            outcomes.append(ImportOutcome(row, "claimed", None))
            continue
        code = new_code()
        hashed = code_hash(code)
        assert hashed is not None
        if existing is None:
            vid = await tx.claims.create_profile(row.name, row.language or org.language)
            await tx.claims.create(org.id, vid, row.key, hashed, expires, imported_by)
        else:
            vid = existing.volunteer_id
            await tx.claims.renew(existing.id, hashed, expires)
            await tx.people.update(vid, display_name=row.name)
            if row.language:
                await tx.people.update(vid, language=row.language)
        skills = [VolunteerSkill(sid, raw, 1.0) for sid, raw in row.skills]
        skills += [VolunteerSkill(None, tag, 0.0) for tag in row.free_tags]
        await tx.people.replace_skills(vid, skills)
        await tx.people.replace_availability(vid, row.availability)
        await tx.people.update(vid, location_text=row.place, postcode=row.postcode)
        outcomes.append(ImportOutcome(row, "new" if existing is None else "updated", code))
    await tx.interactions.log(
        "volunteers_imported",
        org_id=org.id,
        volunteer_id=imported_by,
        new=sum(o.status == "new" for o in outcomes),
        updated=sum(o.status == "updated" for o in outcomes),
    )
    return outcomes


def problem_lines(catalogs: Catalogs, lang: str, problems: tuple[Problem, ...]) -> str:
    """One line per problem ("Ligne 4 : ..."), at most MAX_SHOWN_PROBLEMS, in `lang`."""
    lines = []
    for problem in problems[:MAX_SHOWN_PROBLEMS]:
        params = dict(problem.params)
        if "what" in params:
            params["what"] = catalogs.t(lang, f"field.{params['what']}")
        text = catalogs.t(lang, problem.key, **params)
        lines.append(
            catalogs.t(lang, "import.line", line=problem.line, text=text) if problem.line else text
        )
    if len(problems) > MAX_SHOWN_PROBLEMS:
        lines.append(catalogs.t(lang, "import.more", count=len(problems) - MAX_SHOWN_PROBLEMS))
    return "\n".join(lines)


def codes_csv(
    catalogs: Catalogs, settings: Settings, lang: str, outcomes: list[ImportOutcome]
) -> bytes:
    """The admin's list of codes to pass on, in the `;`/BOM CSV of the exports."""
    header = catalogs.t(lang, "import.csv_header").split(";")
    rows = [
        [
            str(o.row.line),
            o.row.name,
            o.row.phone or "",
            o.row.email or "",
            catalogs.t(lang, _STATUS_KEYS[o.status]),
            shown_code(o.code) if o.code else "",
            claim_link(settings, o.code) if o.code else "",
        ]
        for o in outcomes
    ]
    return to_csv(header, rows)


async def import_command(ctx: Context, args: str) -> None:
    await ctx.org_for(Role.ADMIN, choice=args, several="import.several_orgs")
    ctx.reply("import.how", limit=MAX_BYTES // 1000, days=CLAIM_VALID_DAYS)


async def file_shared(ctx: Context, filename: str, content: bytes, caption: str) -> None:
    """A file sent to the bot: an admin's volunteer list, privately."""
    if caption.strip() and caption.strip().split()[0].split("@")[0].lower() not in (
        "/import",
        "/importer",
    ):
        raise UserError("errors.file_not_expected")
    choice = caption.strip().partition(" ")[2]  # "/import Banque alimentaire"
    org = await ctx.org_for(Role.ADMIN, choice=choice, several="import.several_orgs")
    if not ctx.chat.is_private:
        ctx.reply("errors.private_only", command="import")
        return
    if not filename.lower().endswith((".csv", ".txt")):
        raise UserError("import.err_not_csv_name", name=filename[:80])
    parsed: Parsed = parse_volunteers(content, ctx.services.skills)
    catalogs = ctx.services.catalogs
    if not parsed.ok:
        ctx.reply(
            "import.failed",
            count=len(parsed.errors),
            errors=problem_lines(catalogs, ctx.lang, parsed.errors),
        )
        return
    outcomes = await apply_import(ctx.tx, org, parsed.rows, ctx.volunteer.id, ctx.now)
    ctx.reply(
        "import.done",
        new=sum(o.status == "new" for o in outcomes),
        updated=sum(o.status == "updated" for o in outcomes),
        claimed=sum(o.status == "claimed" for o in outcomes),
        days=CLAIM_VALID_DAYS,
    )
    if any(o.status == "refused" for o in outcomes):
        ctx.reply("import.refused", count=sum(o.status == "refused" for o in outcomes))
    if parsed.warnings:
        ctx.reply("import.warnings", warnings=problem_lines(catalogs, ctx.lang, parsed.warnings))
    stamp = ctx.now.astimezone(ctx.tz).date().isoformat()
    content = codes_csv(catalogs, ctx.services.settings, ctx.lang, outcomes)
    send_file_privately(ctx, f"codes-{stamp}.csv", content, ctx.t("import.caption"))


# --- claiming -----------------------------------------------------------------------------


async def claim_command(ctx: Context, args: str) -> None:
    if not ctx.chat.is_private:
        ctx.reply("errors.private_only", command="claim")
        return
    if not args:
        ctx.reply("claim.usage")
        return
    await claim_with_code(ctx, args)


async def claim_with_code(ctx: Context, text: str) -> None:
    """Check a typed code and, if it is good, show the profile and ask for consent.

    Wrong codes are answered without raising, so the attempt is logged (the limit counts it).
    """
    since = ctx.now - FAILURE_WINDOW
    if await ctx.tx.claims.recent_failures(ctx.volunteer.id, since) >= MAX_FAILURES:
        ctx.reply("claim.too_many")
        return
    hashed = code_hash(text[:40])
    claim = await ctx.tx.claims.by_code(hashed) if hashed else None
    if claim is None:
        await ctx.tx.interactions.log("claim_failed", volunteer_id=ctx.volunteer.id)
        ctx.reply("claim.unknown")
        return
    if _refusal(ctx, claim) is not None:
        return
    org = await ctx.tx.orgs.get(claim.org_id)
    imported = await ctx.tx.people.get(claim.volunteer_id)
    assert org is not None and imported is not None
    await ctx.set_private_dialog(FLOW, "consent", {"claim": claim.id})
    ctx.say_private(
        ctx.t("claim.ask", org=org.name, summary=await _summary(ctx, claim.volunteer_id))
        + "\n\n"
        + ctx.t("onboarding.consent"),
        buttons=(
            (
                ctx.button("onboarding.consent_yes", f"{FLOW}:yes"),
                ctx.button("claim.no", f"{FLOW}:no"),
            ),
        ),
    )


def _refusal(ctx: Context, claim: VolunteerClaim) -> str | None:
    """Say why the claim cannot be used, if it cannot."""
    if claim.claimed:
        key = "claim.yours" if claim.volunteer_id == ctx.volunteer.id else "claim.used"
        ctx.reply(key)
        return key
    if claim.expires_at <= ctx.now:
        ctx.reply(
            "claim.expired", date=ctx.services.catalogs.date(ctx.lang, claim.expires_at, ctx.tz)
        )
        return "claim.expired"
    return None


async def _summary(ctx: Context, volunteer_id: int) -> str:
    """The imported profile as onboarding shows a profile."""
    volunteer = await ctx.tx.people.get(volunteer_id)
    assert volunteer is not None
    real = ctx.volunteer
    ctx.volunteer = volunteer
    try:
        return await onboarding.profile_summary(ctx)
    finally:
        ctx.volunteer = real


async def _on_text(ctx: Context, _text: str) -> None:
    ctx.reply("claim.use_buttons")


async def _on_button(ctx: Context, payload: str) -> None:
    state = await ctx.dialog()
    if state is None or state.flow != FLOW or payload not in ("yes", "no"):
        raise UserError("errors.stale_button")
    claim = await ctx.tx.claims.get(int(state.data["claim"]))
    await ctx.clear_dialog()
    ctx.answer()
    if claim is None:
        raise UserError("errors.stale_button")
    if _refusal(ctx, claim) is not None:
        return
    if payload == "no":
        await ctx.tx.claims.delete_profile(claim.volunteer_id)
        # Only the hash of name and phone is kept, so that the next import leaves them out.
        await ctx.tx.interactions.log("claim_refused", org_id=claim.org_id, person=claim.person_key)
        ctx.reply("claim.refused")
        return
    await _merge(ctx, claim)
    ctx.reply("claim.done")
    await onboarding.show_profile(ctx, "")


async def _merge(ctx: Context, claim: VolunteerClaim) -> None:
    """Put the imported profile into the person's own: what they said themselves wins."""
    tx, me = ctx.tx, ctx.volunteer
    imported = await tx.people.get(claim.volunteer_id)
    assert imported is not None
    if not await tx.claims.attach(claim.id, me.id, ctx.now):
        raise UserError("claim.used")
    mine = await tx.people.skills(me.id)
    known = {(s.skill_id or "", s.raw_text.casefold() if s.skill_id is None else "") for s in mine}
    theirs = [
        s
        for s in await tx.people.skills(imported.id)
        if (s.skill_id or "", s.raw_text.casefold() if s.skill_id is None else "") not in known
    ]
    await tx.people.replace_skills(me.id, [*mine, *theirs])
    if not await tx.people.availability(me.id):
        await tx.people.replace_availability(me.id, await tx.people.availability(imported.id))
    values: dict[str, object] = {"display_name": imported.display_name}
    if me.location_text is None and me.latitude is None:
        values.update(location_text=imported.location_text, postcode=imported.postcode)
    if not me.onboarded:  # their language stays the one their app or /language gave
        values.update(onboarded_at=ctx.now)
    await tx.people.update(me.id, **values)
    await tx.orgs.ensure_member(claim.org_id, me.id)
    await tx.claims.delete_profile(imported.id)
    await tx.people.record_consent(me.id, "profile", onboarding.CONSENT_VERSION)
    await tx.interactions.log("consent", volunteer_id=me.id, version=onboarding.CONSENT_VERSION)
    await tx.interactions.log("profile_claimed", org_id=claim.org_id, volunteer_id=me.id)
    refreshed = await tx.people.get(me.id)
    assert refreshed is not None
    ctx.volunteer = refreshed
    ctx.lang = refreshed.language


# --- command line ------------------------------------------------------------------------


async def import_file(settings: Settings, path: str, org_id: int | None, out: str | None) -> int:
    """`mainforte import volunteers FILE`: 0 and the codes' CSV path, or 2 with the errors."""
    import asyncio

    from bot.services import Services
    from data.store import Store

    try:
        content = await asyncio.to_thread(Path(path).read_bytes)
    except OSError as exc:
        print(f"mainforte: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    store = Store(settings.database_url)
    try:
        await store.migrate()
        services = Services.build(store, settings)
        lang = settings.language
        parsed = parse_volunteers(content, services.skills)
        if not parsed.ok:
            print(
                services.catalogs.t(lang, "import.cli_failed", count=len(parsed.errors)),
                file=sys.stderr,
            )
            print(problem_lines(services.catalogs, lang, parsed.errors), file=sys.stderr)
            return 2
        target = Path(out) if out else Path(path).with_name(Path(path).stem + "-codes.csv")
        try:
            async with store.transaction() as tx:
                orgs = await tx.orgs.all_ids()
                if org_id is None and len(orgs) == 1:
                    org_id = orgs[0]
                org = await tx.orgs.get(org_id) if org_id is not None else None
                if org is None:
                    known = ", ".join(map(str, orgs)) or "—"
                    print(
                        services.catalogs.t(lang, "import.cli_choose_org", known=known),
                        file=sys.stderr,
                    )
                    return 2
                outcomes = await apply_import(tx, org, parsed.rows, None, services.clock())
                data = codes_csv(services.catalogs, settings, lang, outcomes)
                # Written before the commit: if the codes cannot be saved, nothing is imported.
                await asyncio.to_thread(target.write_bytes, data)
        except OSError as exc:
            print(f"mainforte: cannot write {target}: {exc.strerror}", file=sys.stderr)
            return 2
        if parsed.warnings:
            print(problem_lines(services.catalogs, lang, parsed.warnings))
    finally:
        await store.close()
    counts = {s: sum(o.status == s for o in outcomes) for s in ("new", "updated", "claimed")}
    print(services.catalogs.t(lang, "import.cli_done", **counts, path=str(target)))
    return 0
