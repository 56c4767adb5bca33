"""The Bolt app: which Slack requests the bot listens to, and who handles each.

Listeners stay thin: they sort the event (messages.py), hand it to the answer
flow (answers.py) or the button handlers (clicks.py), and nothing else. The
rules that make the bot trustworthy in an incident channel (one reply per
message, in its thread, quiet when unsure) live in those modules; wording in
render.py; serving (HTTP or Socket Mode) in server.py. Nothing runs at import.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from . import render
from .answers import Answers, Lookup
from .channels import ChannelPolicy, ChannelRules
from .clicks import VOTE_ACTIONS, Clicks
from .config import Settings
from .feedback import Feedback
from .ledger import Ledger
from .messages import (
    Identity,
    Paste,
    mention_text,
    query_text,
    read_edit,
    read_paste,
    text_files,
)
from .reload import allowed_to_reload
from .state import StateDB

# Our own logger rather than the one Bolt hands listeners: Bolt copies the root
# level into that one when a listener is registered, so its INFO lines vanish
# whenever logging is configured after build_app().
log = logging.getLogger(__name__)

COMMAND = "/known-issue"
RELOAD = "reload"

# Listener threads. An answer may wait for its channel's posting slot, so a
# burst in a few channels must not hold every thread (Bolt's default is 5).
LISTENER_THREADS = 32

# Set on a request's context once Bolt has verified and authorized it; the
# error handler acts on nothing else.
TRUSTED = "known_issue_trusted"

__all__ = ["COMMAND", "Lookup", "build_app"]


def build_app(
    settings: Settings,
    kb: Lookup,
    *,
    process_before_response: bool = False,
) -> App:
    """Build the Bolt app that answers from kb; checks the token with auth.test here."""
    app = App(
        name="known-issue",
        # The token, not a client: Bolt also reads SLACK_BOT_TOKEN itself, and
        # warns that the token goes unused whenever it is given a client.
        token=settings.bot_token,
        # Bolt's own auth.test would go to slack.com before its client can be
        # pointed at settings.api_url; ours follows, once it is.
        token_verification_enabled=False,
        # Passed explicitly (even when empty, for Socket Mode) so that Bolt does
        # not fall back to reading the environment itself.
        signing_secret=settings.signing_secret or "",
        process_before_response=process_before_response,
        listener_executor=ThreadPoolExecutor(LISTENER_THREADS, "known-issue"),
    )
    client = _point_at_slack(app.client, settings)
    # Fail at start-up, not on the first event, when Slack refuses the token.
    client.auth_test()
    state = StateDB(settings.state_db)
    answers = Answers(
        settings,
        kb,
        Ledger(state),
        Feedback(state),
        ChannelDirectory(settings.rules, client),
    )
    _mark_trusted(app)
    _listen_to_messages(app, answers)
    _listen_to_buttons(app, Clicks(answers))
    _listen_to_command(app, settings, kb, answers)
    app.error(_on_error)
    return app


def _point_at_slack(client: WebClient, settings: Settings) -> WebClient:
    """Aim Bolt's client at settings.api_url (or Slack's), retrying rate limits
    and drops. Bolt copies both into the client each listener gets."""
    client.base_url = settings.api_url or WebClient.BASE_URL
    client.retry_handlers = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=2),
    ]
    return client


def _mark_trusted(app: App) -> None:
    @app.use
    def mark_trusted(context: BoltContext, next_: Callable[[], None]) -> None:
        # Our middleware runs after Bolt's own, so only a request whose
        # signature (in HTTP mode) and token checked out gets here.
        context[TRUSTED] = True
        next_()


def _on_error(
    error: Exception,
    body: dict,
    context: BoltContext,
    client: WebClient,
    respond: Respond,
) -> BoltResponse | None:
    if not context.get(TRUSTED):
        # It failed before Bolt verified it, so anyone could have sent it: act
        # on nothing in it (no apology to its channel or its response_url).
        log.warning(
            "refused a request that failed before it was verified (%s)",
            type(error).__name__,
        )
        return BoltResponse(status=401, body="")
    event = body.get("event") or {}
    what = event.get("type") or body.get("command") or body.get("type")
    log.error(
        "failed to handle %s (event %s)",
        what,
        body.get("event_id", "-"),
        exc_info=error,
    )
    _apologise(body, client, respond)
    return None


def _listen_to_messages(app: App, answers: Answers) -> None:
    @app.event("message")
    def on_message(
        event: dict, body: dict, context: BoltContext, client: WebClient
    ) -> None:
        me = Identity(context.bot_user_id, context.bot_id)
        edit = read_edit(event, me)
        if edit is not None:
            answers.edit(client, edit)
            return
        paste = read_paste(event, me)
        if paste is not None:
            answers.paste(client, paste, body.get("event_id"))

    @app.event("app_mention")
    def on_mention(event: dict, body: dict, client: WebClient) -> None:
        if event.get("bot_id"):
            return  # apps mentioning us could start a conversation without end
        ts = event["ts"]
        paste = Paste(
            channel=event["channel"],
            ts=ts,
            thread_ts=event.get("thread_ts") or ts,
            user=event.get("user"),
            text=mention_text(event),
            files=text_files(event),
        )
        answers.mention(client, paste, body.get("event_id"))


def _listen_to_buttons(app: App, clicks: Clicks) -> None:
    @app.action(render.ACTION_SHARE)
    def on_share(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        clicks.share(body, client, respond)

    @app.action(render.ACTION_DISMISS)
    def on_dismiss(ack: Ack, body: dict, respond: Respond) -> None:
        ack()
        clicks.dismiss(body, respond)

    for action_id, vote in VOTE_ACTIONS.items():
        app.action(action_id)(_voter(clicks, vote))


def _listen_to_command(
    app: App, settings: Settings, kb: Lookup, answers: Answers
) -> None:
    def ack_command(ack: Ack, command: dict) -> None:
        # Help and refusals need no work, so they ride on the acknowledgement.
        text = command.get("text", "").strip().lower()
        user = command.get("user_id", "")
        if text in ("", "help"):
            ack(text=render.usage_text(), response_type="ephemeral")
        elif text == RELOAD and not allowed_to_reload(settings, user):
            ack(text=render.reload_denied(), response_type="ephemeral")
        else:
            ack()

    def answer_command(command: dict, respond: Respond) -> None:
        text = command.get("text", "").strip()
        if text.lower() in ("", "help"):
            return
        if text.lower() == RELOAD:
            _reload(kb, settings, command, respond)
            return

        started = time.monotonic()
        # Bolt logs a failed lazy listener without a traceback and tells nobody,
        # so the person who asked gets an apology here.
        try:
            matches = kb.lookup(query_text(text))
        except Exception:
            log.exception("lookup failed for %s", COMMAND)
            respond(text=render.error_text(), response_type="ephemeral")
            return
        respond(
            text=render.render_fallback(matches),
            blocks=render.render_blocks(matches),
            response_type="ephemeral",
        )
        answers.log_lookup(command.get("channel_id", ""), matches, started, "ephemeral")

    # Lazy, so the lookup runs after Slack has its acknowledgement even when
    # process_before_response holds the HTTP response until listeners finish.
    app.command(COMMAND)(ack=ack_command, lazy=[answer_command])


class ChannelDirectory:
    """Channel policies by channel id, resolving names with conversations.info.

    A name is resolved once per channel and cached for the life of the process;
    rules given by id need no call at all.
    """

    def __init__(self, rules: ChannelRules, client: WebClient) -> None:
        self.rules = rules
        self._client = client
        self._names: dict[str, str | None] = {}

    def policy(self, channel_id: str) -> ChannelPolicy:
        if channel_id in self.rules.channels or not self.rules.names_channels:
            return self.rules.for_channel(channel_id)
        return self.rules.for_channel(channel_id, self._name_of(channel_id))

    def _name_of(self, channel_id: str) -> str | None:
        if channel_id not in self._names:
            try:
                info = self._client.conversations_info(channel=channel_id)
                self._names[channel_id] = info["channel"]["name"]
            except SlackApiError as error:
                # Cached too: a missing scope will not fix itself per message.
                log.warning(
                    "cannot resolve the name of channel %s (%s): add the channels:read"
                    " and groups:read scopes, or name channels by id",
                    channel_id,
                    error.response.get("error"),
                )
                self._names[channel_id] = None
        return self._names[channel_id]


def _voter(clicks: Clicks, vote: str):
    def on_vote(ack: Ack, body: dict, client: WebClient, respond: Respond) -> None:
        ack()
        clicks.vote(body, client, respond, vote)

    return on_vote


def _reload(kb: Lookup, settings: Settings, command: dict, respond: Respond) -> None:
    if not allowed_to_reload(settings, command.get("user_id", "")):
        return
    try:
        summary = kb.reload().summary()  # type: ignore[attr-defined]
    except Exception:
        log.exception("%s reload failed", COMMAND)
        respond(text=render.error_text(), response_type="ephemeral")
        return
    respond(text=summary, response_type="ephemeral")


def _apologise(body: dict, client: WebClient, respond: Respond) -> None:
    """A short apology to whoever was waiting; never the error itself."""
    event = body.get("event") or {}
    try:
        if body.get("response_url"):
            respond(
                text=render.error_text(),
                response_type="ephemeral",
                replace_original=False,
            )
        elif event.get("user") and event.get("channel"):
            client.chat_postEphemeral(
                channel=event["channel"],
                user=event["user"],
                thread_ts=event.get("thread_ts"),
                text=render.error_text(),
            )
    except Exception:
        log.exception("could not apologise for the failure above")
