"""The Discord contract: every catalogue command, through narrator's real platform (discord.py's
HTTP client behind narrator's transport), against the emulator, checked exchange by exchange
against Discord's own OpenAPI description (``../shared/discord-api-spec/openapi.json``).

For each HTTP request the emulator receives: the operation it is (path template + method; a
deprecated route is a problem), its path and query parameters and its JSON body against the
spec. For each answer: the status is documented, the JSON body matches that status's schema
(error bodies ``{"message", "code"}`` included), and the ``X-RateLimit-*`` headers are there.

The deliberate deviations are documented where they are applied — ``relaxed`` (permission
bitfields as digit strings, an unban without a body) and ``field_codes_as_spec_types``
(string codes of field errors) — each beside the rule it relaxes, with why; nothing else may
differ. ``not_sent`` adds what the spec's open schemas cannot say: fields Discord does not send.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from narrator import catalogue
from narrator.platforms.discord import DiscordPlatform
from narrator.platforms.emulator import Emulator, fresh_world
from tests.platforms.conftest import GUILD, TOKEN, Harness
from tests.platforms.discord_spec import RATE_LIMIT_HEADERS, DiscordSpec, Problem

USER = "100000000000000200"
OTHER = "100000000000000300"
API = "/api/v10"


# ---------------------------------------------------------------------------- deviations
def relaxed(where: str, template: str, problem: Problem) -> bool:
    """The documented deviations from the spec, each one a (where, rule) narrator keeps.

    1. Permission bitfields are digit strings. Discord's documentation requires
       ``"permissions": "1024"`` (a string: the bits overflow 53-bit integers); the spec
       types the request fields of roles.create/edit/ensure and of permissions.set/ensure
       as integers. Relaxes ``type`` on a ``permissions``, ``allow`` or ``deny`` field of
       a request body.
    2. ``members.unban`` sends no body. The spec marks the body of ``DELETE
       /guilds/{guild_id}/bans/{user_id}`` required but gives it no property; Discord's
       documentation lists no body and discord.py sends none. Relaxes ``requestBody`` on
       that one operation.
    """
    leaf = problem.path.rsplit(".", 1)[-1]
    if (
        where == "request"
        and problem.keyword == "type"
        and leaf in ("permissions", "allow", "deny")
    ):
        return True
    return (
        where == "request"
        and template == "/guilds/{guild_id}/bans/{user_id}"
        and problem.keyword == "requestBody"
    )


def field_codes_as_spec_types(answer: Any) -> Any:
    """Deviation 3: field errors carry string codes.

    Discord answers an Invalid Form Body (50035) with ``errors: {field: {_errors: [{code:
    "BASE_TYPE_REQUIRED", message}]}}`` (its documentation, "Error Messages"); the spec types
    that inner ``code`` as an integer. Before an error answer is validated, each
    ``_errors[].code`` string is replaced by 0; nothing else of the answer changes.
    """
    if isinstance(answer, dict):
        out = {}
        for key, value in answer.items():
            if key == "_errors" and isinstance(value, list):
                value = [{**e, "code": 0} if _string_code(e) else e for e in value]
            out[key] = field_codes_as_spec_types(value)
        return out
    if isinstance(answer, list):
        return [field_codes_as_spec_types(v) for v in answer]
    return answer


def _string_code(error: Any) -> bool:
    return isinstance(error, dict) and isinstance(error.get("code"), str)


# ---------------------------------------------------------------------------- capture
@dataclass
class Exchange:
    """One HTTP request the emulator received and its answer."""

    command: str
    method: str
    path: str  # below /api/v10
    query: dict[str, list[str]]
    body: Any
    status: int
    headers: dict[str, str]
    answer: Any

    def __str__(self) -> str:
        return f"{self.command}: {self.method} {self.path} -> {self.status}"


@dataclass
class Recorder:
    """An aiohttp middleware (outermost) that keeps every exchange below /api/v10."""

    exchanges: list[Exchange] = field(default_factory=list)
    command: str = ""

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        raw = await request.read()
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # aiohttp's own answer (no JSON middleware)
            response = exc
        if request.path.startswith(API):
            body = getattr(response, "body", None)
            text = bytes(body) if isinstance(body, bytes | bytearray) else b""
            query: dict[str, list[str]] = {}
            for key, value in request.query.items():
                query.setdefault(key, []).append(value)
            self.exchanges.append(
                Exchange(
                    self.command,
                    request.method,
                    request.path[len(API) :],
                    query,
                    json.loads(raw) if raw else None,
                    response.status,
                    dict(response.headers),
                    _json_or_text(text, response.headers.get("Content-Type", "")),
                )
            )
        if isinstance(response, web.HTTPException):
            raise response
        return response


def _json_or_text(data: bytes, content_type: str) -> Any:
    if not data:
        return None
    if content_type.split(";")[0].strip() == "application/json":
        return json.loads(data)
    return data.decode(errors="replace")


@pytest.fixture(scope="module")
def spec() -> DiscordSpec:
    return DiscordSpec.load()


@dataclass
class Contract:
    harness: Harness
    recorder: Recorder
    ran: set[str] = field(default_factory=set)

    async def run(self, command: str, **args: Any) -> Any:
        name = catalogue.canonical("discord", command)
        self.recorder.command = name
        self.ran.add(name)
        spec = catalogue.lookup("discord", command)
        destructive = bool(spec and spec.destructive)
        result = await self.harness.run(command, allow_destructive=destructive, **args)
        return result.output


@pytest.fixture
async def contract() -> AsyncIterator[Contract]:
    recorder = Recorder()
    emulator = Emulator(fresh_world(GUILD))
    emulator.app.middlewares.insert(0, recorder.middleware)
    await emulator.start()
    emulator.world.add_user(USER, "alice", GUILD)
    emulator.world.add_user(OTHER, "bob", GUILD)
    platform = DiscordPlatform(TOKEN, api_base=emulator.url)
    harness = Harness(emulator, platform)
    try:
        yield Contract(harness, recorder)
    finally:
        await harness.platform.aclose()
        await emulator.stop()


# ---------------------------------------------------------------------------- the scenario
async def every_command(c: Contract) -> None:
    """Each catalogue command at least once, the way a narrative uses it."""
    await c.run("server.get_stats")
    await c.run("guild.edit", name="Renamed", description="A guild", reason="contract")
    cat = await c.run("categories.ensure", name="Info")
    text = await c.run("channels.create", name="chat", topic="Talk", category="Info", slowmode=5)
    await c.run("channels.create", name="Voice", kind="voice", bitrate=64000, user_limit=5)
    forum = await c.run("channels.create", name="ideas", kind="forum")
    news = await c.run("channels.ensure", name="news", kind="announcement", topic="News")
    await c.run("channels.ensure", name="news", kind="announcement", topic="Changed")
    await c.run("channels.get_or_create", name="lobby")
    await c.run("channels.list")
    await c.run("channels.get", name="chat")
    await c.run("channels.get", channel_id=cat["id"])
    await c.run("channels.edit", channel_id=text["id"], topic="Talk more", nsfw=False)
    await c.run("channels.create_invite", channel_id=text["id"], max_age=0, max_uses=5)
    await c.run("invites.list")
    ch = text["id"]

    role = await c.run(
        "roles.create", name="Helpers", color="#00ff00", permissions=["view_channel"]
    )
    await c.run("roles.ensure", name="Mods", hoist=True, permissions=["manage_messages"])
    await c.run("roles.ensure", name="Mods", hoist=False, permissions=["manage_messages"])
    await c.run("roles.list")
    await c.run("roles.get", role="Helpers")
    await c.run("roles.edit", role=role["id"], mentionable=True, reason="contract")
    await c.run("roles.assign", user_id=USER, role="Helpers")
    await c.run("roles.remove", user_id=USER, role="Helpers")
    await c.run("members.list", limit=10)
    await c.run("members.get", user_id=USER)
    await c.run("members.edit", user_id=USER, nick="Al", roles=["Helpers"])
    await c.run("members.timeout", user_id=USER, duration="10m", reason="contract")
    await c.run("members.remove_timeout", user_id=USER)
    # Botticelli's spellings: role_id, nickname/deafen, duration_seconds
    await c.run("roles.get", role_id=role["id"])
    await c.run("roles.assign", user_id=USER, role_id=role["id"])
    await c.run("members.edit", user_id=USER, nickname="Alice", deafen=False)
    await c.run("members.timeout", user_id=USER, duration_seconds=60)
    await c.run("members.remove_timeout", user_id=USER)
    await c.run("integrations.list")
    await c.run("voice_regions.list")

    # the setup ensures (issue 16): guild settings, @everyone, member roles, forums, invites
    await c.run("guild.ensure", description="Ensured", afk_timeout=900, system_channel="chat")
    await c.run("roles.ensure", name="@everyone", permissions=["view_channel", "send_messages"])
    await c.run("members.roles_ensure", user_id=USER, roles=["Mods"], managed=["Mods", "Helpers"])
    await c.run("forum.ensure", name="help", tags=["question", "solved"], default_reaction="👍")
    await c.run("invites.ensure", channel_id=text["id"], max_age=0, max_uses=10)
    await c.run("invites.ensure", channel_id=text["id"], max_age=0, max_uses=10)

    await c.run("permissions.set", channel_id=ch, role="Helpers", allow=["send_messages"])
    await c.run("permissions.ensure", channel_id=ch, role="Mods", deny=["send_messages"])
    await c.run("permissions.ensure", channel_id=ch, member=USER, allow=["view_channel"])
    await c.run("permissions.clear", channel_id=ch, role="Helpers")

    first = await c.run("messages.send", channel_id=ch, content="hello <@&" + role["id"] + ">")
    second = await c.run("messages.send", channel_id=ch, content="x" * 2500, reply_to=first["id"])
    await c.run("messages.send", channel_id=ch, content="embed", embeds=[{"title": "T"}])
    await c.run("messages.ensure", channel_id=ch, content="Rules", pin=True, key="rules")
    await c.run("messages.ensure", channel_id=ch, content="Rules v2", pin=True, key="rules")
    await c.run("messages.send", channel_id=ch, content="read aloud", tts=True)
    await c.run("channels.typing", channel_id=ch)
    await c.run("messages.get", channel_id=ch, message_id=first["id"])
    await c.run("messages.list", channel_id=ch, limit=5)
    await c.run("messages.list", channel_id=ch, limit=5, after=first["id"])
    await c.run("messages.edit", channel_id=ch, message_id=first["id"], content="edited")
    await c.run("messages.pin", channel_id=ch, message_id=first["id"], reason="contract")
    await c.run("messages.unpin", channel_id=ch, message_id=first["id"])
    await c.run("reactions.add", channel_id=ch, message_id=first["id"], emoji="👍")
    await c.run("reactions.add", channel_id=ch, message_id=first["id"], emoji="🎉")
    await c.run("reactions.list", channel_id=ch, message_id=first["id"], emoji="👍")
    await c.run("reactions.remove", channel_id=ch, message_id=first["id"], emoji="👍")
    await c.run("reactions.remove", channel_id=ch, message_id=first["id"], emoji="🎉", user_id=USER)
    await c.run("reactions.clear", channel_id=ch, message_id=first["id"], emoji="🎉")
    await c.run("reactions.add", channel_id=ch, message_id=first["id"], emoji="🎉")
    await c.run("reactions.clear_emoji", channel_id=ch, message_id=first["id"], emoji="🎉")
    await c.run("reactions.clear", channel_id=ch, message_id=first["id"])

    thread = await c.run("threads.create", channel_id=ch, name="talk", message_id=first["id"])
    side = await c.run("threads.create", channel_id=ch, name="side", auto_archive_duration=60)
    await c.run("threads.edit", thread_id=side["id"], name="side-2", locked=True)
    await c.run("threads.leave", thread_id=thread["id"])
    await c.run("threads.join", thread_id=thread["id"])
    await c.run("threads.add_member", thread_id=thread["id"], user_id=USER)
    await c.run("threads.remove_member", thread_id=thread["id"], user_id=USER)
    await c.run("threads.list", channel_id=ch)
    await c.run("threads.get", thread_id=thread["id"])
    await c.run("threads.delete", thread_id=side["id"])
    post = await c.run("forum.create_post", channel_id=forum["id"], name="Idea", content="Body")
    await c.run(
        "forum.create_post", channel_id=forum["id"], name="Q", content="?", auto_archive_duration=60
    )
    await c.run("forum.list_posts", channel_id=forum["id"])
    await c.run("forum.get_post", thread_id=post["id"])

    event = await c.run(
        "events.create",
        name="Game night",
        start_time="2030-01-01T20:00:00Z",
        end_time="2030-01-01T22:00:00Z",
        location="Online",
    )
    await c.run("events.edit", event_id=event["id"], description="Bring snacks")
    await c.run("events.get", event_id=event["id"])
    await c.run("events.list")
    await c.run("events.delete", event_id=event["id"])

    hook = await c.run("webhooks.create", channel_id=ch, name="Feed")
    await c.run("webhooks.ensure", channel_id=news["id"], name="News feed")
    await c.run("webhooks.list", channel_id=ch)
    await c.run("webhooks.list")
    await c.run("webhooks.send", url=hook["url"], content="via hook", username="Bot")
    token = c.harness.emu.world.webhooks[hook["id"]]["token"]  # as a user pastes it from Discord
    await c.run("webhooks.send", webhook_id=hook["id"], token=token, content="again")
    await c.run("webhooks.send", webhook_id=hook["id"], content="token read by the bot")
    await c.run("webhooks.delete", webhook_id=hook["id"])

    await c.run("emojis.list")
    await c.run("stickers.list")
    await c.run("messages.delete", channel_id=ch, message_id=second["id"])
    ids = [(await c.run("messages.send", channel_id=ch, content=f"m{i}"))["id"] for i in range(3)]
    await c.run("messages.bulk_delete", channel_id=ch, message_ids=ids[:2])
    await c.run("messages.clear", channel_id=ch, limit=10)
    await c.run("channels.delete", channel_id=news["id"], reason="contract")
    await c.run("members.ban", user_id=OTHER, delete_message_seconds=60, reason="spam")
    await c.run("bans.list", limit=10)
    await c.run("members.unban", user_id=OTHER)
    await c.run("members.ban", user_id=OTHER, delete_message_days=1)
    await c.run("members.kick", user_id=USER, reason="contract")
    await c.run("roles.delete", role="Helpers")


def check(spec: DiscordSpec, exchanges: list[Exchange]) -> dict[str, list[str]]:
    """Every problem of every exchange, by exchange ("command: METHOD path -> status")."""
    found: dict[str, list[str]] = {}
    for ex in exchanges:
        problems: list[str] = []
        op = spec.operation(ex.method, ex.path)
        if op is None:
            problems.append("no operation of the spec matches this request")
        else:
            if op.deprecated:
                problems.append(f"deprecated route ({op.operation_id})")
            problems += [
                f"request {p}"
                for p in spec.request_problems(op, ex.path, ex.query, ex.body, relaxed)
            ]
            answer = field_codes_as_spec_types(ex.answer) if ex.status == 400 else ex.answer
            problems += [
                f"answer {p}"
                for p in spec.response_problems(op, ex.status, ex.headers, answer, relaxed)
            ]
            problems += not_sent(op.template, ex.method, ex.answer)
        if problems:
            found[f"{ex} [{op.template if op else '?'}]"] = problems
    return found


# Fields the spec allows but Discord does not send from these endpoints (the spec's schemas
# are open, so a test of our own): guild_id on a message object from the REST message
# endpoints, url on a webhook from the bot endpoints (only the OAuth2 flow returns it).
_MESSAGE_ROUTES = ("/messages", "/webhooks/{webhook_id}/{webhook_token}")


def not_sent(template: str, method: str, answer: Any) -> list[str]:
    items = answer if isinstance(answer, list) else [answer]
    out: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        message = "/messages" in template and "pins" not in template and "author" in item
        if message and "guild_id" in item:
            out.append("answer $: guild_id on a message object (Discord sends none)")
        if template.endswith("/webhooks") and "url" in item:
            out.append("answer $: url on a webhook from a bot endpoint (Discord sends none)")
    return out


async def test_every_catalogue_command_conforms_to_discords_spec(
    contract: Contract, spec: DiscordSpec
) -> None:
    """All requests and all emulator answers of every catalogue command conform."""
    await every_command(contract)
    missing = set(catalogue.command_names("discord")) - contract.ran
    assert not missing, f"the contract scenario does not run: {sorted(missing)}"
    exchanges = contract.recorder.exchanges
    problems = check(spec, exchanges)
    report = "\n".join(f"{k}\n    " + "\n    ".join(v) for k, v in problems.items())
    answers = len(exchanges)
    assert not problems, f"{len(problems)} of {answers} exchanges do not conform:\n{report}"
    assert answers >= 90  # the scenario really went through the emulator


async def test_error_answers_are_discords_json_with_rate_limit_headers(
    contract: Contract, spec: DiscordSpec
) -> None:
    """401 (no token), an unknown route (404), a wrong method (405), an unknown message
    (10008), an invalid form body (50035), missing permissions (403, 50013): JSON
    ``{"message", "code"}`` with Discord's codes, rate-limit headers on the route answers,
    and each conforms to the spec's error schema."""
    emu = contract.harness.emu
    channel = (await contract.run("channels.create", name="chat"))["id"]
    bot = {"Authorization": f"Bot {TOKEN}"}
    cases = [
        ("GET", f"/channels/{channel}", {}, None, 401, 0),
        ("GET", f"/channels/{channel}/messages/1", bot, None, 404, 10008),
        ("POST", f"/guilds/{GUILD}/roles", bot, {"name": "x" * 101}, 400, 50035),
        ("GET", "/no/such/route", bot, None, 404, 0),
        ("PUT", f"/channels/{channel}/messages", bot, None, 405, 0),
    ]
    async with aiohttp.ClientSession() as http:
        for method, path, headers, body, status, code in cases:
            async with http.request(method, emu.url + path, headers=headers, json=body) as r:
                assert r.status == status, (method, path, r.status)
                assert r.headers["Content-Type"] == "application/json", (path, r.headers)
                answer = await r.json()
                assert answer["code"] == code and answer["message"], (path, answer)
                as_typed = field_codes_as_spec_types(answer)
                assert not spec.problems("/components/schemas/ErrorResponse", as_typed), answer
                if path != "/no/such/route" and status != 405:  # a route's answers only
                    assert all(h in r.headers for h in RATE_LIMIT_HEADERS), (path, r.headers)
    assert answer == {"message": "405: Method Not Allowed", "code": 0}
    emu.world.set_bot_permissions(GUILD, ["view_channel"])  # no manage_roles: 403, 50013
    async with aiohttp.ClientSession() as http:
        url = f"{emu.url}/guilds/{GUILD}/roles"
        async with http.post(url, headers=bot, json={"name": "r"}) as r:
            assert r.status == 403 and await r.json() == {
                "message": "Missing Permissions",
                "code": 50013,
            }
    routed = [ex for ex in contract.recorder.exchanges if ex.status in (400, 401, 403, 404)]
    assert len(routed) == 5  # the unknown route has no operation in the spec
    for ex in routed:
        op = spec.operation(ex.method, ex.path)
        if op is None:
            assert ex.path == "/no/such/route"
            continue
        body = field_codes_as_spec_types(ex.answer)
        assert not spec.response_problems(op, ex.status, ex.headers, body, relaxed), ex


