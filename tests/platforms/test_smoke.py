from tests.platforms.conftest import GUILD, Harness


async def test_channels_ensure_creates_then_converges_with_zero_writes(h: Harness) -> None:
    """First ensure creates; a new run with the same state makes no writes."""
    first = await h.run("channels.ensure", name="welcome", topic="Hi")
    assert first.changes[0].action == "create"
    assert h.state[f"discord.{GUILD}.channel.welcome"] == first.output["id"]
    await h.fresh_platform()
    h.emu.clear_log()
    again = await h.run("channels.ensure", name="welcome", topic="Hi")
    assert again.changes[0].action == "unchanged"
    assert h.emu.writes() == []
