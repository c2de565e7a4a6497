"""The `mainforte` command: run the bot, upgrade the database, play the demo."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.app import Platform
from bot.config import ConfigError, Settings, configure_logging, load_settings

__all__ = ["main"]

_log = logging.getLogger("mainforte")

DESCRIPTION = """\
Mainforte: a volunteer-coordination bot for associations, in Telegram, Discord
and the terminal.

Start here:
  mainforte run          start the bot. With no TELEGRAM_TOKEN or DISCORD_TOKEN
                         configured, it opens a chat in this terminal on
                         ./mainforte.db, so you can try it in one minute.
  mainforte demo         play a scripted scenario (30 volunteers, 3 missions)
                         on a temporary database and print the conversation.
  mainforte db upgrade   create or upgrade the database schema (run does it too).
  mainforte train        learn from invitation outcomes (the bot also does it weekly).
  mainforte import volunteers FILE
                         import a volunteer spreadsheet (CSV); writes the claim codes.
  mainforte export ...   CSV exports of hours, missions and volunteers (annual report).

Settings come from environment variables, ./.env or ./mainforte.toml (see .env.example).
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mainforte",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="start the bot (terminal chat when no platform token is set)")
    sub.add_parser("demo", help="play the scripted demo scenario and print it")
    db = sub.add_parser("db", help="database maintenance")
    parser.set_defaults(db_parser=db)
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply the migrations up to the latest schema")
    sub.add_parser(
        "train",
        help="learn from invitation outcomes; keep each association's model only if it "
        "beats the weighted score (also done weekly by the bot)",
    )
    export = sub.add_parser(
        "export", help="write a CSV export (hours, missions or volunteers) to a file"
    )
    export.add_argument("kind", choices=("hours", "missions", "volunteers"))
    export.add_argument("--out", required=True, metavar="FILE", help="the CSV file to write")
    export.add_argument("--org", type=int, help="the association's id (when there are several)")
    export.add_argument(
        "--period",
        metavar="PERIOD",
        help='only the missions of a period: "year", "quarter", "2026-01-01..2026-12-31"',
    )
    imports = sub.add_parser(
        "import", help="import volunteers from a CSV spreadsheet; write their claim codes"
    )
    imports.add_argument("what", choices=("volunteers",))
    imports.add_argument("file", metavar="FILE", help="the CSV file (Excel/LibreOffice export)")
    imports.add_argument("--org", type=int, help="the association's id (when there are several)")
    imports.add_argument(
        "--out", metavar="FILE", help="where to write the codes (default: FILE-codes.csv)"
    )
    return parser


def _platforms(settings: Settings) -> list[Platform]:
    platforms: list[Platform] = []
    if settings.telegram_token:
        from adapters.telegram import TelegramPlatform

        platforms.append(TelegramPlatform(settings))
    if settings.discord_token:
        from adapters.discord import DiscordPlatform

        platforms.append(DiscordPlatform(settings))
    if not platforms:
        from adapters.terminal import TerminalChat

        platforms.append(TerminalChat(files_dir=Path("mainforte-files")))
    return platforms


async def _train(settings: Settings) -> None:
    """Retrain every association's acceptance model now and say what was decided."""
    from bot.learning import describe, train_organisation
    from data.repos._util import utcnow
    from data.store import Store

    store = Store(settings.database_url)
    try:
        await store.migrate()
        async with store.transaction() as tx:
            org_ids = await tx.orgs.all_ids()
        for org_id in org_ids:
            async with store.transaction() as tx:
                org = await tx.orgs.get(org_id)
                evaluation = await train_organisation(tx, org_id, utcnow())
            print(f"{org.name if org else org_id}: {describe(evaluation)}")
        if not org_ids:
            print("No association yet: nothing to learn from.")
    finally:
        await store.close()


async def _upgrade(settings: Settings) -> None:
    from data.store import Store

    store = Store(settings.database_url)
    try:
        await store.migrate()
    finally:
        await store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    db_parser: argparse.ArgumentParser = args.db_parser
    if args.command is None:
        parser.print_help()
        return 0
    try:
        settings = load_settings()
        if args.command == "run":
            from bot.app import run_bot

            platforms = _platforms(settings)
            if [p.name for p in platforms] == ["terminal"] and not settings.admins:
                # The terminal chat is a local sandbox: its default person administers it.
                settings = dataclasses.replace(settings, admins=("terminal:coordinator",))
            configure_logging(settings, quiet=[p.name for p in platforms] == ["terminal"])
            asyncio.run(run_bot(settings, platforms))
        elif args.command == "demo":
            from bot.demo import play_demo

            configure_logging(settings, quiet=True)
            return asyncio.run(play_demo(settings))
        elif args.command == "train":
            configure_logging(settings, quiet=True)
            asyncio.run(_train(settings))
        elif args.command == "export":
            from bot.exports import export_to_file

            configure_logging(settings, quiet=True)
            return asyncio.run(
                export_to_file(
                    settings.database_url,
                    settings.language,
                    args.kind,
                    args.out,
                    args.org,
                    args.period,
                )
            )
        elif args.command == "import":
            from bot.features.imports import import_file

            configure_logging(settings, quiet=True)
            return asyncio.run(import_file(settings, args.file, args.org, args.out))
        elif args.command == "db":
            if args.db_command != "upgrade":
                db_parser.print_help()
                return 2
            configure_logging(settings)
            asyncio.run(_upgrade(settings))
            print(f"Database is up to date: {settings.database_url}")
    except ConfigError as exc:
        print(f"mainforte: configuration error: {exc}", file=sys.stderr)
        return 2
    except (OSError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"mainforte: cannot use the database ({reason}); check DATABASE_URL", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
