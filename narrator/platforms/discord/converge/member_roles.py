"""``members.roles_ensure``: a member has exactly the declared roles among those the act governs.

Scope, so unrelated roles are never stripped: the act governs the roles it lists in
``roles`` (added when missing) and ``managed`` (removed when the member has one that
``roles`` does not list); ``exactly = true`` governs every role except ``@everyone`` and
the roles Discord manages (bots, boosts, integrations). Roles outside the scope are left
alone — another act, a moderator or a bot may give them.

Each governed role is one field, ``true``/``false`` (Terraform's ``has_role``), so plan
shows ``Members: [false, true]`` and a repair is one ``PUT`` or ``DELETE
/guilds/{g}/members/{u}/roles/{r}`` per role that differs — never a PATCH of the whole
role list, which would race with anyone else's change. Reads: the member (one GET) and the
guild's roles (the run's one guild read). Fingerprint: ``discord.{guild}.spec.member_roles.{user}``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from narrator.catalogue import keys
from narrator.errors import DestructiveRefused, PlatformError
from narrator.platforms.discord.converge import setup_decide as pure
from narrator.platforms.discord.converge.apply import Kind, Live, Target
from narrator.platforms.discord.session import Call, Session
from narrator.platforms.discord.shapes import fingerprint


@dataclass(kw_only=True)
class MemberRolesTarget(Target):
    guild_id: str
    user_id: str
    scope: list[str]  # governed role ids, in declaration order
    wanted: list[str]
    ids: dict[str, str]  # role name (as a field) -> id
    named: frozenset[str] = frozenset()  # fields named in roles or managed (not by exactly)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _names(value: Any, arg: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list | tuple):
        raise ValueError(f"{arg} must be a list of role names or ids")
    return [str(v) for v in value]


async def _resolve(session: Session, call: Call, names: list[str]) -> list[str]:
    """Role ids; in plan, a role still to be created is named ``(new role X)``."""
    out = []
    for name in names:
        try:
            rid = await session.resolve_role(call, name)
        except PlatformError:
            if not call.dry_run:
                raise
            rid = f"(new role {name})"
        if rid != call.guild_id:  # @everyone: every member has it
            out.append(rid)
    return out


async def _prepare(session: Session, call: Call) -> MemberRolesTarget:
    guild_id = call.guild()
    user_id = call.id("user_id")
    roles = await session.roles(guild_id)
    wanted = await _resolve(session, call, _names(call.args.get("roles"), "roles"))
    managed = await _resolve(session, call, _names(call.args.get("managed"), "managed"))
    exactly = bool(call.get("exactly", False))
    scope = pure.governed(wanted, managed, exactly, roles, guild_id)
    names = {rid: str(roles[rid]["name"]) if rid in roles else rid for rid in scope}
    desired, _ = pure.role_fields(scope, wanted, (), names)
    spec_key = keys.spec_key(guild_id, "member_roles", user_id)
    declared = fingerprint({"roles": sorted(wanted), "scope": sorted(scope), "exactly": exactly})
    return MemberRolesTarget(
        resource=f"roles of member {user_id}",
        desired=desired,
        declared=declared,
        key=None,  # the member is named by its id: nothing to capture
        spec_key=spec_key,
        stored_id=user_id if call.lookup(spec_key) is not None else None,
        guild_id=guild_id,
        user_id=user_id,
        scope=scope,
        wanted=wanted,
        ids={name: rid for rid, name in names.items()},
        named=frozenset(names[rid] for rid in (*wanted, *managed) if rid in names),
    )


def _live(t: MemberRolesTarget, member: Live) -> Live:
    names = {rid: name for name, rid in t.ids.items()}
    _, live = pure.role_fields(t.scope, t.wanted, [str(r) for r in member.get("roles", [])], names)
    return {"id": t.user_id, **live}


async def _find(session: Session, call: Call, t: MemberRolesTarget) -> Live:
    member: Live = await session.http.request(
        "GET",
        "/guilds/{guild_id}/members/{user_id}",
        guild_id=t.guild_id,
        user_id=t.user_id,
        what=f"read member {t.user_id} of guild {t.guild_id}",
    )
    user = member.get("user") or {}
    shown = user.get("global_name") or user.get("username")
    if shown:
        t.resource = f"roles of member {shown} ({t.user_id})"
    live = _live(t, member)
    stripped = pure.stripped_roles(t.desired, live, t.named)
    if stripped and not call.raw.allow_destructive:  # exactly = true: refused in plan too
        raise DestructiveRefused(
            f"members.roles_ensure exactly = true would take "
            f"{', '.join(repr(n) for n in stripped)} from member {t.user_id}; "
            "refused before any request",
            act=call.act,
            hint="name the roles to remove in managed, or set allow_destructive = true on "
            "the act or in [narrative], or run with --allow-destructive",
        )
    return live


async def _patch(
    session: Session, call: Call, t: MemberRolesTarget, live: Live, fields: Collection[str]
) -> Live:
    after = dict(live)
    for name in fields:
        give = bool(t.desired[name])
        await session.http.request(
            "PUT" if give else "DELETE",
            "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
            guild_id=t.guild_id,
            user_id=t.user_id,
            role_id=t.ids[name],
            reason=call.get("reason"),
            what=f"{'give' if give else 'take'} role {name} "
            f"{'to' if give else 'from'} member {t.user_id}",
            permission="manage_roles",
        )
        (t.added if give else t.removed).append(name)
        after[name] = give
    return after


async def _never(_session: Session, call: Call, t: MemberRolesTarget) -> Live:
    raise PlatformError(f"member {t.user_id} is not in the guild", act=call.act)


def _output(t: MemberRolesTarget, live: Live) -> dict[str, Any]:
    return {
        "user_id": t.user_id,
        "roles": [name for name in t.ids if live.get(name)],
        "added": list(t.added),
        "removed": list(t.removed),
    }


MEMBER_ROLES: Kind[MemberRolesTarget] = Kind(
    prepare=_prepare,
    find=_find,
    create=_never,
    patch=_patch,
    output=_output,
    gone="not in the guild",
    adopted="held as declared; now managed",
)
