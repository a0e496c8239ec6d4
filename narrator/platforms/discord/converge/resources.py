"""The guild's resources as convergence kinds: channels and categories, roles, overwrites, webhooks.

Each kind reads a call into its :class:`~narrator.platforms.discord.converge.apply.Target`
and says how to find, create and patch; :func:`~.apply.converge` does the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from narrator.catalogue import keys
from narrator.errors import PlatformError, ResourceNotFound
from narrator.platforms.discord.commands.permissions import overwrite_target, put_overwrite
from narrator.platforms.discord.converge.apply import (
    Kind,
    Live,
    Target,
    channel_if_known,
    planned_only,
)
from narrator.platforms.discord.converge.decide import CHANGED, Fields
from narrator.platforms.discord.session import Call, Session
from narrator.platforms.discord.shapes import (
    channel_out,
    channel_payload,
    fingerprint,
    kind_of,
    role_out,
    role_payload,
    webhook_out,
)
from narrator.platforms.discord.text import KIND_NAMES, normalize_channel_name
from narrator.platforms.discord.transport import permission_bits, permission_names
from narrator.protocols import Change, CommandResult

# --------------------------------------------------------------------------- channels


@dataclass(kw_only=True)
class ChannelTarget(Target):
    guild_id: str
    kind: int  # Discord's channel type (4: category)
    name: str  # as Discord spells it (#rules, lowercased and dashed for text)
    parent: str | None
    body: dict[str, Any]  # the creation request
    channels: dict[str, Live]  # the guild's channels, read once per run


async def _prepare_channel(
    session: Session, call: Call, kind: int, update: bool
) -> ChannelTarget | CommandResult:
    guild_id = call.guild()
    name = str(call.need("name"))
    what = "category" if kind == 4 else "channel"
    key = keys.capture_key(guild_id, what, name)
    want_name = normalize_channel_name(name, kind)
    channels = await session.channels(guild_id)
    parent: str | None = None
    parent_pending = False
    if kind != 4 and call.get("category") is not None:
        try:
            parent = await session.resolve_category(call, call.get("category"))
        except PlatformError:
            if not call.dry_run:
                raise
            parent_pending = True
    desired: dict[str, Any] = {"name": want_name}
    body = channel_payload(call, kind, parent)
    for compared in ("topic", "position", "nsfw", "rate_limit_per_user", "bitrate", "user_limit"):
        if compared in body:
            desired[compared] = body[compared]
    if call.get("category") is not None:
        desired["parent_id"] = (
            parent if not parent_pending else f"(new category {call.get('category')})"
        )
    return ChannelTarget(
        resource=f"category {name}" if kind == 4 else f"channel #{want_name}",
        desired=desired,
        declared=fingerprint({**desired, "kind": kind, "category": call.get("category")}),
        key=key,
        spec_key=keys.spec_key(guild_id, what, name),
        stored_id=call.lookup(key),
        planned={"id": None, "name": want_name, "kind": KIND_NAMES.get(kind), **desired},
        compare=update,
        guild_id=guild_id,
        kind=kind,
        name=want_name,
        parent=parent,
        body=body,
        channels=channels,
    )


async def _find_channel(_session: Session, _call: Call, t: ChannelTarget) -> Live | None:
    """The stored id's channel of this type, else the oldest of this name (in the declared
    category first)."""
    stored = t.channels.get(str(t.stored_id)) if t.stored_id else None
    if stored is not None and stored["type"] == t.kind:
        return stored
    named = [ch for ch in t.channels.values() if ch["type"] == t.kind and ch["name"] == t.name]
    named.sort(key=lambda ch: (ch.get("parent_id") != t.parent, int(ch["id"])))
    return named[0] if named else None


async def _create_channel(session: Session, _call: Call, t: ChannelTarget) -> Live:
    created: Live = await session.http.request(
        "POST",
        "/guilds/{guild_id}/channels",
        guild_id=t.guild_id,
        json=t.body,
        what=f"create {t.resource} in guild {t.guild_id}",
        permission="manage_channels",
    )
    session.remember_channel(created)
    return created


async def _patch_channel(
    session: Session, _call: Call, t: ChannelTarget, live: Live, fields: Collection[str]
) -> Live:
    edited: Live = await session.http.request(
        "PATCH",
        "/channels/{channel_id}",
        channel_id=live["id"],
        json={k: t.desired[k] for k in fields},
        what=f"update {t.resource}",
        permission="manage_channels",
    )
    session.remember_channel(edited)
    return edited


def _renamed(fields: Fields, live: Live) -> str:
    if "name" in fields:
        return f"renamed out of band to #{live['name']}; will be renamed back"
    return CHANGED


def channel_kind(kind: Callable[[Call], int], *, update: bool = True) -> Kind[ChannelTarget]:
    """Channels of the type ``kind`` reads from the call (categories: always 4)."""

    async def prepare(session: Session, call: Call) -> ChannelTarget | CommandResult:
        return await _prepare_channel(session, call, kind(call), update)

    return Kind(
        prepare=prepare,
        find=_find_channel,
        create=_create_channel,
        patch=_patch_channel,
        output=lambda _t, live: channel_out(live),
        drifted=_renamed,
    )


CHANNEL = channel_kind(kind_of)
CATEGORY = channel_kind(lambda _call: 4)
CHANNEL_AS_IT_IS = channel_kind(kind_of, update=False)  # channels.get_or_create


# --------------------------------------------------------------------------- roles


@dataclass(kw_only=True)
class RoleTarget(Target):
    guild_id: str
    name: str
    roles: dict[str, Live]  # the guild's roles, read once per run


async def _prepare_role(session: Session, call: Call) -> RoleTarget:
    guild_id = call.guild()
    name = str(call.need("name"))
    key = keys.capture_key(guild_id, "role", name)
    roles = await session.roles(guild_id)
    desired = role_payload(call)
    return RoleTarget(
        resource=f"role {name}",
        desired=desired,
        declared=fingerprint(desired),
        key=key,
        spec_key=keys.spec_key(guild_id, "role", name),
        stored_id=call.lookup(key),
        planned={"id": None, "name": name},
        guild_id=guild_id,
        name=name,
        roles=roles,
    )


async def _find_role(_session: Session, _call: Call, t: RoleTarget) -> Live | None:
    stored = t.roles.get(str(t.stored_id)) if t.stored_id else None
    if stored is not None:
        return stored
    named = [r for r in t.roles.values() if r["name"] == t.name]
    return min(named, key=lambda r: int(r["id"])) if named else None


async def _create_role(session: Session, _call: Call, t: RoleTarget) -> Live:
    role: Live = await session.http.request(
        "POST",
        "/guilds/{guild_id}/roles",
        guild_id=t.guild_id,
        json=dict(t.desired),
        what=f"create {t.resource} in guild {t.guild_id}",
        permission="manage_roles",
    )
    session.remember_role(t.guild_id, role)
    return role


async def _patch_role(
    session: Session, _call: Call, t: RoleTarget, live: Live, fields: Collection[str]
) -> Live:
    role: Live = await session.http.request(
        "PATCH",
        "/guilds/{guild_id}/roles/{role_id}",
        guild_id=t.guild_id,
        role_id=live["id"],
        json={k: t.desired[k] for k in fields},
        what=f"update {t.resource}",
        permission="manage_roles",
    )
    session.remember_role(t.guild_id, role)
    return role


def _show_role_field(name: str, value: Any) -> Any:
    if name == "permissions":
        return permission_names(int(value or 0))
    if name == "color":
        return f"#{int(value or 0):06x}"
    return value


ROLE: Kind[RoleTarget] = Kind(
    prepare=_prepare_role,
    find=_find_role,
    create=_create_role,
    patch=_patch_role,
    output=lambda _t, live: role_out(live),
    show=_show_role_field,
)


# --------------------------------------------------------------------------- overwrites


@dataclass(kw_only=True)
class OverwriteTarget(Target):
    channel: Live
    target_id: str
    type: int  # 0 role, 1 member
    label: str  # "role Members on #rules"
    output: dict[str, Any] = field(default_factory=dict)


async def _prepare_overwrite(session: Session, call: Call) -> OverwriteTarget | CommandResult:
    allow = permission_bits(call.get("allow", []))
    deny = permission_bits(call.get("deny", []))
    channel = await channel_if_known(session, call)
    try:
        target, kind, label = await overwrite_target(session, call)
    except PlatformError:
        if not call.dry_run:
            raise
        target, kind, label = "", 0, f"role {call.get('role') or call.get('member')}"
    where = f"#{channel['name']}" if channel else "(a channel to be created)"
    resource = f"overwrite for {label} on {where}"
    want = {"allow": permission_names(allow), "deny": permission_names(deny)}
    if channel is None or not target:  # plan, before the channel or role exists
        fields = {k: (None, v) for k, v in want.items()}
        return planned_only(Change("create", resource, fields))
    guild_id = str(channel.get("guild_id") or call.guild_id)
    spec_key = keys.overwrite_spec_key(guild_id, channel["id"], target)
    output = {"channel_id": channel["id"], "target_id": target, **want}
    return OverwriteTarget(
        resource=resource,
        desired={"allow": allow, "deny": deny},
        declared=fingerprint({"allow": allow, "deny": deny, "type": kind}),
        key=None,  # an overwrite is named by its channel and target: no id to capture
        spec_key=spec_key,
        # the overwrite's id is its target's; "stored" when narrator applied it before
        stored_id=target if call.lookup(spec_key) is not None else None,
        planned=output,
        channel=channel,
        target_id=target,
        type=kind,
        label=f"{label} on {where}",
        output=output,
    )


async def _find_overwrite(_session: Session, _call: Call, t: OverwriteTarget) -> Live | None:
    overwrites = t.channel.get("permission_overwrites", [])
    current = next((o for o in overwrites if o["id"] == t.target_id), None)
    if current is None:
        return None
    return {"id": t.target_id, "allow": int(current["allow"]), "deny": int(current["deny"])}


async def _put_overwrite(session: Session, _call: Call, t: OverwriteTarget) -> Live:
    """permissions.set's PUT: one request creates or replaces the overwrite."""
    allow, deny = int(t.desired["allow"]), int(t.desired["deny"])
    await put_overwrite(session, t.channel, t.target_id, t.type, allow, deny, t.label)
    return {"id": t.target_id, "allow": allow, "deny": deny}


