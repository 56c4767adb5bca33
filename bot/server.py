"""How the Bolt app meets Slack: a WSGI server for HTTP mode, or a Socket Mode link.

Socket Mode needs no public URL, so it is the default. HTTP mode serves events, the
slash command and interactivity on one path, /slack/events, plus a /healthz that
answers without touching Slack, for load balancers and the container health
check: 503 until the knowledge is loaded, then 200. Only requests that Slack
signed, of a size Slack sends, get past this module. The server starts before the
knowledge is read, so Slack's requests are acknowledged meanwhile and answered
once it is. SIGTERM (or SIGINT) stops either mode cleanly: no new requests,
in-flight answers finished, the Socket Mode connection closed. What the app
does with a request is slack_app.py's business.
"""

from __future__ import annotations

import io
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import waitress
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from waitress import wasyncore
from waitress.server import BaseWSGIServer, MultiSocketServer

from .config import Settings, require
from .model import Entry, Match
from .slack_app import Lookup, build_app

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

# How long a lookup waits for the knowledge at start-up before giving up; a
# redelivery of the event will find it loaded.
LOAD_WAIT_SECONDS = 120.0
# How long requests already read may take to be answered at shutdown. Acks are
# immediate, so this is only ever a slow /healthz or a slash command's ack.
DRAIN_SECONDS = 3.0
# The largest request body read. Slack's biggest bodies carry a long message
# several times: a message holds up to 40,000 characters (160 kB of UTF-8 at
# most), an edit's event has it before and after, each as text and as blocks,
# and commands and clicks come form-encoded, up to three times their size.
# Anything larger is not from Slack, and is refused without being read.
MAX_BODY_BYTES = 2 * 1024 * 1024
# Refused requests are noted in the log at most this often: anyone can post to
# the URL, but a wrong SLACK_SIGNING_SECRET must still show.
REFUSAL_NOTE_SECONDS = 60.0

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Server = BaseWSGIServer | MultiSocketServer


class Knowledge:
    """The knowledge base, or the promise of it while it loads.

    serve() hands this to the app straight away; lookups made before the load
    finishes wait for it, and /healthz reports whether it has.
    """

    def __init__(self, load: Callable[[], Lookup]) -> None:
        self._load = load
        self._kb: Lookup | None = None
        self._loaded = threading.Event()

    @classmethod
    def of(cls, kb: Lookup | Callable[[], Lookup]) -> Knowledge:
        """A ready Knowledge around a loaded base, or one that will call the loader."""
        if hasattr(kb, "lookup"):
            ready = cls(lambda: kb)  # type: ignore[arg-type,return-value]
            ready.load()
            return ready
        return cls(kb)  # type: ignore[arg-type]

    @property
    def ready(self) -> bool:
        return self._loaded.is_set()

    def load(self) -> Lookup:
        if self._kb is None:
            self._kb = self._load()
            self._loaded.set()
        return self._kb

    def loaded(self) -> Lookup:
        if not self._loaded.wait(LOAD_WAIT_SECONDS):
            raise TimeoutError("the knowledge is still loading")
        assert self._kb is not None
        return self._kb

    def lookup(self, text: str, limit: int = 3) -> list[Match]:
        return self.loaded().lookup(text, limit)

    def entry(self, entry_id: str) -> Entry | None:
        return self.loaded().entry(entry_id)

    def link(self, entry: Entry) -> str:
        return self.loaded().link(entry)

    def reload(self) -> Any:
        """The knowledge base's own reload; only KnowledgeBase has one."""
        reload = getattr(self.loaded(), "reload", None)
        if reload is None:
            raise NotImplementedError("this knowledge cannot be reloaded")
        return reload()


