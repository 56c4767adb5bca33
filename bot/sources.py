"""The optional known-issue.toml: which knowledge to read and how to link to it.

Without the file, knowledge/ is read with the built-in labels, exactly as
before it existed. With it, a team lists its sources and extends the label
table without touching code::

    # Slack user ids allowed to run /known-issue reload (empty: anyone)
    reload_users = ["U0123ABCD"]

    [[sources]]
    path = "knowledge/"                     # a file, a folder or a glob
    link = "https://docs.example.com/troubleshooting/"    # entry -> page#id

    [[sources]]
    path = "docs/errors/*.mdx"
    link = "https://example.com/docs/messages/{id}"       # {id} is replaced
    layout = "page"                         # log, faq or page; default: detect

    [labels]
    "What broke" = "symptoms"               # symptoms, cause, fix, prevention,
    "Remedy" = "fix"                        # date, severity, or "section" for
    "Background" = "section"                # a known label that fills no field

    [channels]                              # how the bot behaves in Slack;
    bands = ["high", "low"]                 # keys here are the defaults
    [channels.incidents]                    # a channel by name or id
    answer_bots = true                      # see channels.py for every key

Relative paths are read from the config file's folder. Finding the file (the
KNOWN_ISSUE_CONFIG variable, else ./known-issue.toml) is config.py's job.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import labels
from .errors import ConfigError
from .parse import LAYOUTS

CONFIG_NAME = "known-issue.toml"

_TARGETS = {
    "symptoms": labels.SYMPTOMS, "cause": labels.ROOT_CAUSE,
    "root_cause": labels.ROOT_CAUSE, "root cause": labels.ROOT_CAUSE,
    "fix": labels.FIX, "prevention": labels.PREVENTION, "date": labels.DATE,
    "severity": labels.SEVERITY, "section": labels.SECTION,
}
_TOP_KEYS = ("sources", "labels", "reload_users", "channels")
_SOURCE_KEYS = ("path", "link", "layout")


@dataclass(frozen=True)
class Source:
    """One knowledge path, and how its entries are linked and read."""

    path: str
    link: str | None = None
    layout: str | None = None

    def url_for(self, entry_id: str) -> str | None:
        """The entry's address: the pattern with {id} filled, or base#id."""
        if not self.link:
            return None
        if "{id}" in self.link:
            return self.link.replace("{id}", entry_id)
        return f"{self.link.rstrip('#')}#{entry_id}"


@dataclass(frozen=True)
class ConfigFile:
    """What known-issue.toml says."""

    path: str
    sources: tuple[Source, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    reload_users: frozenset[str] = frozenset()
    # The [channels] table as written; channels.py checks and reads it.
    channels: dict = field(default_factory=dict)


def load_config(path: str | os.PathLike[str]) -> ConfigFile:
    """Read and check a known-issue.toml; a mistake raises ConfigError naming it."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: "
                          f"{exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc

    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r}; expected one of "
                          f"{', '.join(_TOP_KEYS)}")

    base = os.path.relpath(Path(path).resolve().parent)
    return ConfigFile(
        path=str(path),
        sources=tuple(_source(path, base, s) for s in _list(path, data, "sources")),
        labels=_labels(path, data.get("labels", {})),
        reload_users=frozenset(str(u) for u in _list(path, data, "reload_users")),
        channels=_channels(path, data.get("channels", {})),
    )


def _channels(path: str | os.PathLike[str], table: object) -> dict:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [channels] must be a table: defaults as keys, "
                          "and one [channels.<name or id>] table per channel")
    return table


def _list(path: str | os.PathLike[str], data: dict, key: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{path}: {key} must be a list")
    return value


def _source(path: str | os.PathLike[str], base: str, item: object) -> Source:
    if isinstance(item, str):
        item = {"path": item}
    if not isinstance(item, dict) or not isinstance(item.get("path"), str):
        raise ConfigError(f"{path}: every [[sources]] needs "
                          "path = \"folder, file or glob\"")

    unknown = sorted(set(item) - set(_SOURCE_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} in source "
                          f"{item['path']!r}; expected {', '.join(_SOURCE_KEYS)}")
    link = item.get("link")
    if link is not None and not str(link).startswith(("http://", "https://")):
        raise ConfigError(f"{path}: link {link!r} is not a URL: give the docs page, "
                          "or a pattern such as https://example.com/docs/messages/{id}")
    layout = item.get("layout")
    if layout is not None and layout not in LAYOUTS:
        raise ConfigError(f"{path}: layout {layout!r} is not one of "
                          f"{', '.join(LAYOUTS)}")

    where = item["path"]
    if not os.path.isabs(where):
        where = os.path.normpath(os.path.join(base, where))
    return Source(where, link, layout)


def _labels(path: str | os.PathLike[str], table: object) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [labels] must be a table of \"Label\" = \"field\"")
    out: dict[str, str] = {}
    for label, target in table.items():
        key = str(target).strip().lower()
        if key not in _TARGETS:
            raise ConfigError(f"{path}: label {label!r} maps to {target!r}; use one "
                              "of symptoms, cause, fix, prevention, date, severity, "
                              "section")
        out[label] = _TARGETS[key]
    return out


def sources_for(paths: Sequence[str], configured: Sequence[Source]) -> list[Source]:
    """A Source per knowledge path, with its configured link and layout if any."""
    by_path = {os.path.normpath(s.path): s for s in configured}
    return [by_path.get(os.path.normpath(p), Source(p)) for p in paths]
