"""What the fake `claude` and `codex` executables share (stdlib only: they run outside the venv).

A fake follows directives in its prompt, one per line, so a test scripts it through the card:
  fake: write <path> <content>   write a file in the working directory (not when planning)
  fake: sleep <seconds>          run `sleep` as a child process, as a long command would
  fake: call-provider            make one streaming request through the key proxy
  fake: plan <text>              the plan to present in plan mode
  fake: fail <message>           print the message on stderr and exit 3 without a result
  fake: dump <file>              append what it was started with (argv, env, cwd, prompt) to file
A resumed session keeps the directives of the prompt that started it, kept in the fake's home.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any


def parse_directives(prompt: str) -> list[list[str]]:
    found = []
    for line in prompt.splitlines():
        if line.strip().startswith("fake:"):
            verb, _, rest = line.strip()[len("fake:"):].strip().partition(" ")
            found.append([verb, rest.strip()])
    return found


def first(directives: list[list[str]], verb: str) -> str | None:
    return next((rest for name, rest in directives if name == verb), None)


def emit(event: dict[str, Any]) -> None:
    print(json.dumps(event), flush=True)


def dump(directives: list[list[str]], record: dict[str, Any]) -> None:
    target = first(directives, "dump")
    if target:
        with open(target, "a") as out:
            out.write(json.dumps(record) + "\n")


def start_record(prompt: str) -> dict[str, Any]:
    return {"kind": "start", "argv": sys.argv, "env": dict(os.environ), "cwd": os.getcwd(), "prompt": prompt}


def load_state(name: str, session_id: str) -> dict[str, Any] | None:
    path = state_path(name, session_id)
    return json.loads(path.read_text()) if path.exists() else None


def save_state(name: str, session_id: str, state: dict[str, Any]) -> None:
    path = state_path(name, session_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state))


def state_path(name: str, session_id: str) -> Path:
    return Path(os.environ["HOME"]) / f".fake-{name}" / f"{session_id}.json"


def fail_if_asked(directives: list[list[str]]) -> None:
    message = first(directives, "fail")
    if message is not None:
        print("starting up", file=sys.stderr)
        print(message, file=sys.stderr)
        sys.exit(3)


def writes(directives: list[list[str]]) -> list[tuple[str, str]]:
    return [(rest.partition(" ")[0], rest.partition(" ")[2] + "\n") for verb, rest in directives if verb == "write"]


def sleep_child(directives: list[list[str]], seconds: str) -> None:
    """A long command: a child in our process group that a cancel must kill with us."""
    child = subprocess.Popen(["sleep", seconds])
    dump(directives, {"kind": "sleeping", "pid": os.getpid(), "child": child.pid})
    child.wait()


def stream_request(url: str, headers: dict[str, str], body: dict[str, Any]) -> list[dict[str, Any]]:
    """POST and read server-sent events as they arrive; the data of each event, parsed."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", **headers})
    events = []
    with urllib.request.urlopen(request, timeout=30) as response:
        for raw in response:
            line = raw.decode().strip()
            if line.startswith("data:") and line[5:].strip() != "[DONE]":
                events.append(json.loads(line[5:].strip()))
    return events
