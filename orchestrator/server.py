"""`switchyard serve` and `web`: gunicorn embedded, one gthread worker, the scheduler inside it.

One worker process keeps the scheduler single (it must never run once per web worker); its
threads carry the requests and the open WebSockets. gthread hands each connection to a pool
thread; a WebSocket keeps its thread until it closes, so the hub admits at most
`threads - min(8, threads // 2)` of them (orchestrator.live.max_websockets) and REST requests
always find a thread. On SIGTERM the WebSockets are closed at once (1001), not after the
graceful timeout.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from gunicorn.app.base import BaseApplication

from orchestrator.config import Settings

log = logging.getLogger(__name__)


class EmbeddedServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, with_scheduler: bool) -> None:
        self.settings = settings
        self.with_scheduler = with_scheduler
        self.scheduler: Any = None
        super().__init__()

    def load_config(self) -> None:
        server = self.settings.server
        options = {
            "bind": f"{_bracket(server.host)}:{server.port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": server.threads,
            "graceful_timeout": server.graceful_timeout,
            "timeout": 0,
            "keepalive": 5,
            "loglevel": self.settings.log_level,
            "errorlog": "-",
            "post_worker_init": self._post_worker_init,
            "worker_exit": self._worker_exit,
            # gunicorn 27's control socket lives in ~/.gunicorn: two servers would share it.
            "control_socket_disable": True,
        }
        for key, value in options.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Any:
        from web import create_app

        self.app = create_app(self.settings)
        return self.app

    def _post_worker_init(self, worker: Any) -> None:
        _close_websockets_on_sigterm(worker.wsgi.extensions["switchyard"])
        if not self.with_scheduler:
            return
        from orchestrator.scheduler import build_scheduler

        self.scheduler = build_scheduler(worker.wsgi.extensions["switchyard"])
        self.scheduler.start()
        log.info("scheduler started in worker %s", worker.pid)

    def _worker_exit(self, _server: Any, _worker: Any) -> None:
        if self.scheduler is not None:
            from orchestrator.scheduler import stop_scheduler

            stop_scheduler(self.scheduler)
            log.info("scheduler stopped")


def _close_websockets_on_sigterm(runtime: Any) -> None:
    """gunicorn waits for open connections before a worker exits; WebSockets never end by
    themselves, so SIGTERM closes them first (in a thread: a signal handler must not block)."""
    graceful = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: Any) -> None:
        if runtime.hub is not None:
            threading.Thread(target=runtime.hub.stop, name="switchyard-ws-close", daemon=True).start()
        if callable(graceful):
            graceful(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.siginterrupt(signal.SIGTERM, False)  # as gunicorn had it: requests' system calls go on


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def run_server(settings: Settings, with_scheduler: bool) -> None:
    # Import the app's and the scheduler's modules (seconds, mostly the provider SDKs) before
    # gunicorn opens the port, so the forked worker starts at once: no client connects to a port
    # that does not answer yet.
    import orchestrator.scheduler  # noqa: F401
    import web  # noqa: F401

    EmbeddedServer(settings, with_scheduler).run()
