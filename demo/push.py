"""Push it yourself: a value from a second terminal to the running ``make demo``.

    .venv/bin/python demo/push.py 42          # "Your number" on the home dashboard
    .venv/bin/python demo/push.py "hello"     # text works too
    .venv/bin/python demo/push.py tasks.inbox latest '"Hi ann"' --key 1   # any component

It reads the running demo's ``.run/demo.json`` (``DEMO_RUN_DIR`` for another directory) and
runs ``manage.py dashboards_sse push`` with that demo's database and ``GRIP_URL``, so the update
is stored where the demo's Django reads and published to the demo's Pushpin: every open page
shows it at once. "Your number" has no provider, so the demo's publisher leaves it alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "demo"
RUN = Path(os.environ.get("DEMO_RUN_DIR") or REPO / ".run").resolve()
STATE = RUN / "demo.json"
USAGE = (
    'usage: demo/push.py VALUE                        (the home dashboard\'s "Your number")\n'
    "       demo/push.py DASHBOARD COMPONENT VALUE [--key KEY]"
)


def running_demo() -> dict[str, Any]:
    """The state ``demo/run.py`` wrote, if its process is still alive; else exit 2 saying why."""
    try:
        state: dict[str, Any] = json.loads(STATE.read_text())
    except FileNotFoundError:
        raise SystemExit(
            f"push: the demo is not running (no {STATE}): start it with `make demo`."
        ) from None
    except ValueError as exc:
        raise SystemExit(
            f"push: {STATE} is not the demo's state ({exc}): restart `make demo`."
        ) from None
    try:
        os.kill(int(state["pid"]), 0)
    except (KeyError, ValueError, ProcessLookupError):
        raise SystemExit(
            f"push: the demo that wrote {STATE} is not running any more: start `make demo`."
        ) from None
    except PermissionError:
        pass  # alive, another user's: the database tells
    return state


def number_or_text(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def push_arguments(args: list[str]) -> list[str]:
    """``dashboards_sse push`` arguments: one VALUE goes to "Your number" with the time it was
    pushed as its note; otherwise they are passed on as they are."""
    if len(args) == 1 and args[0].strip() and args[0] not in ("-h", "--help"):
        note = f"pushed at {time.strftime('%H:%M:%S')} by demo/push.py"
        value = json.dumps({"value": number_or_text(args[0]), "note": note})
        return ["hosts.host", "yours", value]
    if len(args) >= 3 and not args[0].startswith("-"):
        return args
    raise SystemExit(USAGE)


def main(args: list[str]) -> int:
    arguments = push_arguments(args)
    state = running_demo()
    env = {**os.environ, "DEMO_DB": state["db"], "PYTHONUNBUFFERED": "1"}
    env.pop("GRIP_URL", None)
    env.pop("GRIP_URLS", None)
    if state.get("grip_url"):
        env["GRIP_URL"] = state["grip_url"]
    command = [sys.executable, "manage.py", "dashboards_sse", "push", *arguments]
    returncode = subprocess.run(command, cwd=DEMO, env=env).returncode
    if returncode == 0 and arguments[:2] == ["hosts.host", "yours"]:
        print(f"push: look at {state['url']}")
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
