"""DiscordPlatform: the door. Every command of the catalogue, over discord.py's HTTP client.

``COMMANDS`` maps each catalogue name to its command, assembled explicitly from
the modules of :mod:`~narrator.platforms.discord.commands` (one per noun) and the
convergent ``*.ensure`` commands of :mod:`~narrator.platforms.discord.converge`.
:meth:`DiscordPlatform.execute` finds the command, answers plan (``dry_run``) for
plain writes, and runs the command with the run's
:class:`~narrator.platforms.discord.session.Session`.

What the executor decided arrives in the :class:`~narrator.protocols.CommandCall`
and is not decided again here: the catalogue's name and argument names (Botticelli
spellings resolved), the permission for a destructive command (refused before
any platform is opened), and the effective guild (``default_guild_id``,
:func:`narrator.guilds.effective_guild`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

from narrator import catalogue
from narrator.clock import SystemClock
from narrator.errors import NarratorError, NotConfigured, PlatformError, did_you_mean
from narrator.platforms.discord import converge
from narrator.platforms.discord.commands import (
    channels,
    events,
    guild,
    members,
    messages,
    permissions,
    reactions,
    roles,
    threads,
    webhooks,
)
from narrator.platforms.discord.session import Call, Session
from narrator.platforms.discord.transport import CURRENT_ACT, Transport
from narrator.protocols import Change, Clock, CommandCall, CommandResult

Command = Callable[[Session, Call], Awaitable[CommandResult]]

COMMANDS: Mapping[str, Command] = MappingProxyType(
    {
        **guild.COMMANDS,
        **channels.COMMANDS,
        **roles.COMMANDS,
        **members.COMMANDS,
        **messages.COMMANDS,
        **reactions.COMMANDS,
        **threads.COMMANDS,
        **events.COMMANDS,
        **permissions.COMMANDS,
        **webhooks.COMMANDS,
        **converge.COMMANDS,
    }
)


class DiscordPlatform:
    """The Discord platform (REST only). One instance serves one run."""

    name = "discord"

    def __init__(
        self,
        token: str,
        *,
        api_base: str,
        timeout: float = 30.0,
        clock: Clock | None = None,
    ) -> None:
        if not token:
            raise NotConfigured(
                "Discord needs a bot token", hint="export DISCORD_TOKEN=... or use --sandbox"
            )
        clock = clock or SystemClock()
        self.http = Transport(token, api_base=api_base, timeout=timeout, clock=clock)
        self.session = Session(self.http, clock)

    async def aclose(self) -> None:
        await self.http.close()

    def invalidate(self, guild_id: str | None = None) -> None:
        """Forget cached reads (all guilds, or one)."""
        self.session.invalidate(guild_id)

    async def execute(self, call: CommandCall) -> CommandResult:
        name = call.command
        spec = catalogue.CATALOGUE["discord"].get(name)
        command = COMMANDS.get(name)
        if spec is None or command is None:
            raise PlatformError(
                f"unknown Discord command '{name}'",
                act=call.act,
                hint=did_you_mean(name, list(COMMANDS)) or "see docs/discord.md",
            )
        wrapped = Call(call, dict(call.args), call.default_guild_id)
        token = CURRENT_ACT.set(call.act)
        try:
            if call.dry_run and not spec.writes:
                return CommandResult(output=None, wrote=False)
            if call.dry_run and not spec.convergent:
                return _plan_plain(wrapped, spec.name)
            return await command(self.session, wrapped)
        except NarratorError:
            raise
        except (ValueError, TypeError) as exc:
            raise PlatformError(
                f"{name}: {exc}", act=call.act, hint="fix the argument in the narrative"
            ) from None
        finally:
            CURRENT_ACT.reset(token)


def _plan_plain(call: Call, name: str) -> CommandResult:
    """A non-convergent write in a dry run: report it, touch nothing."""
    noun = name.split(".")[0].rstrip("s")
    verb = name.split(".")[1]
    action = "send" if verb == "send" else "delete" if "delete" in verb else verb
    target = call.get("name") or call.get("channel_id") or call.get("message_id") or ""
    change = Change(action, f"{noun} {target}".strip(), fields={})
    return CommandResult(output=None, changes=[change], wrote=False)
