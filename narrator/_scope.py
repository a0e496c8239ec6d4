"""What references resolve against, and how: the jinja-free half of interpolation.

Private to :mod:`narrator.interpolate`, which re-exports every public name here
(import them from there). Holds the records templates are rendered against
(:class:`Scope`, :class:`StateReader`, :class:`ActValue`, :class:`Environ`),
resolving one reference to a value, skip_if truthiness, and the ``state`` view
jinja templates walk. No jinja2 import: interpolate owns that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from narrator.errors import NarratorError

if TYPE_CHECKING:
    from narrator.protocols import StateReader as StateReaderProtocol

RefKind = Literal["state", "act", "env", "carousel", "run", "jinja"]
# the names a template reads besides earlier acts (jinja context, reference heads)
CONTEXT_NAMES = frozenset({"state", "act", "env", "carousel", "run"})
FALSY_WORDS = frozenset({"", "false", "0", "no", "none", "null", "off"})
TRUTHY_WORDS = frozenset({"true", "1", "yes", "on"})
# skip_if / until values that are conditions by themselves, without a reference
CONDITION_WORDS = FALSY_WORDS | TRUTHY_WORDS
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Variables that hold secrets whatever narrator.toml says: the default
# ``[discord] token_env`` and each provider's default ``api_key_env``.
# :func:`narrator.config.secret_env_names` adds the names the config gives.
DEFAULT_SECRET_ENV = frozenset(
    {"DISCORD_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"}
)


class TemplateSyntaxError(NarratorError):
    """A malformed reference or jinja block; ``offset`` is where, in the string."""

    exit_code = 2

    def __init__(self, message: str, offset: int, *, hint: str | None = None) -> None:
        self.offset = offset
        super().__init__(message, hint=hint)


class ResolveError(NarratorError):
    """A reference that did not resolve; the executor turns it into ReferenceFailed."""


@dataclass(frozen=True, slots=True)
class Ref:
    """One reference found in a template string."""

    kind: RefKind
    path: tuple[str, ...]
    start: int
    end: int
    names: frozenset[str] = frozenset()  # jinja: top-level names the block reads

    @property
    def act_name(self) -> str | None:
        return self.path[0] if self.kind == "act" else None


def secret_message(name: str) -> tuple[str, str]:
    """Message and hint for a reference to a secret variable."""
    return (
        f"variable {name} is a secret (a token or API key variable of narrator.toml); "
        "narratives cannot read it",
        f"remove the reference; if this narrative really must read {name}, "
        f'add it to [secrets] allow_env = ["{name}"] in narrator.toml',
    )


class Environ(dict[str, str]):
    """``${VAR}`` and ``{{ env }}`` sources, with secret variables withheld.

    ``withheld`` names the variables left out because they are secrets, so a
    reference to one fails saying why instead of "not set".
    """

    withheld: frozenset[str]

    def __init__(self, values: Mapping[str, str] | None = None, withheld: Iterable[str] = ()):
        hidden = frozenset(withheld)
        super().__init__((k, v) for k, v in (values or {}).items() if k not in hidden)
        self.withheld = hidden

    def __missing__(self, key: str) -> str:
        if key in self.withheld:
            message, hint = secret_message(key)
            raise ResolveError(message, hint=hint)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


@dataclass(frozen=True, slots=True)
class StateHit:
    """A state value as templates read it (what a StateReader answers)."""

    value: Any
    tainted: bool = False  # the value came from a model


class StateFunctions:
    """A :class:`~narrator.protocols.StateReader` made of plain functions (tests, tools).

    The executor passes its own reader, backed by the state repository.
    """

    def __init__(
        self,
        get: Callable[[str], StateHit | None],
        has_prefix: Callable[[str], bool] | None = None,
    ) -> None:
        self.get = get
        self.has_prefix = has_prefix or (lambda _p: False)

    def get_many(self, keys: Sequence[str]) -> dict[str, StateHit]:
        hits = {key: self.get(key) for key in keys}
        return {key: hit for key, hit in hits.items() if hit is not None}


StateReader = StateFunctions  # the name this class had before the protocol; tests use it


@dataclass(frozen=True, slots=True)
class ActValue:
    """An earlier act's result as templates see it."""

    output: Any = None
    has_output: bool = True
    tainted: bool = False
    why_missing: str = ""


@dataclass
class Scope:
    """Everything a reference can resolve against."""

    state: StateReaderProtocol
    acts: Mapping[str, ActValue] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    carousel: Mapping[str, Any] = field(default_factory=lambda: {"iteration": 1})
    run: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rendered:
    value: Any
    tainted: bool = False


class _Missing:
    """A state key that is not set, inside a lenient (skip_if) render."""

    def __str__(self) -> str:
        return ""

    def __bool__(self) -> bool:
        return False


MISSING = _Missing()


def expand_env(segment: str, scope: Scope) -> str:
    """Expand ``${VAR}`` inside one path segment (the scanner checked its form)."""
    if "${" not in segment:
        return segment
    return _ENV_REF.sub(lambda m: str(_env(m.group(1), scope)), segment)