async def _repatch_overwrite(
    session: Session, call: Call, t: OverwriteTarget, _live: Live, _fields: Collection[str]
) -> Live:
    return await _put_overwrite(session, call, t)


OVERWRITE: Kind[OverwriteTarget] = Kind(
    prepare=_prepare_overwrite,
    find=_find_overwrite,
    create=_put_overwrite,
    patch=_repatch_overwrite,
    output=lambda t, _live: t.output,
    show=lambda _name, bits: permission_names(int(bits or 0)),
    gone="removed out of band; will be restored",
)


# --------------------------------------------------------------------------- webhooks


@dataclass(kw_only=True)
class WebhookTarget(Target):
    channel_id: str
    channel_name: str
    name: str


async def _prepare_webhook(session: Session, call: Call) -> WebhookTarget | CommandResult:
    raw = call.get("channel_id")
    name = str(call.need("name"))
    if call.dry_run and (raw is None or not str(raw).isdigit()):
        return planned_only(Change("create", f"webhook {name}", {}))
    channel_id = call.id("channel_id")
    try:
        channel = await session.channel_and_guild(call, channel_id)
    except ResourceNotFound:
        if not call.dry_run:
            raise
        return planned_only(Change("create", f"webhook {name}", {}))
    key = keys.capture_key(str(channel.get("guild_id") or call.guild()), "webhook", name)
    return WebhookTarget(
        resource=f"webhook {name} on #{channel['name']}",
        desired={},  # a webhook is kept, not compared
        declared=None,
        key=key,
        spec_key=None,
        stored_id=call.lookup(key),
        channel_id=channel_id,
        channel_name=channel["name"],
        name=name,
    )


