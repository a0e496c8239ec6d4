"""Narrative names name files (convert's companions) and keys: no '/', '\\', or leading '.'
in either dialect, located at the name; convert never builds a path from one."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrator.errors import NarrativeInvalid
from narrator.parser import parse
from narrator.parser.stored import parse_stored
from tests.e2e.cli import Cli

MULTI = (
    '[narrative."../../esc"]\ndescription = "x"\ntoc = ["write"]\n\n'
    '[narrative.main]\ndescription = "y"\ntoc = ["compose"]\n\n'
    '[acts]\nwrite = "Write."\n\n[acts.compose]\nnarrative = "../../esc"\n'
)
NATIVE = (
    '[narrative]\nname = "{name}"\n[[act]]\nname = "a"\n[[act.input]]\ntype = "text"\n'
    'content = "hi"\n'
)
SINGLE = '[narrative]\nname = "{name}"\ndescription = "d"\n[toc]\norder = ["a"]\n[acts]\na = "hi"\n'


@pytest.mark.parametrize("name", ["../x", "a/b", "a\\\\b", ".hidden"])
@pytest.mark.parametrize("template", [NATIVE, SINGLE], ids=["native", "botticelli"])
def test_a_narrative_name_with_a_path_in_it_is_refused_at_its_line(
    template: str, name: str
) -> None:
    with pytest.raises(NarrativeInvalid) as info:
        parse(template.format(name=name), "n.toml")
    (problem,) = info.value.problems
    assert str(problem.location) == "n.toml:2:8"
    assert "may not contain '/' or '\\' or start with '.'" in problem.message


def test_ordinary_names_still_load() -> None:
    assert parse(NATIVE.format(name="daily-digest_2"), "n.toml").name == "daily-digest_2"
    assert parse(SINGLE.format(name="a.b"), "n.toml").name == "a.b"  # a dot inside is fine


def test_a_narrative_table_named_like_a_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NarrativeInvalid) as info:
        parse(MULTI, "m.toml", narrative="main")
    (problem,) = info.value.problems
    assert str(problem.location) == "m.toml:1:1"
    assert 'narrative name "../../esc"' in problem.message
    cli = Cli(tmp_path)
    cli.write("m.toml", MULTI)
    (tmp_path / "sub").mkdir()
    result = cli("convert", "m.toml", "--narrative", "main", "-o", "sub/out.toml")
    assert result.code == 2, result.out + result.err
    assert "m.toml:1:1: narrative name" in result.err
    assert sorted(p.name for p in tmp_path.rglob("*.toml")) == ["m.toml"]  # nothing written


def test_a_file_missing_from_memory_says_what_the_caller_says() -> None:
    text = '[[act]]\nname = "a"\nnarrative = "other"\n'
    with pytest.raises(NarrativeInvalid, match="schedule refresh"):
        parse_stored(text, {}, "/s/n.toml")  # a schedule's stored copy: refresh it
    with pytest.raises(NarrativeInvalid) as info:
        parse_stored(text, {}, "/s/n.toml", missing="is not a file convert writes")
    assert "'other.toml' is not a file convert writes" in str(info.value)
    assert "schedule" not in str(info.value)
