"""Pure helpers: message splitting (property-tested), mentions, colours."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from narrator.platforms.discord.text import (
    allowed_mentions,
    normalize_channel_name,
    parse_color,
    split_message,
)

PIECES = st.one_of(
    st.sampled_from(["\n", " ", "a", "e\u0301", "👍", "👨\u200d👩\u200d👧", "🇫🇷", "👍🏽"]),
    st.characters(),
)
TEXT = st.lists(PIECES, max_size=3000).map("".join)


def _units(text: str) -> int:
    # surrogatepass: JSON may carry a lone surrogate ("\\ud800"); it is one unit, as counted
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@settings(max_examples=150, deadline=None)
@given(TEXT, st.integers(min_value=20, max_value=2000))
def test_split_never_loses_text_and_respects_the_limit(text: str, limit: int) -> None:
    """Chunks join back to the input and none exceeds the limit in UTF-16 units."""
    chunks = split_message(text, limit)
    assert "".join(chunks) == text
    assert all(_units(c) <= limit for c in chunks)
    assert all(chunks) or chunks == [""]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="abcdefgh", min_size=1, max_size=30), min_size=1, max_size=400))
def test_split_cuts_on_word_boundaries_when_words_fit(words: list[str]) -> None:
    """With words shorter than the limit, every chunk but the last ends at a space."""
    text = " ".join(words)
    chunks = split_message(text, 100)
    assert all(c.endswith(" ") for c in chunks[:-1])


def test_split_prefers_line_boundaries() -> None:
    """Lines are kept whole when they fit."""
    text = "\n".join(["x" * 900] * 5)
    chunks = split_message(text)
    assert [len(c) for c in chunks] == [1802, 1802, 900]
    assert all(c.endswith("\n") for c in chunks[:-1])


def test_split_never_separates_a_combining_sequence() -> None:
    """A hard cut moves left rather than splitting a ZWJ emoji family or an accent."""
    family = "👨\u200d👩\u200d👧"
    text = "a" * 1998 + family
    chunks = split_message(text)
    assert chunks[-1] == family
    accent = "b" * 1999 + "e\u0301"
    assert split_message(accent)[-1] == "e\u0301"


def test_allowed_mentions_defaults_and_lists() -> None:
    """Model text: none; static text: users+roles; listed names resolve to role ids."""
    assert allowed_mentions(None, from_model=True, role_ids={}) == {"parse": []}
    assert allowed_mentions(None, from_model=False, role_ids={}) == {"parse": ["users", "roles"]}
    listed = allowed_mentions(["@everyone", "Mods", "42"], from_model=True, role_ids={"Mods": "7"})
    assert listed == {"parse": ["everyone"], "users": ["42"], "roles": ["7"]}


def test_colour_and_names() -> None:
    """Colours parse from #rrggbb and ints; text channel names normalise like Discord."""
    assert parse_color("#3498db") == 0x3498DB and parse_color(5) == 5
    assert normalize_channel_name("Hello World", 0) == "hello-world"
    assert normalize_channel_name("Lounge", 2) == "Lounge"
