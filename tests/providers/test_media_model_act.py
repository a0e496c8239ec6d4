"""A model act with media, as the executor builds it: the parts on the user message, the
journal's description (never the bytes), the file's text verbatim, and Botticelli's
history rule for large inline media in later acts' conversation."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from narrator.executor.model_act import Conversation, perform_model_act
from narrator.interpolate import Scope
from narrator.media import HISTORY_INLINE_LIMIT
from narrator.parser import parse_file
from narrator.testing import ScriptedModel


class NoState:
    def get(self, key: str) -> Any:
        return None

    def get_many(self, keys: Sequence[str]) -> Mapping[str, Any]:
        return {}

    def has_prefix(self, prefix: str) -> bool:
        return False


NARRATIVE = """
[[act]]
name = "look"
[[act.input]]
type = "image"
file = "small.png"
[[act.input]]
type = "image"
file = "big.png"
[[act.input]]
type = "image"
url = "https://example.com/far.png"
[[act.input]]
type = "text"
file = "CONTEXT.md"
[[act.input]]
content = "What do you see?"

[[act]]
name = "again"
[[act.input]]
content = "And now?"
"""


async def test_parts_journal_and_history(tmp_path: Path) -> None:
    small = b"\x89PNG\r\n\x1a\n" + b"s" * 10
    big = b"\x89PNG\r\n\x1a\n" + b"b" * HISTORY_INLINE_LIMIT
    (tmp_path / "small.png").write_bytes(small)
    (tmp_path / "big.png").write_bytes(big)
    (tmp_path / "CONTEXT.md").write_text("Braces {stay} as written.\n")
    (tmp_path / "n.toml").write_text(NARRATIVE)
    plan = parse_file(tmp_path / "n.toml")
    model = ScriptedModel(["I see squares.", "Still squares."])
    conversation = Conversation()
    journal: list[Any] = []
    scope = Scope(state=NoState())
    await perform_model_act(plan.acts[0], plan, scope, model, conversation, inputs=journal)
    await perform_model_act(plan.acts[1], plan, scope, model, conversation)

    first = model.requests[0].messages[-1]
    assert first.content == "Braces {stay} as written.\n\n\nWhat do you see?"
    assert [(p.kind, p.mime, p.size, p.url) for p in first.parts] == [
        ("image", "image/png", len(small), None),
        ("image", "image/png", len(big), None),
        ("image", "image/png", None, "https://example.com/far.png"),
    ]
    assert first.parts[0].data == base64.b64encode(small).decode()
    assert journal == [
        {
            "profile": "default",
            "system": None,
            "prompt": first.content,
            "media": [
                {
                    "kind": "image",
                    "mime": "image/png",
                    "bytes": len(small),
                    "source": "file small.png",
                    "filename": "small.png",
                },
                {
                    "kind": "image",
                    "mime": "image/png",
                    "bytes": len(big),
                    "source": "file big.png",
                    "filename": "big.png",
                },
                {"kind": "image", "mime": "image/png", "source": "https://example.com/far.png"},
            ],
        }
    ]
    remembered, answer, asked = model.requests[1].messages
    assert [p.size for p in remembered.parts] == [len(small), None]  # the big one is a note
    assert remembered.content.endswith("What do you see?\n\n[Image: image/png]")
    assert (answer.content, asked.content, asked.parts) == ("I see squares.", "And now?", ())
