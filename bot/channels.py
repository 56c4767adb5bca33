"""How the bot behaves in each channel: the [channels] table of known-issue.toml.

Incident channels differ: one wants every certain answer posted, another wants
the bot to speak only when asked, a third is fed by alerting apps whose posts
are worth answering. Plain keys of the table are the defaults, and a sub-table
per channel (by name or by id) overrides them:

    [channels]
    bands = ["high", "low"]

    [channels.incidents]
    answer_bots = true

    [channels.C0123ABCD]
    mention_only = true

sources.py reads the file; this module checks the table and turns it into
policies. Resolving a channel name to its id needs Slack, so that lives with
the Bolt app (slack_app.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from .errors import ConfigError
from .model import CONFIDENCE_HIGH, CONFIDENCE_LOW

# The confidence bands a channel can act on; "none" is never answered.
BANDS = (CONFIDENCE_HIGH, CONFIDENCE_LOW)

_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")


@dataclass(frozen=True)
class ChannelPolicy:
    """What the bot may do in one channel."""

    # False: the bot ignores the channel entirely, mentions included.
    watched: bool = True
    # True: pastes get no unprompted answer; only mentions are answered.
    mention_only: bool = False
    # True: posts by other apps (alerting bots) are answered like people's.
    answer_bots: bool = False
    # high: a threaded answer; low: a private "possible match" to the poster.
    bands: frozenset[str] = frozenset(BANDS)


@dataclass(frozen=True)
class ChannelRules:
    """The default policy plus the channels that override it, by name or id."""

    defaults: ChannelPolicy = ChannelPolicy()
    channels: Mapping[str, ChannelPolicy] = field(default_factory=dict)

    def for_channel(self, channel_id: str, name: str | None = None) -> ChannelPolicy:
        """The policy for a channel: its id's table, else its name's, else defaults."""
        if channel_id in self.channels:
            return self.channels[channel_id]
        if name is not None and name in self.channels:
            return self.channels[name]
        return self.defaults

    @property
    def names_channels(self) -> bool:
        """Whether any channel is named rather than given by id (needs a lookup)."""
        return any(not is_channel_id(key) for key in self.channels)


def is_channel_id(text: str) -> bool:
    """Channel ids look like C0123ABCD (public) or G0123ABCD (older private)."""
    return bool(_CHANNEL_ID.match(text))


def channel_rules(
    table: Mapping[str, object],
    watchlist: frozenset[str] = frozenset(),
    source: str = "known-issue.toml",
) -> ChannelRules:
    """Rules from a [channels] table; a watchlist makes unlisted channels mention-only.

    The watchlist is KNOWN_ISSUE_CHANNELS, which predates the table: a channel
    it lists answers pastes, any other answers only when asked.
    """
    flat = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
    defaults = _policy(flat, ChannelPolicy(), f"{source} [channels]")

    listed = defaults
    if watchlist:
        defaults = replace(defaults, mention_only=True)

    channels = {name.lstrip("#"): listed for name in watchlist}
    for name, sub in table.items():
        if isinstance(sub, Mapping):
            key = str(name).lstrip("#")
            where = f"{source} [channels.{name}]"
            channels[key] = _policy(sub, channels.get(key, defaults), where)
    return ChannelRules(defaults, channels)


def _policy(
    table: Mapping[str, object], base: ChannelPolicy, where: str
) -> ChannelPolicy:
    known = {f.name for f in fields(ChannelPolicy)}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(
                f"{where}: unknown setting {key!r}; known: {', '.join(sorted(known))}"
            )
        if key != "bands" and not isinstance(value, bool):
            raise ConfigError(f"{where}: {key} must be true or false, not {value!r}")

    bands = _bands(table["bands"], where) if "bands" in table else base.bands
    flags = {k: v for k, v in table.items() if k != "bands"}
    return replace(base, bands=bands, **flags)


def _bands(value: object, where: str) -> frozenset[str]:
    if not isinstance(value, list) or any(b not in BANDS for b in value):
        raise ConfigError(
            f"{where}: bands must be a list drawn from {list(BANDS)}, not {value!r}"
        )
    return frozenset(value)
