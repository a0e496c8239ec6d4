"""The catalogue of platform commands: names, arguments, and what they do.

Pure data. The parser checks narratives against it at load time (unknown
command or argument → a problem with "did you mean"); the executor uses it to
know which commands are destructive; platforms implement what it lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ArgType = Literal["str", "int", "bool", "list", "dict", "any", "id", "number"]


@dataclass(frozen=True, slots=True)
class Arg:
    type: ArgType = "any"
    required: bool = False
    doc: str = ""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command of one platform."""

    platform: str
    name: str
    args: Mapping[str, Arg] = field(default_factory=dict)
    doc: str = ""
    destructive: bool = False
    convergent: bool = False  # an *.ensure command: converge, never duplicate
    writes: bool = True  # False for pure reads (list/get)
    result: str = ""

    @property
    def required_args(self) -> tuple[str, ...]:
        return tuple(n for n, a in self.args.items() if a.required)


def _spec(
    name: str,
    doc: str,
    args: Mapping[str, Arg],
    *,
    destructive: bool = False,
    convergent: bool = False,
    writes: bool = True,
    result: str = "",
) -> CommandSpec:
    return CommandSpec(
        "discord",
        name,
        dict(args),
        doc,
        destructive=destructive,
        convergent=convergent,
        writes=writes,
        result=result,
    )


_GUILD = {"guild_id": Arg("id", doc="guild (server) id; defaults to [discord] guild_id")}
_CHANNEL_FIELDS = {
    **_GUILD,
    "name": Arg("str", required=True, doc="channel name"),
    "kind": Arg("str", doc="text, voice, category, announcement or forum (default text)"),
    "topic": Arg("str", doc="channel topic"),
    "category": Arg("str", doc="name (or id) of the category to place the channel in"),
    "position": Arg("int", doc="sorting position"),
    "nsfw": Arg("bool", doc="age-restricted"),
}
_ROLE_FIELDS = {
    **_GUILD,
    "name": Arg("str", required=True, doc="role name"),
    "color": Arg("any", doc='"#rrggbb" or an integer'),
    "hoist": Arg("bool", doc="show members separately"),
    "mentionable": Arg("bool", doc="anyone may @mention the role"),
    "permissions": Arg("list", doc="list of permission names, e.g. send_messages"),
}
_OVERWRITE = {
    "channel_id": Arg("id", required=True, doc="channel id"),
    "role": Arg("str", doc="role name or id (one of role / member)"),
    "member": Arg("id", doc="member id (one of role / member)"),
    "allow": Arg("list", doc="permission names to allow"),
    "deny": Arg("list", doc="permission names to deny"),
}

_DISCORD: tuple[CommandSpec, ...] = (
    _spec("channels.create", "Create a channel.", _CHANNEL_FIELDS, result="{id, name, kind, ...}"),
    _spec(
        "channels.ensure",
        "Make sure a channel exists with these fields; create or update only what differs.",
        _CHANNEL_FIELDS,
        convergent=True,
        result="{id, name, kind, ...}",
    ),
    _spec(
        "categories.ensure",
        "Make sure a category exists.",
        {**_GUILD, "name": Arg("str", required=True), "position": Arg("int")},
        convergent=True,
        result="{id, name, ...}",
    ),
    _spec("roles.create", "Create a role.", _ROLE_FIELDS, result="{id, name, ...}"),
    _spec(
        "roles.ensure",
        "Make sure a role exists with these fields.",
        _ROLE_FIELDS,
        convergent=True,
        result="{id, name, ...}",
    ),
    _spec(
        "permissions.set",
        "Set a channel permission overwrite.",
        _OVERWRITE,
        result="{channel_id, target_id}",
    ),
    _spec(
        "permissions.ensure",
        "Make sure a channel permission overwrite is exactly this.",
        _OVERWRITE,
        convergent=True,
        result="{channel_id, target_id}",
    ),
    _spec(
        "messages.send",
        "Send a message.",
        {
            "channel_id": Arg("id", required=True),
            "content": Arg("str", required=True),
            "mentions": Arg("list", doc="who may be pinged; default none for model text"),
        },
        result="{id, channel_id, content}",
    ),
    _spec(
        "messages.ensure",
        "Post a message once; edit it when the content changes; re-post when deleted.",
        {
            "channel_id": Arg("id", required=True),
            "key": Arg("str", doc="stable name of this message (default: the act name)"),
            "content": Arg("str", required=True),
            "pin": Arg("bool"),
            "mentions": Arg("list"),
        },
        convergent=True,
        result="{id, channel_id, content}",
    ),
    _spec(
        "messages.pin",
        "Pin a message.",
        {"channel_id": Arg("id", required=True), "message_id": Arg("id", required=True)},
        result="{id}",
    ),
    _spec(
        "channels.delete",
        "Delete a channel.",
        {"channel_id": Arg("id", required=True)},
        destructive=True,
        result="{id}",
    ),
)

CATALOGUE: dict[str, dict[str, CommandSpec]] = {"discord": {c.name: c for c in _DISCORD}}


def register(spec: CommandSpec) -> None:
    """Add (or replace) a command in the catalogue."""
    CATALOGUE.setdefault(spec.platform, {})[spec.name] = spec


def lookup(platform: str, command: str) -> CommandSpec | None:
    return CATALOGUE.get(platform, {}).get(command)


def platforms() -> tuple[str, ...]:
    return tuple(sorted(CATALOGUE))


def command_names(platform: str) -> tuple[str, ...]:
    return tuple(sorted(CATALOGUE.get(platform, {})))
