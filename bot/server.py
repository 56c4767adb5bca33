"""How the Bolt app meets Slack: a WSGI server for HTTP mode, or a Socket Mode link.

Socket Mode needs no public URL, so it is the default. HTTP mode serves events, the
slash command and interactivity on one path, /slack/events, plus a /healthz that
answers without touching Slack, for load balancers and the container health check.
What the app does with a request is slack_app.py's business.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import waitress
from slack_bolt import App
from waitress.server import BaseWSGIServer, MultiSocketServer
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

from .config import Settings, require
from .slack_app import Lookup, build_app

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serve(
    settings: Settings, kb: Lookup, *, http: bool, host: str, port: int
) -> None:
    """Check the settings the mode needs, build the app, and run until stopped."""
    check_settings(settings, http=http)
    app = build_app(settings, kb)
    if http:
        run_http(app, host, port)
    else:
        # check_settings has made sure there is a token; "" only satisfies the type.
        run_socket_mode(app, settings.app_token or "")


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


def run_http(app: App, host: str, port: int) -> None:
    """Serve the app over HTTP on waitress until the process is stopped."""
    server = make_server(app, host, port)
    log.info("serving Slack requests on http://%s:%d%s", host, port, EVENTS_PATH)
    server.run()


def run_socket_mode(app: App, app_token: str) -> None:
    """Hold a Socket Mode connection to Slack until the process is stopped."""
    log.info("connecting to Slack in Socket Mode")
    SocketModeHandler(app, app_token).start()


def make_server(
    app: App, host: str, port: int
) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server for the app, bound but not yet running (port 0 picks one)."""
    return waitress.create_server(wsgi_app(app), host=host, port=port)


def wsgi_app(app: App) -> WsgiApp:
    """The WSGI application: Bolt on /slack/events, a liveness answer on /healthz."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        # Liveness only: answering must not depend on Slack being reachable.
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method == "GET":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok"]
        return slack(environ, start_response)

    return application
