"""Fake model providers: real HTTP servers on loopback that the real SDKs talk to.

A server plays a script of replies, one per request; each reply is a list of blocks:
{"text": "..."} or {"tool": "name", "input": {...}}. Every request body is kept for assertions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = list[dict[str, Any]]


class FakeServer:
    def __init__(self, script: list[Reply], key: str = "sk-test-key") -> None:
        self.script = list(script)
        self.key = key
        self.requests: list[dict[str, Any]] = []
        self.status_queue: list[tuple[int, dict[str, str]]] = []  # (status, headers) answered first
        self.lock = threading.Lock()

    def next_reply(self) -> Reply:
        with self.lock:
            return self.script.pop(0) if self.script else [{"text": "(script exhausted)"}]

    def reply_for(self, body: dict[str, Any]) -> Reply:
        """The reply to this request; a subclass may choose by conversation (bench/agent_overhead.py)."""
        return self.next_reply()

    def replied(self, body: dict[str, Any]) -> None:
        """Called once the reply has been written; a subclass may time it."""


def _handler(server: FakeServer, flavour: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            with server.lock:
                server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                queued = server.status_queue.pop(0) if server.status_queue else None
            if queued is not None:
                self._json(queued[0], {"type": "error", "error": {"type": "overloaded", "message": "busy"}},
                           queued[1])
                return
            if not self._authorised():
                self._json(401, {"type": "error", "error": {"type": "authentication_error", "message": "bad key"}})
                return
            reply = server.reply_for(body)
            if flavour == "anthropic":
                self._anthropic(body, reply)
            else:
                self._openai(body, reply)
            server.replied(body)

        def _authorised(self) -> bool:
            bearer = self.headers.get("authorization") == f"Bearer {server.key}"
            if flavour == "anthropic":  # the API takes either header; SDK releases differ
                return bearer or self.headers.get("x-api-key") == server.key
            return bearer

        def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _sse(self, events: list[tuple[str | None, dict[str, Any] | str]]) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.end_headers()
            for name, data in events:
                text = data if isinstance(data, str) else json.dumps(data)
                prefix = f"event: {name}\n" if name else ""
                self.wfile.write(f"{prefix}data: {text}\n\n".encode())
            self.wfile.flush()
            self.close_connection = True

        def _anthropic(self, body: dict[str, Any], reply: Reply) -> None:
            blocks = []
            for i, block in enumerate(reply):
                if "text" in block:
                    blocks.append({"type": "text", "text": block["text"]})
                else:
                    blocks.append({"type": "tool_use", "id": f"toolu_{len(server.requests)}_{i}",
                                   "name": block["tool"], "input": block["input"]})
            stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
            usage = {"input_tokens": 100, "output_tokens": 20, "cache_read_input_tokens": 50,
                     "cache_creation_input_tokens": 10}
            message = {"id": f"msg_{len(server.requests)}", "type": "message", "role": "assistant",
                       "model": body.get("model", "claude-test"), "content": blocks, "stop_reason": stop,
                       "stop_sequence": None, "usage": usage}
            if not body.get("stream"):
                self._json(200, message)
                return
            events: list[tuple[str | None, dict[str, Any] | str]] = [
                ("message_start", {"type": "message_start", "message": {**message, "content": [],
                                   "stop_reason": None, "usage": {**usage, "output_tokens": 1}}})]
            for i, block in enumerate(blocks):
                if block["type"] == "text":
                    events.append(("content_block_start", {"type": "content_block_start", "index": i,
                                                           "content_block": {"type": "text", "text": ""}}))
                    for piece in (block["text"][: len(block["text"]) // 2], block["text"][len(block["text"]) // 2:]):
                        events.append(("content_block_delta", {"type": "content_block_delta", "index": i,
                                                               "delta": {"type": "text_delta", "text": piece}}))
                else:
                    events.append(("content_block_start", {"type": "content_block_start", "index": i,
                                   "content_block": {**block, "input": {}}}))
                    events.append(("content_block_delta", {"type": "content_block_delta", "index": i,
                                   "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}}))
                events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
            events.append(("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop,
                           "stop_sequence": None}, "usage": {"output_tokens": usage["output_tokens"]}}))
            events.append(("message_stop", {"type": "message_stop"}))
            self._sse(events)

        def _openai(self, body: dict[str, Any], reply: Reply) -> None:
            model = body.get("model", "gpt-test")
            base = {"id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion.chunk", "created": 0,
                    "model": model}
            chunks: list[tuple[str | None, dict[str, Any] | str]] = []
            tool_index = 0
            for block in reply:
                if "text" in block:
                    delta: dict[str, Any] = {"role": "assistant", "content": block["text"]}
                else:
                    delta = {"tool_calls": [{"index": tool_index, "id": f"call_{len(server.requests)}_{tool_index}",
                                             "type": "function", "function": {"name": block["tool"],
                                             "arguments": json.dumps(block["input"])}}]}
                    tool_index += 1
                chunks.append((None, {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}))
            finish = "tool_calls" if tool_index else "stop"
            chunks.append((None, {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}))
            chunks.append((None, {**base, "choices": [], "usage": {"prompt_tokens": 120, "completion_tokens": 30,
                                  "total_tokens": 150, "prompt_tokens_details": {"cached_tokens": 20}}}))
            chunks.append((None, "[DONE]"))
            self._sse(chunks)

    return Handler


@contextmanager
def fake_provider(flavour: str, script: list[Reply], key: str = "sk-test-key",
                  state: FakeServer | None = None) -> Iterator[tuple[FakeServer, str]]:
    """Yields (server, base_url): anthropic's base is the root, openai's ends in /v1."""
    state = state or FakeServer(script, key)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, flavour))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    root = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state, (root if flavour == "anthropic" else f"{root}/v1")
    finally:
        httpd.shutdown()
        httpd.server_close()
