"""Which guild a command talks to: decided here, once. Pure.

The effective guild of a bot command is the first of

1. the command's own ``guild_id`` argument (already rendered with the act's other
   arguments, so any reference works there);
2. the narrative's ``[narrative] guild_id``;
3. the configuration's ``[discord] guild_id``;
4. under ``--sandbox``, the sandbox guild (:data:`SANDBOX_GUILD_ID`).

``[narrative] guild_id`` and ``[discord] guild_id`` are a guild id or text with
``${VAR}`` in it, expanded by :func:`narrator.interpolate.expand_env` — the same
expansion, the same variables (environment, then ``--var``) and the same
"secret variable" refusal as ``${VAR}`` inside a narrative. They hold no other
reference (no state, no act output): a guild id decides the run's lock before
any act has run.

An unset ``${VAR}`` is treated differently in the two places:

* in the **narrative** it fails the act that needs it (the narrative asked for
  that variable, as everywhere else in the file);
* in the **configuration** it is no default: ``narrator.toml`` is shared by every
  narrative, and one that never needs a guild (model acts only, or commands that
  name their guild) must not fail because ``GUILD_ID`` is not set. The default
  falls through to the next source; when a command then needs a guild and none
  resolves, :func:`missing_guild` says where it looked, including the unset
  variable.

Under ``--sandbox`` the run's variables also default ``GUILD_ID`` to the sandbox
guild (:func:`sandbox_variables`), so a narrative written for the real setup
(``{state.discord.${GUILD_ID}.channel.welcome}``) rehearses unchanged.

Called from one place in the executor (``executor/perform.py``, once per bot
command; the result travels to the platform as ``CommandCall.default_guild_id``)
and by :func:`narrator.runs.narrative_lock` (which guild a run locks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from narrator import interpolate
from narrator.errors import GuildMissing

__all__ = [
    "GUILD_LOCATORS",
    "SANDBOX_GUILD_ID",
    "Guild",
    "GuildDefaults",
    "GuildMissing",
    "effective_guild",
    "missing_guild",
    "needs_guild",
    "sandbox_variables",
]

SANDBOX_GUILD_ID = "100000000000000001"

# Arguments that name something inside one guild, so the platform finds the
# guild from it (a channel's, a thread's, a webhook's guild): a command given one
# of these does not need a default guild.
GUILD_LOCATORS = ("channel_id", "thread_id", "webhook_id", "url")

Source = Literal["argument", "narrative", "config", "sandbox"]


@dataclass(frozen=True, slots=True)
class GuildDefaults:
    """Where a run's commands find their guild when they do not name one."""

    config: str | None = None  # [discord] guild_id as written in narrator.toml
    sandbox: bool = False  # --sandbox: the sandbox guild is the last default


@dataclass(frozen=True, slots=True)
class Guild:
    """The effective guild (``id`` None when none resolved), where it came from, and
    what was looked at on the way (for the error when a command needs one)."""

    id: str | None
    source: Source | None
    looked: tuple[str, ...] = ()


def effective_guild(
    argument: Any,
    narrative: str | None,
    defaults: GuildDefaults,
    env: Mapping[str, str],
) -> Guild:
    """The guild a command talks to (see the module docstring for the order).

    ``argument`` is the command's rendered ``guild_id`` (None or ``""``: not given).
    Raises :class:`narrator.interpolate.ResolveError` when the narrative's
    ``guild_id`` names an unset (or secret) variable or holds another reference.
    """
    if argument is not None and str(argument).strip():
        return Guild(str(argument).strip(), "argument")
    looked = ["no guild_id argument"]
    if narrative:
        return Guild(_expand(narrative, env, "[narrative] guild_id"), "narrative")
    looked.append("no guild_id in [narrative]")
    if defaults.config:
        try:
            return Guild(_expand(defaults.config, env, "[discord] guild_id"), "config")
        except interpolate.ResolveError as exc:
            looked.append(
                f'[discord] guild_id = "{defaults.config}" in narrator.toml: {exc.message}'
            )
    else:
        looked.append("no [discord] guild_id in narrator.toml")
    if defaults.sandbox:
        return Guild(SANDBOX_GUILD_ID, "sandbox", tuple(looked))
    return Guild(None, None, tuple(looked))


def needs_guild(spec_args: Mapping[str, Any], args: Mapping[str, Any]) -> bool:
    """Whether a command with catalogue arguments ``spec_args``, called with ``args``,
    needs a guild: it takes ``guild_id`` and names no channel, thread or webhook the
    platform could find the guild from."""
    if "guild_id" not in spec_args:
        return False
    return not any(args.get(name) not in (None, "") for name in GUILD_LOCATORS)


def missing_guild(command: str, guild: Guild, *, act: str | None = None) -> GuildMissing:
    """The one error for a command that needs a guild when none resolved."""
    hint = "pass guild_id, or set guild_id in [narrative] or [discord] guild_id in narrator.toml"
    if any(where.startswith("[discord] guild_id =") for where in guild.looked):
        hint = "set the variable narrator.toml names (--var NAME=... or export NAME), or " + hint
    return GuildMissing(
        f"{command} needs a guild and none resolved: {'; '.join(guild.looked)}",
        act=act,
        hint=hint,
    )


def sandbox_variables(env: Mapping[str, str]) -> dict[str, str]:
    """A sandbox run's variables: ``GUILD_ID`` defaults to the sandbox guild."""
    return {"GUILD_ID": SANDBOX_GUILD_ID, **env}


class _NoState:
    """A guild id reads no state (it is decided before any act runs)."""

    def get(self, key: str) -> None:
        return None

    def get_many(self, keys: Any) -> dict[str, Any]:
        return {}

    def has_prefix(self, prefix: str) -> bool:
        return False


def _expand(text: str, env: Mapping[str, str], where: str) -> str:
    value = interpolate.expand_env(text.strip(), interpolate.Scope(state=_NoState(), env=env))
    if "{" in value or "}" in value or "<state" in value:
        raise interpolate.ResolveError(
            f"{where} {text!r} may hold a guild id or ${{VAR}}, nothing else",
            hint='write guild_id = "123456789012345678" or guild_id = "${GUILD_ID}"',
        )
    return value
