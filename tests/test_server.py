import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    command_body,
    event_body,
    event_envelope,
    get,
    signed_post,
)
from fake_socket_mode import FakeSocketMode
from slack_rig import KNOWLEDGE, PASTE, message

from bot.config import Settings
from bot.errors import ConfigError
from bot.server import MAX_BODY_BYTES, check_settings, serve, wsgi_app
from bot.slack_app import build_app

pytest_plugins = ["fake_slack", "slack_rig"]


class NoKnowledge:
    def lookup(self, text, limit=3):
        return []

    def entry(self, entry_id):
        return None

    def link(self, entry):
        return ""


@pytest.fixture
def http_settings(fake_slack, tmp_path):
    return Settings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=fake_slack.api_url,
        state_db=str(tmp_path / "state.db"),
    )


@pytest.fixture
def base_url(http_settings, serve_bot):
    return serve_bot(build_app(http_settings, NoKnowledge()))


def test_healthz_answers_ok_without_calling_slack(base_url, fake_slack):
    calls_before = len(fake_slack.calls)

    assert get(f"{base_url}/healthz") == (200, "ok")
    assert len(fake_slack.calls) == calls_before


def test_other_paths_are_not_found(base_url):
    assert get(f"{base_url}/slack/events")[0] == 404
    assert get(f"{base_url}/")[0] == 404


# A message from anyone, anywhere: what an attacker would make the bot answer.
FORGED_EVENT = event_body(
    {"type": "message", "channel": "C_ANY", "user": "U_ANY", "text": "x", "ts": "1.0"}
)
FORM = "application/x-www-form-urlencoded"


def _forged_command(fake_slack):
    return command_body("x", fake_slack.response_url("forged"))


def _outbound(fake_slack):
    return [c["method"] for c in fake_slack.calls if c["method"] != "auth.test"]


@pytest.mark.parametrize(
    "timestamp", ["abc", "1.5", ""], ids=["word", "float", "empty"]
)
@pytest.mark.parametrize("kind", ["event", "command"])
def test_request_with_a_malformed_timestamp_is_refused_and_not_acted_on(
    base_url, fake_slack, caplog, timestamp, kind
):
    body, content_type = (
        (FORGED_EVENT, "application/json")
        if kind == "event"
        else (_forged_command(fake_slack), FORM)
    )
    status, _ = signed_post(
        f"{base_url}/slack/events",
        body,
        content_type=content_type,
        secret="not-the-secret",
        headers={"X-Slack-Request-Timestamp": timestamp},
    )

    assert status == 401
    assert _outbound(fake_slack) == []
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1,2,3]", "application/json"),
        ("payload=%7Bbad", FORM),
        ("command=/known-issue&text=%ZZ", FORM),
    ],
    ids=["broken-json", "json-list", "broken-payload", "broken-form"],
)
def test_unsigned_junk_is_refused_without_a_traceback(
    base_url, fake_slack, caplog, body, content_type
):
    status, reply = signed_post(
        f"{base_url}/slack/events", body, content_type=content_type, secret="wrong"
    )

    assert status == 401
    assert reply.startswith("Invalid request signature: this URL only answers")
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert _outbound(fake_slack) == []


def test_request_without_a_signature_is_refused(base_url, fake_slack):
    request = urllib.request.Request(
        f"{base_url}/slack/events", data=FORGED_EVENT.encode(), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)

    assert refused.value.code == 401
    assert _outbound(fake_slack) == []


