"""The seams between the engine and the world, as ``typing.Protocol`` classes.

The executor talks only to these. Real implementations live in
``narrator.state`` (SQLAlchemy), ``narrator.platforms`` (Discord, the emulator)
and ``narrator.providers`` (OpenAI, Anthropic, Gemini, the sandbox model);
public fakes for tests live in ``narrator.testing``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    # records defined beside their users: StateHit in interpolate.py (``validate`` does
    # not import this module, and start-up counts), the outcomes in outcome.py
    from pydantic import BaseModel  # only for typing: get_model's bound

    from narrator.content.model import ContentStore
    from narrator.interpolate import StateHit
    from narrator.outcome import ActOutcome
    from narrator.state.base import ScopedRepository  # typing only: the view scope() returns

JSON = Any  # a value json.dumps accepts: None, bool, int, float, str, list, dict
M = TypeVar("M", bound="BaseModel")  # StateStore.get_model's model


# --------------------------------------------------------------------------- state


@dataclass(frozen=True, slots=True)
class StateEntry:
    """One stored state value with its bookkeeping."""

    key: str
    value: JSON
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    version: int = 1


@runtime_checkable
class StateRepository(Protocol):
    """Persistent key/value state. Keys are dotted strings, values JSON."""

    def get(self, key: str, default: JSON = None) -> JSON:
        """The value at ``key``, or ``default`` when missing or expired."""

    def get_entry(self, key: str) -> StateEntry | None:
        """The whole entry at ``key``, or None when missing or expired."""

    def get_entries(self, keys: Iterable[str]) -> dict[str, StateEntry]:
        """The entries of those keys that exist, read at once."""

    def set(
        self,
        key: str,
        value: JSON,
        *,
        ttl: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Store ``value`` at ``key`` (``ttl`` in seconds)."""

    def delete(self, key: str) -> bool:
        """Remove ``key``; True when it existed."""

    def list_prefix(self, prefix: str) -> list[StateEntry]:
        """Entries whose key starts with ``prefix``, sorted by key."""

    def clear_prefix(self, prefix: str) -> int:
        """Remove entries whose key starts with ``prefix``; the count removed."""


# --------------------------------------------------------------------------- run journal

RunStatus = Literal["running", "done", "failed", "stopped", "interrupted"]
# an act cut off by a signal is "interrupted"; one left "running" was cut off by a crash
ActStatus = Literal["running", "done", "skipped", "failed", "interrupted"]


@dataclass(frozen=True, slots=True)
class RunOwner:
    """The process that runs a run (or holds a lock): its host, pid and a random start token.

    The token tells two owners apart when a pid is reused, and is what a take-over
    compares against, so that two processes can never both take the same run.
    """

    host: str
    pid: int
    token: str


@dataclass(frozen=True, slots=True)
class ActRecord:
    run_id: str
    seq: int
    name: str
    status: ActStatus
    iteration: int | None = None
    output: JSON = None
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    input: JSON = None  # the act's rendered arguments (or prompt), secrets redacted


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    narrative: str
    source: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)
    acts: tuple[ActRecord, ...] = ()
    owner: RunOwner | None = None  # who runs (or last ran) it
    lease_expires_at: datetime | None = None  # renewed while the owner runs it


