"""The server itself as convergence kinds: its settings (``guild.ensure``) and the
``@everyone`` role's permissions (``roles.ensure name = "@everyone"``).

Both read the run's one ``GET /guilds/{id}`` (:meth:`Session.guild`, which also serves
the roles), so a converged re-run adds no request to a setup that ensures roles. Neither
is ever created: the guild and its ``@everyone`` role always exist, so the stored "id"
is the guild's once narrator applied the declaration (drift vs update, as overwrites).

State: ``discord.{guild}.spec.guild.settings`` (fingerprint), ``discord.{guild}.spec.guild.icon``
(``"{fingerprint}:{hash}"`` of the uploaded icon, :func:`~.setup_decide.live_icon`),
``discord.{guild}.spec.role.@everyone``.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from narrator import media, media_files
from narrator.catalogue import keys
from narrator.errors import DestructiveRefused, PlatformError, did_you_mean
from narrator.platforms.discord.converge import setup_decide as pure
from narrator.platforms.discord.converge.apply import Kind, Live, Target, converge
from narrator.platforms.discord.converge.decide import diff
from narrator.platforms.discord.session import Call, Session
from narrator.platforms.discord.shapes import fingerprint, role_out
from narrator.platforms.discord.transport import permission_bits, permission_names
from narrator.protocols import CommandResult

SETTINGS = "settings"
ICON = "icon"

# --------------------------------------------------------------------------- guild.ensure


@dataclass(kw_only=True)
class GuildTarget(Target):
    guild_id: str
    body: dict[str, Any]  # what a PATCH sends for each compared field (the icon as data)
    icon_fingerprint: str | None = None


def _icon_data(call: Call, value: Any) -> str:
    """A data: URI as given, else the file at that path read into one — through the reader
    media inputs use (:func:`~narrator.media_files.read_bounded`: regular files only, never
    a system, hidden or configuration file), at most :data:`~.setup_decide.ICON_MAX_BYTES`,
    and only when its first bytes are a PNG, JPEG, GIF or WebP image."""
    text = str(value).strip()
    fix = "give the path of a PNG, JPEG, GIF or WebP file, or a data: URI"
    if text.startswith("data:"):
        parsed = media.parse_data_url(text)
        try:
            data = media.decode_base64(parsed[1]) if parsed is not None else b""
        except ValueError:
            data = b""
        where = "the icon's data: URI"
    else:
        path = os.path.expanduser(text)
        if not os.path.isabs(path):  # literal paths are made absolute when the file is read
            raise PlatformError(
                f"guild.ensure: the icon path {text[:80]!r} is relative and the narrative's "
                "folder is unknown here",
                act=call.act,
                hint="write the path literally in the narrative (relative to its file), "
                "or an absolute path",
            )
        try:
            data = media_files.read_bounded(path, pure.ICON_MAX_BYTES)
        except media_files.FileProblem as exc:
            raise PlatformError(f"guild.ensure: icon: {exc}", act=call.act, hint=fix) from None
        where = path
    if len(data) > pure.ICON_MAX_BYTES:
        raise PlatformError(
            f"guild.ensure: {where} has {len(data)} bytes, more than the "
            f"{pure.ICON_MAX_BYTES} Discord takes for an icon",
            act=call.act,
            hint="send a smaller image",
        )
    mime = media.sniff(data)
    if mime not in pure.ICON_TYPES:
        raise PlatformError(
            f"guild.ensure: {where[:120]} is not a PNG, JPEG, GIF or WebP image",
            act=call.act,
            hint=fix,
        )
    if text.startswith("data:"):
        return text  # as given: the fingerprint of what earlier runs uploaded stays
    return f"data:{mime};base64,{media.encode_base64(data)}"


async def _channel_ids(
    session: Session, call: Call, guild_id: str, desired: dict[str, Any], body: dict[str, Any]
) -> None:
    given = [arg for arg in pure.CHANNEL_REFS if call.args.get(arg) is not None]
    if not given:
        return
    channels = await session.channels(guild_id)
    for arg in given:
        field, want_type = pure.CHANNEL_REFS[arg]
        value = call.args[arg]
        try:
            desired[field] = body[field] = pure.channel_ref(channels, value, want_type)
        except KeyError:
            kind = "voice channel" if want_type == 2 else "text channel"
            if not call.dry_run:
                names = [c["name"] for c in channels.values() if c.get("type") == want_type]
                raise PlatformError(
                    f"guild.ensure: no {kind} {str(value)!r} for {arg} in guild {guild_id}",
                    act=call.act,
                    hint=did_you_mean(str(value), names)
                    or "create it earlier in the narrative with channels.ensure",
                ) from None
            desired[field] = body[field] = f"(new {kind} {value})"


async def _prepare_guild(session: Session, call: Call) -> GuildTarget:
    guild_id = call.guild()
    desired: dict[str, Any] = {}
    body: dict[str, Any] = {}
    if call.get("name") is not None:
        name = str(call.get("name")).strip()
        if not 2 <= len(name) <= 100:
            raise ValueError("a server name has 2-100 characters")
        desired["name"] = body["name"] = name
    if "description" in call.args and call.args["description"] is not None:
        desired["description"] = body["description"] = call.get("description")
    icon_fp: str | None = None
    if "icon" in call.args and call.args["icon"] is not None:
        if call.get("icon") is None:  # "" removes the icon
            desired["icon"] = body["icon"] = None
        else:
            data = _icon_data(call, call.get("icon"))
            icon_fp = desired["icon"] = pure.icon_fingerprint(data)
            body["icon"] = data
    for field in pure.LEVELS:
        if call.args.get(field) is not None:
            desired[field] = body[field] = pure.level(field, call.args[field])
    if call.args.get("afk_timeout") is not None:
        desired["afk_timeout"] = body["afk_timeout"] = pure.afk_timeout(call.args["afk_timeout"])
    if call.args.get("system_channel_flags") is not None:
        bits = pure.system_flags(call.args["system_channel_flags"])
        desired["system_channel_flags"] = body["system_channel_flags"] = bits
    await _channel_ids(session, call, guild_id, desired, body)
    ordered = {k: desired[k] for k in pure.GUILD_FIELDS if k in desired}
    spec_key = keys.spec_key(guild_id, "guild", SETTINGS)
    return GuildTarget(
        resource="server settings",
        desired=ordered,
        declared=fingerprint(ordered),
        key=None,  # the guild's id is the guild_id the act was given: nothing to capture
        spec_key=spec_key,
        stored_id=guild_id if call.lookup(spec_key) is not None else None,
        guild_id=guild_id,
        body=body,
        icon_fingerprint=icon_fp,
    )


def _live_guild(call: Call, guild: Live) -> Live:
    """The guild's compared fields, the icon as the declaration's fingerprint while Discord
    still shows the hash narrator's upload got."""
    live: Live = {"id": str(guild["id"])}
    for field in pure.GUILD_FIELDS:
        live[field] = guild.get(field)
    remembered = call.lookup(keys.spec_key(str(guild["id"]), "guild", ICON))
    live["icon"] = pure.live_icon(guild.get("icon"), remembered)
    live["_icon_hash"] = guild.get("icon")
    return live