def _status_of_post_declaring(base_url, length, sent=b"a" * 65536):
    """POST to /slack/events declaring a body of length bytes, sending only sent."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nX-Slack-Signature: v0=00\r\n"
            b"X-Slack-Request-Timestamp: 1\r\n"
            + f"Content-Length: {length}\r\n\r\n".encode()
            + sent
        )
        status_line = connection.makefile("rb").readline()
    return int(status_line.split()[1])


def test_oversized_body_is_refused_unread(base_url, fake_slack, caplog):
    # 30 MB declared, 64 kB sent: the answer comes without waiting for the rest.
    assert _status_of_post_declaring(base_url, 30_000_000) == 413
    assert _status_of_post_declaring(base_url, MAX_BODY_BYTES + 1) == 413
    assert "Traceback" not in caplog.text
    assert _outbound(fake_slack) == []


def test_body_of_the_largest_size_is_read_and_checked(base_url):
    status, _ = signed_post(
        f"{base_url}/slack/events", "a" * MAX_BODY_BYTES, secret="wrong"
    )

    assert status == 401


def test_app_refuses_an_oversized_body_under_any_server(http_settings):
    class Unreadable:
        def read(self, size=-1):
            raise AssertionError("an oversized body must not be read")

    application = wsgi_app(
        build_app(http_settings, NoKnowledge()), signing_secret=SIGNING_SECRET
    )
    statuses = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(MAX_BODY_BYTES + 1),
        "wsgi.input": Unreadable(),
    }

    body = b"".join(application(environ, lambda status, _: statuses.append(status)))

    assert statuses == ["413 Request Entity Too Large"]
    assert body.startswith(b"Request body too large")


def test_refusals_are_noted_at_most_once_a_minute(base_url, caplog):
    caplog.set_level(logging.INFO)
    for _ in range(5):
        signed_post(f"{base_url}/slack/events", FORGED_EVENT, secret="wrong")

    notes = [r.getMessage() for r in caplog.records if r.name == "bot.server"]
    assert notes == [
        "refused 1 request(s) to /slack/events, the last for a bad or missing "
        "signature; if Slack's own are refused, check SLACK_SIGNING_SECRET"
    ]
    assert "U_ANY" not in caplog.text


def test_signed_request_still_reaches_the_app(base_url):
    body = '{"type": "url_verification", "challenge": "c-1", "token": "t"}'

    status, reply = signed_post(f"{base_url}/slack/events", body)

    assert (status, reply) == (200, '{"challenge": "c-1"}')


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _health(url):
    try:
        return get(url)[0]
    except OSError:
        return None


def test_healthz_is_503_until_the_knowledge_is_loaded(http_settings, fake_slack):
    loading, stop = threading.Event(), threading.Event()

    def load():
        loading.wait(5)
        return NoKnowledge()

    port = _free_port()
    server = threading.Thread(
        target=serve,
        args=(http_settings, load),
        daemon=True,
        kwargs={"http": True, "host": "127.0.0.1", "port": port, "stop": stop},
    )
    server.start()
    health = f"http://127.0.0.1:{port}/healthz"
    _wait(lambda: _health(health) is not None)

    assert get(health) == (503, "loading")
    loading.set()
    _wait(lambda: _health(health) == 200)
    stop.set()
    server.join(timeout=5)
    assert not server.is_alive()


def _serve_process(fake_slack, tmp_path, *args, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "KNOWN_ISSUE_"))
    }
    environment.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=fake_slack.api_url,
        KNOWN_ISSUE_KNOWLEDGE=str(KNOWLEDGE),
        KNOWN_ISSUE_DB=str(tmp_path / "kb.db"),
        KNOWN_ISSUE_STATE_DB=str(tmp_path / "state.db"),
        KNOWN_ISSUE_CHANNELS="C0INCIDENT",
        **env,
    )
    script = Path(sys.executable).parent / "known-issue"
    return subprocess.Popen(
        [str(script), "serve", *args],
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigterm_stops_http_mode_cleanly(fake_slack, tmp_path):
    port = _free_port()
    process = _serve_process(
        fake_slack,
        tmp_path,
        "--http",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(lambda: _health(f"{base}/healthz") == 200)
        signed_post(f"{base}/slack/events", event_body(message(PASTE)))
        _wait(lambda: fake_slack.posts())
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=10)
    finally:
        process.kill()

    assert process.returncode == 0
    assert "band=high" in log and "server: stopped" in log
    assert "`token` will be unused" not in log
    assert PASTE not in log and "10.0.0.5" not in log and BOT_TOKEN not in log
    assert _health(f"{base}/healthz") is None


def test_sigterm_closes_the_socket_mode_connection(fake_slack, tmp_path):
    endpoint = FakeSocketMode()
    fake_slack.socket_url = endpoint.url
    process = _serve_process(fake_slack, tmp_path, SLACK_APP_TOKEN="xapp-test")
    try:
        assert endpoint.wait_connected(timeout=15)
        envelope = endpoint.send("events_api", event_envelope(message(PASTE), "Ev1"))
        assert endpoint.wait_ack(envelope) is not None
        _wait(lambda: fake_slack.posts())
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=10)
    finally:
        process.kill()
        endpoint.stop()

    assert process.returncode == 0
    assert endpoint.wait_closed()
    assert "closing the Socket Mode connection" in log


@pytest.mark.parametrize(
    ("settings", "http", "missing"),
    [
        (Settings(signing_secret="s", app_token="xapp-1"), True, "SLACK_BOT_TOKEN"),
        (Settings(bot_token="xoxb-1"), True, "SLACK_SIGNING_SECRET"),
        (Settings(bot_token="xoxb-1", signing_secret="s"), False, "SLACK_APP_TOKEN"),
    ],
    ids=["bot-token", "signing-secret", "app-token"],
)
def test_serve_names_the_missing_setting(settings, http, missing):
    with pytest.raises(ConfigError, match=f"^{missing} is not set: "):
        serve(settings, NoKnowledge(), http=http, host="127.0.0.1", port=0)


@pytest.mark.parametrize("http", [True, False])
def test_check_settings_passes_when_the_mode_has_what_it_needs(http):
    settings = Settings(bot_token="xoxb-1", signing_secret="s", app_token="xapp-1")

    assert check_settings(settings, http=http) is None


def test_dockerfile_checks_health_and_passes_signals_on():
    dockerfile = (Path(__file__).parent.parent / "Dockerfile").read_text()

    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    # Exec form: the bot itself is PID 1, so `docker stop`'s SIGTERM reaches it.
    assert 'CMD ["known-issue", "serve"]' in dockerfile
