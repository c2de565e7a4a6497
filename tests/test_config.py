"""Settings: from the environment, a .env file and mainforte.toml; a bad one stops start-up
with one line naming it."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


class Files:
    """A folder holding the settings files of one test."""

    def __init__(self, folder: Path) -> None:
        self.toml = folder / "mainforte.toml"
        self.dotenv = folder / ".env"

    def write_toml(self, text: str) -> None:
        self.toml.write_text(text, encoding="utf-8")

    def write_dotenv(self, text: str) -> None:
        self.dotenv.write_text(text, encoding="utf-8")

    def load(self, env: Mapping[str, str] | None = None) -> Settings:
        return load_settings(env or {}, config_file=self.toml, dotenv=self.dotenv)


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path)


def _error(files: Files, env: Mapping[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        files.load(env)
    message = str(caught.value)
    assert "\n" not in message and message.strip() == message and message
    return message


# --- where settings come from ------------------------------------------------------


def test_nothing_configured_gives_the_defaults(files: Files) -> None:
    settings = files.load()
    assert settings == Settings()
    assert settings.database_url == "sqlite:///mainforte.db"
    assert settings.timezone == "Europe/Paris" and settings.language == "fr"
    assert settings.outbox_sweep_seconds == 30.0


def test_every_setting_from_the_environment(files: Files) -> None:
    settings = files.load(
        {
            "DATABASE_URL": "postgresql://bot:secret@db:5432/mainforte",
            "MAINFORTE_ADMINS": "Telegram:123, discord:456,",
            "MAINFORTE_TIMEZONE": "America/Montreal",
            "MAINFORTE_LANGUAGE": "EN",
            "MAINFORTE_CHAT_ADMINS_ARE_COORDINATORS": "non",
            "MAINFORTE_LOG_LEVEL": "debug",
            "MAINFORTE_ORGANISATION_NAME": "  Les Restos du 11e ",
            "TELEGRAM_TOKEN": " 123:abc ",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "DISCORD_TOKEN": "",
            "MAINFORTE_OUTBOX_SWEEP_SECONDS": "2.5",
            "UNRELATED": "ignored",
        }
    )
    assert settings == Settings(
        database_url="postgresql://bot:secret@db:5432/mainforte",
        admins=("telegram:123", "discord:456"),
        timezone="America/Montreal",
        language="en",
        chat_admins_are_coordinators=False,
        log_level="DEBUG",
        organisation_name="Les Restos du 11e",
        telegram_token="123:abc",
        telegram_api_base_url="http://127.0.0.1:8081/bot",
        discord_token=None,
        outbox_sweep_seconds=2.5,
    )
    assert settings.is_configured_admin("telegram", "123")
    assert not settings.is_configured_admin("telegram", "456")
    assert settings.zone.key == "America/Montreal"


def test_every_setting_from_mainforte_toml(files: Files) -> None:
    files.write_toml(
        """
database_url = "sqlite:///data/asso.db"
admins = ["telegram:1", "discord:2"]
timezone = "Europe/Brussels"
language = "en"
chat_admins_are_coordinators = false
log_level = "WARNING"
organisation_name = "Banque alimentaire"
telegram_token = "t"
telegram_api_base_url = "http://localhost:8081"
discord_token = "d"
outbox_sweep_seconds = 10
"""
    )
    assert files.load() == Settings(
        database_url="sqlite:///data/asso.db",
        admins=("telegram:1", "discord:2"),
        timezone="Europe/Brussels",
        language="en",
        chat_admins_are_coordinators=False,
        log_level="WARNING",
        organisation_name="Banque alimentaire",
        telegram_token="t",
        telegram_api_base_url="http://localhost:8081",
        discord_token="d",
        outbox_sweep_seconds=10.0,
    )


def test_settings_from_a_dotenv_file(files: Files) -> None:
    files.write_dotenv(
        """
# Mainforte
DATABASE_URL=sqlite:///from-dotenv.db

