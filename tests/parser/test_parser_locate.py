"""The locator maps TOML key paths to 1-based (line, col) without a TOML library."""

from __future__ import annotations

import tomllib

from narrator.parser.locate import Locator

TEXT = """\
# a comment with [brackets] and key = "value"
[narrative]
name = "x"  # trailing comment

[[act]]
name = "a"
mentions = ["x", 'y']
[[act.input]]
type = "bot_command"
[act.input.args]
"quoted key" = 1
dotted.deep = true

[[act]]
name = "b"
inline = { a.b = 1, c = "q{act.z.output}" }
multi = \"\"\"
not = "a key"
[not.a.table]
\"\"\"
[[act.input]]
content = '''
literal {state.x}'''
[[act.input]]
content = "esc\\u00e9 \\"{act.a.output}"
"""


def test_keys_and_values_of_plain_tables() -> None:
    loc = Locator(TEXT)
    assert loc.key(("narrative", "name")) == (3, 1)
    assert loc.value(("narrative", "name")) == (3, 8)


def test_array_of_tables_are_counted_per_parent() -> None:
    loc = Locator(TEXT)
    assert loc.key(("act", 0)) == (5, 1)
    assert loc.key(("act", 1)) == (14, 1)
    assert loc.key(("act", 0, "input", 0)) == (8, 1)
    assert loc.key(("act", 1, "input", 0)) == (21, 1)
    assert loc.key(("act", 1, "input", 1)) == (24, 1)


def test_sub_tables_of_array_elements_and_quoted_and_dotted_keys() -> None:
    loc = Locator(TEXT)
    assert loc.key(("act", 0, "input", 0, "args")) == (10, 1)
    assert loc.key(("act", 0, "input", 0, "args", "quoted key")) == (11, 1)
    assert loc.value(("act", 0, "input", 0, "args", "quoted key")) == (11, 16)
    assert loc.key(("act", 0, "input", 0, "args", "dotted", "deep")) == (12, 8)


def test_array_elements_and_inline_tables() -> None:
    loc = Locator(TEXT)
    assert loc.value(("act", 0, "mentions", 1)) == (7, 18)
    assert loc.key(("act", 1, "inline", "a", "b")) == (16, 14)
    assert loc.value(("act", 1, "inline", "c")) == (16, 25)


def test_multiline_strings_are_skipped_not_scanned() -> None:
    loc = Locator(TEXT)
    assert not loc.has(("not",))
    assert not loc.has(("act", 1, "not"))
    assert loc.key(("act", 1, "input", 0)) == (21, 1)


def test_offsets_inside_strings_follow_escapes_and_multiline_starts() -> None:
    loc = Locator(TEXT)
    data = tomllib.loads(TEXT)
    inline = data["act"][1]["inline"]["c"]
    assert loc.inside(("act", 1, "inline", "c"), inline.index("{")) == (16, 27)
    literal = data["act"][1]["input"][0]["content"]
    assert loc.inside(("act", 1, "input", 0, "content"), literal.index("{")) == (23, 9)
    escaped = data["act"][1]["input"][1]["content"]
    assert escaped == 'escé "{act.a.output}'
    assert loc.inside(("act", 1, "input", 1, "content"), escaped.index("{")) == (25, 24)


def test_unknown_paths_fall_back_to_the_nearest_parent_then_to_line_one() -> None:
    loc = Locator(TEXT)
    assert loc.key(("act", 1, "input", 0, "args", "nothing")) == (21, 1)
    assert loc.key(("nowhere",)) == (1, 1)


def test_garbage_never_raises() -> None:
    for text in ["[", "[[", "a = [1, {", '"""', "x = '''", "= = =", "[a.'b", "\x00\n[\n"]:
        loc = Locator(text)
        assert loc.key(("a",)) >= (1, 1)
