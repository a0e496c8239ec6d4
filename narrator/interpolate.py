"""References and templates inside narrative strings (DESIGN §3). Pure.

Forms: ``{state.a.b}`` and ``<state.a.b>``, ``{act.NAME.output[.FIELD...]}``,
``${VAR}``, ``{carousel.iteration}``, ``{run.id}``, and jinja2 ``{{ … }}`` /
``{% … %}`` in a sandboxed environment with strict undefined.

Rendering is single-pass by construction: :func:`scan` cuts the *template
text* into literal pieces and references; each reference is resolved to a
value and the values are joined (or, when jinja is involved, handed to jinja
as opaque variables). Text that came from a model, Discord or state is never
scanned, so ``{state.token}`` or ``{{ 7*7 }}`` in a model's answer stays
exactly those characters.

jinja2 is imported only when a string actually contains ``{{``/``{%``/``{#``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from narrator.errors import NarratorError

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

RefKind = Literal["state", "act", "env", "carousel", "run", "jinja"]
CONTEXT_NAMES = frozenset({"state", "act", "env", "carousel", "run"})
_FALSY_WORDS = frozenset({"", "false", "0", "no", "none", "null", "off"})
_TRUTHY_WORDS = frozenset({"true", "1", "yes", "on"})
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

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


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str  # literal text, or the raw reference text
    ref: Ref | None = None


# --------------------------------------------------------------------------- scanning


def scan(text: str) -> tuple[Ref, ...]:
    """Every reference in ``text``, in order. Raises TemplateSyntaxError."""
    return tuple(p.ref for p in _pieces(text) if p.ref is not None)


@lru_cache(maxsize=4096)
def _pieces(text: str) -> tuple[_Piece, ...]:
    pieces: list[_Piece] = []
    literal: list[str] = []
    i = 0
    n = len(text)

    def flush() -> None:
        if literal:
            pieces.append(_Piece("".join(literal)))
            literal.clear()

    while i < n:
        ch = text[i]
        if ch == "{" and i + 1 < n and text[i + 1] in "{%#":
            closer = {"{": "}}", "%": "%}", "#": "#}"}[text[i + 1]]
            end = text.find(closer, i + 2)
            if end < 0:
                raise TemplateSyntaxError(
                    f"unclosed jinja block '{text[i : i + 2]}'",
                    i,
                    hint=f"close it with '{closer}'",
                )
            end += 2
            flush()
            raw = text[i:end]
            pieces.append(_Piece(raw, Ref("jinja", (), i, end, _jinja_names(raw, i))))
            i = end
            continue
        if ch == "$" and text.startswith("${", i):
            m = _ENV_NAME.match(text, i + 2)
            if m and m.end() < n and text[m.end()] == "}":
                flush()
                pieces.append(
                    _Piece(text[i : m.end() + 1], Ref("env", (m.group(),), i, m.end() + 1))
                )
                i = m.end() + 1
                continue
            if m:
                raise TemplateSyntaxError(
                    f"unclosed variable reference '${{{m.group()}'",
                    i,
                    hint=f"write ${{{m.group()}}}",
                )
            literal.append(ch)
            i += 1
            continue
        if ch in "{<":
            ref = _try_reference(text, i)
            if ref is not None:
                flush()
                pieces.append(_Piece(text[ref.start : ref.end], ref))
                i = ref.end
                continue
        literal.append(ch)
        i += 1
    flush()
    return tuple(pieces)


def _try_reference(text: str, i: int) -> Ref | None:
    opener = text[i]
    closer = "}" if opener == "{" else ">"
    kinds: tuple[str, ...] = ("state",) if opener == "<" else ("state", "act", "carousel", "run")
    for kind in kinds:
        head = f"{opener}{kind}."
        if text.startswith(head, i):
            break
    else:
        return None
    pos = i + len(head)
    segments: list[str] = []
    current: list[str] = []
    while True:
        if pos >= len(text):
            raise TemplateSyntaxError(
                f"unclosed reference '{text[i : i + 40]}'", i, hint=f"close it with '{closer}'"
            )
        ch = text[pos]
        if ch == closer:
            segments.append("".join(current))
            pos += 1
            break
        if ch == ".":
            segments.append("".join(current))
            current = []
            pos += 1
            continue
        if ch == "$" and text.startswith("${", pos):
            m = _ENV_NAME.match(text, pos + 2)
            if not m or m.end() >= len(text) or text[m.end()] != "}":
                raise TemplateSyntaxError("malformed ${VAR} inside a reference", pos)
            current.append(text[pos : m.end() + 1])
            pos = m.end() + 1
            continue
        if ch.isspace() or ch in "{}<>\"'`":
            raise TemplateSyntaxError(
                f"unexpected {ch!r} in reference '{text[i : pos + 1]}'",
                pos,
                hint=f"references look like {opener}{kind}.a.b{closer}",
            )
        current.append(ch)
        pos += 1
    if any(s == "" for s in segments):
        raise TemplateSyntaxError(
            f"empty name in reference '{text[i:pos]}'", i, hint="remove the doubled or trailing dot"
        )
    path = tuple(segments)
    if kind == "act" and (len(path) < 2 or path[1] != "output"):
        raise TemplateSyntaxError(
            f"'{text[i:pos]}' does not name an output",
            i,
            hint=f"write {{act.{path[0]}.output}} or {{act.{path[0]}.output.FIELD}}",
        )
    return Ref(kind, path, i, pos)  # type: ignore[arg-type]


def _jinja_names(raw: str, offset: int) -> frozenset[str]:
    if raw.startswith("{#"):
        return frozenset()
    words = raw[2:].strip().lstrip("-+").split()
    if raw.startswith("{%") and words and words[0] in _BLOCK_CONTINUATIONS:
        return frozenset()
    env = _environment()
    from jinja2 import TemplateSyntaxError as JinjaSyntaxError
    from jinja2 import meta

    try:
        ast = env.parse(raw if not raw.startswith("{%") else raw + _closing_for(raw))
        return frozenset(meta.find_undeclared_variables(ast))
    except JinjaSyntaxError as exc:
        raise TemplateSyntaxError(f"jinja: {exc.message}", offset) from None
    except (RecursionError, SyntaxError, MemoryError):
        raise _too_deep(offset) from None


def _too_deep(offset: int) -> TemplateSyntaxError:
    return TemplateSyntaxError(
        "jinja: the template is nested too deeply",
        offset,
        hint="use fewer nested parentheses, blocks or brackets (a few dozen at most)",
    )


_BLOCK_CONTINUATIONS = frozenset(
    {"else", "elif", "endif", "endfor", "endmacro", "endraw", "endfilter", "endset"}
)
_BLOCK_OPENERS = {"if": "{% endif %}", "for": "{% endfor %}", "macro": "{% endmacro %}"}


def _closing_for(raw: str) -> str:
    """A lone ``{% if x %}`` parses only with its end tag; supply it for name analysis."""
    words = raw[2:].strip().split()
    if words:
        word = words[0].lstrip("-+")
        if word in _BLOCK_OPENERS:
            return _BLOCK_OPENERS[word]
    return ""


def check(text: str) -> None:
    """Raise TemplateSyntaxError if ``text`` is not a well-formed template as a whole."""
    pieces = _pieces(text)
    if any(p.ref is not None and p.ref.kind == "jinja" for p in pieces):
        from jinja2 import TemplateSyntaxError as JinjaSyntaxError

        try:
            _compiled_template(_jinja_source(pieces)[0])  # compiling finds what parsing cannot
        except JinjaSyntaxError as exc:
            raise TemplateSyntaxError(f"jinja: {exc.message}", 0) from None
        except (RecursionError, SyntaxError, MemoryError):
            raise _too_deep(0) from None


# --------------------------------------------------------------------------- resolving


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
    value: Any
    tainted: bool = False  # the value came from a model


class StateReader:
    """What templates may read of state. The executor backs it with the repository."""

    def __init__(
        self,
        get: Callable[[str], StateHit | None],
        has_prefix: Callable[[str], bool] | None = None,
        get_longest: Callable[[list[str]], tuple[str, StateHit] | None] | None = None,
    ) -> None:
        self.get = get
        self.has_prefix = has_prefix or (lambda _p: False)
        self._get_longest = get_longest

    def longest(self, keys: list[str]) -> tuple[str, StateHit] | None:
        """The first of ``keys`` (longest first) that exists, with its value."""
        if self._get_longest is not None:
            return self._get_longest(keys)
        for key in keys:
            hit = self.get(key)
            if hit is not None:
                return key, hit
        return None


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

    state: StateReader
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
    """Expand ``${VAR}`` inside one path segment."""
    if "${" not in segment:
        return segment
    out = []
    for piece in _pieces(segment):
        if piece.ref is not None and piece.ref.kind == "env":
            out.append(str(_env(piece.ref.path[0], scope)))
        else:
            out.append(piece.text)
    return "".join(out)


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
    found = scope.state.longest(candidates)
    if found is not None:
        key, hit = found
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


def render(text: str, scope: Scope, *, lenient: bool = False) -> Rendered:
    """Render ``text`` once. A string that is exactly one reference keeps its type."""
    pieces = _pieces(text)
    if not pieces:
        return Rendered("")
    if len(pieces) == 1 and pieces[0].ref is None:
        return Rendered(text)
    if any(p.ref is not None and p.ref.kind == "jinja" for p in pieces):
        return _render_jinja(pieces, scope, lenient=lenient)
    if len(pieces) == 1 and pieces[0].ref is not None:
        return resolve(pieces[0].ref, scope, lenient=lenient)
    out: list[str] = []
    tainted = False
    for piece in pieces:
        if piece.ref is None:
            out.append(piece.text)
        else:
            got = resolve(piece.ref, scope, lenient=lenient)
            tainted = tainted or got.tainted
            out.append(to_text(got.value))
    return Rendered("".join(out), tainted)


def render_value(value: Any, scope: Scope) -> tuple[Any, frozenset[str]]:
    """Render every string inside ``value`` (dicts and lists walked).

    Returns the rendered value and the top-level keys whose text came from a model.
    """
    tainted: set[str] = set()

    def walk(v: Any, top: str | None) -> Any:
        if isinstance(v, str):
            got = render(v, scope)
            if got.tainted and top is not None:
                tainted.add(top)
            return got.value
        if isinstance(v, dict):
            return {k: walk(x, top if top is not None else k) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [walk(x, top) for x in v]
        return v

    if isinstance(value, dict):
        return {k: walk(v, k) for k, v in value.items()}, frozenset(tainted)
    return walk(value, "value"), frozenset(tainted)


def truthy(value: Any) -> bool:
    """skip_if truthiness: non-empty and not false/0/no/none."""
    if isinstance(value, _Missing) or value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() not in _FALSY_WORDS
    if isinstance(value, dict | list | tuple):
        return len(value) > 0
    return bool(value)


def condition(text: str, scope: Scope) -> bool:
    """Evaluate a skip_if / until condition. A missing state key is falsy."""
    word = text.strip().lower()
    if word in _FALSY_WORDS:
        return False
    if word in _TRUTHY_WORDS:
        return True
    if not scan(text):
        # a bare jinja expression: skip_if = "state.count >= 3"
        return truthy(_evaluate_expression(text, scope))
    return truthy(render(text, scope, lenient=True).value)


# --------------------------------------------------------------------------- jinja


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    from jinja2 import StrictUndefined

    from narrator.bounded import BoundedEnvironment

    return BoundedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


def jinja_environment() -> SandboxedEnvironment:
    """The bounded sandbox every template is parsed, compiled and rendered in."""
    return _environment()


def _jinja_source(pieces: tuple[_Piece, ...]) -> tuple[str, list[str], list[Ref]]:
    """One jinja template for the whole string: literals and our references become variables."""
    parts: list[str] = []
    literals: list[str] = []
    refs: list[Ref] = []
    for piece in pieces:
        if piece.ref is None:
            parts.append(f"{{{{ __lit[{len(literals)}] }}}}")
            literals.append(piece.text)
        elif piece.ref.kind == "jinja":
            parts.append(piece.text)
        else:
            parts.append(f"{{{{ __ref[{len(refs)}] }}}}")
            refs.append(piece.ref)
    return "".join(parts), literals, refs


class StateView:
    """``state`` inside jinja: attribute access walks dotted keys."""

    __slots__ = ("_prefix", "_reader", "_taint")

    def __init__(self, reader: StateReader, prefix: str, taint: list[bool]) -> None:
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


def _context(scope: Scope, taint: list[bool]) -> dict[str, Any]:
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


def _render_jinja(pieces: tuple[_Piece, ...], scope: Scope, *, lenient: bool) -> Rendered:
    from jinja2 import TemplateError, UndefinedError

    from narrator.bounded import range_budget

    taint = [False]
    ctx = _context(scope, taint)
    source, literals, refs = _jinja_source(pieces)
    values = []
    for ref in refs:
        got = resolve(ref, scope, lenient=lenient)
        taint[0] = taint[0] or got.tainted
        values.append(got.value)
    try:
        with range_budget():
            return _run_jinja(pieces, source, ctx, literals, values, taint, lenient=lenient)
    except UndefinedError as exc:
        if lenient:
            return Rendered(MISSING)
        raise ResolveError(f"jinja: {exc.message}") from None
    except TemplateError as exc:
        raise ResolveError(f"jinja: {exc.message or exc}") from None
    except (RecursionError, SyntaxError, MemoryError):
        raise ResolveError(
            "jinja: the template is nested too deeply or too large to run",
            hint="simplify the template",
        ) from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        if lenient:
            return Rendered(MISSING)
        raise ResolveError(f"jinja: {exc}") from None


def _run_jinja(
    pieces: tuple[_Piece, ...],
    source: str,
    ctx: dict[str, Any],
    literals: list[str],
    values: list[Any],
    taint: list[bool],
    *,
    lenient: bool,
) -> Rendered:
    if len(pieces) == 1:
        # exactly one {{ expression }}: keep the value's type
        expr = pieces[0].text
        if expr.startswith("{{") and expr.endswith("}}"):
            value = _compiled_expression(expr[2:-2].strip())(**ctx)
            if not lenient and _is_undefined(value):
                str(value)  # raises with jinja's message
            return Rendered(value, taint[0])
    template = _compiled_template(source)
    text = template.render(**ctx, __lit=literals, __ref=values)
    return Rendered(text, taint[0])


def _is_undefined(value: Any) -> bool:
    from jinja2 import Undefined

    return isinstance(value, Undefined)


@lru_cache(maxsize=1024)
def _compiled_template(source: str) -> Any:
    return _environment().from_string(source)


@lru_cache(maxsize=1024)
def _compiled_expression(source: str) -> Any:
    return _environment().compile_expression(source, undefined_to_none=False)


def _evaluate_expression(text: str, scope: Scope) -> Any:
    from jinja2 import TemplateError

    from narrator.bounded import range_budget

    try:
        with range_budget():
            value = _compiled_expression(text.strip())(**_context(scope, [False]))
    except TemplateError:
        return MISSING
    except (RecursionError, SyntaxError, MemoryError):
        raise ResolveError(
            "jinja: the condition is nested too deeply to run", hint="simplify the condition"
        ) from None
    except (TypeError, ValueError, ArithmeticError, KeyError, AttributeError):
        return MISSING
    if _is_undefined(value):
        return MISSING
    return value
