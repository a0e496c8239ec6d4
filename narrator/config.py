"""Configuration: ``narrator.toml`` (DESIGN §6) and the environment.

Pure apart from reading the one file. Secrets never live here: the file names
environment variables (``token_env``, ``api_key_env``) and :func:`secret`
reads them when a platform or provider needs them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from narrator.database_urls import DEFAULT_DATABASE_URL as DEFAULT_DATABASE_URL
from narrator.database_urls import database_label as database_label
from narrator.database_urls import resolve_database_url
from narrator.database_urls import sandbox_database_url as sandbox_database_url
from narrator.database_urls import sqlite_url_relative_to as sqlite_url_relative_to
from narrator.errors import ConfigError, did_you_mean
from narrator.guilds import SANDBOX_GUILD_ID as SANDBOX_GUILD_ID  # its home; re-exported
from narrator.interpolate import DEFAULT_SECRET_ENV, Environ
from narrator.parser import MAX_NARRATIVE_BYTES

DEFAULT_CONFIG = "narrator.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Section):
    url: str | None = None


class DiscordConfig(_Section):
    token_env: str = "DISCORD_TOKEN"
    guild_id: str | None = None
    api_base: str = Field(default="https://discord.com/api/v10", min_length=1)
    timeout: float = 30.0


class ModelProfile(_Section):
    """One ``[models.NAME]`` profile."""

    provider: Literal["openai", "anthropic", "gemini", "sandbox"] = "openai"
    base_url: str | None = None
    api_key_env: str | None = None
    model: str = ""
    rpm: int | None = None
    tpm: int | None = None
    rpd: int | None = None
    tpd: int | None = None
    timeout: float = 60.0
    max_wait: float = 120.0  # seconds an act may wait for a short (minute) window
    max_retries: int = 5
    system: str | None = None


class PlatformPlugin(_Section):
    """``[platforms.NAME] factory = "module:callable"``: a platform of your own."""

    factory: str


class HistoryConfig(_Section):
    keep_last: int | None = 100  # changes kept per key
    keep_days: int | None = 90


class StateConfig(_Section):
    history: HistoryConfig = Field(default_factory=HistoryConfig)


class SecretsConfig(_Section):
    """``[secrets]``: the secret variables a narrative may read after all."""

    allow_env: tuple[str, ...] = ()


class LimitsConfig(_Section):
    """``[limits]``: how much hostile or mistaken input narrator accepts."""

    max_narrative_bytes: int = Field(default=MAX_NARRATIVE_BYTES, gt=0)


class Config(_Section):
    """The whole configuration, with defaults for everything."""

    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    discord: DiscordConfig = Field(default_factory=DiscordConfig)
    models: dict[str, ModelProfile] = Field(default_factory=dict)
    platforms: dict[str, PlatformPlugin] = Field(default_factory=dict)
    state: StateConfig = Field(default_factory=StateConfig)
    secrets: SecretsConfig = Field(default_factory=SecretsConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    path: str | None = None  # where it was read from, if anywhere

    def profile(self, name: str) -> ModelProfile | None:
        return self.models.get(name)


def load_config(path: str | None = None, *, environ: dict[str, str] | None = None) -> Config:
    """Read the configuration.

    ``path`` wins, then ``$NARRATOR_CONFIG``, then ``./narrator.toml``. A named
    file that does not exist is an error; a missing default file means defaults.
    """
    env = os.environ if environ is None else environ
    explicit = path or env.get("NARRATOR_CONFIG")
    file = Path(explicit or DEFAULT_CONFIG)
    if not file.exists():
        if explicit:
            raise ConfigError(
                f"configuration file {file} does not exist",
                hint="create it (every setting is optional: [database] url, [discord] "
                "token_env / guild_id / api_base, [models.NAME] provider / model / "
                "api_key_env) or drop --config / NARRATOR_CONFIG",
            )
        return Config()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: {exc}", hint="fix the TOML syntax") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror}") from None
    from narrator.media_files import guard_config  # no input may send it, whatever its name

    guard_config(str(file))
    return parse_config(data, str(file))


def parse_config(data: dict[str, Any], source: str = "<config>") -> Config:
    known = set(Config.model_fields) - {"path"}
    for key in data:
        if key not in known:
            hint = did_you_mean(key, known)
            raise ConfigError(
                f"{source}: unknown section [{key}]",
                hint=hint or f"known sections: {', '.join(sorted(known))}",
            )
    try:
        return Config.model_validate({**data, "path": source})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"{source}: {where}: {first['msg']}", hint=_settings_hint(first["loc"])
        ) from None


def _settings_hint(loc: tuple[int | str, ...]) -> str:
    """What the table holding the bad setting accepts ("did you mean" first)."""
    import typing

    model: Any = Config
    table: list[str] = []
    for part in loc[:-1]:
        fields = getattr(model, "model_fields", None)
        field = fields.get(str(part)) if isinstance(fields, dict) else None
        if field is not None:
            annotation = field.annotation
            args = typing.get_args(annotation)
            model = args[-1] if typing.get_origin(annotation) is dict else annotation
            table.append(str(part))
        elif table and table[-1] in ("models", "platforms"):
            table[-1] = f"{table[-1]}.{part}"
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return "fix the value in narrator.toml"
    known = sorted(set(model.model_fields) - {"path"})
    last = str(loc[-1]) if loc else ""
    where = f"[{'.'.join(table)}]" if table else "narrator.toml"
    close = did_you_mean(last, known) if last not in known else None
    return close or f"{where} takes: {', '.join(known)}"


def database_url(cli_url: str | None, config: Config, environ: dict[str, str] | None = None) -> str:
    """``--database`` wins, then ``$NARRATOR_DATABASE_URL``, then ``[database] url``
    (see :func:`narrator.database_urls.resolve_database_url`)."""
    return resolve_database_url(cli_url, config.database.url, config.path, environ)


def secret(env_name: str, *, what: str, environ: dict[str, str] | None = None) -> str:
    """Read a secret from the environment, or explain how to provide it."""
    env = os.environ if environ is None else environ
    value = env.get(env_name, "")
    if not value:
        raise ConfigError(
            f"{what} needs the environment variable {env_name}, which is not set",
            hint=f"export {env_name}=... (the secret itself never goes in a file), "
            "or rehearse with --sandbox",
        )
    return value


def secret_env_names(config: Config) -> frozenset[str]:
    """The environment variables a narrative may not read (DESIGN §6).

    ``[discord] token_env``, every ``[models.*] api_key_env``, and the default
    names (DISCORD_TOKEN, OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY),
    minus what ``[secrets] allow_env`` lists. Pure.
    """
    names = set(DEFAULT_SECRET_ENV)
    names.add(config.discord.token_env)
    names.update(p.api_key_env for p in config.models.values() if p.api_key_env)
    return frozenset(names - set(config.secrets.allow_env))


def without_secrets(env: Mapping[str, str], config: Config) -> Environ:
    """``env`` with the secret variables left out, remembering which (for the error). Pure."""
    return Environ(env, secret_env_names(config))
