"""The command catalogue: read-only tables and the state keys of DESIGN §4 in one place."""

from __future__ import annotations

import pytest

from narrator import catalogue
from narrator.catalogue import keys


def test_catalogue_tables_are_read_only() -> None:
    """Nothing registers into the catalogue at run time: its mappings refuse writes."""
    with pytest.raises(TypeError):
        catalogue.CATALOGUE["discord"]["x.y"] = catalogue.CommandSpec("discord", "x.y")  # type: ignore[index]
    with pytest.raises(TypeError):
        catalogue.ALIASES["discord"]["a.b"] = "x.y"  # type: ignore[index]


def test_botticelli_alias_resolves_to_the_same_spec() -> None:
    """channel.create (Botticelli) and channels.create are one spec."""
    assert catalogue.canonical("discord", "channel.create") == "channels.create"
    assert catalogue.lookup("discord", "channel.create") is catalogue.lookup(
        "discord", "channels.create"
    )
    assert catalogue.lookup("discord", "nope.nope") is None


def test_state_keys_follow_design_section_4() -> None:
    """Captured ids, message ids and ensure fingerprints: one segment per name."""
    assert keys.capture_key("1", "role", "Server Booster") == "discord.1.role.Server_Booster"
    assert keys.message_key("1", "rules.post") == "discord.1.message.rules_post"
    assert keys.spec_key("1", "channel", "a b") == "discord.1.spec.channel.a_b"
    assert keys.overwrite_spec_key("1", "2", "3") == "discord.1.spec.overwrite.2.3"


def test_kind_choices_are_the_platform_kinds() -> None:
    """The catalogue's kind choices are exactly the kinds the Discord platform accepts."""
    from narrator.platforms.discord.text import CHANNEL_KINDS

    spec = catalogue.lookup("discord", "channels.create")
    assert spec is not None
    assert set(spec.args["kind"].choices) == set(CHANNEL_KINDS)


def test_every_discord_command_of_the_catalogue_has_a_command_and_back() -> None:
    """The platform's COMMANDS table names exactly the catalogue's Discord commands."""
    from narrator.platforms.discord import COMMANDS

    assert set(COMMANDS) == set(catalogue.command_names("discord"))


def test_botticelli_argument_spellings_resolve_and_count_as_the_required_argument() -> None:
    """role_id, nickname, deafen, duration_seconds are Botticelli's names (issue 12): they
    resolve to the catalogue's, and a narrative giving role_id instead of role loads."""
    import pytest as _pytest

    from narrator.errors import NarrativeInvalid
    from narrator.parser import parse

    given = {"role_id": "5", "nickname": "Al", "deafen": True, "duration_seconds": 60}
    assert catalogue.canonical_args("discord", given) == {
        "role": "5",
        "nick": "Al",
        "deaf": True,
        "duration": 60,
    }
    act = """
[narrative]
name = "aliases"
[[act]]
name = "get"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "roles.get"
args = ARGS
"""
    parse(act.replace("ARGS", '{ role_id = "123" }'), "n.toml")
    with _pytest.raises(NarrativeInvalid) as refused:
        parse(act.replace("ARGS", '{ guild_id = "1" }'), "n.toml")
    assert "needs argument 'role'" in str(refused.value.problems[0])
