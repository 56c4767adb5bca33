import re
from pathlib import Path

import pytest

from bot.channels import ChannelPolicy, channel_rules
from bot.config import load_settings
from bot.errors import ConfigError


def test_no_table_gives_the_defaults():
    rules = channel_rules({})

    assert rules.for_channel("C0ANY") == ChannelPolicy()
    assert ChannelPolicy().bands == {"high", "low"}


def test_plain_keys_are_defaults_and_tables_override_them():
    rules = channel_rules(
        {
            "bands": ["high"],
            "incidents": {"answer_bots": True},
            "C0QUIET1": {"mention_only": True},
        }
    )

    assert rules.for_channel("C0ANY") == ChannelPolicy(bands=frozenset({"high"}))
    assert rules.for_channel("C0X1234", "incidents").answer_bots is True
    assert rules.for_channel("C0X1234", "incidents").bands == {"high"}
    assert rules.for_channel("C0QUIET1").mention_only is True
    assert rules.names_channels is True


def test_watchlist_makes_other_channels_mention_only():
    rules = channel_rules(
        {"ops": {"answer_bots": True}}, frozenset({"#incidents", "ops"})
    )

    assert rules.for_channel("C0ANY").mention_only is True
    assert rules.for_channel("C0X1234", "incidents").mention_only is False
    assert rules.for_channel("C0X1234", "ops") == ChannelPolicy(answer_bots=True)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"loud": True},
            "unknown setting 'loud'; known: answer_bots, bands, mention_only",
        ),
        (
            {"ops": {"watched": "yes"}},
            r"\[channels.ops\]: watched must be true or false",
        ),
        ({"bands": ["none"]}, "bands must be a list drawn from"),
    ],
)
def test_mistakes_name_the_setting(table, message):
    with pytest.raises(ConfigError, match=message):
        channel_rules(table)


def test_known_issue_toml_channels_reach_the_settings(tmp_path):
    (tmp_path / "known-issue.toml").write_text(
        '[channels]\nbands = ["high"]\n\n[channels.incidents]\nanswer_bots = true\n'
    )
    settings = load_settings({}, cwd=str(tmp_path))

    assert settings.rules.for_channel("C0X1234", "incidents").answer_bots is True
    assert settings.rules.defaults.bands == {"high"}


@pytest.mark.parametrize(
    ("name", "value"),
    [("KNOWN_ISSUE_COOLDOWN_MINUTES", "soon"), ("KNOWN_ISSUE_NOT_THIS_DAYS", "-1")],
)
def test_bad_numbers_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=f"^{name}={value!r} is not a number"):
        load_settings({name: value})


def test_numbers_have_defaults_and_units():
    settings = load_settings(
        {
            "KNOWN_ISSUE_COOLDOWN_MINUTES": "2",
            "KNOWN_ISSUE_NOT_THIS_DAYS": "1",
            "KNOWN_ISSUE_THREAD_FOLLOWUPS": "0",
            "KNOWN_ISSUE_STATE_DB": "/tmp/s.db",
        }
    )

    assert (settings.cooldown, settings.not_this_ttl) == (120.0, 86400.0)
    assert (settings.thread_followups, settings.state_db) == (0, "/tmp/s.db")
    assert load_settings({}).state_db == ".known-issue/state.db"


def test_readme_example_is_valid(tmp_path):
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    [example] = [block for block in re.findall(r"```toml\n(.*?)```", readme, re.S)
                 if "[channels" in block]
    (tmp_path / "known-issue.toml").write_text(example)

    rules = load_settings({}, cwd=str(tmp_path)).rules
    assert rules.for_channel("C0123ABCD").mention_only is True
    assert rules.for_channel("C0X1234", "random").watched is False


def test_every_readme_config_example_loads(tmp_path):
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    examples = re.findall(r"```toml\n(.*?)```", readme, re.S)

    assert len(examples) >= 2
    for n, example in enumerate(examples):
        folder = tmp_path / str(n)
        folder.mkdir()
        (folder / "known-issue.toml").write_text(example)
        load_settings({}, cwd=str(folder))
