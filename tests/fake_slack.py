"""Slack, faked at the HTTP edge on 127.0.0.1, for tests of the Bolt app.

FakeSlack answers the Web API calls the bot makes and the response_url of slash
commands, and records every request. The bot itself is served by the real waitress
server from bot/server.py, and tests reach it with requests signed the way Slack
signs them. A test module loads the fixtures with `pytest_plugins = ["fake_slack"]`.

PYTEST_DONT_REWRITE: test modules import helpers from here before pytest loads it
as a plugin, and there are no asserts here to rewrite.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from waitress import wasyncore

from bot.server import make_server

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
TEAM_ID = "T0TEAM"


class FakeSlack:
    """A Web API and response_url endpoint that record calls and answer ok."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        # conversations.info answers from here; unknown ids get channel_not_found.
        self.channel_names: dict[str, str] = {}
        # conversations.replies answers with the root message text stored here.
        self.thread_roots: dict[str, str] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base}/response/{name}"

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls_to(self, method: str) -> list[dict]:
        with self._lock:
            return [call for call in self.calls if call["method"] == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 3.0) -> list[dict]:
        """The calls to method, once there are count of them (or the deadline passed)."""
        deadline = time.monotonic() + timeout
        while len(self.calls_to(method)) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.calls_to(method)

    def record(self, method: str, params: dict) -> None:
        with self._lock:
            self.calls.append({"method": method, "params": params})

    def answer(self, method: str, params: dict) -> dict:
        if method == "auth.test":
            return {
                "ok": True,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "user": "known-issue",
            }
        if method == "chat.postMessage":
            ts = f"{time.time():.6f}"
            return {"ok": True, "channel": params.get("channel"), "ts": ts}
        if method == "conversations.info":
            name = self.channel_names.get(params.get("channel", ""))
            if name is None:
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "channel": {"id": params["channel"], "name": name}}
        if method == "conversations.replies":
            ts = params.get("ts", "")
            root = {"ts": ts, "text": self.thread_roots.get(ts, "")}
            return {"ok": True, "messages": [root]}
        return {"ok": True}


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            self._reply(url.path, _form(url.query))

        def do_POST(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if "json" in (self.headers.get("Content-Type") or ""):
                params = json.loads(raw or b"{}")
            else:
                params = _form(raw.decode())
            params.update(_form(url.query))
            self._reply(url.path, params)

        def _reply(self, path: str, params: dict) -> None:
            if path.startswith("/response/"):
                fake.record("response_url", params)
                self._send("ok", "text/plain")
                return
            method = path.removeprefix("/api/")
            fake.record(method, params)
            self._send(json.dumps(fake.answer(method, params)), "application/json")

        def _send(self, body: str, content_type: str) -> None:
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output to failures

    return Handler


def _form(text: str) -> dict:
    return {key: values[0] for key, values in urllib.parse.parse_qs(text).items()}


def signed_post(
    url: str,
    body: str,
    *,
    content_type: str = "application/json",
    secret: str = SIGNING_SECRET,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    """POST body as Slack does: v0 HMAC-SHA256 over "v0:{timestamp}:{body}"."""
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": f"v0={digest.hexdigest()}",
            **(headers or {}),
        },
    )
    return _open(request)


def get(url: str) -> tuple[int, str]:
    return _open(urllib.request.Request(url))


def _open(request: urllib.request.Request) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def event_body(event: dict, event_id: str = "Ev0001") -> str:
    """An Events API envelope around event, as JSON."""
    return json.dumps(
        {
            "token": "unused",
            "team_id": TEAM_ID,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [
                {"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}
            ],
        }
    )


def command_body(text: str, response_url: str) -> str:
    """A /known-issue slash command payload, form-encoded as Slack sends it."""
    return urllib.parse.urlencode(
        {
            "token": "unused",
            "team_id": TEAM_ID,
            "channel_id": "C0INCIDENT",
            "user_id": "U0PERSON",
            "command": "/known-issue",
            "text": text,
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


@pytest.fixture
def fake_slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def serve_bot():
    """Serve a Bolt app on waitress at 127.0.0.1:<free port>; returns its base URL."""
    stop = threading.Event()
    threads = []

    def serve(app) -> str:
        server = make_server(app, "127.0.0.1", 0)
        thread = threading.Thread(target=_run_until, args=(server, stop), daemon=True)
        thread.start()
        threads.append(thread)
        return f"http://127.0.0.1:{server.effective_port}"

    yield serve
    stop.set()
    for thread in threads:
        thread.join(timeout=2)


def _run_until(server, stop: threading.Event) -> None:
    # waitress's own run() cannot be stopped from another thread without pulling
    # sockets out from under its select(), so loop here and close from inside.
    while not stop.is_set():
        wasyncore.loop(timeout=0.01, map=server._map, count=1)
    wasyncore.close_all(server._map)
    server.task_dispatcher.shutdown()