def serve(
    settings: Settings,
    kb: Lookup | Callable[[], Lookup],
    *,
    http: bool,
    host: str,
    port: int,
    stop: threading.Event | None = None,
) -> None:
    """Check the settings, build the app, and run until stopped (SIGTERM, or stop).

    kb is the knowledge base, or a function that loads it; given a function,
    HTTP mode answers /healthz with 503 until it returns.
    """
    check_settings(settings, http=http)
    stop = stop or threading.Event()
    _stop_on_signals(stop)
    knowledge = Knowledge.of(kb)
    app = build_app(settings, knowledge)
    try:
        if http:
            server = make_server(
                app,
                host,
                port,
                ready=lambda: knowledge.ready,
                # check_settings has made sure there is one.
                signing_secret=settings.signing_secret or "",
            )
            failures: list[BaseException] = []
            threading.Thread(
                target=_load_or_stop,
                args=(knowledge, settings, stop, failures),
                name="known-issue-load",
                daemon=True,
            ).start()
            log.info(
                "serving Slack requests on http://%s:%s%s",
                host,
                server.effective_port,
                EVENTS_PATH,
            )
            run_until(server, stop)
            if failures:
                raise failures[0]
        else:
            _load(knowledge, settings, stop)
            # check_settings has made sure there is a token; "" only satisfies the type.
            run_socket_mode(app, settings.app_token or "", stop)
    finally:
        # Answers already started get to finish, so none is half-posted.
        app.listener_runner.listener_executor.shutdown(wait=True)
        log.info("stopped")


def check_settings(settings: Settings, *, http: bool) -> None:
    """Fail, naming the variable, unless the Slack settings for the mode are set.

    Call it before the slow start-up work (building the knowledge) to fail fast.
    """
    require(
        settings.bot_token,
        "SLACK_BOT_TOKEN",
        "set it to the app's Bot User OAuth Token (xoxb-...), from OAuth & Permissions",
    )
    if http:
        require(
            settings.signing_secret,
            "SLACK_SIGNING_SECRET",
            "HTTP mode verifies every request with it; copy it from Basic Information",
        )
    else:
        require(
            settings.app_token,
            "SLACK_APP_TOKEN",
            "Socket Mode needs an app-level token (xapp-...) with connections:write; "
            "create one under Basic Information, or run with --http",
        )


def run_socket_mode(app: App, app_token: str, stop: threading.Event) -> None:
    """Hold a Socket Mode connection to Slack until stop is set."""
    log.info("connecting to Slack in Socket Mode")
    handler = SocketModeHandler(app, app_token)
    handler.connect()
    stop.wait()
    log.info("closing the Socket Mode connection")
    _end_read(handler)
    handler.close()


