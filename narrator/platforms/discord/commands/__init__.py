"""The Discord commands, one module per noun; each module ends with its ``COMMANDS`` table.

A command is ``async def name(session: Session, call: Call) -> CommandResult``
(:mod:`narrator.platforms.discord.session`). The door,
:class:`~narrator.platforms.discord.platform.DiscordPlatform`, assembles these
tables and the convergent ones (:mod:`narrator.platforms.discord.converge`)
into its ``COMMANDS``.
"""
