"""The README tells the truth: every setting documented, CI runs its test command."""

import re

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def _settings_read_by_config():
    source = (ROOT / "bot" / "config.py").read_text()
    return set(re.findall(r'env\.get\("([A-Z_]+)"', source))


def test_every_setting_is_in_the_readme():
    settings = _settings_read_by_config()

    assert settings, "config.py reads no settings?"
    assert {s for s in settings if f"`{s}`" not in README} == set()


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```sh\n(.+?)\n```", README)
    test_command = commands[1]

    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_readme_opens_with_the_main_job_on_bundled_knowledge():
    first = re.findall(r"```sh\n(.+?)\n```", README)[0]

    assert "known-issue lookup" in first