def _env(name: str, scope: Scope) -> str:
    if name in getattr(scope.env, "withheld", ()):
        message, hint = secret_message(name)
        raise ResolveError(message, hint=hint)
    if name not in scope.env:
        raise ResolveError(
            f"variable ${{{name}}} is not set",
            hint=f"pass --var {name}=... or export {name}",
        )
    return scope.env[name]


def _walk(value: Any, rest: tuple[str, ...], what: str) -> Any:
    for i, part in enumerate(rest):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif (
            isinstance(value, list)
            and part.lstrip("-").isdigit()
            and -len(value) <= int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            walked = ".".join((what, *rest[:i]))
            kind = type(value).__name__ if value is not None else "null"
            raise ResolveError(
                f"{walked} has no field '{part}' (it is {kind}"
                + (
                    f" with fields {', '.join(sorted(map(str, value)))})"
                    if isinstance(value, Mapping)
                    else ")"
                ),
            )
    return value


def resolve_state(path: tuple[str, ...], scope: Scope, *, lenient: bool = False) -> Rendered:
    """Longest existing key among a.b.c, a.b, a wins; the rest walks into its value."""
    parts = tuple(expand_env(p, scope) for p in path)
    candidates = [".".join(parts[:cut]) for cut in range(len(parts), 0, -1)]
    hits = scope.state.get_many(candidates)  # one read for every candidate key
    key = next((candidate for candidate in candidates if candidate in hits), None)
    if key is not None:
        hit = hits[key]
        cut = len(parts) - candidates.index(key)
        try:
            return Rendered(_walk(hit.value, parts[cut:], f"state {key}"), hit.tainted)
        except ResolveError:
            if lenient:
                return Rendered(MISSING)
            raise
    if lenient:
        return Rendered(MISSING)
    key = ".".join(parts)
    raise ResolveError(
        f"state key '{key}' is not set",
        hint="run the act that stores it first, or `narrator state set " + key + " VALUE`",
    )


def resolve(ref: Ref, scope: Scope, *, lenient: bool = False) -> Rendered:
    """The value of one (non-jinja) reference."""
    if ref.kind == "state":
        return resolve_state(ref.path, scope, lenient=lenient)
    if ref.kind == "env":
        return Rendered(_env(ref.path[0], scope))
    if ref.kind == "act":
        name = expand_env(ref.path[0], scope)
        act = scope.acts.get(name)
        if act is None:
            raise ResolveError(f"act '{name}' has not run yet, so it has no output")
        if not act.has_output:
            raise ResolveError(
                f"act '{name}' {act.why_missing or 'has no output'}",
                hint=f"give act '{name}' an output_var so its output survives a skip",
            )
        rest = tuple(expand_env(p, scope) for p in ref.path[2:])
        return Rendered(_walk(act.output, rest, f"act {name} output"), act.tainted)
    if ref.kind == "carousel":
        return Rendered(_walk(dict(scope.carousel), ref.path, "carousel"))
    if ref.kind == "run":
        return Rendered(_walk(dict(scope.run), ref.path, "run"))
    raise ResolveError(f"cannot resolve a {ref.kind} reference directly")


def to_text(value: Any) -> str:
    """How a value appears inside a larger string."""
    if isinstance(value, str):
        return value
    if isinstance(value, _Missing):
        return ""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def truthy(value: Any) -> bool:
    """skip_if truthiness: non-empty and not false/0/no/none."""
    if isinstance(value, _Missing) or value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() not in FALSY_WORDS
    if isinstance(value, dict | list | tuple):
        return len(value) > 0
    return bool(value)


# --------------------------------------------------------------------------- jinja's view


class StateView:
    """``state`` inside jinja: attribute access walks dotted keys."""

    __slots__ = ("_prefix", "_reader", "_taint")

    def __init__(self, reader: StateReaderProtocol, prefix: str, taint: list[bool]) -> None:
        self._reader = reader
        self._prefix = prefix
        self._taint = taint

    def _child(self, name: str) -> Any:
        key = f"{self._prefix}.{name}" if self._prefix else name
        if self._reader.has_prefix(key + "."):
            return StateView(self._reader, key, self._taint)
        hit = self._reader.get(key)
        if hit is not None:
            if hit.tainted:
                self._taint[0] = True
            return hit.value
        raise KeyError(key)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._child(name)
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._child(str(name))

    def __contains__(self, name: object) -> bool:
        try:
            self._child(str(name))
        except KeyError:
            return False
        return True

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self._child(name)
        except KeyError:
            return default


def jinja_context(scope: Scope, taint: list[bool]) -> dict[str, Any]:
    acts: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for name, act in scope.acts.items():
        if act.has_output:
            acts[name] = {"output": act.output}
            outputs[name] = act.output
            if act.tainted:
                taint[0] = True  # conservative: jinja may read any act
    return {
        **outputs,
        "state": StateView(scope.state, "", taint),
        "act": acts,
        "env": Environ(scope.env, getattr(scope.env, "withheld", ())),
        "carousel": dict(scope.carousel),
        "run": dict(scope.run),
    }
