"""narrator/logs.py: redaction of known secrets and secret-looking values; the JSON lines."""

from __future__ import annotations

import io
import json
import logging

from narrator import logs

SECRET = "s3cr3t-value-known-to-the-test"
BOT_TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0.GaBcDe.abcdefghijklmnopqrstuvwxyz012345"


def test_a_registered_secret_is_redacted_anywhere_in_a_value() -> None:
    logs.add_secrets([SECRET, "ab"])  # too short to be worth hiding: ignored
    value = {"content": f"key={SECRET}!", "list": [SECRET, 3], "n": None, "ab": "ab"}
    out = logs.redact(value)
    assert SECRET not in json.dumps(out)
    assert out == {
        "content": f"key={logs.REDACTED}!",
        "list": [logs.REDACTED, 3],
        "n": None,
        "ab": "ab",
    }


def test_tokens_keys_and_authorization_headers_are_redacted_by_their_look() -> None:
    text = (
        f"token {BOT_TOKEN} Authorization: Bot abcdefgh12345678 "
        "sk-proj-abcdefghijklmnopqrstuvwx AIzaSyA1234567890abcdefghijklmnopqrstu "
        '{"x-api-key": "zzzzzzzzzz"} Bearer eyJhbGciOi.payload.sig'
    )
    out = logs.redact_text(text)
    for secret in (
        BOT_TOKEN,
        "abcdefgh12345678",
        "sk-proj-abcdef",
        "AIzaSyA123",
        "zzzzzzzzzz",
        "eyJhbGciOi",
    ):
        assert secret not in out
    assert logs.redact({"Authorization": "Bot x", "token": "t", "name": "general"}) == {
        "Authorization": logs.REDACTED,
        "token": logs.REDACTED,
        "name": "general",
    }


def test_json_lines_parse_and_carry_the_fields_redacted() -> None:
    stream = io.StringIO()
    logs.add_secrets([SECRET])
    logs.configure(1, log_format="json", environ={}, stream=stream)
    try:
        logging.getLogger("narrator.act").info(
            "act %s done", "post", extra={"input": {"content": SECRET}, "duration_ms": 1.5}
        )
        logging.getLogger("narrator.act").debug("not shown at -v")
    finally:
        logs.configure(0, environ={})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["level"] == "info"
    assert data["logger"] == "narrator.act"
    assert data["message"] == "act post done"
    assert data["input"] == {"content": logs.REDACTED}
    assert data["duration_ms"] == 1.5
    assert "time" in data
    assert SECRET not in stream.getvalue()


def test_narrator_log_sets_level_and_format_when_the_command_line_does_not() -> None:
    assert logs.parse_spec("json:debug") == ("json", logging.DEBUG)
    assert logs.parse_spec("info") == (None, logging.INFO)
    assert logs.parse_spec("nonsense") == (None, None)
    logger = logs.configure(environ={"NARRATOR_LOG": "debug"}, stream=io.StringIO())
    assert logger.level == logging.DEBUG
    logger = logs.configure(0, quiet=True, environ={"NARRATOR_LOG": "debug"}, stream=io.StringIO())
    assert logger.level == logging.ERROR
    assert logs.configure(2, environ={}, stream=io.StringIO()).level == logging.DEBUG
    assert logs.configure(environ={}, stream=io.StringIO()).level == logging.WARNING


def test_a_discord_webhook_urls_token_is_redacted_and_its_id_kept() -> None:
    token = "ae3b45e9d4752f9cd2e7985bb8891ad40fefc37b"
    url = f"https://discord.com/api/webhooks/1577543211713429504/{token}?wait=true"
    assert logs.redact_text(f"posting to {url}") == (
        "posting to https://discord.com/api/webhooks/1577543211713429504/[redacted]?wait=true"
    )
    hidden = "https://discord.com/api/webhooks/1577543211713429504/[redacted]"
    assert logs.redact({"url": hidden}) == {"url": hidden}  # narrator's own outputs
    assert logs.redact_text("/webhooks/{webhook_id}/{webhook_token}") == (
        "/webhooks/{webhook_id}/{webhook_token}"  # a route template is no secret
    )