@runtime_checkable
class RunJournal(Protocol):
    """Where every run and act is recorded, and who owns each run."""

    def start_run(
        self,
        run_id: str,
        narrative: str,
        source: str,
        summary: Mapping[str, Any],
        *,
        owner: RunOwner | None = None,
        lease_expires_at: datetime | None = None,
    ) -> None: ...

    def renew_lease(self, run_id: str, token: str, expires_at: datetime) -> bool:
        """Extend the lease of a run this owner (``token``) still owns; False when it does not."""

    def take_over(
        self,
        run_id: str,
        *,
        expected_token: str | None,
        expected_status: RunStatus,
        owner: RunOwner,
        lease_expires_at: datetime,
    ) -> bool:
        """Become the run's owner and mark it running, only if its owner token and status
        are still the expected ones (one conditional UPDATE): of two concurrent
        take-overs exactly one succeeds."""

    def record_act(self, record: ActRecord) -> None:
        """Insert or update the act row identified by (run_id, seq)."""

    def record_acts(self, records: Sequence[ActRecord]) -> None:
        """``record_act`` for each of ``records``, sent together where the database can."""

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error: str | None = None,
        summary: Mapping[str, Any] | None = None,
    ) -> None: ...

    def get_run(self, run_id: str) -> RunRecord | None: ...

    def list_runs(
        self, limit: int = 50, *, statuses: Collection[str] | None = None
    ) -> list[RunRecord]:
        """Newest first, without acts; only those ``statuses`` when given."""

    def match_run_ids(self, prefix: str, limit: int = 2) -> list[str]:
        """Run ids starting with ``prefix`` (at most ``limit``), sorted; for git-like short ids."""


# --------------------------------------------------------------------------- platforms


@dataclass(frozen=True, slots=True)
class CommandCall:
    """One resolved platform command, ready to perform."""

    platform: str
    command: str
    args: Mapping[str, Any]
    act: str
    run_id: str
    idempotency_key: str  # stable across retries and resumed runs of the same act
    allow_destructive: bool = False
    model_text_keys: frozenset[str] = frozenset()  # args whose text came from a model
    mentions: tuple[str, ...] | None = None
    dry_run: bool = False  # plan: read what you must, write nothing, report changes
    default_guild_id: str | None = None
    lookup: Callable[[str], Any] | None = None  # read a state value (None when missing)
    # Set on resume when this act was `running` at a crash: the moment the earlier
    # attempt started. Before repeating an effect, the platform asks the remote
    # side whether it already happened since then (a sent message, a pinned one)
    # and adopts it instead of doing it twice.
    reconcile_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command produced, plus the state keys it wants written.

    ``captures`` maps state keys (``discord.{guild}.channel.{name}``) to values;
    a value of None removes the key (the id of a resource the command deleted);
    ``changes`` describes what a convergent command did or would do, for ``plan``.
    """

    output: JSON
    captures: Mapping[str, JSON] = field(default_factory=dict)
    changes: Sequence[Change] = ()
    wrote: bool = True


@runtime_checkable
class Platform(Protocol):
    """A chat platform that performs bot commands."""

    name: str

    async def execute(self, call: CommandCall) -> CommandResult: ...

    async def aclose(self) -> None: ...


# --------------------------------------------------------------------------- models


@dataclass(frozen=True, slots=True)
class MediaPart:
    """An image, audio clip, video or document sent with a message, before its text:
    inline (``data``, base64, never logged) or by ``url``; ``size`` in bytes."""

    kind: Literal["image", "audio", "video", "document"]
    mime: str
    data: str | None = field(default=None, repr=False)
    url: str | None = None
    size: int | None = None
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    role: Literal["user", "assistant"]
    content: str
    parts: tuple[MediaPart, ...] = ()  # media of a user message (narrator.media)


@dataclass(frozen=True, slots=True)
class ModelRequest:
    profile: str  # the [models.NAME] profile used
    model: str  # the provider's model id
    messages: tuple[Message, ...]
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    act: str = ""
    json_mode: bool = False


@dataclass(frozen=True, slots=True)
class ModelResponse:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str = ""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@runtime_checkable
class ModelProvider(Protocol):
    """A language model behind some API."""

    async def complete(self, request: ModelRequest) -> ModelResponse: ...

    async def aclose(self) -> None: ...


# --------------------------------------------------------------------------- time


@runtime_checkable
class Clock(Protocol):
    """Wall clock and sleep, injected so tests never sleep."""

    def now(self) -> datetime:
        """Timezone-aware UTC now."""

    async def sleep(self, seconds: float) -> None: ...

    def monotonic(self) -> float: ...


# --------------------------------------------------------------------------- executor seams


@runtime_checkable
class BudgetAware(Protocol):
    """A model service that can say what is left of today's budget (the router)."""

    def remaining(self, profile: str) -> BudgetLeft: ...


