import pytest
from fake_slack import BOT_TOKEN, SIGNING_SECRET, get

from bot.config import Settings
from bot.errors import ConfigError
from bot.server import check_settings, serve
from bot.slack_app import build_app

# The fake Slack and the waitress-served bot (fixtures fake_slack and serve_bot).
pytest_plugins = ["fake_slack"]


class NoKnowledge:
    def lookup(self, text, limit=3):
        return []


@pytest.fixture
def base_url(fake_slack, serve_bot):
    settings = Settings(
        bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake_slack.api_url
    )
    return serve_bot(build_app(settings, NoKnowledge()))


def test_healthz_answers_ok(base_url, fake_slack):
    calls_before = len(fake_slack.calls)

    assert get(f"{base_url}/healthz") == (200, "ok")
    assert len(fake_slack.calls) == calls_before


def test_other_paths_are_not_found(base_url):
    assert get(f"{base_url}/slack/events")[0] == 404
    assert get(f"{base_url}/")[0] == 404


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
