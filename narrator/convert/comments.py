"""The comments of a TOML text, by line, so ``convert`` can carry them over.

A TOML comment is a ``#`` outside a string, up to the end of its line. The
scanner below knows every kind of string (basic, literal and their multi-line
forms), so a ``#`` inside a prompt is never mistaken for a comment. It is only
asked about text ``tomllib`` accepted.

Two kinds of comment matter: the block of whole-line comments directly above a
key or table header (it describes what follows), and the comment at the end of
a key's line. Each comment is handed out once: :meth:`Comments.above` and
:meth:`Comments.after` remember what they gave, and :meth:`Comments.unused`
lists the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Comment:
    line: int  # 1-based
    col: int  # 1-based column of the '#'
    text: str  # from the '#' to the end of the line, right-stripped
    whole_line: bool  # nothing but whitespace before the '#'


def scan(text: str) -> list[Comment]:
    """Every comment of ``text``, in order."""
    found: list[Comment] = []
    i, n, line, line_start = 0, len(text), 1, 0
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            line_start = i + 1
            i += 1
        elif ch == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            before = text[line_start:i]
            body = text[i:end].rstrip("\r").rstrip()
            found.append(Comment(line, i - line_start + 1, body, not before.strip()))
            i = end
        elif ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            j = i + len(quote)
            while j < n:
                if ch == '"' and text[j] == "\\":
                    j += 2
                    continue
                if text.startswith(quote, j):
                    break
                if len(quote) == 1 and text[j] == "\n":  # unterminated: stop at the line end
                    break
                j += 1
            if len(quote) == 3:  # up to two more quotes belong to the string: """a""""
                extra = 0
                while extra < 2 and j + 3 < n and text[j + 3] == ch:
                    j += 1
                    extra += 1
            segment = text[i : j + len(quote)]
            newlines = segment.count("\n")
            if newlines:
                line += newlines
                line_start = i + segment.rfind("\n") + 1
            i = j + len(quote)
        else:
            i += 1
    return found


@dataclass
class Comments:
    """The comments of one text, handed out once each."""

    text: str
    _all: list[Comment] = field(default_factory=list)
    _by_line: dict[int, Comment] = field(default_factory=dict)
    _used: set[int] = field(default_factory=set)  # lines whose comment was handed out

    def __post_init__(self) -> None:
        self._all = scan(self.text)
        self._by_line = {c.line: c for c in self._all}
        self._lines = self.text.split("\n")

    def header(self) -> list[str]:
        """The file's opening comments, before its first key or table, as one block.

        Blank lines inside it are kept; the last group of comments is the first table's
        own when no blank line separates them (it is left for :meth:`above`).
        """
        lines: list[int] = []
        for number, raw in enumerate(self._lines, 1):
            if not raw.strip():
                lines.append(0)  # a blank line
                continue
            comment = self._by_line.get(number)
            if comment is None or not comment.whole_line:
                while lines and lines[-1] != 0:  # attached to this first key or table
                    lines.pop()
                break
            lines.append(number)
        out: list[str] = []
        for number in lines:
            if number == 0:
                if out and out[-1]:
                    out.append("")
            elif number not in self._used:
                self._used.add(number)
                out.append(self._by_line[number].text)
        while out and not out[-1]:
            out.pop()
        return out

    def above(self, line: int) -> list[str]:
        """The whole-line comments directly above ``line`` (no blank line between)."""
        block: list[str] = []
        number = line - 1
        while number >= 1:
            comment = self._by_line.get(number)
            if comment is None or not comment.whole_line or number in self._used:
                break
            block.append(comment.text)
            self._used.add(number)
            number -= 1
        block.reverse()
        return block

    def after(self, line: int) -> str | None:
        """The comment at the end of ``line`` (after a key and its value)."""
        comment = self._by_line.get(line)
        if comment is None or comment.whole_line or line in self._used:
            return None
        self._used.add(line)
        return comment.text

    def unused(self) -> list[Comment]:
        return [c for c in self._all if c.line not in self._used]
