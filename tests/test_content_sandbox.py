"""The sandbox model answers storing acts with usable items (issue 11): distinct items for
an array schema, and items shaped like the prompt's JSON example when there is no schema."""

from __future__ import annotations

import asyncio
import json

from narrator.protocols import Message, ModelRequest
from narrator.providers.sandbox import SandboxModel
from narrator.structured import instruction, placeholder, validate


def ask(prompt: str) -> object:
    request = ModelRequest("default", "", (Message("user", prompt),), json_mode=True)
    return json.loads(asyncio.run(SandboxModel().complete(request)).text)


def test_array_items_differ_and_numbers_spread_over_their_range() -> None:
    schema = {
        "type": "array",
        "minItems": 4,
        "items": {
            "type": "object",
            "required": ["title", "score"],
            "properties": {
                "title": {"type": "string"},
                "score": {"type": "integer", "minimum": 1, "maximum": 10},
            },
        },
    }
    items = placeholder(schema)
    assert validate(items, schema) == []
    assert [i["title"] for i in items] == [
        "[sandbox] title",
        "[sandbox] title 2",
        "[sandbox] title 3",
        "[sandbox] title 4",
    ]
    assert [i["score"] for i in items] == [1, 4, 7, 10]
    assert ask("Write posts.\n\n" + instruction(schema)) == items


def test_no_schema_gives_items_shaped_like_the_prompts_example() -> None:
    prompt = (
        """Provide your response as a JSON array with this schema:
[
  {"title": "Welcome", "tone": "casual", "features": ["a", "b"], "stars": 4}
]
"""
        + "\n"
        + instruction(None)
    )
    answer = ask(prompt)
    assert isinstance(answer, list) and len(answer) == 3
    assert answer[1] == {
        "title": "[sandbox] title 2",
        "tone": "[sandbox] tone 2",
        "features": ["[sandbox] features 2", "[sandbox] features 2"],
        "stars": 5,
    }
    assert ask("Answer in JSON.\n\n" + instruction(None)) == {"result": "[sandbox] json"}
