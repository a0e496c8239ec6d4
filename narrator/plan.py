"""The plan: a narrative file turned into frozen data.

The parser produces a :class:`Plan`; the executor runs it. Nothing here does
I/O. Every act and input keeps the :class:`~narrator.errors.Location` it was
written at, so errors at run time can still point into the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from narrator.errors import Location, Problem

if TYPE_CHECKING:
    from narrator.content import Query

# Frozen dataclasses rather than pydantic models: the parser validates every
# key itself (with locations pydantic cannot give), and building pydantic
# models cost ~150 ms at import, a third of `narrator validate`'s start-up
# budget. See docs/architecture.md.


@dataclass(frozen=True, slots=True, kw_only=True)
class FileRef:
    """A file an input reads at run time (found by :mod:`narrator.media_files`)."""

    path: str  # as written in the narrative
    base_dir: str | None = None  # a relative path is relative to this (None: the working dir)
    # Botticelli: a bare name, looked up in $BOTTICELLI_CONTEXT_PATH, then upward, then base_dir
    search: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TextInput:
    """A piece of a model act's prompt (``file``: its text is read from there, verbatim)."""

    content: str
    type: Literal["text"] = "text"
    file: FileRef | None = None
    # sent as written, never rendered (Botticelli sends prompt text verbatim; the dialect
    # does so for a prompt whose template names nothing narrator knows)
    verbatim: bool = False
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BotCommandInput:
    """One platform command, e.g. ``channels.create`` on ``discord``."""

    command: str
    type: Literal["bot_command"] = "bot_command"
    platform: str = "discord"
    args: dict[str, Any] = field(default_factory=dict)
    # False (Botticelli's default): a failure becomes the text "[Bot command 'C' failed: ...]"
    # and the act goes on (a soft failure); True: the failure fails the act
    required: bool = True
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TableInput:
    """Rows of a content table (issue 11): rendered into a model act's prompt, or the
    output of an act whose only inputs are tables.

    ``query`` was parsed and checked at load; a reference written inside ``where``
    is a *slot* of it (:mod:`narrator.parser.where_slots`), bound to the
    reference's value when the act runs, never spliced into text.
    """

    table: str
    query: Query
    type: Literal["table"] = "table"
    format: Literal["json", "markdown", "csv"] = "json"
    take: int | None = None  # claim up to N rows, each exactly once (limit = N)
    pull_and_delete: bool = False  # claim, and delete the claimed rows when the run is done
    alias: str | None = None
    where: str | None = None  # as written (with its references), for plan and messages
    references: tuple[str, ...] = ()  # the where's slots, in order: reference texts
    location: Location | None = None

    @property
    def claims(self) -> bool:
        return self.take is not None or self.pull_and_delete


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreSpec:
    """Where a model act's JSON items go: rows of content table ``table``."""

    table: str
    dedupe: str | None = None  # None, "hash", or a field name
    # Botticelli's content generation: the JSON in the answer is stored when there is
    # some (none: nothing stored, the act still succeeds) and the act's output stays
    # the answer; natively the answer must be JSON and the output is the stored rows
    botticelli: bool = False
    template: str | None = None  # Botticelli template the schema came from
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaInput:
    """An image, audio clip, video or document sent with a model act's prompt.

    Exactly one source: ``url``, ``file`` (read at run time) or ``base64``."""

    kind: Literal["image", "audio", "video", "document"]
    mime: str
    url: str | None = None
    file: FileRef | None = None
    base64: str | None = field(default=None, repr=False)
    filename: str | None = None  # a document's name, for providers that take one
    type: Literal["media"] = "media"
    location: Location | None = None


Input = TextInput | BotCommandInput | TableInput | MediaInput


@dataclass(frozen=True, slots=True, kw_only=True)
class CarouselSpec:
    """Repeat the whole narrative (or one act) within a budget."""

    iterations: int = 1
    estimated_tokens_per_iteration: int | None = None
    continue_on_error: bool = False
    interval: float | None = None  # seconds between iterations
    until: str | None = None  # stop once this template renders truthy
    on_budget: Literal["stop", "wait"] = "stop"
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Act:
    """One step of a narrative."""

    name: str
    inputs: tuple[Input, ...] = ()
    output_var: str | None = None
    skip_if: str | None = None
    # model acts
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    context: Literal["full", "none"] = "full"
    system: str | None = None
    output: Literal["text", "json"] = "text"
    schema: dict[str, Any] | None = None
    store: StoreSpec | None = None  # insert the JSON answer's items into a content table
    # platform acts
    mentions: tuple[str, ...] | None = None
    allow_destructive: bool | None = None
    carousel: CarouselSpec | None = None
    subplan: Plan | None = None  # a nested narrative run as this act (Botticelli dialect)
    # Botticelli's `narrative = "NAME"` composition: the nested acts' outputs, joined with
    # blank lines, are this act's output and join the conversation; False (narratives.X): the
    # nested narrative runs for its effects and the act goes on with its other inputs
    subplan_joins: bool = False
    location: Location | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.inputs, tuple):
            object.__setattr__(self, "inputs", tuple(self.inputs))
        if self.mentions is not None and not isinstance(self.mentions, tuple):
            object.__setattr__(self, "mentions", tuple(self.mentions))

    @property
    def text_inputs(self) -> tuple[TextInput, ...]:
        return tuple(i for i in self.inputs if isinstance(i, TextInput))

    @property
    def commands(self) -> tuple[BotCommandInput, ...]:
        return tuple(i for i in self.inputs if isinstance(i, BotCommandInput))

    @property
    def table_inputs(self) -> tuple[TableInput, ...]:
        return tuple(i for i in self.inputs if isinstance(i, TableInput))

    @property
    def media_inputs(self) -> tuple[MediaInput, ...]:
        return tuple(i for i in self.inputs if isinstance(i, MediaInput))

    @property
    def is_model_act(self) -> bool:
        """An act with text inputs and no commands asks a model (table inputs are
        rendered into its prompt)."""
        return bool(self.text_inputs or self.media_inputs) and not self.commands

    @property
    def is_table_read(self) -> bool:
        """An act whose only inputs are tables: its output is the rows, as data."""
        return bool(self.inputs) and all(isinstance(i, TableInput) for i in self.inputs)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """A whole narrative, ready to run."""

    name: str
    description: str = ""
    source: str = "<string>"
    dialect: Literal["native", "botticelli"] = "native"
    # bot commands also write each id-like field of their result under
    # {platform}.{command}.{field} and {field} (Botticelli's capture; its parser sets it)
    capture_result_ids: bool = False
    guild_id: str | None = None
    model: str | None = None  # default model for model acts
    system: str | None = None  # default system prompt
    allow_destructive: bool = False
    concurrency: int = 1
    budget_multiplier: float = 1.0
    carousel: CarouselSpec | None = None
    acts: tuple[Act, ...] = ()
    location: Location | None = None
    # load-time warnings (keys Botticelli ignores, prompts sent verbatim): printed, not fatal
    warnings: tuple[Problem, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.acts, tuple):
            object.__setattr__(self, "acts", tuple(self.acts))

    def act(self, name: str) -> Act:
        for act in self.acts:
            if act.name == name:
                return act
        raise KeyError(name)

    @property
    def act_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.acts)
