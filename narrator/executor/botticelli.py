"""How Botticelli's executor words and joins act responses (its meaning, for both dialects).

From crates/botticelli_narrative/src/executor.rs:

* a bot command's result goes into the act's prompt as pretty-printed JSON
  (``serde_json::to_string_pretty``: two-space indent);
* an optional command (``required = false``, every ``[bots.*]`` reference) that
  fails becomes the text ``[Bot command 'C' failed: ERROR]`` and the act goes on;
* an act without a prompt answers with its last successful command's result, or
  ``Action completed successfully`` when it has none;
* an act composing another narrative (``narrative = "NAME"``) answers with the
  responses of that narrative's acts joined by a blank line (an object as
  compact JSON, ``serde_json::to_string``).

Pure: the engine and the performer call these.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from narrator.errors import (
    ActFailed,
    BudgetExhausted,
    DestructiveRefused,
    GuildMissing,
    NarratorError,
    NotConfigured,
)

__all__ = [
    "ACTION_DONE",
    "command_text",
    "is_soft",
    "joined",
    "response_text",
    "soft_failure",
]

ACTION_DONE = "Action completed successfully"


def command_text(output: Any) -> str:
    """A command's result as a prompt sees it (Botticelli: pretty-printed JSON)."""
    return json.dumps(output, indent=2, ensure_ascii=False, default=str)


def soft_failure(command: str, exc: NarratorError) -> str:
    """The text an optional command's failure becomes (Botticelli's exact wording); a
    command refused as destructive says how to allow it (the run exits 0 otherwise silent)."""
    message = exc.message
    act = getattr(exc, "act", None)
    if act and message.startswith(f"act '{act}': "):
        message = message[len(f"act '{act}': ") :]
    if isinstance(exc, DestructiveRefused):  # the one soft failure the user can lift
        message += "; run with --allow-destructive (or allow_destructive = true) to let it run"
    return f"[Bot command '{command}' failed: {message}]"


def is_soft(exc: NarratorError) -> bool:
    """Failures an optional command turns into text: what the platform said (and a
    refused or guild-less command); a missing platform or budget still fails the act."""
    if isinstance(exc, BudgetExhausted):
        return False
    if isinstance(exc, NotConfigured) and not isinstance(exc, GuildMissing):
        return False
    return isinstance(exc, ActFailed)


def response_text(output: Any) -> str:
    """An act's response as Botticelli joins it: text as is, anything else compact JSON."""
    if isinstance(output, str):
        return output
    return json.dumps(output, separators=(",", ":"), ensure_ascii=False, default=str)


def joined(outputs: Iterable[Any]) -> str:
    """A composed narrative's act responses, joined by a blank line."""
    return "\n\n".join(response_text(o) for o in outputs)
