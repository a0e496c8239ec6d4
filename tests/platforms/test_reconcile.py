"""Nothing twice: adopt what Discord already has instead of repeating an effect.

discord.py's real HTTP client against the in-process emulator. A "crash before
the commit" is a command whose captures never reach the state (the harness
state is left as it was), or a later attempt with a fresh platform and
``reconcile_since`` set as the executor does on resume.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from narrator.errors import PlatformError
from narrator.platforms.discord.reconcile import created_at, snowflake_at
from narrator.platforms.emulator.routes.messages import new_message
from tests.platforms.conftest import GUILD, Harness


def _posts(h: Harness) -> int:
    return sum(1 for e in h.emu.log if e.method == "POST" and e.path.endswith("/messages"))


def _contents(h: Harness, ch: str) -> list[str]:
    found = sorted(h.emu.world.messages.get(ch, {}).values(), key=lambda m: int(m["id"]))
    return [m["content"] for m in found]


def test_snowflakes_encode_the_moment_they_were_made() -> None:
    """snowflake_at(t) is the smallest id of t, and created_at reads t back (ms precision)."""
    moment = datetime(2026, 3, 1, 12, 30, 15, 250000, tzinfo=UTC)
    assert created_at(snowflake_at(moment)) == moment
    assert created_at(snowflake_at(moment) + (1 << 22) - 1) < moment + timedelta(milliseconds=1)


# --------------------------------------------------------------------------- messages.ensure


async def test_messages_ensure_adopts_its_message_when_the_id_never_reached_state(
    h: Harness,
) -> None:
    """Sent and pinned, then the run died before the commit: the re-run adopts, posts nothing."""
    ch = (await h.run("channels.ensure", name="welcome")).output["id"]
    before = dict(h.state)
    first = await h.run("messages.ensure", act="hello", channel_id=ch, content="Hi", pin=True)
    h.state.clear()
    h.state.update(before)  # the crash: nothing of messages.ensure was committed
    await h.fresh_platform()
    h.emu.forget_nonces()  # an hour later: Discord forgot the nonce too
    h.emu.clear_log()
    again = await h.run("messages.ensure", act="hello", channel_id=ch, content="Hi", pin=True)
    assert again.output["id"] == first.output["id"]
    assert again.changes[0].action == "unchanged" and "adopted" in again.changes[0].reason
    assert h.emu.writes() == [] and _contents(h, ch) == ["Hi"]
    assert h.state[f"discord.{GUILD}.message.hello"] == first.output["id"]


async def test_messages_ensure_pins_the_message_it_sent_before_a_failed_pin(h: Harness) -> None:
    """A send that succeeded and a pin that failed: the re-run adopts the message and pins it."""
    ch = (await h.run("channels.ensure", name="rules")).output["id"]
    h.emu.inject("PUT /channels/*/messages/pins/*", status=400)
    with pytest.raises(PlatformError):
        await h.run("messages.ensure", act="rules_msg", channel_id=ch, content="Be kind", pin=True)
    assert f"discord.{GUILD}.message.rules_msg" not in h.state
    result = await h.run(
        "messages.ensure", act="rules_msg", channel_id=ch, content="Be kind", pin=True
    )
    assert result.changes[0].fields == {"pinned": (False, True)}
    (only,) = h.emu.world.messages[ch].values()
    assert only["pinned"] is True and result.output["id"] == only["id"]
    assert _posts(h) == 1


async def test_two_keys_with_the_same_content_keep_two_messages(h: Harness) -> None:
    """Adoption never takes a message another act of the run created or adopted."""
    ch = (await h.run("channels.ensure", name="faq")).output["id"]
    one = await h.run("messages.ensure", act="a", key="first", channel_id=ch, content="Same")
    two = await h.run("messages.ensure", act="b", key="second", channel_id=ch, content="Same")
    assert one.output["id"] != two.output["id"] and _contents(h, ch) == ["Same", "Same"]
    h.state.clear()  # both ids lost: a new run adopts one message per key
    await h.fresh_platform()
    h.emu.clear_log()
    again = [
        await h.run("messages.ensure", act="a", key="first", channel_id=ch, content="Same"),
        await h.run("messages.ensure", act="b", key="second", channel_id=ch, content="Same"),
    ]
    assert {r.output["id"] for r in again} == {one.output["id"], two.output["id"]}
    assert h.emu.writes() == []


async def test_messages_ensure_ignores_a_message_with_the_same_text_by_someone_else(
    h: Harness,
) -> None:
    """Only the bot's own messages are adopted; a member's identical text is left alone."""
    ch = (await h.run("channels.ensure", name="general")).output["id"]
    channel = h.emu.world.channels[ch]
    member = {"id": "100000000000000200", "username": "someone"}
    new_message(h.emu.world, channel, {"content": "Welcome!"}, member)
    result = await h.run("messages.ensure", act="w", channel_id=ch, content="Welcome!")
    assert result.changes[0].action == "send" and _posts(h) == 1


async def test_converged_messages_ensure_reads_one_message_and_writes_nothing(
    h: Harness,
) -> None:
    """With a verified stored id the re-run costs one read per message, as before."""
    ch = (await h.run("channels.ensure", name="news")).output["id"]
    for n in range(3):
        await h.run("messages.ensure", act=f"m{n}", channel_id=ch, content=f"M{n}", pin=True)
    await h.fresh_platform()
    h.emu.clear_log()
    for n in range(3):
        await h.run("messages.ensure", act=f"m{n}", channel_id=ch, content=f"M{n}", pin=True)
    message_reads = [e for e in h.emu.reads() if "/messages" in e.path]
    assert len(message_reads) == 3 and h.emu.writes() == []


# --------------------------------------------------------------------------- messages.send


async def test_resumed_send_adopts_the_message_even_after_discord_forgot_the_nonce(
    h: Harness,
) -> None:
    """reconcile_since: the bot's message with that content since then is adopted, not re-sent."""
    ch = (await h.run("channels.create", name="chat")).output["id"]
    started = datetime.now(UTC)
    first = await h.run("messages.send", act="post", key="r:post", channel_id=ch, content="Hi")
    h.emu.forget_nonces()
    await h.fresh_platform()
    h.emu.clear_log()
    again = await h.run(
        "messages.send",
        act="post",
        key="r:post",
        channel_id=ch,
        content="Hi",
        reconcile_since=started,
    )
    assert again.output["id"] == first.output["id"] and _posts(h) == 0
    assert _contents(h, ch) == ["Hi"]


