"""Settings, read from the environment in exactly this one place.

Everything else receives a Settings object; nothing below bot/ calls os.environ.
Checks that only matter for one mode (Slack tokens for serve) live in the
require_* helpers so that `lookup` and `eval` work without any Slack setup.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import ConfigError

DEFAULT_KNOWLEDGE = "knowledge"
DEFAULT_DB = ".known-issue/knowledge.db"


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


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", " ").split() if part.strip()]


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment (or the mapping given, for tests)."""
    env = os.environ if environ is None else environ

    knowledge = _split(env.get("KNOWN_ISSUE_KNOWLEDGE", "")) or [DEFAULT_KNOWLEDGE]
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

    return Settings(
        knowledge=knowledge,
        db_path=env.get("KNOWN_ISSUE_DB") or DEFAULT_DB,
        docs_url=docs_url,
        channels=channels,
        bot_token=env.get("SLACK_BOT_TOKEN") or None,
        signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        app_token=env.get("SLACK_APP_TOKEN") or None,
        api_url=api_url,
    )


def require(value: str | None, name: str, hint: str) -> str:
    """Return a setting that a mode cannot run without, or fail naming it."""
    if not value:
        raise ConfigError(f"{name} is not set: {hint}")
    return value
