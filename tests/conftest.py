"""Shared fixtures. Every test starts from an environment with no known-issue or
Slack settings, so a developer's real token can never reach a test."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("SLACK_", "KNOWN_ISSUE_")):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def team_kb(tmp_path_factory):
    """The bundled team log, built into its own database once per run."""
    from bot.config import Settings
    from bot.knowledge_base import open_knowledge

    db = tmp_path_factory.mktemp("team") / "knowledge.db"
    return open_knowledge(Settings(knowledge=[str(KNOWLEDGE)], db_path=str(db)))


def pages_kb_from(tmp_path_factory, name, pages):
    """A knowledge base of one page per error, written from {file name: text}."""
    from bot.config import Settings
    from bot.knowledge_base import open_knowledge

    root = tmp_path_factory.mktemp(name)
    folder = root / "errors"
    folder.mkdir()
    for file_name, text in pages.items():
        (folder / file_name).write_text(text)
    return open_knowledge(Settings(knowledge=[str(folder)],
                                   db_path=str(root / "knowledge.db")))


def run_cli(*args, input=None, env=None, cwd=ROOT):
    """Run the installed `known-issue` command as a user would, in a subprocess."""
    import subprocess

    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("SLACK_", "KNOWN_ISSUE_"))}
    full_env.update(env or {})
    script = Path(sys.executable).parent / "known-issue"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    return subprocess.run(
        [*command, *args], input=input, capture_output=True,
        text=True, env=full_env, cwd=cwd, timeout=60,
    )
