"""Logging (stdlib ``logging``) and redaction, configured once per process.

* :func:`configure` sets up the ``narrator`` logger: to stderr, ``text`` or
  ``json`` (one object per line: time, level, logger, message and the record's
  structured fields). ``-v`` = INFO, ``-vv`` = DEBUG, ``--quiet`` = ERROR,
  default WARNING; ``NARRATOR_LOG`` (``info``, ``debug``, ``json:debug``) is
  read when the command line says nothing (services: the worker under systemd).
* :func:`redact` removes secrets from any JSON-like value or text: the values
  of the secret environment variables (registered with :func:`add_secrets`),
  anything that looks like a Discord bot token, an API key or an
  ``Authorization`` header, and the values of keys named like secrets; base64
  bodies (media) are shown by their length. Every
  log record passes through it, and so does what the journal keeps of an act.

Stdlib only and imports nothing of narrator: every floor may use it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "REDACTED",
    "JsonFormatter",
    "RedactingFilter",
    "add_secrets",
    "configure",
    "get",
    "parse_spec",
    "redact",
    "redact_secrets",
    "redact_text",
]

REDACTED = "[redacted]"

# what looks like a secret whatever its origin
_PATTERNS = [
    # Discord bot token: base64 user id . timestamp . hmac
    re.compile(r"\b[MNO][A-Za-z\d_-]{20,30}\.[A-Za-z\d_-]{5,7}\.[A-Za-z\d_-]{25,}"),
    re.compile(r"(?i)\b(Bot|Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(
        r"(?i)(authorization|x-api-key|api[-_]?key|x-goog-api-key)([\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"
    ),
    re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}"),  # OpenAI / Anthropic keys
    re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"),  # Google keys
    # a Discord webhook URL's token (whoever has it posts as the webhook); the id stays
    re.compile(r"(/webhooks/\d{5,}/)(?!\[redacted\])[A-Za-z0-9._-]{20,}"),
]
# one search over the text first: most texts (ids, ordinary prose) hold none of the shapes,
# and a text none of the patterns matches is returned as it is
_ANY_PATTERN = re.compile(
    "|".join(
        f"(?i:{p.pattern.removeprefix('(?i)')})" if p.pattern.startswith("(?i)") else p.pattern
        for p in _PATTERNS
    )
)
_SECRET_KEYS = re.compile(
    r"(?i)^(authorization|token|bot_token|api[-_]?key|x-api-key|password|secret)$"
)

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_longest_first: tuple[str, ...] = ()  # _secrets, longest first (a secret inside another)
_configured = False

# the environment variables that hold secrets whatever the config says (narrator.config)
DEFAULT_SECRET_ENV = ("DISCORD_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY")


def add_secrets(values: Iterable[str]) -> None:
    """Remember secret values so they are never logged or journalled (short ones are ignored:
    redacting ``"1"`` everywhere would say nothing and hide everything)."""
    global _secrets, _longest_first
    fresh = {v for v in values if isinstance(v, str) and len(v) >= 6}
    if fresh - _secrets:
        with _lock:
            _secrets = _secrets | fresh
            _longest_first = tuple(sorted(_secrets, key=len, reverse=True))


def add_secret_env(names: Iterable[str], environ: Mapping[str, str] | None = None) -> None:
    """:func:`add_secrets` of the values of the environment variables ``names``."""
    env = os.environ if environ is None else environ
    add_secrets(env.get(name, "") for name in names)


# media bodies (narrator.media): a data: URL's base64 and any long base64 run are shown by
# their length, never their bytes
_DATA_URL_BODY = re.compile(r"(data:[\w.+-]+/[\w.+-]+;base64,)[A-Za-z0-9+/=]{16,}")
_LONG_BASE64 = re.compile(r"[A-Za-z0-9+/]{512,}={0,2}")
LONG_BASE64 = 512


def abbreviate_base64(text: str) -> str:
    """``text`` with base64 bodies replaced by ``[base64, N characters]``."""
    if "base64," in text:
        text = _DATA_URL_BODY.sub(
            lambda m: f"{m.group(1)}[{len(m.group(0)) - len(m.group(1))} characters]", text
        )
    if len(text) >= LONG_BASE64:
        text = _LONG_BASE64.sub(lambda m: f"[base64, {len(m.group(0))} characters]", text)
    return text


def redact_text(text: str) -> str:
    """``text`` with every known secret value and secret-looking token replaced, and
    base64 bodies abbreviated (:func:`abbreviate_base64`)."""
    if len(text) >= LONG_BASE64 or "base64," in text:
        text = abbreviate_base64(text)
    return redact_secrets(text)


def redact_secrets(text: str) -> str:
    """``text`` with every known secret value and secret-looking token replaced (what a
    text file read for a prompt gets: its base64, if any, is sent as it is)."""
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if _ANY_PATTERN.search(text) is None:
        return text
    for index, pattern in enumerate(_PATTERNS):
        if index == 1:
            text = pattern.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        elif index == 2:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        elif index == 5:
            text = pattern.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


def redact(value: Any) -> Any:
    """A copy of a JSON-like ``value`` with secrets removed (see :func:`redact_text`);
    the value of a key named like a secret (``token``, ``authorization``, …) is redacted
    whole."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if isinstance(k, str) and _SECRET_KEYS.match(k) and v else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


