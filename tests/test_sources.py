"""known-issue.toml: sources, links, layouts and labels, and the mistakes it names."""

import os

import pytest

from bot import labels
from bot.config import DEFAULT_KNOWLEDGE, load_settings
from bot.errors import ConfigError
from bot.sources import Source, load_config, sources_for

EXAMPLE = """
reload_users = ["U0123ABCD"]

[[sources]]
path = "knowledge/"
link = "https://docs.example.com/troubleshooting/"

[[sources]]
path = "docs/errors/*.mdx"
link = "https://example.com/docs/messages/{id}"
layout = "page"

[labels]
"What broke" = "symptoms"
"Remedy" = "fix"
"Background" = "section"
"""


def write_config(folder, text=EXAMPLE):
    path = folder / "known-issue.toml"
    path.write_text(text)
    return path


def test_example_config_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(write_config(tmp_path))

    assert config.sources == (
        Source("knowledge", "https://docs.example.com/troubleshooting/"),
        Source(os.path.join("docs", "errors", "*.mdx"),
               "https://example.com/docs/messages/{id}", "page"),
    )
    assert config.labels == {"What broke": labels.SYMPTOMS, "Remedy": labels.FIX,
                             "Background": labels.SECTION}
    assert config.reload_users == frozenset({"U0123ABCD"})


def test_relative_paths_are_read_from_the_config_folder(tmp_path, monkeypatch):
    (tmp_path / "team").mkdir()
    config_path = write_config(tmp_path / "team", '[[sources]]\npath = "kb"\n')
    monkeypatch.chdir(tmp_path)

    assert load_config(config_path).sources[0].path == os.path.join("team", "kb")


@pytest.mark.parametrize(
    "text, message",
    [
        ("sources = [", "not valid TOML"),
        ("sorces = []", "unknown key 'sorces'; expected one of sources, labels"),
        ('[[sources]]\nlink = "https://x"', 'every [[sources]] needs path = '),
        ('[[sources]]\npath = "kb"\nlnk = "x"', "unknown key 'lnk' in source 'kb'"),
        ('[[sources]]\npath = "kb"\nlink = "docs.example.com"',
         "link 'docs.example.com' is not a URL"),
        ('[[sources]]\npath = "kb"\nlayout = "wiki"',
         "layout 'wiki' is not one of log, faq, page"),
        ('[labels]\n"Remedy" = "cure"',
         "label 'Remedy' maps to 'cure'; use one of symptoms"),
        ('reload_users = "U1"', "reload_users must be a list"),
    ],
)
def test_config_mistakes_name_what_to_change(tmp_path, text, message):
    with pytest.raises(ConfigError) as excinfo:
        load_config(write_config(tmp_path, text))

    assert message in str(excinfo.value)


def test_settings_read_the_config_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path)

    settings = load_settings({}, cwd=str(tmp_path))

    assert settings.knowledge == ["knowledge", os.path.join("docs", "errors", "*.mdx")]
    assert settings.label_synonyms["Remedy"] == labels.FIX
    assert settings.reload_users == frozenset({"U0123ABCD"})


def test_without_a_config_the_v1_defaults_apply(tmp_path):
    settings = load_settings({}, cwd=str(tmp_path))

    assert settings.knowledge == [DEFAULT_KNOWLEDGE]
    assert (settings.sources, settings.config_path) == ((), None)


def test_environment_knowledge_wins_over_the_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path)

    settings = load_settings({"KNOWN_ISSUE_CONFIG": str(config),
                              "KNOWN_ISSUE_KNOWLEDGE": "other"}, cwd="/")

    assert settings.knowledge == ["other"]
    assert settings.config_path == str(config)


def test_a_missing_config_named_by_the_environment_is_an_error(tmp_path):
    with pytest.raises(ConfigError) as excinfo:
        load_settings({"KNOWN_ISSUE_CONFIG": str(tmp_path / "nope.toml")})

    assert str(excinfo.value) == (f"KNOWN_ISSUE_CONFIG={str(tmp_path / 'nope.toml')!r} is "
                                  "not a file: point it at your known-issue.toml, or "
                                  "unset it")


def test_paths_given_on_the_command_line_keep_their_configured_link():
    configured = [Source("knowledge", "https://docs.example.com/")]

    assert sources_for(["knowledge/", "other"], configured) == [
        Source("knowledge", "https://docs.example.com/"), Source("other")]
