"""narrator.guilds: which guild a command talks to, decided once (issue 13 item 8)."""

from __future__ import annotations

import pytest

from narrator.errors import GuildMissing
from narrator.guilds import (
    SANDBOX_GUILD_ID,
    Guild,
    GuildDefaults,
    effective_guild,
    missing_guild,
    needs_guild,
    sandbox_variables,
)
from narrator.interpolate import Environ, ResolveError

CONFIG = GuildDefaults(config="${GUILD_ID}")
ENV = {"GUILD_ID": "222"}


def test_the_commands_own_argument_wins_over_every_default() -> None:
    got = effective_guild(" 111 ", "333", GuildDefaults(config="444", sandbox=True), ENV)
    assert got == Guild("111", "argument")


@pytest.mark.parametrize("argument", [None, "", "  "])
def test_an_empty_argument_is_no_argument(argument: object) -> None:
    assert effective_guild(argument, "333", CONFIG, ENV) == Guild("333", "narrative")


def test_an_int_argument_is_an_id() -> None:
    assert effective_guild(111, None, CONFIG, ENV).id == "111"


def test_the_narrative_default_comes_before_the_config() -> None:
    assert effective_guild(None, "${OTHER}", CONFIG, {**ENV, "OTHER": "333"}) == Guild(
        "333", "narrative"
    )


def test_an_unset_variable_in_the_narrative_fails() -> None:
    with pytest.raises(ResolveError, match=r"\$\{GUILD\} is not set"):
        effective_guild(None, "${GUILD}", CONFIG, ENV)


def test_a_secret_variable_in_the_narrative_fails_saying_so() -> None:
    env = Environ({"GUILD_ID": "222"})
    env.withheld = frozenset({"DISCORD_TOKEN"})
    with pytest.raises(ResolveError, match="DISCORD_TOKEN"):
        effective_guild(None, "${DISCORD_TOKEN}", CONFIG, env)


def test_a_narrative_guild_holds_no_other_reference() -> None:
    with pytest.raises(ResolveError, match=r"guild id or \$\{VAR\}"):
        effective_guild(None, "{state.guild}", CONFIG, ENV)


def test_the_config_default_is_expanded_like_a_narrative() -> None:
    assert effective_guild(None, None, CONFIG, ENV) == Guild("222", "config")
    prefixed = GuildDefaults(config="9${GUILD_ID}")
    assert effective_guild(None, None, prefixed, ENV).id == "9222"


def test_an_unset_variable_in_the_config_is_no_default_and_says_why() -> None:
    got = effective_guild(None, None, CONFIG, {})
    assert got.id is None and got.source is None
    assert got.looked == (
        "no guild_id argument",
        "no guild_id in [narrative]",
        '[discord] guild_id = "${GUILD_ID}" in narrator.toml: variable ${GUILD_ID} is not set',
    )


def test_under_sandbox_the_sandbox_guild_is_the_last_default() -> None:
    assert effective_guild(None, None, GuildDefaults(sandbox=True), {}) == Guild(
        SANDBOX_GUILD_ID,
        "sandbox",
        (
            "no guild_id argument",
            "no guild_id in [narrative]",
            "no [discord] guild_id in narrator.toml",
        ),
    )
    sandboxed = GuildDefaults(config="${MINE}", sandbox=True)
    assert effective_guild(None, None, sandboxed, {"MINE": "555"}) == Guild("555", "config")
    assert effective_guild(None, None, sandboxed, {}).id == SANDBOX_GUILD_ID


def test_nothing_configured_resolves_to_none() -> None:
    got = effective_guild(None, None, GuildDefaults(), {})
    assert got.id is None
    assert got.looked[-1] == "no [discord] guild_id in narrator.toml"


def test_sandbox_variables_default_guild_id_and_keep_a_given_one() -> None:
    assert sandbox_variables({})["GUILD_ID"] == SANDBOX_GUILD_ID
    assert sandbox_variables({"GUILD_ID": "1"})["GUILD_ID"] == "1"


@pytest.mark.parametrize(
    ("spec_args", "args", "needed"),
    [
        ({"guild_id": 1, "name": 1}, {"name": "x"}, True),
        ({"guild_id": 1, "channel_id": 1}, {"channel_id": "5"}, False),
        ({"guild_id": 1, "channel_id": 1}, {"channel_id": ""}, True),
        ({"guild_id": 1, "thread_id": 1}, {"thread_id": "5"}, False),
        ({"guild_id": 1, "webhook_id": 1, "url": 1}, {"url": "https://x/1/t"}, False),
        ({"name": 1}, {"name": "x"}, False),  # a command without guild_id (a plugin's)
    ],
)
def test_which_commands_need_a_guild(
    spec_args: dict[str, int], args: dict[str, str], needed: bool
) -> None:
    assert needs_guild(spec_args, args) is needed


def test_the_missing_guild_error_names_where_it_looked_and_the_fix() -> None:
    error = missing_guild("channels.create", effective_guild(None, None, CONFIG, {}), act="a")
    assert isinstance(error, GuildMissing)
    text = str(error)
    assert text.startswith("act 'a': channels.create needs a guild and none resolved")
    assert "${GUILD_ID} is not set" in text and "--var NAME=" in text
    plain = str(missing_guild("roles.list", effective_guild(None, None, GuildDefaults(), {})))
    assert "no [discord] guild_id in narrator.toml" in plain and "--var" not in plain