class BudgetLeft(Protocol):
    """What is left of a profile's daily budget; None where there is no daily limit."""

    @property
    def requests(self) -> int | None: ...

    @property
    def tokens(self) -> int | None: ...


class PlatformSource(Protocol):
    """Gives the platform a command names; raises NotConfigured if there is none."""

    async def get(self, name: str) -> Platform: ...


# why a run sleeps: a carousel's interval, its daily budget, a model's rate window
WaitReason = Literal["interval", "budget", "rate_limit"]


class Reporter(Protocol):
    """Progress for people: the CLI prints it, tests may record it."""

    def act_started(self, act: str, iteration: int | None) -> None: ...

    def act_finished(self, outcome: ActOutcome) -> None: ...

    def note(self, text: str) -> None: ...

    def iteration_finished(self, iteration: int, total: int, elapsed: float) -> None: ...

    def carousel_started(self, iterations: int, interval: float) -> None:
        """A carousel of ``iterations`` begins, ``interval`` seconds between them (an ETA)."""

    def waiting(self, seconds: float, reason: WaitReason) -> None:
        """The run sleeps ``seconds`` now (a countdown); said after any ``note`` on why."""


class StateReader(Protocol):
    """What interpolation may read of state (the executor backs it with the repository)."""

    def get(self, key: str) -> StateHit | None:
        """The value at ``key``, or None when it is not set."""

    def get_many(self, keys: Sequence[str]) -> Mapping[str, StateHit]:
        """The values of those ``keys`` that are set, read at once."""

    def has_prefix(self, prefix: str) -> bool:
        """Whether any key starts with ``prefix`` (no value is loaded)."""


# --------------------------------------------------------------------------- storage
# The full state store, the usage ledger, blobs and the database that composes them,
# with the records they speak. narrator.state implements each in SQL and in memory.

ChangeOp = Literal["create", "update", "delete"]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One recorded change of a key. ``before``/``after`` are None when absent (see ``op``)."""

    id: int
    key: str
    op: ChangeOp
    before: JSON
    after: JSON
    changed_at: datetime
    run_id: str | None = None
    act: str | None = None


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """A saved copy of every key under ``prefix`` at ``created_at``."""

    id: int
    prefix: str
    note: str | None
    created_at: datetime
    key_count: int


@dataclass(frozen=True, slots=True)
class GcResult:
    """What ``gc`` purged."""

    expired: int
    history: int


@dataclass(frozen=True, slots=True)
class Retention:
    """How much history to keep: the last ``keep_last`` changes per key and/or ``keep_days``."""

    keep_last: int | None = 100
    keep_days: float | None = 90


@runtime_checkable
class StateStore(StateRepository, Protocol):
    """The complete state store (issue 3): StateRepository plus batches, scopes, CAS,
    history, snapshots and maintenance. ``narrator.state``'s memory, SQL and scoped
    repositories implement it."""

    def contains(self, key: str) -> bool: ...
    def get_many(self, keys: Iterable[str]) -> dict[str, JSON]: ...
    def set_many(
        self,
        items: Mapping[str, JSON],
        *,
        ttl: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None: ...
    def delete_many(self, keys: Iterable[str]) -> int: ...
    def key_count(self, prefix: str = "") -> int: ...
    def list_keys(
        self, prefix: str = "", *, limit: int = 100, after: str | None = None
    ) -> list[str]: ...
    def compare_and_set(
        self,
        key: str,
        value: JSON,
        expected_version: int | None,
        *,
        ttl: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> int: ...
    def get_model(self, key: str, model: type[M]) -> M | None: ...
    def scope(self, prefix: str) -> ScopedRepository:
        """A view whose keys are all prefixed with ``prefix`` (scopes nest)."""

    def history(self, key: str, *, limit: int | None = None) -> list[HistoryEntry]: ...
    def snapshot(self, prefix: str = "", note: str | None = None) -> int: ...
    def snapshots(self) -> list[SnapshotInfo]: ...
    def restore(self, snapshot_id: int) -> int: ...
    def gc(self, retention: Retention | None = None) -> GcResult: ...
    def import_entries(self, entries: Iterable[StateEntry]) -> int: ...


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One profile's spending on one UTC day."""

    profile: str
    day: str
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reserved_tokens: int = 0  # estimates of calls still in flight

    @property
    def tokens(self) -> int:
        """Tokens counted against ``tpd``: settled usage plus open reservations."""
        return self.prompt_tokens + self.completion_tokens + self.reserved_tokens