export MAINFORTE_TIMEZONE=Europe/Brussels
MAINFORTE_LANGUAGE = "en"
MAINFORTE_ORGANISATION_NAME='Les Amis du Canal'
MAINFORTE_ADMINS=terminal:coordinator
MAINFORTE_CHAT_ADMINS_ARE_COORDINATORS=yes
MAINFORTE_OUTBOX_SWEEP_SECONDS=5
TELEGRAM_TOKEN=
"""
    )
    settings = files.load()
    assert settings.database_url == "sqlite:///from-dotenv.db"
    assert settings.timezone == "Europe/Brussels"
    assert settings.language == "en"
    assert settings.organisation_name == "Les Amis du Canal"
    assert settings.admins == ("terminal:coordinator",)
    assert settings.chat_admins_are_coordinators is True
    assert settings.outbox_sweep_seconds == 5.0
    assert settings.telegram_token is None


def test_the_example_dotenv_file_loads_as_is(files: Files) -> None:
    shutil.copy(ROOT / ".env.example", files.dotenv)
    assert files.load() == Settings()


@pytest.mark.parametrize(
    ("env", "dotenv", "toml", "expected"),
    [
        ("Asia/Tokyo", "Europe/Brussels", "America/Montreal", "Asia/Tokyo"),
        (None, "Europe/Brussels", "America/Montreal", "Europe/Brussels"),
        (None, None, "America/Montreal", "America/Montreal"),
        ("Asia/Tokyo", None, "America/Montreal", "Asia/Tokyo"),
        ("", None, "America/Montreal", "America/Montreal"),  # an empty variable is unset
        pytest.param(
            "",
            "Europe/Brussels",
            "America/Montreal",
            "Europe/Brussels",
            id="empty-env-then-dotenv",
        ),
        (None, None, None, "Europe/Paris"),
    ],
    ids=[
        "env",
        "dotenv",
        "toml",
        "env-over-toml",
        "empty-env-toml",
        "empty-env-then-dotenv",
        "default",
    ],
)
def test_environment_wins_over_dotenv_which_wins_over_toml(
    files: Files, env: str | None, dotenv: str | None, toml: str | None, expected: str
) -> None:
    if dotenv is not None:
        files.write_dotenv(f"MAINFORTE_TIMEZONE={dotenv}\n")
    if toml is not None:
        files.write_toml(f'timezone = "{toml}"\n')
    environment = {} if env is None else {"MAINFORTE_TIMEZONE": env}
    assert files.load(environment).timezone == expected


def test_each_setting_is_taken_from_where_it_is_set(files: Files) -> None:
    files.write_toml('timezone = "America/Montreal"\nlanguage = "en"\nlog_level = "ERROR"\n')
    files.write_dotenv("MAINFORTE_LANGUAGE=fr\nMAINFORTE_LOG_LEVEL=WARNING\n")
    settings = files.load({"MAINFORTE_LOG_LEVEL": "DEBUG"})
    assert (settings.timezone, settings.language, settings.log_level) == (
        "America/Montreal",
        "fr",
        "DEBUG",
    )


def test_mainforte_config_names_another_settings_file(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text('organisation_name = "Secours populaire"\n', encoding="utf-8")
    settings = load_settings({"MAINFORTE_CONFIG": str(other)}, dotenv=None)
    assert settings.organisation_name == "Secours populaire"


def test_no_dotenv_reading_when_told_so(files: Files) -> None:
    files.write_dotenv("MAINFORTE_LANGUAGE=en\n")
    assert load_settings({}, config_file=files.toml, dotenv=None).language == "fr"


# --- bad values ----------------------------------------------------------------------

BAD_ENV = [
    ("MAINFORTE_TIMEZONE", "Mars/Olympus", "unknown time zone"),
    ("MAINFORTE_TIMEZONE", "../../etc/passwd", "unknown time zone"),
    ("MAINFORTE_LANGUAGE", "de", "'de' is not one of fr, en"),
    ("MAINFORTE_ADMINS", "telegram123", "'telegram123' is not platform:user_id"),
    ("MAINFORTE_ADMINS", "telegram:1,:2", "':2' is not platform:user_id"),
    ("DATABASE_URL", "mysql://x", "only sqlite"),
    ("DATABASE_URL", "not a url", "not a database URL"),
    ("MAINFORTE_LOG_LEVEL", "LOUD", "DEBUG, INFO, WARNING or ERROR"),
    ("MAINFORTE_OUTBOX_SWEEP_SECONDS", "0", "positive"),
    ("MAINFORTE_OUTBOX_SWEEP_SECONDS", "-5", "positive"),
    ("MAINFORTE_OUTBOX_SWEEP_SECONDS", "soon", "soon"),
    ("MAINFORTE_CHAT_ADMINS_ARE_COORDINATORS", "maybe", "true or false"),
    ("MAINFORTE_ORGANISATION_NAME", "x" * 201, "1 to 200 characters"),
    ("MAINFORTE_ORGANISATION_NAME", "   ", "1 to 200 characters"),
    ("TELEGRAM_API_BASE_URL", "ftp://127.0.0.1", "not an http(s) URL"),
    ("TELEGRAM_WEBHOOK_URL", "http://bot.example.org/hook", "https://"),
    ("TELEGRAM_WEBHOOK_SECRET", "not secret!", "A-Z, a-z, 0-9"),
    ("TELEGRAM_WEBHOOK_PORT", "70000", "not a port number"),
    ("TELEGRAM_WEBHOOK_PORT", "http", "not a port number"),
]


@pytest.mark.parametrize(
    ("name", "value", "says"), BAD_ENV, ids=[f"{n}={v[:20]}" for n, v, _ in BAD_ENV]
)
def test_a_bad_environment_value_names_the_variable(
    files: Files, name: str, value: str, says: str
) -> None:
    message = _error(files, {name: value})
    assert message.startswith(f"{name}: "), message
    assert says in message


def test_sweep_seconds_must_be_a_number(files: Files) -> None:
    message = _error(files, {"MAINFORTE_OUTBOX_SWEEP_SECONDS": "nan"})
    assert message.startswith("MAINFORTE_OUTBOX_SWEEP_SECONDS: ")


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('timezone = "Mars/Olympus"', "timezone: unknown time zone"),
        ('language = "de"', "language: 'de' is not one of fr, en"),
        ('admins = ["telegram123"]', "admins: 'telegram123' is not platform:user_id"),
        ('database_url = "mysql://x"', "database_url: only sqlite"),
        ('log_level = "LOUD"', "log_level: expected DEBUG"),
        ("outbox_sweep_seconds = 0", "outbox_sweep_seconds: must be a positive number"),
        ("outbox_sweep_seconds = [1]", "outbox_sweep_seconds: "),
        ('chat_admins_are_coordinators = "maybe"', "chat_admins_are_coordinators: expected"),
    ],
)
def test_a_bad_value_in_the_toml_names_the_file_and_key(files: Files, line: str, says: str) -> None:
    files.write_toml(line + "\n")
    message = _error(files)
    assert message.startswith(f"{files.toml}: "), message
    assert says in message


def test_a_bad_value_in_dotenv_names_the_variable(files: Files) -> None:
    files.write_dotenv("MAINFORTE_LANGUAGE=de\n")
    assert _error(files).startswith("MAINFORTE_LANGUAGE: ")


def test_a_good_environment_value_hides_a_bad_one_in_the_file(files: Files) -> None:
    files.write_toml('language = "de"\n')
    assert files.load({"MAINFORTE_LANGUAGE": "en"}).language == "en"


def test_an_unknown_key_in_the_toml_is_named(files: Files) -> None:
    files.write_toml('timezone = "Europe/Paris"\ntimezon = "Europe/Paris"\n')
    assert _error(files) == f"{files.toml}: unknown setting 'timezon'"


def test_a_table_in_the_toml_is_an_unknown_setting(files: Files) -> None:
    files.write_toml('[mainforte]\ntimezone = "Europe/Paris"\n')
    assert _error(files) == f"{files.toml}: unknown setting 'mainforte'"


@pytest.mark.parametrize(
    "content",
    [b"timezone = Europe/Paris\n", b"language = 'fr\n", b"= 3\n", b"\xff\xfelanguage"],
    ids=["bare-value", "unclosed-string", "no-key", "not-utf8"],
)
def test_invalid_toml_names_the_file(files: Files, content: bytes) -> None:
    files.toml.write_bytes(content)
    message = _error(files)
    assert message.startswith(f"{files.toml}: not valid TOML"), message


def test_mainforte_config_pointing_to_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "mainforte.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings({"MAINFORTE_CONFIG": str(missing)}, dotenv=None)
    assert str(caught.value) == f"MAINFORTE_CONFIG: file {missing} not found"


def test_mainforte_config_from_dotenv_pointing_to_a_missing_file(files: Files) -> None:
    files.write_dotenv("MAINFORTE_CONFIG=/nonexistent/mainforte.toml\n")
    with pytest.raises(ConfigError, match=r"^MAINFORTE_CONFIG: "):
        load_settings({}, dotenv=files.dotenv)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("MAINFORTE_LANGUAGE=fr\nthis is not a setting\n", 2),
        ("# comment\n\n=value\n", 3),
        ("export\n", 1),
    ],
)
def test_a_malformed_dotenv_line_is_named(files: Files, text: str, line: int) -> None:
    files.write_dotenv(text)
    assert _error(files) == f"{files.dotenv}:{line}: expected KEY=VALUE"
