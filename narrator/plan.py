"""The plan: a narrative file turned into frozen data.

The parser produces a :class:`Plan`; the executor runs it. Nothing here does
I/O. Every act and input keeps the :class:`~narrator.errors.Location` it was
written at, so errors at run time can still point into the file.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from narrator.errors import Location


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class TextInput(_Frozen):
    """A piece of a model act's prompt."""

    type: Literal["text"] = "text"
    content: str
    location: Location | None = None


class BotCommandInput(_Frozen):
    """One platform command, e.g. ``channels.create`` on ``discord``."""

    type: Literal["bot_command"] = "bot_command"
    platform: str = "discord"
    command: str
    args: dict[str, Any] = Field(default_factory=dict)
    location: Location | None = None


Input = TextInput | BotCommandInput


class CarouselSpec(_Frozen):
    """Repeat the whole narrative (or one act) within a budget."""

    iterations: int = 1
    estimated_tokens_per_iteration: int | None = None
    continue_on_error: bool = False
    interval: float | None = None  # seconds between iterations
    until: str | None = None  # stop once this template renders truthy
    on_budget: Literal["stop", "wait"] = "stop"
    location: Location | None = None


class Act(_Frozen):
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
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    # platform acts
    mentions: tuple[str, ...] | None = None
    allow_destructive: bool | None = None
    carousel: CarouselSpec | None = None
    subplan: Plan | None = None  # a nested narrative run as this act (Botticelli dialect)
    location: Location | None = None

    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, arbitrary_types_allowed=True
    )

    @property
    def text_inputs(self) -> tuple[TextInput, ...]:
        return tuple(i for i in self.inputs if isinstance(i, TextInput))

    @property
    def commands(self) -> tuple[BotCommandInput, ...]:
        return tuple(i for i in self.inputs if isinstance(i, BotCommandInput))

    @property
    def is_model_act(self) -> bool:
        """An act with text inputs and no commands asks a model."""
        return bool(self.text_inputs) and not self.commands


class Plan(_Frozen):
    """A whole narrative, ready to run."""

    name: str
    description: str = ""
    source: str = "<string>"
    dialect: Literal["native", "botticelli"] = "native"
    guild_id: str | None = None
    model: str | None = None  # default model for model acts
    system: str | None = None  # default system prompt
    allow_destructive: bool = False
    concurrency: int = 1
    budget_multiplier: float = 1.0
    carousel: CarouselSpec | None = None
    acts: tuple[Act, ...] = ()
    location: Location | None = None

    def act(self, name: str) -> Act:
        for act in self.acts:
            if act.name == name:
                return act
        raise KeyError(name)

    @property
    def act_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.acts)


Act.model_rebuild()
