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

The public door of interpolation, and the only module that imports jinja2
(only when a string actually contains ``{{``/``{%``/``{#``). Behind it:
:mod:`narrator._scope` (what references resolve against, resolving one
reference, truthiness) and :mod:`narrator._limits` (the bounded sandbox's
checks); both are private and re-exported here. The parser asks this module,
never jinja2, what a template reads (:func:`free_names`, :func:`check`,
:func:`scan`) and shares its vocabularies (:data:`CONTEXT_NAMES`,
:data:`CONDITION_WORDS`, :data:`DEFAULT_SECRET_ENV`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from narrator._scope import (
    CONDITION_WORDS,
    CONTEXT_NAMES,
    DEFAULT_SECRET_ENV,
    ENV_NAME,
    FALSY_WORDS,
    MISSING,
    TRUTHY_WORDS,
    ActValue,
    Environ,
    Ref,
    RefKind,
    Rendered,
    ResolveError,
    Scope,
    StateFunctions,
    StateHit,
    StateReader,
    StateView,
    TemplateSyntaxError,
    expand_env,
    jinja_context,
    resolve,
    resolve_state,
    secret_message,
    to_text,
    truthy,
)

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

__all__ = [
    "CONDITION_WORDS",
    "CONTEXT_NAMES",
    "DEFAULT_SECRET_ENV",
    "MISSING",
    "ActValue",
    "Environ",
    "Ref",
    "RefKind",
    "Rendered",
    "ResolveError",
    "Scope",
    "StateFunctions",
    "StateHit",
    "StateReader",
    "StateView",
    "TemplateSyntaxError",
    "check",
    "condition",
    "expand_env",
    "free_names",
    "render",
    "render_value",
    "resolve",
    "resolve_state",
    "scan",
    "secret_message",
    "to_text",
    "truthy",
]


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
            m = ENV_NAME.match(text, i + 2)
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
            m = ENV_NAME.match(text, pos + 2)
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


def free_names(text: str) -> frozenset[str] | None:
    """Variables the whole jinja template ``text`` reads (names its loops and sets bind
    are not free); None when it cannot be analysed."""
    from jinja2 import TemplateSyntaxError as JinjaSyntaxError
    from jinja2 import meta

    try:
        return frozenset(meta.find_undeclared_variables(_environment().parse(text)))
    except (JinjaSyntaxError, RecursionError, SyntaxError, MemoryError):
        return None


# --------------------------------------------------------------------------- rendering


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


def condition(text: str, scope: Scope) -> bool:
    """Evaluate a skip_if / until condition. A missing state key is falsy."""
    word = text.strip().lower()
    if word in FALSY_WORDS:
        return False
    if word in TRUTHY_WORDS:
        return True
    if not scan(text):
        # a bare jinja expression: skip_if = "state.count >= 3"
        return truthy(_evaluate_expression(text, scope))
    return truthy(render(text, scope, lenient=True).value)


# --------------------------------------------------------------------------- jinja


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    """The bounded sandbox: :mod:`narrator._limits` checks ``**``, ``*``, ``%``, ranges, padding."""
    from jinja2 import StrictUndefined
    from jinja2.filters import do_center, do_format, do_indent
    from jinja2.sandbox import SandboxedEnvironment

    from narrator import _limits  # with jinja only: plain references never need it

    class BoundedEnvironment(SandboxedEnvironment):
        intercepted_binops = _limits.BINOPS

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator in _limits.BINOPS:
                return _limits.binop(operator, left, right)
            return super().call_binop(context, operator, left, right)

        def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
            wrapped = super().wrap_str_format(value)
            if wrapped is not None:
                _limits.check_format(str(value.__self__))
            return wrapped

    def center(value: Any, width: int = 80) -> str:
        _limits.check_center(width)
        return do_center(value, width)

    def indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
        _limits.check_indent(value, width)
        return do_indent(value, width, first, blank)

    def format_(value: Any, *args: Any, **kwargs: Any) -> str:
        _limits.check_percent(value)
        return do_format(value, *args, **kwargs)

    env = BoundedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    env.globals["range"] = _limits.bounded_range
    env.filters.update(center=center, indent=indent, format=format_)
    return env


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


def _render_jinja(pieces: tuple[_Piece, ...], scope: Scope, *, lenient: bool) -> Rendered:
    from jinja2 import TemplateError, UndefinedError

    from narrator import _limits

    taint = [False]
    ctx = jinja_context(scope, taint)
    source, literals, refs = _jinja_source(pieces)
    values = []
    for ref in refs:
        got = resolve(ref, scope, lenient=lenient)
        taint[0] = taint[0] or got.tainted
        values.append(got.value)
    try:
        with _limits.range_budget():
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

    from narrator import _limits

    try:
        with _limits.range_budget():
            value = _compiled_expression(text.strip())(**jinja_context(scope, [False]))
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
