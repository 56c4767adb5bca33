"""Settings, read from the environment in exactly this one place.

Everything else receives a Settings object; nothing below bot/ calls os.environ.
Checks that only matter for one mode (Slack tokens for serve) live in the
require_* helpers so that `lookup` and `eval` work without any Slack setup.
The optional known-issue.toml (sources, labels, who may reload) is found here
and read by sources.py; the environment still wins for the knowledge paths.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .channels import ChannelRules, channel_rules
from .errors import ConfigError
from .sources import CONFIG_NAME, ConfigFile, Source, load_config

DEFAULT_KNOWLEDGE = "knowledge"
DEFAULT_DB = ".known-issue/knowledge.db"
# Replies, votes and unanswered errors: kept apart from the knowledge database,
# which is rebuilt from the markdown and must stay disposable.
DEFAULT_STATE_DB = ".known-issue/state.db"
DEFAULT_COOLDOWN_MINUTES = 30.0
DEFAULT_THREAD_FOLLOWUPS = 2
DEFAULT_NOT_THIS_DAYS = 7.0


@dataclass(frozen=True)
class Settings:
    knowledge: list[str] = field(default_factory=lambda: [DEFAULT_KNOWLEDGE])
    db_path: str = DEFAULT_DB
    docs_url: str | None = None
    channels: frozenset[str] = frozenset()
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str | None = None
    # From known-issue.toml, when there is one.
    config_path: str | None = None
    sources: tuple[Source, ...] = ()
    label_synonyms: Mapping[str, str] = field(default_factory=dict)
    reload_users: frozenset[str] = frozenset()
    # How the bot behaves in Slack (slack_app.py and the modules it uses).
    state_db: str = DEFAULT_STATE_DB
    # None: the defaults, with `channels` as the watchlist (see `rules`).
    channel_rules: ChannelRules | None = None
    cooldown: float = DEFAULT_COOLDOWN_MINUTES * 60
    thread_followups: int = DEFAULT_THREAD_FOLLOWUPS
    not_this_ttl: float = DEFAULT_NOT_THIS_DAYS * 86400
    # Slack allows about one message per second per channel. Not a setting,
    # but tests that post often into one channel lower it.
    post_interval: float = 1.0

    @property
    def rules(self) -> ChannelRules:
        """The per-channel policies, built from `channels` when no file set them."""
        return self.channel_rules or channel_rules({}, self.channels)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", " ").split() if part.strip()]


def load_settings(
    environ: Mapping[str, str] | None = None, cwd: str | None = None
) -> Settings:
    """Build Settings from the environment (or the mapping given, for tests)."""
    env = os.environ if environ is None else environ
    config = _config_file(env, Path(cwd) if cwd else Path.cwd())

    knowledge = (_split(env.get("KNOWN_ISSUE_KNOWLEDGE", ""))
                 or [s.path for s in config.sources] or [DEFAULT_KNOWLEDGE])
    channels = frozenset(c.lstrip("#") for c in _split(env.get("KNOWN_ISSUE_CHANNELS", "")))

    docs_url = env.get("KNOWN_ISSUE_DOCS_URL") or None
    if docs_url and not docs_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"KNOWN_ISSUE_DOCS_URL={docs_url!r} is not a URL: set it to the page that "
            "renders the knowledge, e.g. https://docs.example.com/troubleshooting/"
        )

    api_url = env.get("SLACK_API_URL") or None
    if api_url and not api_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"SLACK_API_URL={api_url!r} is not a URL: unset it to use Slack's default, "
            "or set it to your Web API base such as https://slack.com/api/"
        )

    rules = None
    if config.channels or channels:
        rules = channel_rules(config.channels, channels, source=config.path or "env")

    return Settings(
        knowledge=knowledge,
        db_path=env.get("KNOWN_ISSUE_DB") or DEFAULT_DB,
        docs_url=docs_url,
        channels=channels,
        bot_token=env.get("SLACK_BOT_TOKEN") or None,
        signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        app_token=env.get("SLACK_APP_TOKEN") or None,
        api_url=api_url,
        config_path=config.path or None,
        sources=config.sources,
        label_synonyms=config.labels,
        reload_users=config.reload_users,
        state_db=env.get("KNOWN_ISSUE_STATE_DB") or DEFAULT_STATE_DB,
        channel_rules=rules,
        cooldown=60 * _number("KNOWN_ISSUE_COOLDOWN_MINUTES",
                              env.get("KNOWN_ISSUE_COOLDOWN_MINUTES"),
                              DEFAULT_COOLDOWN_MINUTES),
        thread_followups=int(_number("KNOWN_ISSUE_THREAD_FOLLOWUPS",
                                     env.get("KNOWN_ISSUE_THREAD_FOLLOWUPS"),
                                     DEFAULT_THREAD_FOLLOWUPS)),
        not_this_ttl=86400 * _number("KNOWN_ISSUE_NOT_THIS_DAYS",
                                     env.get("KNOWN_ISSUE_NOT_THIS_DAYS"),
                                     DEFAULT_NOT_THIS_DAYS),
    )


def _number(name: str, raw: str | None, default: float) -> float:
    """A number of zero or more from a variable, or default when it is unset."""
    if not (raw or "").strip():
        return default
    try:
        value = float(raw or "")
    except ValueError:
        value = -1.0
    if value < 0:
        raise ConfigError(f"{name}={raw!r} is not a number of zero or more: give one, "
                          f"or unset it for the default ({default:g})")
    return value


def _config_file(env: Mapping[str, str], cwd: Path) -> ConfigFile:
    """KNOWN_ISSUE_CONFIG if set (it must exist), else ./known-issue.toml if present."""
    explicit = env.get("KNOWN_ISSUE_CONFIG")
    if explicit:
        if not os.path.isfile(explicit):
            raise ConfigError(f"KNOWN_ISSUE_CONFIG={explicit!r} is not a file: point it "
                              f"at your {CONFIG_NAME}, or unset it")
        return load_config(explicit)
    local = cwd / CONFIG_NAME
    return load_config(local) if local.is_file() else ConfigFile(path="")


def require(value: str | None, name: str, hint: str) -> str:
    """Return a setting that a mode cannot run without, or fail naming it."""
    if not value:
        raise ConfigError(f"{name} is not set: {hint}")
    return value
