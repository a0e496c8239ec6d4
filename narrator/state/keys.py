"""Key and value rules shared by every repository, and the prefix-range helper.

Pure: no database import. Each repository validates through these functions
*before* touching storage, so bad input never leaves anything half-written.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from narrator.errors import InvalidKey, InvalidValue

MAX_KEY_LENGTH = 512
MAX_VALUE_DEPTH = 64  # arrays and objects nested in one another inside one value

# Code points a key may never contain: whitespace and control characters.
_FORBIDDEN = frozenset(
    [chr(c) for c in range(0x21)]
    + [chr(0x7F)]
    + [chr(c) for c in range(0x80, 0xA1)]
    + ["\u1680", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff"]
    + [chr(c) for c in range(0x2000, 0x200C)]
)

# One scan for both checks below (forbidden characters, lone surrogates).
_SUSPECT = re.compile("[" + "".join(re.escape(ch) for ch in sorted(_FORBIDDEN)) + "\ud800-\udfff]")

# The largest code point; a prefix range ends just past every key that starts with it.
_MAX_CHAR = "\U0010ffff"


def validate_key(key: object) -> str:
    """Return ``key`` if it can be stored, else raise :class:`InvalidKey` naming it."""
    if not isinstance(key, str):
        raise InvalidKey(
            f"state key {key!r} is a {type(key).__name__}, not a string",
            hint="keys are dotted strings such as 'global.counter'",
        )
    if not key:
        raise InvalidKey("state key is empty", hint="give a non-empty dotted key like 'global.x'")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(
            f"state key {key[:40]!r}... is {len(key)} characters long "
            f"(the limit is {MAX_KEY_LENGTH})",
            hint="use a shorter key; store long data in the value instead",
        )
    suspect = _SUSPECT.search(key)
    if suspect is None:
        return key
    if suspect.group() in _FORBIDDEN:
        bad = suspect.group()
        raise InvalidKey(
            f"state key {key!r} contains whitespace or a control character (U+{ord(bad):04X})",
            hint="use dots, letters, digits, '-' and '_' in keys",
        )
    raise InvalidKey(
        f"state key {key!r} contains a lone surrogate", hint="keys must be valid Unicode"
    )


def validate_prefix(prefix: object) -> str:
    """A prefix may be empty (everything); otherwise it follows the key rules."""
    if prefix == "":
        return ""
    return validate_key(prefix)


def prefix_end(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``.

    ``key >= prefix AND key < prefix_end(prefix)`` selects exactly the keys that
    start with ``prefix`` and is an index range scan on every engine. None means
    "no upper bound" (the empty prefix, or a prefix of only U+10FFFF).
    """
    stripped = prefix.rstrip(_MAX_CHAR)
    if not stripped:
        return None
    return stripped[:-1] + chr(ord(stripped[-1]) + 1)


def _check_json(key: str, value: Any, path: str) -> None:
    if value is None or isinstance(value, bool | str):
        if isinstance(value, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise InvalidValue(
                f"value for state key {key!r}{path} holds a lone surrogate",
                hint="store valid Unicode text",
            )
        return
    if isinstance(value, int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValue(
                f"value for state key {key!r}{path} is {value!r}, which JSON cannot hold",
                hint="store a finite number, or a string",
            )
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json(key, item, f"{path}[{index}]")
        return
    if isinstance(value, Mapping):
        for name, item in value.items():
            if not isinstance(name, str):
                raise InvalidValue(
                    f"value for state key {key!r}{path} has a non-string object key {name!r}",
                    hint="JSON object keys are strings",
                )
            _check_json(key, item, f"{path}.{name}")
        return
    raise InvalidValue(
        f"value for state key {key!r}{path} is a {type(value).__name__}, "
        "which is not JSON-serialisable",
        hint="store None, bool, int, float, str, list or dict (convert objects first, "
        "e.g. model.model_dump(mode='json'))",
    )


# one encoder for every value: json.dumps with options builds a new encoder per call
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def dump_value(key: str, value: Any) -> str:
    """Serialise ``value`` to compact JSON text, or raise :class:`InvalidValue` naming ``key``."""
    try:
        text = _ENCODER.encode(value)
        text.encode("utf-8")  # lone surrogates: no engine can store them
    except (TypeError, ValueError, RecursionError):
        _check_json(key, value, "")
        if value_depth(value) > MAX_VALUE_DEPTH:
            raise _too_deep(key) from None
        raise InvalidValue(  # a reference cycle, or something _check_json let through
            f"value for state key {key!r} is not JSON-serialisable",
            hint="store plain JSON data without reference cycles",
        ) from None
    # brackets are a cheap upper bound of the depth; walk only when it could be too deep
    if text.count("[") + text.count("{") > MAX_VALUE_DEPTH and value_depth(value) > MAX_VALUE_DEPTH:
        raise _too_deep(key)
    return text


def _too_deep(key: str) -> InvalidValue:
    return InvalidValue(
        f"value for state key {key!r} is nested more than {MAX_VALUE_DEPTH} levels deep",
        hint="store a flatter value (split it over several keys)",
    )


def value_depth(value: Any, limit: int = MAX_VALUE_DEPTH) -> int:
    """How deeply lists and dicts nest in ``value``: counts past ``limit`` only; no recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    seen = 0
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        seen += 1
        if deepest > limit or seen > 1_000_000:  # a reference cycle would never end
            return deepest if deepest > limit else limit + 1
        stack.extend((child, depth) for child in children)
    return deepest


def dump_metadata(key: str, metadata: Mapping[str, Any] | None) -> str | None:
    if not metadata:
        return None
    try:
        return json.dumps(dict(metadata), ensure_ascii=False, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError):
        raise InvalidValue(
            f"metadata for state key {key!r} is not JSON-serialisable",
            hint="metadata holds plain strings such as run_id, narrative and act",
        ) from None


def load_value(text: str | None) -> Any:
    return None if text is None else json.loads(text)
