"""A local OpenAI-compatible chat-completions server that misbehaves on purpose (tests)."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class ChatState:
    """What the server saw and how it behaves; prompts script the behaviour.

    ``429:k:s:...`` answers 429 with ``Retry-After: s`` on the first k attempts;
    ``500:k:...`` 500 on the first k; ``slow:k:...`` sleeps ``slow_seconds`` before answering
    on the first k; ``sleep:s:...`` sleeps s seconds then answers; ``garbage:...`` malformed
    JSON; ``nofields:...`` JSON without choices; ``echo-auth:...`` a 400 whose body echoes the
    Authorization header; ``deny:...`` a 401 that echoes it; ``redirect:...`` a 302 to another
    host; ``huge:...`` a completion of ``huge_bytes`` (with Content-Length) and
    ``huge-chunked:...`` the same without it (connection closed at the end). Anything else
    is answered.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.inflight = 0
        self.max_inflight = 0
        self.authorization: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self.queries: list[str] = []
        self.huge_bytes = 50 * 1024 * 1024
        self.slow_seconds = 0.6


def _handler(state: ChatState) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _leave(self) -> None:
            # Count the request as finished *before* its response is written: once the client
            # has the response it may send the next one, which must not look concurrent.
            with state.lock:
                if getattr(self, "_inflight", False):
                    state.inflight -= 1
                    self._inflight = False

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self._leave()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _huge(self, *, chunked: bool) -> None:
            # A completion of ``state.huge_bytes`` bytes, streamed so the server never holds it.
            self._leave()
            head = b'{"choices": [{"message": {"role": "assistant", "content": "'
            tail = b'"}}]}'
            size = len(head) + state.huge_bytes + len(tail)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if chunked:
                self.send_header("Connection", "close")
            else:
                self.send_header("Content-Length", str(size))
            self.end_headers()
            block = b"x" * 65536
            try:
                self.wfile.write(head)
                left = state.huge_bytes
                while left > 0:
                    self.wfile.write(block[: min(left, len(block))])
                    left -= len(block)
                self.wfile.write(tail)
            except OSError:
                return  # the client stopped reading: what the cap is for

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            auth = self.headers.get("Authorization", "")
            prompt = body["messages"][-1]["content"]
            with state.lock:
                state.attempts[prompt] += 1
                n = state.attempts[prompt]
                state.inflight += 1
                self._inflight = True
                state.max_inflight = max(state.max_inflight, state.inflight)
                state.authorization.append(auth)
                state.bodies.append(body)
            try:
                self._answer(prompt, n, auth, body)
            finally:
                self._leave()

        def _answer(self, prompt: str, n: int, auth: str, body: dict[str, Any]) -> None:
            path, _, query = self.path.partition("?")
            with state.lock:
                state.queries.append(query)
            if path != "/v1/chat/completions":
                self._send(404, b'{"error": "not found"}')
                return
            parts = prompt.split(":")
            if parts[0] == "429" and n <= int(parts[1]):
                self._send(429, b'{"error": "rate limited"}', {"Retry-After": parts[2]})
                return
            if parts[0] == "500" and n <= int(parts[1]):
                self._send(500, b'{"error": "internal"}')
                return
            if parts[0] == "slow" and n <= int(parts[1]):
                time.sleep(state.slow_seconds)
            if parts[0] == "sleep":
                time.sleep(float(parts[1]))
            if parts[0] == "garbage":
                self._send(200, b'{"choices": [ {not json')
                return
            if parts[0] == "nofields":
                self._send(200, b'{"id": "chatcmpl-1", "object": "chat.completion"}')
                return
            if parts[0] == "echo-auth":
                self._send(400, f'{{"error": "bad request from {auth}"}}'.encode())
                return
            if parts[0] == "redirect":
                self.send_response(302)
                self.send_header("Location", "http://127.0.0.2:1/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if parts[0] in ("huge", "huge-chunked"):
                self._huge(chunked=parts[0] == "huge-chunked")
                return
            if parts[0] == "deny":
                self._send(401, f'{{"error": "invalid key {auth}"}}'.encode())
                return
            content = f"reply to {prompt} (temperature={body.get('temperature')})"
            answer = {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
            self._send(200, json.dumps(answer).encode())

    return Handler


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that timed out closes the socket under a sleeping handler


class ChatServer:
    def __init__(self, state: ChatState, server: _Server) -> None:
        self.state = state
        self.server = server

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/v1"


@contextmanager
def serve() -> Iterator[ChatServer]:
    """A server on 127.0.0.1 (a free port) for the duration of the block."""
    state = ChatState()
    server = _Server(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield ChatServer(state, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
