"""OpenTelemetry spans, optional: the only module that imports ``opentelemetry``.

``with span("narrator.act", act="greet") as s: ...; s.set("status", "done")``
works in sync and async code. Spans nest through OpenTelemetry's context (a
contextvar), so an act's request spans are its children, also across
``asyncio.gather``.

When ``opentelemetry`` is not installed (``pip install narrator-workflows[otel]``
adds it), or ``OTEL_SDK_DISABLED=true``, :func:`span` returns one shared no-op
object: the import is attempted once, lazily, at the first span, and after that
a span costs a function call (see benchmarks/README.md, "Tracing overhead").

Configuration is OpenTelemetry's own. If the application (or a test) installed
a global ``TracerProvider``, spans go there. Otherwise, when the SDK is
installed and ``OTEL_TRACES_EXPORTER`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set,
a provider is configured from the environment: the exporters named by
``OTEL_TRACES_EXPORTER`` (default ``otlp``; ``console``, ``none``, or any
installed ``opentelemetry_traces_exporter`` entry point; OTLP needs
``opentelemetry-exporter-otlp``), resource from ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES``, a batch processor flushed at exit.
"""

from __future__ import annotations

import logging
import os
from types import TracebackType
from typing import Any

__all__ = ["Span", "enabled", "span"]

_log = logging.getLogger(__name__)

# None: not tried yet; False: no opentelemetry (or disabled); else the tracer
_tracer: Any = None


class Span:
    """The no-op span: what :func:`span` returns when tracing is off."""

    __slots__ = ()

    def __enter__(self) -> Span:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def set(self, key: str, value: Any) -> None:
        """Set an attribute (``None`` values are left out)."""


_NOOP = Span()


class _LiveSpan(Span):
    __slots__ = ("_cm", "_span")

    def __init__(self, tracer: Any, name: str, attributes: dict[str, Any]) -> None:
        self._cm = tracer.start_as_current_span(
            name, attributes={k: _value(v) for k, v in attributes.items() if v is not None}
        )
        self._span: Any = None

    def __enter__(self) -> Span:
        self._span = self._cm.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._cm.__exit__(exc_type, exc, tb)

    def set(self, key: str, value: Any) -> None:
        if value is not None and self._span is not None:
            self._span.set_attribute(key, _value(value))


def _value(value: Any) -> Any:
    return value if isinstance(value, str | bool | int | float) else str(value)


def span(name: str, **attributes: Any) -> Span:
    """A span named ``name`` around a ``with`` block; a no-op when tracing is off."""
    tracer = _tracer
    if tracer is None:
        tracer = _load()
    if tracer is False:
        return _NOOP
    return _LiveSpan(tracer, name, attributes)


def enabled() -> bool:
    """Whether spans are recorded anywhere (opentelemetry importable and not disabled)."""
    return (_tracer if _tracer is not None else _load()) is not False


def _load() -> Any:
    global _tracer
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        _tracer = False
        return _tracer
    try:
        from opentelemetry import trace
    except ImportError:
        _tracer = False
        return _tracer
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider) and (
        os.environ.get("OTEL_TRACES_EXPORTER") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    ):
        _configure_from_environment()
    _tracer = trace.get_tracer("narrator")
    return _tracer


def _configure_from_environment() -> None:
    """A TracerProvider from the standard ``OTEL_*`` variables, when the SDK is installed."""
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        _log.warning("OTEL_* is set but opentelemetry-sdk is not installed: no spans exported")
        return
    from importlib.metadata import entry_points

    names = os.environ.get("OTEL_TRACES_EXPORTER", "otlp")
    provider = TracerProvider(resource=Resource.create())
    for name in (n.strip() for n in names.split(",")):
        if not name or name == "none":
            continue
        found = entry_points(group="opentelemetry_traces_exporter", name=name)
        if not found:
            _log.warning(
                "OTEL_TRACES_EXPORTER=%s: no such exporter installed"
                " (for otlp: pip install opentelemetry-exporter-otlp)",
                name,
            )
            continue
        exporter = next(iter(found)).load()()
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
