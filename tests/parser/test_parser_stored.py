"""Narratives kept as text (what a schedule stores): snapshot, pure parse, drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrator.errors import NarrativeInvalid
from narrator.parser import parse_file
from narrator.parser.stored import (
    StoredNarrative,
    disk_drift,
    narrative_hash,
    parse_stored,
    snapshot_file,
)

OUTER = """\
[narrative]
name = "outer"
[toc]
order = ["make"]
[narratives.make]
narrative = "parts/inner"
[acts]
make = ["narratives.make"]
"""

INNER = """\
[narrative]
name = "inner"
[toc]
order = ["deeper"]
[acts.deeper]
narrative = "leaf"
"""

LEAF = """\
[narrative]
name = "leaf"
[toc]
order = ["say"]
[acts]
say = "Say {word}."
"""


def _tree(root: Path, word: str = "hello") -> Path:
    (root / "parts").mkdir(exist_ok=True)
    (root / "parts" / "inner.toml").write_text(INNER, encoding="utf-8")
    (root / "parts" / "leaf.toml").write_text(LEAF.replace("{word}", word), encoding="utf-8")
    outer = root / "outer.toml"
    outer.write_text(OUTER, encoding="utf-8")
    return outer


def _leaf_text(plan: object) -> str:
    make = plan.acts[0]  # type: ignore[attr-defined]
    leaf = make.subplan.acts[0].subplan
    return str(leaf.acts[0].text_inputs[0].content)


def test_snapshot_records_every_nested_file_relative_to_the_scheduled_file(tmp_path: Path) -> None:
    """Nested files of nested files are stored too, keyed by path relative to the top file."""
    plan, stored = snapshot_file(_tree(tmp_path))
    assert stored.text == OUTER
    assert sorted(stored.files) == ["parts/inner.toml", "parts/leaf.toml"]
    assert _leaf_text(plan) == "Say hello."
    assert stored.hash == narrative_hash(OUTER, stored.files) and len(stored.hash) == 64


def test_parse_stored_reads_nested_files_from_the_mapping_not_the_disk(tmp_path: Path) -> None:
    """After the files on disk are edited or deleted, the stored copy parses as it was."""
    outer = _tree(tmp_path)
    _, stored = snapshot_file(outer)
    _tree(tmp_path, word="goodbye")
    assert _leaf_text(parse_file(outer)) == "Say goodbye."
    assert _leaf_text(parse_stored(stored.text, stored.files, str(outer))) == "Say hello."
    for path in sorted(tmp_path.rglob("*.toml")):
        path.unlink()
    assert _leaf_text(parse_stored(stored.text, stored.files, str(outer))) == "Say hello."
    elsewhere = "/nowhere/at/all/outer.toml"
    assert _leaf_text(parse_stored(stored.text, stored.files, elsewhere)) == "Say hello."


def test_a_nested_file_missing_from_the_mapping_is_a_located_problem_naming_refresh() -> None:
    with pytest.raises(NarrativeInvalid) as info:
        parse_stored(OUTER, {}, "/srv/outer.toml")
    message = str(info.value)
    assert "/srv/outer.toml:6:13" in message
    assert "'parts/inner.toml' was not stored" in message
    assert "narrator schedule refresh" in message


def test_disk_drift_says_same_changed_or_missing(tmp_path: Path) -> None:
    outer = _tree(tmp_path)
    _, stored = snapshot_file(outer)
    assert disk_drift(str(outer), stored) == "same"
    (tmp_path / "parts" / "leaf.toml").write_text(LEAF.replace("{word}", "x"), encoding="utf-8")
    assert disk_drift(str(outer), stored) == "changed"
    (tmp_path / "parts" / "leaf.toml").unlink()
    assert disk_drift(str(outer), stored) == "missing"
    assert disk_drift(str(tmp_path / "gone.toml"), StoredNarrative("x")) == "missing"


def test_the_hash_changes_with_any_nested_file() -> None:
    assert narrative_hash("a", {"b.toml": "1"}) != narrative_hash("a", {"b.toml": "2"})
    assert narrative_hash("a", {}) == StoredNarrative("a").hash


def test_a_stored_narrative_cannot_read_a_secret_variable(tmp_path: Path) -> None:
    """The secrets narrator.toml names stay unreadable in stored text, as in a file."""
    text = VERSIONED_SECRET
    with pytest.raises(NarrativeInvalid, match="MY_TOKEN"):
        parse_stored(text, {}, "/srv/x.toml", secrets={"MY_TOKEN"})
    path = tmp_path / "x.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(NarrativeInvalid, match="MY_TOKEN"):
        snapshot_file(path, secrets={"MY_TOKEN"})


VERSIONED_SECRET = """\
[narrative]
name = "leaky"
[[act]]
name = "post"
[[act.input]]
type = "text"
content = "token ${MY_TOKEN}"
"""
