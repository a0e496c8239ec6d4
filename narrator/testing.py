"""Public fakes for your own tests (and ours): no network, no sleeping.

>>> from narrator.testing import RecordingPlatform, ScriptedModel, FakeClock, run_text
>>> platform = RecordingPlatform()
>>> outcome = run_text(TOML, platform=platform)          # doctest: +SKIP
>>> platform.calls[0].command                            # doctest: +SKIP
'channels.create'
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from narrator.catalogue.keys import capture_key
from narrator.clock import SystemClock
from narrator.errors import NotConfigured, ResourceNotFound
from narrator.protocols import (
    Change,
    Clock,
    CommandCall,
    CommandResult,
    ModelRequest,
    ModelResponse,
    Platform,
)

DISCORD_EPOCH_MS = 1420070400000


class Snowflakes:
    """Discord-like ids: milliseconds since 2015 in the high bits, a counter below."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._counter = itertools.count(1)
        self.clock: Clock = clock or SystemClock()

    def next(self) -> str:
        ms = int(self.clock.now().timestamp() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (next(self._counter) & 0xFFF))


_KIND_OF = {"channels": "channel", "roles": "role", "categories": "category", "webhooks": "webhook"}


@dataclass
class RecordingPlatform:
    """A platform that records every command and answers like Discord would, in memory.

    ``*.create`` always creates; ``*.ensure`` creates once and then finds by name;
    ``messages.send`` and ``messages.ensure`` produce message ids. Captures follow
    DESIGN §4 (``discord.{guild}.channel.{name}`` …). ``fail`` maps a command name
    to an exception raised when it is called.
    """

    name: str = "discord"
    guild_id: str = "1"
    calls: list[CommandCall] = field(default_factory=list)
    fail: dict[str, Exception] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    snowflakes: Snowflakes = field(default_factory=Snowflakes)
    closed: bool = False

    @property
    def writes(self) -> list[CommandCall]:
        return [c for c in self.calls if not c.dry_run]

    async def execute(self, call: CommandCall) -> CommandResult:
        self.calls.append(call)
        if call.command in self.fail:
            raise self.fail[call.command]
        group, _, verb = call.command.partition(".")
        args = dict(call.args)
        guild = str(args.get("guild_id") or call.default_guild_id or self.guild_id)
        if group in _KIND_OF and verb in {"create", "ensure", "get_or_create"}:
            return self._resource(call, _KIND_OF[group], guild, args, verb)
        if group == "messages" and verb in {"send", "ensure"}:
            return self._message(call, guild, args, verb)
        if group == "messages" and verb == "pin":
            if str(args.get("message_id")) not in self.messages:
                raise ResourceNotFound(
                    f"message {args.get('message_id')} does not exist", act=call.act
                )
            return CommandResult({"id": str(args["message_id"])}, wrote=not call.dry_run)
        if group == "permissions":
            return CommandResult(
                {
                    "channel_id": str(args.get("channel_id")),
                    "target_id": str(args.get("role") or args.get("member")),
                },
                changes=[Change("update", "overwrite")] if call.dry_run else [],
                wrote=not call.dry_run,
            )
        return CommandResult({"id": self.snowflakes.next(), **args}, wrote=not call.dry_run)

    def _resource(
        self, call: CommandCall, kind: str, guild: str, args: dict[str, Any], verb: str
    ) -> CommandResult:
        name = str(args.get("name", ""))
        existing = self.resources.get((kind, name))
        if existing is not None and verb != "create":
            return CommandResult(
                existing,
                captures={capture_key(guild, kind, name): existing["id"]},
                changes=[Change("unchanged", f"{kind} {name}")],
                wrote=False,
            )
        if call.dry_run:
            return CommandResult(None, changes=[Change("create", f"{kind} {name}")], wrote=False)
        item = {"id": self.snowflakes.next(), "name": name, "guild_id": guild}
        if kind == "channel":
            item["kind"] = str(args.get("kind", "text"))
        self.resources[(kind, name)] = item
        return CommandResult(item, captures={capture_key(guild, kind, name): item["id"]})

    def _message(
        self, call: CommandCall, guild: str, args: dict[str, Any], verb: str
    ) -> CommandResult:
        key = str(args.get("key") or call.act)
        if verb == "ensure":
            for message in self.messages.values():
                if message.get("key") == key and message["channel_id"] == str(
                    args.get("channel_id")
                ):
                    return CommandResult(
                        message,
                        captures={capture_key(guild, "message", key): message["id"]},
                        wrote=False,
                    )
        if call.dry_run:
            return CommandResult(None, changes=[Change("send", f"message {key}")], wrote=False)
        message = {
            "id": self.snowflakes.next(),
            "channel_id": str(args.get("channel_id")),
            "content": args.get("content"),
            "key": key,
        }
        self.messages[message["id"]] = message
        output = {k: message[k] for k in ("id", "channel_id", "content")}
        return CommandResult(output, captures={capture_key(guild, "message", key): message["id"]})

    async def aclose(self) -> None:
        self.closed = True


@dataclass
class ScriptedModel:
    """A model that answers from a script: a list of texts (used in order) or a function."""

    answers: list[str] | Callable[[ModelRequest], str] = field(default_factory=list)
    requests: list[ModelRequest] = field(default_factory=list)
    tokens_per_call: tuple[int, int] = (10, 20)

    async def complete(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        if callable(self.answers):
            text = self.answers(request)
        elif self.answers:
            text = self.answers.pop(0)
        else:
            text = f"answer {len(self.requests)} to {request.act}"
        return ModelResponse(text, *self.tokens_per_call, model=request.model or request.profile)

    async def aclose(self) -> None:
        pass


@dataclass
class FakeClock:
    """The one fake :class:`~narrator.protocols.Clock`: moves only when told to, or
    when something sleeps on it (``slept`` records each sleep; nothing waits).

    ``FakeClock(datetime(2025, 1, 15, 12, tzinfo=UTC))`` starts at that instant;
    pass ``clock.now`` where a bare ``now`` callable is wanted (the state package).
    """

    current: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    slept: list[float] = field(default_factory=list)
    _mono: float = 0.0

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        self._mono += seconds


class StaticPlatforms:
    """A PlatformSource over a fixed mapping of platform name → Platform."""

    def __init__(self, platforms: Mapping[str, Platform] | Iterable[Platform]) -> None:
        if isinstance(platforms, Mapping):
            self.platforms = dict(platforms)
        else:
            self.platforms = {p.name: p for p in platforms}

    async def get(self, name: str) -> Platform:
        if name not in self.platforms:
            raise NotConfigured(
                f"no '{name}' platform is configured",
                hint="configure it in narrator.toml, or rehearse with --sandbox",
            )
        platform: Platform = self.platforms[name]
        return platform


def run_text(
    text: str,
    *,
    platform: Platform | None = None,
    model: ScriptedModel | None = None,
    env: Mapping[str, str] | None = None,
    allow_destructive: bool = False,
) -> Any:
    """Parse and run a narrative in memory; returns the RunOutcome."""
    from narrator.executor import Executor, Services
    from narrator.parser import parse
    from narrator.state.memory import MemoryRunJournal, MemoryStateRepository

    plan = parse(text)
    services = Services(
        state=MemoryStateRepository(),
        journal=MemoryRunJournal(),
        platforms=StaticPlatforms([platform] if platform else []),
        models=model,
        clock=FakeClock(),
        env=dict(env or {}),
        allow_destructive=allow_destructive,
    )
    return asyncio.run(Executor(services).run(plan))
