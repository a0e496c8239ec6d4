"""Convergent commands (``*.ensure``): create when missing, update only what differs, else nothing.

``decide.py`` is pure (differences, drift or update, the change plan shows);
``apply.py`` reads Discord and state, asks ``decide``, and performs the result.
"""

from __future__ import annotations

from narrator.platforms.discord.converge.apply import COMMANDS

__all__ = ["COMMANDS"]
