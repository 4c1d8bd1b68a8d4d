"""What keeps a served page safe: a rate limit on the login and a private folder for uploads."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path

MAX_FAILURES = 5  # wrong passwords from one client ...
WINDOW_SECONDS = 60.0  # ... within this many seconds, then
LOCKOUT_SECONDS = 60.0  # every login from that client is refused for this long


class LoginRateLimit:
    """ASGI middleware: after MAX_FAILURES wrong passwords from one client address, POST /login answers 429
    (even for the right password) until LOCKOUT_SECONDS have passed."""

    def __init__(self, app, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS,
                 lockout: float = LOCKOUT_SECONDS) -> None:
        self.app, self.max_failures, self.window, self.lockout = app, max_failures, window, lockout
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") != "/login":
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("?", 0))[0]
        now = time.monotonic()
        with self._lock:
            wait = self._locked_until.get(client, 0.0) - now
        if wait > 0:
            return await _refuse(send, wait)

        async def watch(message):
            if message["type"] == "http.response.start" and message["status"] == 400:
                self._failed(client)
            await send(message)

        return await self.app(scope, receive, watch)

    def _failed(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if now - t < self.window] + [now]
            self._failures[client] = recent
            if len(recent) >= self.max_failures:
                self._locked_until[client] = now + self.lockout
                self._failures[client] = []


async def _refuse(send, wait: float) -> None:
    body = json.dumps({"detail": f"Too many wrong passwords from this address; try again in {wait:.0f} s."})
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", b"application/json"), (b"retry-after", str(int(wait) + 1).encode())]})
    await send({"type": "http.response.body", "body": body.encode()})


def private_upload_dir() -> Path:
    """A folder only this user can enter (0700), for Gradio's copies of uploaded files: the default,
    /tmp/gradio, is readable by every account on the machine. One per process (GRADIO_TEMP_DIR, made private
    when it is set already); set before the page is built."""
    named = os.environ.get("GRADIO_TEMP_DIR")
    folder = Path(named) if named else Path(tempfile.mkdtemp(prefix="rag-ui-uploads-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    return folder
