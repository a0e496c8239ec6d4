"""``invites.ensure``: one invite to a channel with these settings, made once.

An invite cannot be edited, so convergence is finding one: the stored code
(``discord.{guild}.invite.{key}``) while that invite still exists with the declared
``max_age``/``max_uses``/``temporary``, else an invite of the channel with those
settings (the bot's first, then anyone's; adopted, as Discord's own ``unique = false``
would), else a new one. A stored invite that was revoked or expired is drift (a new
one is made and the key corrected); changed settings make a new invite and leave the
old one alone (revoking is a delete). This also reconciles a resumed run: an invite
created just before a crash is found by its settings. Reads: the channel's invites
(one GET) and the channel (from the run's channel read when cached).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from narrator.catalogue import keys
from narrator.errors import ResourceNotFound
from narrator.platforms.discord.converge import setup_decide as pure
from narrator.platforms.discord.converge.apply import Kind, Live, Target, planned_only
from narrator.platforms.discord.reconcile import bot_user_id
from narrator.platforms.discord.session import Call, Session
from narrator.protocols import Change, CommandResult


@dataclass(kw_only=True)
class InviteTarget(Target):
    channel_id: str
    settings: dict[str, Any]


async def _prepare(session: Session, call: Call) -> InviteTarget | CommandResult:
    name = str(call.get("key") or call.act)
    settings = pure.invite_settings(
        call.get("max_age"), call.get("max_uses"), call.get("temporary", False)
    )
    pending = Change("create", f"invite {name}", {k: (None, v) for k, v in settings.items()})
    raw = call.get("channel_id")
    if call.dry_run and (raw is None or not str(raw).strip().isdigit()):
        return planned_only(pending)
    channel_id = call.id("channel_id")
    try:
        channel = await session.channel_and_guild(call, channel_id)
    except ResourceNotFound:
        if not call.dry_run:
            raise
        return planned_only(pending)
    key = keys.capture_key(str(channel.get("guild_id") or call.guild()), "invite", name)
    return InviteTarget(
        resource=f"invite {name} to #{channel.get('name')}",
        desired=settings,
        declared=None,
        key=key,
        spec_key=None,  # an invite is never edited: nothing to tell drift from an update by
        stored_id=call.lookup(key),
        planned={"code": None, "channel_id": channel_id, **settings},
        channel_id=channel_id,
        settings=settings,
    )


def _live(invite: Live) -> Live:
    return {**invite, "id": invite["code"]}


async def _find(session: Session, _call: Call, t: InviteTarget) -> Live | None:
    invites: list[Live] = await session.http.request(
        "GET",
        "/channels/{channel_id}/invites",
        channel_id=t.channel_id,
        what=f"list the invites of channel {t.channel_id}",
        permission="manage_channels",
    )
    bot = await bot_user_id(session)
    found, alive = pure.pick_invite(invites, t.settings, t.stored_id, bot)
    if alive and (found is None or found.get("code") != t.stored_id):
        t.stored_id = None  # the declaration changed: a new invite, not a repair
    return _live(dict(found)) if found is not None else None


async def _create(session: Session, _call: Call, t: InviteTarget) -> Live:
    invite: Live = await session.http.request(
        "POST",
        "/channels/{channel_id}/invites",
        channel_id=t.channel_id,
        json={**t.settings, "unique": False},
        what=f"create {t.resource}",
        permission="create_instant_invite",
    )
    return _live(invite)


async def _keep(
    _session: Session, _call: Call, _t: InviteTarget, live: Live, _fields: Collection[str]
) -> Live:
    return live  # a found invite has the declared settings: never patched


def _output(t: InviteTarget, live: Live) -> dict[str, Any]:
    return {
        "code": live["code"],
        "url": f"https://discord.gg/{live['code']}",
        "channel_id": t.channel_id,
        **{k: live.get(k, v) for k, v in t.settings.items()},
    }


INVITE: Kind[InviteTarget] = Kind(
    prepare=_prepare,
    find=_find,
    create=_create,
    patch=_keep,
    output=_output,
    gone="revoked or expired out of band; a new invite will be made",
    adopted="adopted an invite with these settings",
)