@runtime_checkable
class Ledger(Protocol):
    """Daily usage per profile. Implementations must make :meth:`reserve` atomic."""

    def reserve(
        self, profile: str, day: str, tokens: int, *, rpd: int | None, tpd: int | None
    ) -> bool:
        """Count one request and ``tokens`` reserved, unless that would pass a limit."""

    def settle(
        self, profile: str, day: str, reserved: int, prompt_tokens: int, completion_tokens: int
    ) -> None:
        """Replace a reservation with the actual usage."""

    def refund(self, profile: str, day: str, reserved: int) -> None:
        """Undo a reservation whose call failed (the request is not counted)."""

    def usage(self, profile: str, day: str) -> UsageRow: ...

    def totals(self, *, profile: str | None = None, since_day: str | None = None) -> list[UsageRow]:
        """Rows sorted by day then profile."""


@runtime_checkable
class Blobs(Protocol):
    """Named JSON documents (the sandbox keeps its emulated guild in one)."""

    def get(self, name: str) -> Any:
        """The document called ``name``, or None."""

    def put(self, name: str, value: Any) -> None: ...


@runtime_checkable
class Database(Protocol):
    """An open database: what a run needs of it. ``narrator.state.Database`` (SQL) and
    ``narrator.state.MemoryDatabase`` (``run --ephemeral``) implement it."""

    @property
    def url(self) -> str: ...

    @property
    def state(self) -> StateStore: ...

    @property
    def journal(self) -> RunJournal: ...

    @property
    def blobs(self) -> Blobs: ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def content(self) -> ContentStore: ...

    def unit_of_work(self) -> AbstractContextManager[None]:
        """Commit every state and journal write inside the block together."""

    def hold(self) -> AbstractContextManager[None]:
        """Reuse one connection for this thread's reads and writes inside the block (a run)."""

    def close(self) -> None: ...


# --------------------------------------------------------------------------- changes
# What a command did or would do to one resource: what ``plan`` shows and ``run --json``
# reports. Platforms build them (the Discord *.ensure commands from a pure decision),
# the executor adds its own (a model act, a command known only after run), the CLI renders.

# The actions convergence and the executor decide; a plain (non-convergent) write in a
# plan reports its own verb instead ("pin", "kick", …), hence ``| str`` on the field.
ChangeAction = Literal["create", "update", "unchanged", "drift", "delete", "send", "run", "model"]
FieldChange = tuple[Any, Any]  # (live or old value, declared or new value), as shown


@dataclass(frozen=True, slots=True)
class Change:
    """One resource's change.

    ``fields`` maps a field to ``(old, new)``; None when the change has no field view
    (a command run as a whole). ``reason`` is the platform's why (drift, adoption);
    ``note`` the engine's remark ("known after run").
    """

    action: ChangeAction | str
    resource: str
    fields: Mapping[str, FieldChange] | None = None
    note: str | None = None
    reason: str | None = None

    @property
    def pending(self) -> bool:
        """True when running would change something."""
        return self.action != "unchanged"

    def to_json(self) -> dict[str, Any]:
        """``{action, resource[, fields][, note][, reason]}``; a field as ``[old, new]``."""
        data: dict[str, Any] = {"action": self.action, "resource": self.resource}
        if self.fields is not None:
            data["fields"] = {name: [old, new] for name, (old, new) in self.fields.items()}
        if self.note:
            data["note"] = self.note
        if self.reason:
            data["reason"] = self.reason
        return data
