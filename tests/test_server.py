import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    event_body,
    event_envelope,
    get,
    signed_post,
)
from fake_socket_mode import FakeSocketMode
from slack_rig import KNOWLEDGE, PASTE, message

from bot.config import Settings
from bot.errors import ConfigError
from bot.server import check_settings, serve
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
