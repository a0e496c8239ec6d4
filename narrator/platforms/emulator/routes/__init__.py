"""The emulated REST routes, one module per noun, in registration order.

Each module holds a :class:`~narrator.platforms.emulator.routes.base.RouteTable`
named ``ROUTES``; :data:`ALL_ROUTES` is what the server registers below
``/api/v10``. Within a module, a literal path segment (``pins``, ``@me``) is
registered before the placeholder it would otherwise match.
"""

from __future__ import annotations

from narrator.platforms.emulator.routes import (
    channels,
    events,
    guilds,
    members,
    messages,
    permissions,
    reactions,
    roles,
    threads,
    webhooks,
)
from narrator.platforms.emulator.routes.base import Ctx, Route

ALL_ROUTES: tuple[Route, ...] = tuple(
    route
    for module in (
        guilds,
        channels,
        permissions,
        roles,
        members,
        messages,
        reactions,
        threads,
        events,
        webhooks,
    )
    for route in module.ROUTES.routes
)

__all__ = ["ALL_ROUTES", "Ctx", "Route"]
