"""Slack, faked at the HTTP edge on 127.0.0.1, for tests of the Bolt app.

FakeSlack answers the Web API calls the bot makes and the response_url of slash
commands and buttons, and records every request with what it answered. A test
can script failures (a 429 with Retry-After, invalid_blocks), serve snippet
files and thread roots, and point Socket Mode at a FakeSocketMode. The bot
itself is served by the real waitress server from bot/server.py, and tests
reach it with requests signed the way Slack signs them. A test module loads the
fixtures with `pytest_plugins = ["fake_slack"]`.

PYTEST_DONT_REWRITE: test modules import helpers from here before pytest loads it
as a plugin, and there are no asserts here to rewrite.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.server import make_server, run_until

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
        # conversations.replies answers with the root message stored here
        # (its text, or the whole message as a dict).
        self.thread_roots: dict[str, str | dict] = {}
        # files.info answers from here: file id -> {"content": ..., "name": ...}.
        self.files: dict[str, dict] = {}
        # apps.connections.open hands out this URL (a FakeSocketMode's).
        self.socket_url: str | None = None
        # A method answers with the body stored here instead of its usual one.
        self.answers: dict[str, dict] = {}
        # Seconds a method takes to answer, for tests of slow Slack.
        self.delays: dict[str, float] = {}
        self._scripted: dict[str, list[tuple[int, dict, dict]]] = {}
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            daemon=True,
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

    def fail(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        headers: dict | None = None,
    ) -> None:
        """Answer the next call to method with this failure instead of ok."""
        body = {"ok": False, "error": error or "ratelimited"}
        with self._lock:
            self._scripted.setdefault(method, []).append((status, body, headers or {}))

    def calls_to(self, method: str) -> list[dict]:
        with self._lock:
            return [call for call in self.calls if call["method"] == method]

    def posts(self) -> list[dict]:
        """The chat.postMessage calls Slack accepted: the messages people see."""
        return [call for call in self.calls_to("chat.postMessage") if call["ok"]]

    def wait_for(self, method: str, count: int = 1, timeout: float = 3.0) -> list[dict]:
        """The calls to method, once there are count of them (or time is up)."""
        deadline = time.monotonic() + timeout
        while len(self.calls_to(method)) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.calls_to(method)

    def record(self, method: str, params: dict, ok: bool = True) -> None:
        with self._lock:
            self.calls.append(
                {"method": method, "params": params, "ok": ok, "at": time.monotonic()}
            )

    def scripted(self, method: str) -> tuple[int, dict, dict] | None:
        with self._lock:
            queue = self._scripted.get(method)
            return queue.pop(0) if queue else None

    def answer(self, method: str, params: dict) -> dict:
        if method in self.answers:
            return self.answers[method]
        if method == "auth.test":
            return {
                "ok": True,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "user": "known-issue",
            }
        if method == "chat.postMessage":
            return {"ok": True, "channel": params.get("channel"), "ts": self.next_ts()}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "chat.update":
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": params.get("ts"),
            }
        if method == "chat.getPermalink":
            ts = str(params.get("message_ts", "")).replace(".", "")
            return {
                "ok": True,
                "channel": params.get("channel"),
                "permalink": f"https://fake.slack.com/archives/{params.get('channel')}/p{ts}",
            }
        if method == "conversations.info":
            name = self.channel_names.get(params.get("channel", ""))
            if name is None:
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "channel": {"id": params["channel"], "name": name}}
        if method == "conversations.replies":
            ts = params.get("ts", "")
            root = self.thread_roots.get(ts, "")
            message = root if isinstance(root, dict) else {"text": root}
            return {"ok": True, "messages": [{"ts": ts, **message}]}
        if method == "files.info":
            found = self.files.get(params.get("file", ""))
            if found is None:
                return {"ok": False, "error": "file_not_found"}
            file = {
                "id": params["file"],
                "name": found.get("name", ""),
                "mode": "snippet",
            }
            return {"ok": True, "file": file, "content": found.get("content", "")}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        return {"ok": True}

    def next_ts(self) -> str:
        return f"1800000000.{next(self._ts):06d}"


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
                self._send(200, "ok", "text/plain")
                return
            method = path.removeprefix("/api/")
            time.sleep(fake.delays.get(method, 0))
            scripted = fake.scripted(method)
            if scripted is not None:
                status, body, headers = scripted
                fake.record(method, params, ok=False)
                self._send(status, json.dumps(body), "application/json", headers)
                return
            body = fake.answer(method, params)
            fake.record(method, params, ok=body["ok"])
            self._send(200, json.dumps(body), "application/json")

        def _send(
            self, status: int, body: str, content_type: str, headers: dict | None = None
        ) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
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
    digest = hmac.new(
        secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256
    )
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
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def event_envelope(event: dict, event_id: str = "Ev0001") -> dict:
    """An Events API envelope around event."""
    return {
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


def event_body(event: dict, event_id: str = "Ev0001") -> str:
    return json.dumps(event_envelope(event, event_id))


def command_payload(text: str, response_url: str, user_id: str = "U0PERSON") -> dict:
    """A /known-issue slash command, as Slack sends it."""
    return {
        "token": "unused",
        "team_id": TEAM_ID,
        "channel_id": "C0INCIDENT",
        "user_id": user_id,
        "command": "/known-issue",
        "text": text,
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }


def command_body(text: str, response_url: str, user_id: str = "U0PERSON") -> str:
    """The slash command, form-encoded as Slack sends it over HTTP."""
    return urllib.parse.urlencode(command_payload(text, response_url, user_id))


def action_payload(
    action_id: str,
    value: str,
    *,
    channel: str,
    message_ts: str,
    user: str,
    response_url: str,
    message: dict | None = None,
    ephemeral: bool = False,
) -> dict:
    """A block_actions payload for one button click."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": user},
        "api_app_id": "A0APP",
        "token": "unused",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        },
        "trigger_id": "1.2.3",
        "channel": {"id": channel, "name": "incidents"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }
    if message is not None:
        payload["message"] = message
    return payload


def action_body(*args, **kwargs) -> str:
    """The click, form-encoded as Slack sends interactivity over HTTP."""
    return urllib.parse.urlencode(
        {"payload": json.dumps(action_payload(*args, **kwargs))}
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

    def serve(app, ready=lambda: True, signing_secret=SIGNING_SECRET) -> str:
        server = make_server(
            app, "127.0.0.1", 0, ready=ready, signing_secret=signing_secret
        )
        thread = threading.Thread(target=run_until, args=(server, stop), daemon=True)
        thread.start()
        threads.append(thread)
        return f"http://127.0.0.1:{server.effective_port}"

    yield serve
    stop.set()
    for thread in threads:
        thread.join(timeout=2)