def test_the_checker_rejects_what_discord_would_not_send(spec: DiscordSpec) -> None:
    """The checker can fail: a role without colors, a message without components, a
    permission integer where the relaxation is off, a deprecated pins route."""
    role = {"id": "1", "name": "r", "permissions": "0", "position": 0, "color": 0}
    role |= {"hoist": False, "managed": False, "mentionable": False, "flags": 0}
    role |= {"icon": None, "unicode_emoji": None}
    missing = spec.problems("/components/schemas/GuildRoleResponse", role)
    assert [(p.path, p.keyword) for p in missing] == [("$", "required")]
    assert "colors" in missing[0].message
    op = spec.operation("POST", f"/guilds/{GUILD}/roles")
    assert op is not None and op.template == "/guilds/{guild_id}/roles"
    body = {"name": "r", "permissions": "1024"}
    assert spec.request_problems(op, f"/guilds/{GUILD}/roles", {}, body)  # strict: a string
    assert not spec.request_problems(op, f"/guilds/{GUILD}/roles", {}, body, relaxed)
    bad = spec.request_problems(op, f"/guilds/{GUILD}/roles", {}, {"name": 5}, relaxed)
    assert [p.keyword for p in bad] == ["type"]
    old = spec.operation("PUT", "/channels/1/pins/2")
    assert old is not None and old.deprecated
    current = spec.operation("PUT", "/channels/1/messages/pins/2")
    assert current is not None and not current.deprecated
    pins = spec.operation("GET", "/channels/1/messages/pins")
    assert pins is not None and pins.template == "/channels/{channel_id}/messages/pins"
    wrong = {p.keyword for p in spec.response_problems(op, 200, {}, {"message": "x"})}
    assert {"headers", "required"} <= wrong
    assert not_sent("/channels/{channel_id}/messages", "POST", {"author": {}, "guild_id": "1"})
