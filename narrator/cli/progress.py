"""Where a run is, for people: the carousel's iterations, elapsed time, an ETA that
counts intervals and waits, and a countdown while the run sleeps.

:class:`Tracker` is the arithmetic (no terminal); :class:`LiveDisplay` draws it with
rich on a fancy terminal, refreshed by rich's own thread so the countdown moves
while the run sleeps. rich is imported only when a LiveDisplay starts.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from narrator.cli.console import rich_console

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.live import Live

    from narrator.protocols import WaitReason

__all__ = ["LiveDisplay", "Tracker", "wait_text"]

_REASON = {"interval": "interval", "budget": "daily budget", "rate_limit": "rate limit"}


def wait_text(seconds: float, reason: WaitReason) -> str:
    """``waiting 12 s (rate limit)``: what the countdown says."""
    if seconds >= 3600:
        shown = f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    elif seconds >= 60:
        shown = f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    else:
        shown = f"{math.ceil(seconds)} s"
    return f"waiting {shown} ({_REASON.get(reason, reason)})"


@dataclass
class Tracker:
    """A carousel's progress and the run's current wait, in monotonic seconds."""

    started: float
    total: int = 0  # iterations planned (0: not a carousel)
    interval: float = 0.0
    done: int = 0
    work: float = 0.0  # seconds the finished iterations took, waits excluded
    waited: float = 0.0  # seconds slept in finished waits
    wait_start: float | None = None
    wait_until: float | None = None
    wait_reason: WaitReason = "interval"
    mark: float = 0.0  # when the current iteration (or wait) began

    def finished(self, iteration: int, total: int, now: float) -> None:
        self.end_wait(now)
        self.done, self.total = iteration, total
        self.work = max(0.0, now - self.started - self.waited)
        self.mark = now

    def wait(self, seconds: float, reason: WaitReason, now: float) -> None:
        self.end_wait(now)
        self.wait_start, self.wait_until, self.wait_reason = now, now + seconds, reason

    def end_wait(self, now: float) -> None:
        if self.wait_start is not None:
            self.waited += min(now, self.wait_until or now) - self.wait_start
            self.wait_start = self.wait_until = None
            self.mark = now

    def wait_left(self, now: float) -> float | None:
        if self.wait_until is None:
            return None
        if now >= self.wait_until:
            return 0.0
        return self.wait_until - now

    def eta(self, now: float) -> float | None:
        """Seconds until the carousel ends: the current wait, the iterations left at the
        average pace so far, and an interval before each of them but the next."""
        if not self.total or not self.done:
            return None
        remaining = self.total - self.done
        if remaining <= 0:
            return 0.0
        pace = self.work / self.done
        left = self.wait_left(now)
        running = 0.0 if left is not None else now - self.mark
        gaps = (remaining - 1) * self.interval
        return (left or 0.0) + max(0.0, remaining * pace - running) + gaps

    def eta_at_finish(self) -> float:
        """The ETA as an iteration finishes: each one left comes after an interval."""
        remaining = max(0, self.total - self.done)
        pace = self.work / self.done if self.done else 0.0
        return remaining * (pace + self.interval)


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class LiveDisplay:
    """The bottom lines of a fancy terminal: the carousel bar, the act running, the
    countdown of a wait. Lines printed through :meth:`print` scroll above it."""

    def __init__(self, stream: IO[str], tracker: Tracker) -> None:
        self.stream = stream
        self.tracker = tracker
        self.act: str | None = None
        self.act_start = 0.0
        self._live: Live | None = None

    def start(self) -> None:
        if self._live is not None:
            return
        from rich.live import Live

        self._live = Live(
            self,
            console=rich_console(self.stream),
            refresh_per_second=8,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def print(self, text: str, style: str | None = None) -> None:
        from rich.text import Text

        line = Text(text, style=style or "")
        if self._live is not None:
            self._live.console.print(line)
        else:
            rich_console(self.stream).print(line)

    def __rich__(self) -> RenderableType:
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        t, now = self.tracker, time.monotonic()
        rows: list[Any] = []
        if t.total:
            grid = Table.grid(padding=(0, 1))
            grid.add_row(
                ProgressBar(total=t.total, completed=t.done, width=30),
                Text(f"{t.done}/{t.total} iterations", style="bold"),
                Text(f"elapsed {_clock(now - t.started)}"),
                Text(f"ETA {_clock(eta)}" if (eta := t.eta(now)) is not None else "ETA –:––"),
            )
            rows.append(grid)
        left = t.wait_left(now)
        if left is not None and left > 0:
            rows.append(Text(f"⏳ {wait_text(left, t.wait_reason)}", style="cyan"))
        elif self.act is not None:
            rows.append(Text(f"… {self.act}  {now - self.act_start:.1f} s", style="dim"))
        return Group(*rows)