def _end_read(handler: SocketModeHandler) -> None:
    """Shut the socket down so close() need not wait out a read.

    slack_sdk's built-in client reads with a three-second timeout while holding
    the lock that close() takes; shutting the socket down ends that read now.
    """
    session = getattr(handler.client, "current_session", None)
    sock = getattr(session, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already gone: nothing to wait for


def make_server(
    app: App,
    host: str,
    port: int,
    ready: Callable[[], bool] = lambda: True,
    *,
    signing_secret: str,
) -> Server:
    """A waitress server for the app, bound but not yet running (port 0 picks one)."""
    return waitress.create_server(
        wsgi_app(app, ready, signing_secret=signing_secret),
        host=host,
        port=port,
        # waitress answers a body of this size or more with 413, unread.
        max_request_body_size=MAX_BODY_BYTES + 1,
    )


def run_until(server: Server, stop: threading.Event) -> None:
    """Serve until stop is set; then stop accepting, let requests already read get
    their responses (for a few seconds at most), and close.

    waitress's own run() can only be interrupted by an exception in its thread;
    looping here lets a signal handler (or a test) stop it with an Event.
    """
    sockets = getattr(server, "_map", None) or getattr(server, "map", {})
    while not stop.is_set():
        wasyncore.loop(timeout=0.05, map=sockets, count=1)

    if isinstance(server, BaseWSGIServer):
        # The listening socket only: the trigger stays, workers need it to reply.
        wasyncore.dispatcher.close(server)
    deadline = time.monotonic() + DRAIN_SECONDS
    while _busy(server) and time.monotonic() < deadline:
        wasyncore.loop(timeout=0.05, map=sockets, count=1)
    wasyncore.close_all(sockets)
    server.task_dispatcher.shutdown()


def _busy(server: Server) -> bool:
    """Whether any connection has a request in hand or a response to send."""
    channels = getattr(server, "active_channels", {}).values()
    return any(channel.requests or channel.total_outbufs_len for channel in channels)


def wsgi_app(
    app: App, ready: Callable[[], bool] = lambda: True, *, signing_secret: str
) -> WsgiApp:
    """The WSGI application: Bolt on /slack/events, readiness on /healthz.

    A request reaches Bolt only with a valid signature: nothing unsigned is
    parsed, so nothing unsigned can fail in Bolt or make the bot call anyone.
    """
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    verifier = SignatureVerifier(signing_secret)
    refusals = _Refusals()

    def application(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method == "GET":
            return _health(ready(), start_response)
        if path != EVENTS_PATH or method != "POST":
            return _text(start_response, "404 Not Found", "Not Found")
        body = _read_body(environ)
        if body is None:
            refusals.note(f"a body over {MAX_BODY_BYTES} bytes")
            return _text(start_response, "413 Request Entity Too Large", _TOO_LARGE)
        if not _signed_by_slack(verifier, body, environ):
            refusals.note("a bad or missing signature")
            return _text(start_response, "401 Unauthorized", _UNSIGNED)
        # The body has been read; Bolt reads it again (and checks it again).
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return slack(environ, start_response)

    return application


_TEXT = [("Content-Type", "text/plain; charset=utf-8")]
_UNSIGNED = (
    "Invalid request signature: this URL only answers requests that Slack signed "
    "with the app's signing secret."
)
_TOO_LARGE = (
    f"Request body too large: Slack's requests are under {MAX_BODY_BYTES} bytes."
)


def _health(ready: bool, start_response: Callable[..., Any]) -> list[bytes]:
    # Answering must not depend on Slack being reachable, only on us.
    if not ready:
        return _text(start_response, "503 Service Unavailable", "loading")
    return _text(start_response, "200 OK", "ok")


def _text(start_response: Callable[..., Any], status: str, text: str) -> list[bytes]:
    start_response(status, _TEXT)
    return [text.encode()]


def _read_body(environ: dict[str, Any]) -> bytes | None:
    """The request body, or None when it is larger than any Slack sends.

    Only the declared length is read, so a larger one is never waited for.
    """
    try:
        length = max(int(environ.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        length = 0  # waitress itself refuses such a request
    if length > MAX_BODY_BYTES:
        return None
    return environ["wsgi.input"].read(length)


def _signed_by_slack(
    verifier: SignatureVerifier, body: bytes, environ: dict[str, Any]
) -> bool:
    """Whether the request carries Slack's recent signature of exactly this body."""
    try:
        return verifier.is_valid(
            body,
            environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
            environ.get("HTTP_X_SLACK_SIGNATURE"),
        )
    except ValueError:
        # slack_sdk raises, rather than answering False, for a timestamp that is
        # not a whole number and for a body that is not UTF-8.
        return False


class _Refusals:
    """Notes refused requests in the log, at most once per REFUSAL_NOTE_SECONDS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._quiet_until = 0.0

    def note(self, reason: str) -> None:
        with self._lock:
            self._count += 1
            now = time.monotonic()
            if now < self._quiet_until:
                return
            count, self._count = self._count, 0
            self._quiet_until = now + REFUSAL_NOTE_SECONDS
        log.warning(
            "refused %d request(s) to %s, the last for %s; if Slack's own are "
            "refused, check SLACK_SIGNING_SECRET",
            count,
            EVENTS_PATH,
            reason,
        )


def _load_or_stop(
    knowledge: Knowledge,
    settings: Settings,
    stop: threading.Event,
    failures: list[BaseException],
) -> None:
    # Knowledge that cannot be read will not fix itself: stop, and say why.
    try:
        _load(knowledge, settings, stop)
    except BaseException as error:
        failures.append(error)
        stop.set()


def _load(knowledge: Knowledge, settings: Settings, stop: threading.Event) -> None:
    kb = knowledge.load()
    log.info("knowledge loaded; answering")
    if getattr(kb, "reload", None) is None:
        return
    from .watch import start_watching

    stop_watching = start_watching(kb, settings)  # type: ignore[arg-type]
    threading.Thread(target=lambda: (stop.wait(), stop_watching()), daemon=True).start()


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set stop; only the main thread may install handlers."""
    if threading.current_thread() is not threading.main_thread():
        return
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda signum, frame: stop.set())