async def _find_webhook(session: Session, _call: Call, t: WebhookTarget) -> Live | None:
    hooks: list[Live] = await session.http.request(
        "GET",
        "/channels/{channel_id}/webhooks",
        channel_id=t.channel_id,
        what=f"list webhooks of #{t.channel_name}",
        permission="manage_webhooks",
    )
    stored = t.stored_id
    found = next((h for h in hooks if h["id"] == str(stored)), None) if stored else None
    return found or next((h for h in hooks if h["name"] == t.name), None)


async def _create_webhook(session: Session, _call: Call, t: WebhookTarget) -> Live:
    hook: Live = await session.http.request(
        "POST",
        "/channels/{channel_id}/webhooks",
        channel_id=t.channel_id,
        json={"name": t.name},
        what=f"create {t.resource}",
        permission="manage_webhooks",
    )
    return hook


async def _keep_webhook(
    _session: Session, _call: Call, _t: WebhookTarget, live: Live, _fields: Collection[str]
) -> Live:
    return live  # nothing is compared, so nothing is ever patched


WEBHOOK: Kind[WebhookTarget] = Kind(
    prepare=_prepare_webhook,
    find=_find_webhook,
    create=_create_webhook,
    patch=_keep_webhook,
    output=lambda _t, live: webhook_out(live),
)
