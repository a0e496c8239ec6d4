"""Convergent commands (``*.ensure``): create when missing, update only what differs, else nothing.

``decide.py`` is pure (what to do about one resource, and the Change plan shows);
``apply.py`` is the one driver (read, ask ``decide``, perform); ``resources.py`` and
``messages.py`` describe each kind: how to find, create and patch it; the setup-parity
kinds (Terraform's Discord provider) are ``guild_settings.py`` (server settings, the
``@everyone`` role), ``member_roles.py``, ``forum.py`` and ``invites.py``, their pure
halves in ``setup_decide.py``.
"""

from __future__ import annotations

from narrator.platforms.discord.converge.apply import converge
from narrator.platforms.discord.converge.forum import FORUM
from narrator.platforms.discord.converge.guild_settings import EVERYONE, guild_ensure, is_everyone
from narrator.platforms.discord.converge.invites import INVITE
from narrator.platforms.discord.converge.member_roles import MEMBER_ROLES
from narrator.platforms.discord.converge.messages import MESSAGE
from narrator.platforms.discord.converge.resources import (
    CATEGORY,
    CHANNEL,
    CHANNEL_AS_IT_IS,
    OVERWRITE,
    ROLE,
    WEBHOOK,
)
from narrator.platforms.discord.session import Call, Session
from narrator.protocols import CommandResult

__all__ = ["COMMANDS", "converge"]


async def channels_ensure(session: Session, call: Call) -> CommandResult:
    return await converge(CHANNEL, session, call)


async def categories_ensure(session: Session, call: Call) -> CommandResult:
    return await converge(CATEGORY, session, call)


async def channels_get_or_create(session: Session, call: Call) -> CommandResult:
    return await converge(CHANNEL_AS_IT_IS, session, call)


async def roles_ensure(session: Session, call: Call) -> CommandResult:
    if is_everyone(call.get("name")):  # the role every member has: its permissions only
        return await converge(EVERYONE, session, call)
    return await converge(ROLE, session, call)


async def permissions_ensure(session: Session, call: Call) -> CommandResult:
    return await converge(OVERWRITE, session, call)


async def webhooks_ensure(session: Session, call: Call) -> CommandResult:
    return await converge(WEBHOOK, session, call)


async def messages_ensure(session: Session, call: Call) -> CommandResult:
    return await converge(MESSAGE, session, call)


async def members_roles_ensure(session: Session, call: Call) -> CommandResult:
    return await converge(MEMBER_ROLES, session, call)


async def forum_ensure(session: Session, call: Call) -> CommandResult:
    return await converge(FORUM, session, call)


async def invites_ensure(session: Session, call: Call) -> CommandResult:
    return await converge(INVITE, session, call)


COMMANDS = {
    "channels.ensure": channels_ensure,
    "categories.ensure": categories_ensure,
    "channels.get_or_create": channels_get_or_create,
    "roles.ensure": roles_ensure,
    "permissions.ensure": permissions_ensure,
    "webhooks.ensure": webhooks_ensure,
    "messages.ensure": messages_ensure,
    "members.roles_ensure": members_roles_ensure,
    "guild.ensure": guild_ensure,
    "forum.ensure": forum_ensure,
    "invites.ensure": invites_ensure,
}
