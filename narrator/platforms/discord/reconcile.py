"""Nothing twice: before repeating an effect, ask Discord whether it already happened.

A run can die (``kill -9``, OOM, a lost SSH session) after Discord performed a
write and before narrator committed what it learned. The next attempt must then
*adopt* the result instead of doing it again:

* ``messages.ensure`` does this on every run when it has no verified stored id:
  the bot's own message with the declared content is looked for among the
  channel's pins (when ``pin``) and its 100 most recent messages.
* ``messages.send`` and the plain creates (``channels.create``, ``roles.create``,
  ``webhooks.create``, ``events.create``) do it when the executor resumes an act
  that was running at the crash (``CommandCall.reconcile_since``): a resource of
  the bot's, with that content or name, created after the earlier attempt
  started, is adopted. Snowflake ids encode their creation time, so "created
  after" needs no extra field; message nonces are compared when Discord still
  returns them (it forgets them after a few minutes), content otherwise.

Ids adopted or created in this run are remembered with who claimed them
(``Session.claimed``: an ensure key, an idempotency key), so two acts with
the same content never adopt the same message, while the same act tried again in
the run (a later carousel iteration) still finds its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from narrator.platforms.discord.text import normalize_channel_name

if TYPE_CHECKING:
    from narrator.platforms.discord.session import Call, Session

DISCORD_EPOCH_MS = 1_420_070_400_000
# Our clock and Discord's may disagree a little; look this much earlier than the
# moment the earlier attempt started.
CLOCK_SKEW = timedelta(seconds=30)
RECENT = 100  # messages.ensure looks at this many recent messages (one request)
MAX_PAGES = 10  # messages.send reconciles at most this many pages of 100 after `since`


def snowflake_at(moment: datetime) -> int:
    """The smallest snowflake of ``moment``: every id created later is larger."""
    ms = int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS
    return max(ms, 0) << 22


def created_at(snowflake: str | int) -> datetime:
    """When the resource with this id was created."""
    return datetime.fromtimestamp(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def _since(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return snowflake_at(moment - CLOCK_SKEW)


def same_text(a: Any, b: Any) -> bool:
    """Message contents equal, as Discord stores them (surrounding whitespace trimmed)."""
    return str(a or "").strip() == str(b or "").strip()


async def bot_user_id(session: Session) -> str | None:
    await session.http.open()
    return session.http.user_id


def _by_bot(messages: Iterable[Mapping[str, Any]], bot: str | None) -> list[dict[str, Any]]:
    mine = [dict(m) for m in messages if bot is None or (m.get("author") or {}).get("id") == bot]
    return sorted(mine, key=lambda m: int(m["id"]))


# --------------------------------------------------------------------------- messages.ensure


async def find_ensured(
    session: Session,
    call: Call,
    cid: str,
    content: str,
    owner: str,
    *,
    pinned_first: bool,
    what: str,
) -> dict[str, Any] | None:
    """The bot's message in ``cid`` with ``content``, not claimed by another act of this run.

    Pinned messages first (when the message is meant to be pinned: it survives
    any amount of later chatter there), then the most recent messages (a crash
    between the send and the pin). The oldest match wins, so duplicates left by
    an older version converge on one message.
    """
    bot = await bot_user_id(session)

    def pick(found: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
        hits = [
            m
            for m in _by_bot(found, bot)
            if session.claimed.get(m["id"], owner) == owner and same_text(m.get("content"), content)
        ]
        return hits[0] if hits else None

    if pinned_first:
        pins = await session.http.request(
            "GET",
            "/channels/{channel_id}/messages/pins",
            channel_id=cid,
            params={"limit": "50"},
            what=f"read the pinned messages of {what}",
            permission="read_message_history",
        )
        hit = pick(item["message"] for item in pins.get("items", []))
        if hit is not None:
            return hit
    params = {"limit": str(RECENT)}
    if call.raw.reconcile_since is not None:
        params["after"] = str(_since(call.raw.reconcile_since))
    recent = await session.http.request(
        "GET",
        "/channels/{channel_id}/messages",
        channel_id=cid,
        params=params,
        what=f"read the recent messages of {what}",
        permission="read_message_history",
    )
    return pick(recent)


# --------------------------------------------------------------------------- messages.send


async def sent_parts(
    session: Session,
    call: Call,
    cid: str,
    chunks: Sequence[str],
    nonces: Sequence[str],
    since: datetime,
) -> list[dict[str, Any]]:
    """The parts of this send that Discord already has, in order (a prefix of ``chunks``).

    Part ``i`` is the bot's oldest unclaimed message after part ``i-1`` (and
    after ``since``) with that part's content and, when Discord still returns
    it, that part's nonce. Parts are sent one after the other, so the first
    missing part ends the search: it and the rest are sent.
    """
    bot = await bot_user_id(session)
    owner = call.raw.idempotency_key
    after = _since(since)
    seen: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        page = await session.http.request(
            "GET",
            "/channels/{channel_id}/messages",
            channel_id=cid,
            params={"limit": "100", "after": str(after)},
            what=f"look for messages already sent to channel {cid}",
            permission="read_message_history",
        )
        seen.extend(page)
        if len(page) < 100:
            break
        after = max(int(m["id"]) for m in page)
    candidates = _by_bot(seen, bot)
    found: list[dict[str, Any]] = []
    floor = 0
    for chunk, nonce in zip(chunks, nonces, strict=True):
        match = next(
            (
                m
                for m in candidates
                if int(m["id"]) > floor
                and session.claimed.get(m["id"], owner) == owner
                and same_text(m.get("content"), chunk)
                and (m.get("nonce") is None or str(m["nonce"]) == nonce)
            ),
            None,
        )
        if match is None:
            break
        found.append(match)
        session.claimed[match["id"]] = owner
        floor = int(match["id"])
    return found


# --------------------------------------------------------------------------- plain creates


def _recent(session: Session, call: Call, item: Mapping[str, Any], since: datetime) -> bool:
    mine = session.claimed.get(item["id"], call.raw.idempotency_key) == call.raw.idempotency_key
    return mine and int(item["id"]) >= _since(since)


async def created_channel(
    session: Session, call: Call, guild_id: str, name: str, kind: int
) -> dict[str, Any] | None:
    """channels.create on resume: a channel of that name and kind created since the attempt."""
    since = call.raw.reconcile_since
    if since is None:
        return None
    want = normalize_channel_name(name, kind)
    hits = [
        ch
        for ch in (await session.channels(guild_id)).values()
        if int(ch.get("type", 0)) == kind
        and ch.get("name") == want
        and _recent(session, call, ch, since)
    ]
    return _adopt(session, call, hits)


async def created_role(
    session: Session, call: Call, guild_id: str, name: str
) -> dict[str, Any] | None:
    """roles.create on resume: a role of that name created since the attempt."""
    since = call.raw.reconcile_since
    if since is None:
        return None
    roles = (await session.roles(guild_id)).values()
    return _adopt(
        session,
        call,
        [r for r in roles if r.get("name") == name and _recent(session, call, r, since)],
    )


async def created_webhook(
    session: Session, call: Call, cid: str, name: str
) -> dict[str, Any] | None:
    """webhooks.create on resume: a webhook of that name on the channel created since."""
    since = call.raw.reconcile_since
    if since is None:
        return None
    hooks = await session.http.request(
        "GET",
        "/channels/{channel_id}/webhooks",
        channel_id=cid,
        what=f"look for webhook '{name}' already created on channel {cid}",
        permission="manage_webhooks",
    )
    return _adopt(
        session,
        call,
        [h for h in hooks if h.get("name") == name and _recent(session, call, h, since)],
    )


async def created_event(
    session: Session, call: Call, guild_id: str, path: str, name: str
) -> dict[str, Any] | None:
    """events.create on resume: a scheduled event of that name created since the attempt."""
    since = call.raw.reconcile_since
    if since is None:
        return None
    events = await session.http.request(
        "GET",
        path,
        guild_id=guild_id,
        what=f"look for event '{name}' already created",
    )
    return _adopt(
        session,
        call,
        [e for e in events if e.get("name") == name and _recent(session, call, e, since)],
    )


def _adopt(session: Session, call: Call, hits: list[Any]) -> dict[str, Any] | None:
    if not hits:
        return None
    first: dict[str, Any] = min(hits, key=lambda item: int(item["id"]))
    session.claimed[first["id"]] = call.raw.idempotency_key
    return first
