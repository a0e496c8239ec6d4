"""Pure text helpers: message splitting, mentions, colours. No I/O, no discord.py."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

MESSAGE_LIMIT = 2000
_ZWJ = "\u200d"


def _units(ch: str) -> int:
    """UTF-16 code units of one code point: Discord's strictest way to count."""
    return 2 if ord(ch) > 0xFFFF else 1


def _extends(ch: str) -> bool:
    """True for code points that belong to the character before them."""
    cp = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or ch == _ZWJ
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0x1F3FB <= cp <= 0x1F3FF  # skin tones
        or 0xE0020 <= cp <= 0xE007F  # tag characters (flag sequences)
    )


def _safe_cut(text: str, cut: int) -> int:
    """Move ``cut`` left so it does not fall inside a user-perceived character."""
    i = cut
    while 0 < i < len(text) and (_extends(text[i]) or text[i - 1] == _ZWJ):
        i -= 1
    return i if i > 0 else cut


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` UTF-16 units.

    Cuts after the last newline that fits, else after the last whitespace,
    else at a character boundary (never inside a code point, and not between a
    character and its combining marks, variation selectors or ZWJ sequence
    unless that sequence alone is longer than ``limit``). ``"".join(result) ==
    text`` always holds; an empty text gives ``[""]``.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    chunks: list[str] = []
    rest = text
    while sum(_units(c) for c in rest) > limit:
        used, fit = 0, 0
        for ch in rest:
            if used + _units(ch) > limit:
                break
            used += _units(ch)
            fit += 1
        window = rest[:fit]
        newline = window.rfind("\n")
        if newline > 0:
            cut = newline + 1
        else:
            space = max(window.rfind(c) for c in (" ", "\t"))
            cut = space + 1 if space > 0 else _safe_cut(rest, fit)
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    return [c for c in chunks if c] or [""]


def allowed_mentions(
    mentions: Iterable[str] | None, *, from_model: bool, role_ids: dict[str, str]
) -> dict[str, Any]:
    """The ``allowed_mentions`` object for a message.

    ``mentions`` lists ``everyone`` (also ``here``), ``users``, ``roles``,
    role names, or ids. ``None`` means the default: nothing for model text;
    users and roles (never @everyone/@here) for static text.
    """
    if mentions is None:
        return {"parse": []} if from_model else {"parse": ["users", "roles"]}
    parse: set[str] = set()
    users: list[str] = []
    roles: list[str] = []
    for raw in mentions:
        item = str(raw).strip().lstrip("@")
        low = item.lower()
        if low in ("everyone", "here"):
            parse.add("everyone")
        elif low in ("users", "roles"):
            parse.add(low)
        elif item in role_ids:
            roles.append(role_ids[item])
        elif item in role_ids.values():
            roles.append(item)
        elif item.isdigit():
            users.append(item)
    out: dict[str, Any] = {"parse": sorted(parse)}
    if users and "users" not in parse:
        out["users"] = users[:100]
    if roles and "roles" not in parse:
        out["roles"] = roles[:100]
    return out


def parse_color(value: Any) -> int:
    """``"#rrggbb"``, ``"0xrrggbb"``, ``"rrggbb"`` or an int → int."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError(f"not a colour: {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip().lower()
    for prefix in ("#", "0x"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if len(text) != 6:
        raise ValueError(f'not a colour: {value!r} (use "#rrggbb")')
    return int(text, 16)


CHANNEL_KINDS: dict[str, int] = {
    "text": 0,
    "voice": 2,
    "category": 4,
    "announcement": 5,
    "news": 5,
    "stage": 13,
    "forum": 15,
}
KIND_NAMES: dict[int, str] = {
    0: "text",
    2: "voice",
    4: "category",
    5: "announcement",
    10: "announcement_thread",
    11: "public_thread",
    12: "private_thread",
    13: "stage",
    15: "forum",
}


def normalize_channel_name(name: str, kind: int) -> str:
    """How Discord stores a name: text-like channels are lower-case with dashes."""
    if kind in (0, 5, 15):
        return "-".join(name.strip().lower().split())
    return name.strip()
