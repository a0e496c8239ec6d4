"""DURATION strings of the command line (``30s``, ``5m``, ``2h``, ``1d``): pure parsing."""

from __future__ import annotations

import re

from narrator.errors import UsageError

MAX_DURATION = 36500 * 86400.0  # 100 years: beyond this, dates overflow
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(text: str) -> float:
    """Seconds in ``text``: ``30s``, ``5m``, ``2h``, ``1d``, ``1w``, ``1h30m``, ``90`` (seconds).

    Raises :class:`UsageError` (exit 2) saying what a duration looks like.
    """
    raw = text.strip().lower().replace(" ", "")
    if not raw:
        raise UsageError("empty duration", hint="write a duration like 30s, 5m, 2h or 1d")
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        seconds = float(raw)
    else:
        pos = 0
        seconds = 0.0
        for match in _PART.finditer(raw):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if pos != len(raw) or pos == 0:
            raise UsageError(
                f"cannot read duration {text!r}",
                hint="write a number and a unit: 30s, 5m, 2h, 1d (or combined: 1h30m)",
            )
    if seconds <= 0:
        raise UsageError(f"duration {text!r} is not positive", hint="use e.g. 30s or 5m")
    if not seconds <= MAX_DURATION:  # also catches inf from a number with 400 digits
        raise UsageError(
            f"duration {text[:40]!r} is too long",
            hint="the longest duration is 36500d (100 years); use a shorter one",
        )
    return seconds


def format_duration(seconds: float) -> str:
    """The inverse for display: 90 → ``1m30s``."""
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    parts = []
    rest = round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts) or "0s"