async def test_resumed_long_send_reconciles_part_by_part(h: Harness) -> None:
    """A three-part message of which two parts reached Discord: only the third is sent."""
    ch = (await h.run("channels.create", name="long")).output["id"]
    text = "\n".join(f"line {n:04d} " + "x" * 60 for n in range(80))  # ~5,600 chars
    started = datetime.now(UTC)
    first = await h.run("messages.send", act="essay", key="r:essay", channel_id=ch, content=text)
    assert len(first.output["ids"]) == 3
    del h.emu.world.messages[ch][first.output["ids"][2]]  # the crash came before part 3
    h.emu.forget_nonces()
    await h.fresh_platform()
    h.emu.clear_log()
    again = await h.run(
        "messages.send",
        act="essay",
        key="r:essay",
        channel_id=ch,
        content=text,
        reconcile_since=started,
    )
    assert again.output["ids"][:2] == first.output["ids"][:2] and _posts(h) == 1
    assert "".join(_contents(h, ch)).replace("\n", "") == text.replace("\n", "")


async def test_resumed_send_does_not_adopt_a_message_with_another_nonce(h: Harness) -> None:
    """Same text sent by another act (its nonce still known): the resumed act sends its own."""
    ch = (await h.run("channels.create", name="twins")).output["id"]
    started = datetime.now(UTC)
    await h.run("messages.send", act="a", key="r:a", channel_id=ch, content="Tick")
    await h.fresh_platform()
    await h.run(
        "messages.send", act="b", key="r:b", channel_id=ch, content="Tick", reconcile_since=started
    )
    assert _contents(h, ch) == ["Tick", "Tick"]


async def test_resumed_send_does_not_adopt_a_message_older_than_the_attempt(h: Harness) -> None:
    """A message with that text from before the crashed attempt started is not this act's."""
    ch = (await h.run("channels.create", name="old")).output["id"]
    await h.run("messages.send", act="a", key="r:a", channel_id=ch, content="Daily")
    h.emu.forget_nonces()
    later = datetime.now(UTC) + timedelta(minutes=5)  # beyond the clock-skew margin
    await h.run(
        "messages.send", act="b", key="r:b", channel_id=ch, content="Daily", reconcile_since=later
    )
    assert _contents(h, ch) == ["Daily", "Daily"]


# --------------------------------------------------------------------------- plain creates


async def test_resumed_creates_adopt_what_the_crashed_attempt_made(h: Harness) -> None:
    """channels.create, roles.create, webhooks.create with reconcile_since adopt by name."""
    started = datetime.now(UTC)
    ch = await h.run("channels.create", act="c", name="lobby")
    role = await h.run("roles.create", act="r", name="Helpers")
    hook = await h.run("webhooks.create", act="w", channel_id=ch.output["id"], name="Feed")
    await h.fresh_platform()
    h.emu.clear_log()
    since = {"reconcile_since": started}
    assert (await h.run("channels.create", act="c", name="lobby", **since)).output[
        "id"
    ] == ch.output["id"]
    assert (await h.run("roles.create", act="r", name="Helpers", **since)).output[
        "id"
    ] == role.output["id"]
    again = await h.run(
        "webhooks.create", act="w", channel_id=ch.output["id"], name="Feed", **since
    )
    assert again.output["id"] == hook.output["id"] and h.emu.writes() == []


async def test_plain_create_without_reconcile_since_still_creates(h: Harness) -> None:
    """Outside a resume, channels.create does what it says: a second channel of that name."""
    one = await h.run("channels.create", name="dup")
    two = await h.run("channels.create", name="dup")
    assert one.output["id"] != two.output["id"]
