"""A loopback HTTP proxy that adds a provider key to a CLI agent's requests.

A CLI agent (claude, codex) runs arbitrary shell commands, so it must never hold the real key:
it gets this proxy's address as its API base URL and a per-session placeholder key. The proxy
accepts only requests that carry that placeholder, swaps it for the real key and streams the
provider's answer back as it arrives (server-sent events included). It records nothing: a
session's messages, turns and tokens come from the CLI's own event stream.
"""

from __future__ import annotations

import http.client
import json
import logging
import secrets
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

DEFAULT_UPSTREAMS = {"anthropic": "https://api.anthropic.com", "openai": "https://api.openai.com/v1"}
PLACEHOLDER_PREFIX = "switchyard-proxy-"
# Headers that describe one connection, not the message (RFC 9110 §7.6.1), and the ones we set.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "host", "content-length"}
AUTH_HEADERS = {"x-api-key", "authorization"}
CHUNK = 65536
UPSTREAM_TIMEOUT = 600.0


class KeyProxy:
    """One proxy per agent session, on 127.0.0.1 and a free port; `stop()` when the session ends."""

    def __init__(self, family: str, api_key: str, base_url: str | None = None) -> None:
        upstream = urlsplit((base_url or DEFAULT_UPSTREAMS[family]).rstrip("/"))
        if upstream.scheme not in ("http", "https") or not upstream.hostname:
            raise ValueError(f"not an http(s) base URL: {base_url!r}")
        self.family = family
        self.upstream = upstream
        self.api_key = api_key
        self.token = PLACEHOLDER_PREFIX + secrets.token_urlsafe(24)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="key-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> KeyProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> KeyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # What the handler asks of the proxy ----------------------------------------------------------

    def admits(self, headers: Any) -> bool:
        """Only the session's own agent (it alone knows the placeholder) may spend the key."""
        offered = headers.get("x-api-key") or ""
        bearer = headers.get("authorization") or ""
        if bearer.lower().startswith("bearer "):
            offered = offered or bearer[7:].strip()
        return secrets.compare_digest(offered.encode(), self.token.encode())

    def upstream_headers(self, incoming: Any) -> dict[str, str]:
        """The request's own headers, minus hop-by-hop ones, with the real key in the header the
        client used (x-api-key or a bearer token), else the family's usual one."""
        headers = {name: value for name, value in incoming.items() if name.lower() not in HOP_BY_HOP | AUTH_HEADERS}
        if incoming.get("x-api-key"):
            headers["x-api-key"] = self.api_key
        elif incoming.get("authorization") or self.family == "openai":
            headers["Authorization"] = f"Bearer {self.api_key}"
        else:
            headers["x-api-key"] = self.api_key
        headers["Host"] = self.upstream.netloc
        return headers

    def connection(self) -> http.client.HTTPConnection:
        host, port = self.upstream.hostname or "", self.upstream.port
        if self.upstream.scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=UPSTREAM_TIMEOUT,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(host, port, timeout=UPSTREAM_TIMEOUT)

    def upstream_path(self, path: str) -> str:
        return self.upstream.path + (path if path.startswith("/") else f"/{path}")


def _handler(proxy: KeyProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive and chunked answers, as the CLIs' clients expect
        timeout = UPSTREAM_TIMEOUT  # an idle kept-alive connection is closed after this

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("key proxy: " + format, *args)

        def do_GET(self) -> None:
            self._forward()

        do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

        def _forward(self) -> None:
            if not proxy.admits(self.headers):
                self.close_connection = True  # its body is left unread
                self._error(401, "authentication_error", "this proxy serves only its own agent session")
                return
            body = self._body()
            upstream = proxy.connection()
            try:
                upstream.request(self.command, proxy.upstream_path(self.path), body=body,
                                 headers=proxy.upstream_headers(self.headers))
                response = upstream.getresponse()
            except OSError as exc:
                upstream.close()
                self._error(502, "api_error", f"the proxy could not reach {proxy.upstream.netloc}: {exc}")
                return
            try:
                self._relay(response)
            except OSError:  # the agent went away mid-answer; nothing to tell anyone
                self.close_connection = True
            finally:
                upstream.close()

        def _body(self) -> bytes | None:
            if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
                return _read_chunked(self.rfile)
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length) if length else None

        def _relay(self, response: http.client.HTTPResponse) -> None:
            """Copy the answer as it arrives: a known length as is, anything else re-chunked."""
            no_body = self.command == "HEAD" or response.status in (204, 304) or 100 <= response.status < 200
            known_length = response.getheader("content-length") if response.length is not None else None
            self.send_response(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            if no_body:
                self.send_header("Content-Length", known_length or "0")
                self.end_headers()
                return
            if known_length is not None:
                self.send_header("Content-Length", known_length)
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while chunk := response.read1(CHUNK):
                self.wfile.write(chunk if known_length is not None else b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            if known_length is None:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        def _error(self, status: int, kind: str, message: str) -> None:
            data = json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _read_chunked(stream: Any) -> bytes:
    """A request body sent with Transfer-Encoding: chunked, decoded."""
    body = bytearray()
    while True:
        size = int(stream.readline().split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return bytes(body)
        body += stream.read(size)
        stream.readline()
