"""Map a TOML key path to ``(line, col)`` in the text it came from.

``tomllib`` gives values, not positions. :class:`Locator` re-reads the text
with a small scanner that knows just enough TOML to record where every key and
value starts: ``[table]`` and ``[[array.of.tables]]`` headers (with a counter
per array, so ``("act", 2, "input", 0)`` is the first ``[[act.input]]`` under
the third ``[[act]]``), dotted keys, quoted keys, inline tables, arrays, and
every kind of string (multi-line ones included); comments are skipped.

The scanner is only asked about text ``tomllib`` already accepted, but it never
raises: on anything it does not understand it moves on, and a path it did not
record falls back to the nearest recorded parent, then to line 1, column 1.
"""

from __future__ import annotations

import bisect
import contextlib
from dataclasses import dataclass

Path = tuple[str | int, ...]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_WS = " \t"


@dataclass
class _Entry:
    key: int  # offset of the key (or of the table header)
    value: int  # offset where the value starts (header offset for tables)
    str_kind: str = ""  # "basic", "literal", "ml_basic", "ml_literal" for strings
    str_start: int = 0  # offset of the first character of the string's content


class Locator:
    """Positions of keys and values in one TOML text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self._line_starts.append(i + 1)
        self._entries: dict[Path, _Entry] = {}
        self._aot: dict[Path, int] = {}
        self._i = 0
        with contextlib.suppress(IndexError, ValueError, RecursionError):
            self._scan()  # never raises on valid TOML; defensive on anything else

    # ------------------------------------------------------------------ public

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, col) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def key(self, path: Path) -> tuple[int, int]:
        """Where the key of ``path`` is written (a table's header for tables)."""
        entry = self._find(path)
        return self.position(entry.key) if entry else (1, 1)

    def value(self, path: Path) -> tuple[int, int]:
        """Where the value of ``path`` starts."""
        entry = self._find(path)
        return self.position(entry.value) if entry else (1, 1)

    def inside(self, path: Path, offset: int) -> tuple[int, int]:
        """Where character ``offset`` of the (decoded) string at ``path`` is written.

        Falls back to the start of the value when ``path`` is not a string.
        """
        entry = self._entries.get(path)
        if entry is None or not entry.str_kind:
            return self.value(path)
        return self.position(self._raw_offset(entry, offset))

    def has(self, path: Path) -> bool:
        return path in self._entries

    # ----------------------------------------------------------------- lookup

    def _find(self, path: Path) -> _Entry | None:
        while path:
            entry = self._entries.get(path)
            if entry is not None:
                return entry
            path = path[:-1]
        return None

    def _raw_offset(self, entry: _Entry, offset: int) -> int:
        """Translate an offset in the decoded string into an offset in the text."""
        text = self.text
        i = entry.str_start
        kind = entry.str_kind
        if kind.startswith("ml_"):
            if text.startswith("\r\n", i):
                i += 2
            elif text.startswith("\n", i):
                i += 1
        decoded = 0
        n = len(text)
        while i < n and decoded < offset:
            ch = text[i]
            if kind in ("basic", "ml_basic") and ch == "\\":
                nxt = text[i + 1] if i + 1 < n else ""
                if nxt == "u":
                    i += 6
                elif nxt == "U":
                    i += 10
                elif kind == "ml_basic" and nxt in " \t\r\n":
                    # line-ending backslash: swallow whitespace and newlines
                    j = i + 1
                    while j < n and text[j] in " \t\r\n":
                        j += 1
                    i = j
                    continue
                else:
                    i += 2
                decoded += 1
                continue
            if ch == "\r" and text.startswith("\r\n", i) and kind.startswith("ml_"):
                i += 2
                decoded += 1
                continue
            i += 1
            decoded += 1
        return i

    # ---------------------------------------------------------------- scanner

    def _scan(self) -> None:
        text = self.text
        n = len(text)
        current: Path = ()
        while self._i < n:
            self._skip_blank(newlines=True)
            if self._i >= n:
                break
            start = self._i
            ch = text[start]
            if ch == "[":
                double = text.startswith("[[", start)
                self._i += 2 if double else 1
                segs = self._key_segments()
                self._skip_ws()
                self._i += 2 if double else 1  # closing bracket(s)
                if not segs:
                    self._skip_line()
                    continue
                names = tuple(s for s, _ in segs)
                if double:
                    parent = self._resolve(names[:-1])
                    for depth in range(1, len(parent) + 1):
                        self._entries.setdefault(parent[:depth], _Entry(start, start))
                    array_path = (*parent, names[-1])
                    index = self._aot.get(array_path, -1) + 1
                    self._aot[array_path] = index
                    self._entries.setdefault(array_path, _Entry(start, start))
                    current = (*array_path, index)
                else:
                    current = self._resolve(names)
                    # tables only defined through this header ([config.gemini] defines
                    # [config]) are located at it, not at 1:1
                    for depth in range(1, len(current)):
                        self._entries.setdefault(current[:depth], _Entry(start, start))
                self._entries[current] = _Entry(start, start)
                self._skip_line()
            elif ch in _BARE or ch in "\"'":
                self._key_value(current)
                self._skip_line()
            else:
                self._i += 1

    def _resolve(self, names: tuple[str, ...]) -> Path:
        path: Path = ()
        for name in names:
            path = (*path, name)
            if path in self._aot:
                path = (*path, self._aot[path])
        return path

    def _skip_ws(self) -> None:
        text, n = self.text, len(self.text)
        while self._i < n and text[self._i] in _WS:
            self._i += 1

    def _skip_blank(self, *, newlines: bool) -> None:
        """Skip spaces, comments and (optionally) newlines."""
        text, n = self.text, len(self.text)
        while self._i < n:
            ch = text[self._i]
            if ch in _WS or (newlines and ch in "\r\n"):
                self._i += 1
            elif ch == "#":
                while self._i < n and text[self._i] != "\n":
                    self._i += 1
            else:
                break

    def _skip_line(self) -> None:
        text, n = self.text, len(self.text)
        while self._i < n and text[self._i] != "\n":
            self._i += 1

    def _key_segments(self) -> list[tuple[str, int]]:
        """Read a (dotted) key; return each segment with its offset."""
        text, n = self.text, len(self.text)
        segs: list[tuple[str, int]] = []
        while self._i < n:
            self._skip_ws()
            if self._i >= n:
                break
            start = self._i
            ch = text[start]
            if ch == '"':
                name, self._i = self._basic_string_value(start + 1)
            elif ch == "'":
                end = text.find("'", start + 1)
                end = n if end < 0 else end
                name, self._i = text[start + 1 : end], end + 1
            elif ch in _BARE:
                j = start
                while j < n and text[j] in _BARE:
                    j += 1
                name, self._i = text[start:j], j
            else:
                break
            segs.append((name, start))
            self._skip_ws()
            if self._i < n and text[self._i] == ".":
                self._i += 1
                continue
            break
        return segs

    def _basic_string_value(self, i: int) -> tuple[str, int]:
        """Decode a single-line basic string whose content starts at ``i``."""
        import json

        text, n = self.text, len(self.text)
        j = i
        while j < n and text[j] not in '"\n':
            j += 2 if text[j] == "\\" else 1
        raw = text[i : min(j, n)]
        try:
            value = json.loads(f'"{raw}"')
            name = value if isinstance(value, str) else raw
        except ValueError:
            name = raw
        return name, j + 1

    def _key_value(self, table: Path) -> None:
        text, n = self.text, len(self.text)
        segs = self._key_segments()
        if not segs:
            self._i += 1
            return
        path = table
        for name, offset in segs:
            path = (*path, name)
            self._entries.setdefault(path, _Entry(offset, offset))
        self._skip_ws()
        if self._i < n and text[self._i] == "=":
            self._i += 1
        self._skip_ws()
        self._entries[path] = _Entry(segs[-1][1], self._i)
        self._value(path)

    def _value(self, path: Path, depth: int = 0) -> None:
        text, n = self.text, len(self.text)
        if self._i >= n or depth > 200:
            return
        start = self._i
        entry = self._entries.setdefault(path, _Entry(start, start))
        entry.value = start
        ch = text[start]
        if text.startswith('"""', start) or text.startswith("'''", start):
            quote = text[start]
            entry.str_kind = "ml_basic" if quote == '"' else "ml_literal"
            entry.str_start = start + 3
            j = start + 3
            while j < n:
                if quote == '"' and text[j] == "\\":
                    j += 2
                    continue
                if text.startswith(quote * 3, j):
                    j += 3
                    extra = 0
                    while j < n and text[j] == quote and extra < 2:
                        j += 1
                        extra += 1
                    break
                j += 1
            self._i = j
        elif ch == '"':
            entry.str_kind, entry.str_start = "basic", start + 1
            _, self._i = self._basic_string_value(start + 1)
        elif ch == "'":
            entry.str_kind, entry.str_start = "literal", start + 1
            end = text.find("'", start + 1)
            self._i = n if end < 0 else end + 1
        elif ch == "[":
            self._i += 1
            index = 0
            while self._i < n:
                self._skip_blank(newlines=True)
                if self._i >= n or text[self._i] == "]":
                    self._i += 1
                    break
                before = self._i
                self._value((*path, index), depth + 1)
                index += 1
                self._skip_blank(newlines=True)
                if (self._i < n and text[self._i] == ",") or self._i == before:
                    self._i += 1
        elif ch == "{":
            self._i += 1
            while self._i < n:
                self._skip_ws()
                if self._i >= n or text[self._i] in "}\n":
                    self._i += 1
                    break
                before = self._i
                segs = self._key_segments()
                if segs:
                    sub = path
                    for name, offset in segs:
                        sub = (*sub, name)
                        self._entries.setdefault(sub, _Entry(offset, offset))
                    self._entries[sub] = _Entry(segs[-1][1], self._i)
                    self._skip_ws()
                    if self._i < n and text[self._i] == "=":
                        self._i += 1
                    self._skip_ws()
                    self._value(sub, depth + 1)
                self._skip_ws()
                if (self._i < n and text[self._i] == ",") or self._i == before:
                    self._i += 1
        else:
            j = start
            while j < n and text[j] not in ",]}\n#":
                j += 1
            self._i = j