# ----------------------------------------------------------------------------- handlers

_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields a record carries (what ``extra=`` gave it)."""
    return {
        k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")
    }


class RedactingFilter(logging.Filter):
    """Redacts the message, its arguments and its structured fields, in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage())
        record.args = None
        for key, value in fields(record).items():
            setattr(record, key, redact(value) if not isinstance(value, int | float) else value)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(fields(record))
        if record.exc_text:
            data["exception"] = record.exc_text
        elif record.exc_info:
            data["exception"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``LEVEL logger: message key=value …``"""

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={_short(v)}" for k, v in fields(record).items())
        line = f"{record.levelname.lower():<7} {record.name}: {record.getMessage()}"
        if extra:
            line += f"  {extra}"
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if " " not in text or text.startswith(("{", "[", '"')) else json.dumps(text)


# ----------------------------------------------------------------------------- configuration

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "quiet": logging.ERROR,
}


def parse_spec(spec: str) -> tuple[str | None, int | None]:
    """``NARRATOR_LOG``: ``info``, ``debug``, ``json``, ``json:debug`` → (format, level);
    an unknown word is ignored (a service must not fail over its log setting)."""
    fmt: str | None = None
    level: int | None = None
    for part in spec.lower().replace(",", ":").split(":"):
        part = part.strip()
        if part in ("json", "text"):
            fmt = part
        elif part in _LEVELS:
            level = _LEVELS[part]
    return fmt, level


def configure(
    verbosity: int = 0,
    *,
    quiet: bool = False,
    log_format: str | None = None,
    environ: Mapping[str, str] | None = None,
    stream: Any = None,
) -> logging.Logger:
    """Configure the ``narrator`` logger once (a second call replaces the handler)."""
    global _configured
    env = os.environ if environ is None else environ
    env_format, env_level = parse_spec(env.get("NARRATOR_LOG", ""))
    if quiet:
        level = logging.ERROR
    elif verbosity >= 2:
        level = logging.DEBUG
    elif verbosity == 1:
        level = logging.INFO
    else:
        level = env_level if env_level is not None else logging.WARNING
    fmt = log_format or env_format or "text"
    add_secret_env(DEFAULT_SECRET_ENV, env)
    logger = logging.getLogger("narrator")
    for handler in list(logger.handlers):
        if getattr(handler, "_narrator", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler._narrator = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    _configured = True
    return logger


def get(area: str) -> logging.Logger:
    """``logging.getLogger("narrator.<area>")``."""
    return logging.getLogger(f"narrator.{area}")