async def _find_guild(session: Session, call: Call, t: GuildTarget) -> Live:
    live = _live_guild(call, await session.guild(t.guild_id))
    changes = diff(live, t.desired)
    weakened = pure.weakening({**live, "icon": live["_icon_hash"]}, changes, t.desired)
    if weakened and not call.raw.allow_destructive:
        raise DestructiveRefused(
            f"guild.ensure would {' and '.join(weakened)}; refused before any request",
            act=call.act,
            hint="set allow_destructive = true on the act or in [narrative], "
            "or run with --allow-destructive",
        )
    return live


async def _create_guild(_session: Session, call: Call, _t: GuildTarget) -> Live:
    raise PlatformError("guild.ensure cannot create a server", act=call.act)  # never: it exists


async def _patch_guild(
    session: Session, call: Call, t: GuildTarget, _live: Live, fields: Collection[str]
) -> Live:
    answer: Live = await session.http.request(
        "PATCH",
        "/guilds/{guild_id}",
        guild_id=t.guild_id,
        json={field: t.body[field] for field in fields},
        reason=call.get("reason"),
        what=f"update the settings of guild {t.guild_id}",
        permission="manage_guild",
    )
    session.remember_guild(answer)
    if "icon" in fields and t.icon_fingerprint and answer.get("icon"):
        icon_key = keys.spec_key(t.guild_id, "guild", ICON)
        t.remember[icon_key] = f"{t.icon_fingerprint}:{answer['icon']}"  # captured with the rest
        return {**_live_guild(call, answer), "icon": t.icon_fingerprint}
    return _live_guild(call, answer)


