"""The Botticelli templates as JSON Schemas, shipped as package data.

A Botticelli narrative's ``template = "discord_guilds"`` names a table whose
columns describe the items its model acts generate. narrator has no such tables:
each template is a JSON Schema here (``NAME.json``), written from the columns of
Botticelli's table of that name, which the narrative's acts are asked to follow
and which validates the items before they are stored.

``names()`` lists them; ``load(NAME)`` returns a fresh copy of one schema.
Pure: reads only files inside the package.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
from importlib import resources
from typing import Any

__all__ = ["UnknownTemplate", "load", "names"]


class UnknownTemplate(LookupError):
    """``load`` was given a name that is not a shipped template."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        close = difflib.get_close_matches(name, known, n=1)
        self.hint = f"did you mean '{close[0]}'?" if close else f"templates: {', '.join(known)}"
        super().__init__(f"no template '{name}'; {self.hint}")


@functools.cache
def names() -> tuple[str, ...]:
    """The shipped template names, sorted."""
    folder = resources.files(__name__)
    return tuple(
        sorted(
            entry.name.removesuffix(".json")
            for entry in folder.iterdir()
            if entry.name.endswith(".json")
        )
    )


@functools.cache
def _parsed(name: str) -> dict[str, Any]:
    text = resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load(name: str) -> dict[str, Any]:
    """The JSON Schema of template ``name`` (a copy: the caller may change it)."""
    if name not in names():
        raise UnknownTemplate(name, list(names()))
    return copy.deepcopy(_parsed(name))
