"""``state list --narrative NAME`` and ``--internal`` (issue 15)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli import Cli

SETUP = str(Path(__file__).resolve().parents[2] / "narratives" / "discord" / "community_setup.toml")

OTHER = """
[narrative]
name = "other"

[[act]]
name = "note"
context = "none"
output_var = "other.note"
[[act.input]]
type = "text"
content = "hello"
"""


def test_fingerprints_are_hidden_unless_internal_and_narrative_filters(cli: Cli) -> None:
    assert cli("run", "--sandbox", SETUP).code == 0
    cli.write("other.toml", OTHER)
    assert cli("run", "--sandbox", "other.toml").code == 0

    everything = cli("state", "list", "--sandbox", "--internal", "--json")
    assert everything.code == 0, everything.err
    keys = [e["key"] for e in everything.json()]
    internal = [k for k in keys if ".spec." in k]
    assert internal and "other.note" in keys

    listed = cli("state", "list", "--sandbox", "--json")
    assert listed.code == 0, listed.err
    shown = [e["key"] for e in listed.json()]
    assert shown == [k for k in keys if ".spec." not in k]
    assert f"{len(internal)} internal keys hidden" in listed.err

    human = cli("state", "list", "--sandbox")
    assert ".spec." not in human.out
    assert "--internal shows them" in human.err

    ours = cli("state", "list", "--sandbox", "--narrative", "other", "--json")
    assert [e["key"] for e in ours.json()] == ["other.note"]
    setup = cli("state", "list", "--sandbox", "--narrative", "community_setup", "--json")
    assert "other.note" not in [e["key"] for e in setup.json()]
    assert all(e["metadata"]["narrative"] == "community_setup" for e in setup.json())
    assert len(setup.json()) == len(shown) - 1

    none = cli("state", "list", "--sandbox", "--narrative", "nope")
    assert none.code == 0 and none.out == ""
    assert "written by narrative 'nope'" in none.err

    guild = internal[0].split(".")[1]
    asked = cli("state", "list", "--sandbox", "--prefix", f"discord.{guild}.spec.", "--json")
    assert [e["key"] for e in asked.json()] == internal  # a prefix into them shows them
    assert "hidden" not in asked.err
