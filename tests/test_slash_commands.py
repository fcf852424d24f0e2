"""Slash commands through the API: the built-ins and the project's `.claude/commands/*.md` are
listed, and a message to an agent that starts with `/name` is stored as that command's prompt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api

DEPLOY = """---
description: Deploy the branch to an environment
argument-hint: <environment>
---
Deploy the current branch to $ARGUMENTS, then report the URL it is served at.
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def commands(repo: Path) -> Path:
    return repo / ".claude" / "commands"


def listed(api: Api, project: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in api.get(f"/api/projects/{project['id']}/slash-commands")}


def test_builtins_and_the_projects_commands_are_listed(api: Api, project: dict[str, Any], commands: Path,
                                                       tmp_path: Path) -> None:
    builtins = listed(api, project)
    assert {"/plan", "/review", "/test", "/summarize"} <= set(builtins)
    assert all(c["source"] == "builtin" and c["description"] and c["prompt"] for c in builtins.values())

    write(commands / "deploy.md", DEPLOY)
    write(commands / "notes.md", "\n# Write release notes\n\nList what changed since the last tag.\n")
    write(commands / "test.md", "Run `make check` and fix what fails.\n")  # the project's own /test
    write(commands / "has space.md", "not a command name\n")
    write(commands / "readme.txt", "not markdown\n")
    (commands / "leak.md").symlink_to(write(tmp_path / "outside.md", "secret prompt\n"))

    found = listed(api, project)
    assert found["/deploy"] == {"name": "/deploy", "description": "Deploy the branch to an environment",
                                "source": "project", "argumentHint": "<environment>",
                                "prompt": "Deploy the current branch to $ARGUMENTS, then report the URL it is served at."}
    assert found["/notes"]["description"] == "Write release notes"
    assert (found["/test"]["source"], found["/test"]["prompt"]) == ("project", "Run `make check` and fix what fails.")
    assert set(found) == set(builtins) | {"/deploy", "/notes"}
    assert "secret prompt" not in str(found)


def test_a_commands_folder_that_leads_out_of_the_project_is_ignored(
    api: Api, project: dict[str, Any], repo: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "commands" / "steal.md", "secret prompt\n")
    (repo / ".claude").symlink_to(elsewhere)
    assert {c["source"] for c in listed(api, project).values()} == {"builtin"}


def test_a_slash_command_sent_to_an_agent_is_stored_as_its_prompt(
    api: Api, project: dict[str, Any], columns: dict[str, Any], commands: Path
) -> None:
    write(commands / "deploy.md", DEPLOY)
    cards = f"/api/projects/{project['id']}/cards"
    card = api.post(cards, {"title": "Ship it", "columnId": columns["Implement"]["id"]}, expect=201)
    agent = f"{cards}/{card['id']}/agent"
    test_prompt = listed(api, project)["/test"]["prompt"]

    sent = {
        "/deploy staging": "Deploy the current branch to staging, then report the URL it is served at.",
        "  /test  ": test_prompt,
        "/test the parser only": f"{test_prompt}\n\nthe parser only",
        "/usr/bin/env is missing on the runner": "/usr/bin/env is missing on the runner",
        "//deploy is a command name": "/deploy is a command name",
        "Please look at /deploy again": "Please look at /deploy again",
    }
    for content in sent:
        api.post(f"{agent}/message", {"content": content})
    stored = [m["text"] for m in api.get(f"{agent}/messages") if m["kind"] == "user"]
    assert stored[-len(sent):] == list(sent.values())


def test_an_unknown_command_is_refused_and_nothing_is_stored(
    api: Api, project: dict[str, Any], columns: dict[str, Any]
) -> None:
    cards = f"/api/projects/{project['id']}/cards"
    card = api.post(cards, {"title": "Ship it", "columnId": columns["Implement"]["id"]}, expect=201)
    agent = f"{cards}/{card['id']}/agent"
    before = api.get(f"{agent}/messages")
    response = api.client.post(f"{agent}/message", json={"content": "/deploy staging"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "unknown_command" and "/deploy" in error["message"]
    assert api.get(f"{agent}/messages") == before
