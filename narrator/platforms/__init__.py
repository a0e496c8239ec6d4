"""Chat platforms: Discord (``narrator.platforms.discord``), its REST emulator
(``narrator.platforms.emulator``) and the sandbox guild (``narrator.platforms.sandbox``).

Submodules are imported on demand so that loading narrator does not import discord.py.
"""
