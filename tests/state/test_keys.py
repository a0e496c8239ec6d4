"""Pure helpers: key rules, prefix ranges, durations."""

from __future__ import annotations

import pytest

from narrator.durations import format_duration, parse_duration
from narrator.errors import UsageError
from narrator.state.keys import prefix_end


@pytest.mark.parametrize(
    ("prefix", "end"),
    [
        ("", None),
        ("a.", "a/"),
        ("discord.1.", "discord.1/"),
        ("z", "{"),
        ("é", "ê"),
        ("a\U0010ffff", "b"),
        ("\U0010ffff", None),
    ],
)
def test_prefix_end_is_the_first_string_after_every_key_with_the_prefix(
    prefix: str, end: str | None
) -> None:
    assert prefix_end(prefix) == end


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("2h", 7200),
        ("1d", 86400),
        ("1h30m", 5400),
        ("90", 90),
        ("1.5h", 5400),
        ("250ms", 0.25),
        (" 2 m ", 120),
    ],
)
def test_durations_read_like_30s_5m_2h_1d(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5 parsecs", "m5", "0s", "-5m", "5mm"])
def test_bad_durations_are_usage_errors_that_show_the_format(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_duration(text)
    assert caught.value.exit_code == 2


def test_format_duration_is_compact() -> None:
    assert format_duration(5400) == "1h30m"
    assert format_duration(0.25) == "250ms"
