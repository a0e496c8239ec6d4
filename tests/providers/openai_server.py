"""A small OpenAI-compatible server on 127.0.0.1 for end-to-end tests and benchmarks.

Speaks ``POST .../chat/completions`` (any prefix, so ``base_url`` is
``server.base_url`` = ``http://127.0.0.1:PORT/v1``) and ``GET .../models``.

* scripted answers: ``server.script(Reply(...), ...)`` queues replies — status
  code, text, raw body, headers (``Retry-After``), per-reply delay; when the
  queue is empty it answers ``default_text`` (``"echo: <last user message>"``
  when None);
* ``latency``: seconds every answer waits (benchmarks);
* ``requests``: every request received (path, headers, JSON body, time).

Run it by hand: ``python -m tests.providers.openai_server --port 8089 --latency 0.2``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["OpenAIServer", "Reply", "Seen", "running_server"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``text`` makes a normal completion; ``body`` is sent raw."""

    status: int = 200
    text: str | None = None
    body: str | bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class Seen:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic()


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops SYNs of concurrent clients (1 s stalls)
    daemon_threads = True


def completion(text: str, model: str, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-local",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class OpenAIServer:
    """The server; use as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency: float = 0.0,
        default_text: str | None = None,
        require_key: str | None = None,
    ) -> None:
        self.latency = latency
        self.default_text = default_text
        self.require_key = require_key
        self.requests: list[Seen] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._httpd = _Server((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What to put in a profile's ``base_url``."""
        return f"{self.url}/v1"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def completions(self) -> list[Seen]:
        """The chat-completion requests received so far."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> OpenAIServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ answering

    def _next(self) -> Reply | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def answer(self, body: Any, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if self.require_key is not None:
            auth = headers.get("authorization", "")
            if auth != f"Bearer {self.require_key}":
                error = {"error": {"message": "Incorrect API key provided", "type": "auth"}}
                return 401, {}, json.dumps(error).encode()
        reply = self._next() or Reply()
        delay = self.latency + reply.delay
        if delay:
            time.sleep(delay)
        if reply.body is not None:
            raw = reply.body.encode() if isinstance(reply.body, str) else reply.body
            return reply.status, dict(reply.headers), raw
        if reply.status >= 400:
            error = {"error": {"message": f"scripted HTTP {reply.status}", "type": "scripted"}}
            return reply.status, dict(reply.headers), json.dumps(error).encode()
        messages = body.get("messages", []) if isinstance(body, dict) else []
        last = next(
            (m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), ""
        )
        text = reply.text
        if text is None:
            text = self.default_text if self.default_text is not None else f"echo: {last}"
        prompt = reply.prompt_tokens
        if prompt is None:
            prompt = sum(len(str(m.get("content", ""))) for m in messages) // 4 + 1
        done = reply.completion_tokens
        if done is None:
            done = len(text) // 4 + 1
        model = str(body.get("model", "local")) if isinstance(body, dict) else "local"
        payload = completion(text, model, prompt, done)
        return reply.status, dict(reply.headers), json.dumps(payload).encode()


def _handler_for(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # answer in one segment: no 40 ms delayed-ACK stalls
        wbufsize = 1 << 16  # headers and body leave in one write (flushed per request)

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _send(self, status: int, headers: dict[str, str], raw: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            server._record(Seen("GET", self.path, headers, None, time.monotonic()))
            if self.path.rstrip("/").endswith("/models"):
                data = {"object": "list", "data": [{"id": "local", "object": "model"}]}
                self._send(200, {}, json.dumps(data).encode())
            else:
                self._send(404, {}, b'{"error": {"message": "not found"}}')

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = raw.decode("utf-8", "replace")
            headers = {k.lower(): v for k, v in self.headers.items()}
            server._record(Seen("POST", self.path, headers, body, time.monotonic()))
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {}, b'{"error": {"message": "unknown path"}}')
                return
            status, extra, out = server.answer(body, headers)
            self._send(status, extra, out)

    return Handler


@contextmanager
def running_server(**kwargs: Any) -> Iterator[OpenAIServer]:
    """``with running_server(latency=0.2) as server: ...``"""
    server = OpenAIServer(**kwargs)
    with server:
        yield server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--text", default=None, help="answer text (default: echo)")
    args = parser.parse_args(argv)
    server = OpenAIServer(port=args.port, latency=args.latency, default_text=args.text)
    print(f"OpenAI-compatible server at {server.base_url}", flush=True)
    try:
        server._httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()


if __name__ == "__main__":
    main()