def _guild_out(_t: GuildTarget, live: Live) -> dict[str, Any]:
    out = {"id": live["id"], **{k: live.get(k) for k in pure.GUILD_FIELDS}}
    out["icon"] = live.get("_icon_hash", live.get("icon"))
    return out


GUILD: Kind[GuildTarget] = Kind(
    prepare=_prepare_guild,
    find=_find_guild,
    create=_create_guild,
    patch=_patch_guild,
    output=_guild_out,
    show=pure.show_guild_field,
)


async def guild_ensure(session: Session, call: Call) -> CommandResult:
    """Converge the server settings; an uploaded icon's hash is remembered with them."""
    return await converge(GUILD, session, call)


# --------------------------------------------------------------------------- @everyone


@dataclass(kw_only=True)
class EveryoneTarget(Target):
    guild_id: str
    roles: dict[str, Live]


def is_everyone(name: Any) -> bool:
    return str(name or "").strip().lower() == "@everyone"


async def _prepare_everyone(session: Session, call: Call) -> EveryoneTarget:
    guild_id = call.guild()
    others = [k for k in ("color", "hoist", "mentionable") if call.args.get(k) is not None]
    if others:
        raise PlatformError(
            f"the @everyone role has no {', '.join(others)} to set",
            act=call.act,
            hint='give roles.ensure name = "@everyone" only permissions',
        )
    if call.args.get("permissions") is None:  # an empty list is a choice; a missing one is not
        raise PlatformError(
            'roles.ensure name = "@everyone" needs permissions',
            act=call.act,
            hint='list what every member may do, e.g. permissions = ["view_channel"]',
        )
    roles = await session.roles(guild_id)
    spec_key = keys.spec_key(guild_id, "role", "@everyone")
    desired = {"permissions": str(permission_bits(list(call.args["permissions"])))}
    return EveryoneTarget(
        resource="role @everyone",
        desired=desired,
        declared=fingerprint(desired),
        key=None,  # @everyone's id is the guild's
        spec_key=spec_key,
        stored_id=guild_id if call.lookup(spec_key) is not None else None,
        guild_id=guild_id,
        roles=roles,
    )


async def _find_everyone(_session: Session, call: Call, t: EveryoneTarget) -> Live:
    role = t.roles.get(t.guild_id)
    if role is None:
        raise PlatformError(f"guild {t.guild_id} answered no @everyone role", act=call.act)
    return role


async def _patch_everyone(
    session: Session, _call: Call, t: EveryoneTarget, _live: Live, _fields: Collection[str]
) -> Live:
    role: Live = await session.http.request(
        "PATCH",
        "/guilds/{guild_id}/roles/{role_id}",
        guild_id=t.guild_id,
        role_id=t.guild_id,
        json=dict(t.desired),
        what="update the permissions of @everyone",
        permission="manage_roles",
    )
    session.remember_role(t.guild_id, role)
    return role


EVERYONE: Kind[EveryoneTarget] = Kind(
    prepare=_prepare_everyone,
    find=_find_everyone,
    create=_find_everyone,  # never: @everyone always exists
    patch=_patch_everyone,
    output=lambda _t, live: role_out(live),
    show=lambda _name, bits: permission_names(int(bits or 0)),
)
