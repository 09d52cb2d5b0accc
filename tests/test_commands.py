from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from dashboards_sse import Dashboard, Stat, registry
from dashboards_sse.management.commands import dashboards_sse as command
from dashboards_sse.models import ComponentState
from tests.conftest import PublishServer

ROOT = Path(__file__).resolve().parent.parent
KEY = "k" * 40
TESTAPP_LINES = [
    "testapp.activity events feed",
    "testapp.activity log feed",
    "testapp.activity archive feed",
    "testapp.activity prices data",
    "testapp.activity health status",
    "testapp.activity load gauge",
    "testapp.activity top table",
    "testapp.heartbeat beat stat",
    "testapp.heartbeat steady stat",
    "testapp.inbox latest stat scope=user",
    "testapp.inbox unread stat scope=user",
    "testapp.ops cpu stat",
    "testapp.ops status stat",
    "testapp.ops requests stat",
    "testapp.ops latency chart",
    "testapp.orders latest table",
    "testapp.secret level stat",
    "testapp.sensors temperature stat",
    "testapp.sensors trace chart",
    "testapp.sensors door stat",
    "testapp.sensors history chart",
    "testapp.store-sales orders stat scope=testapp.Store",
    "testapp.store-sales revenue stat scope=testapp.Store",
    "testapp.store-sales recent table scope=testapp.Store",
    "testapp.wall orders stat",
    "testapp.wall revenue stat",
    "testapp.wall visitors stat",
    "testapp.wall conversion stat",
    "testapp.wall errors stat",
    "testapp.wall state stat",
    "testapp.wall p95 chart",
]


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("dashboards_sse", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def state(component: str, dashboard: str = "testapp.ops") -> Any:
    return ComponentState.objects.get(dashboard=dashboard, component=component).state


# -- parse_value ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12),
        ("12.5", 12.5),
        ('"12"', "12"),
        ("degraded", "degraded"),
        ("[1, 2]", [1, 2]),
        ('{"value": 1}', {"value": 1}),
        ("true", True),
        ("", ""),
    ],
)
def test_parse_value(text: str, value: Any) -> None:
    assert command.parse_value(text) == value


# -- call_command --------------------------------------------------------------------------


def test_list() -> None:
    out, _ = run("list")
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("testapp.")] == TESTAPP_LINES
    line_format = r"\S+ \S+ (stat|chart|feed|status|gauge|table|data)( scope=\S+)?"
    assert all(re.fullmatch(line_format, line) for line in lines)


def test_action_required() -> None:
    with pytest.raises(CommandError, match="required"):
        run()


@pytest.mark.django_db
def test_push_json(settings: Any, publish_server: PublishServer) -> None:
    settings.GRIP_URL = f"{publish_server.url}?key={KEY}"
    out, err = run("push", "testapp.ops", "cpu", "12.5")
    assert re.fullmatch(r"pushed testapp\.ops cpu \(event \d+\)\n", out)
    assert err == ""
    assert state("cpu")["value"] == 12.5


STORED_ONLY = (
    r"stored testapp\.ops cpu \(event \d+\), not published: no GRIP_URL or GRIP_PROXIES in "
    r"this process's settings\n"
)


@pytest.mark.django_db
def test_push_without_a_proxy_says_stored_not_pushed() -> None:
    """Embedded mode: stored is delivered to the streams Django serves, so it succeeds; but a
    site behind Pushpin would not see it, which the warning says."""
    out, err = run("push", "testapp.ops", "cpu", "12.5")
    assert re.fullmatch(STORED_ONLY, out)
    assert err == command.EMBEDDED_ONLY + "\n"
    assert "pages served through Pushpin" in err
    assert state("cpu")["value"] == 12.5


@pytest.mark.django_db
def test_push_without_a_proxy_quiet() -> None:
    out, err = run("--verbosity", "0", "push", "testapp.ops", "cpu", "1")
    assert re.fullmatch(STORED_ONLY, out)
    assert err == ""


@pytest.mark.django_db
def test_push_without_a_proxy_when_pushpin_is_required(settings: Any) -> None:
    """Nothing can show it: an error (exit 1), not "pushed"; the value is stored."""
    settings.DASHBOARDS_SSE = {"PUSHPIN_REQUIRED": True}
    with pytest.raises(CommandError) as info:
        run("push", "testapp.ops", "cpu", "3")
    assert re.fullmatch(
        r"Stored testapp\.ops cpu \(event \d+\), not published: no GRIP_URL or GRIP_PROXIES in "
        r"this process's settings, and PUSHPIN_REQUIRED is True: no stream shows it\. Set "
        r"GRIP_URL to Pushpin's publish endpoint\.",
        str(info.value),
    )
    assert state("cpu")["value"] == 3


@pytest.mark.django_db
def test_push_json_mapping() -> None:
    run("push", "testapp.ops", "cpu", json.dumps({"value": 3, "change": -1, "note": "n"}))
    assert state("cpu") == {"value": 3, "change": -1, "note": "n"}


@pytest.mark.django_db
def test_push_chart_point() -> None:
    run("push", "testapp.ops", "latency", "[1, 20]")
    assert state("latency") == {"points": [[1, 20]]}


@pytest.mark.django_db
def test_push_bare_word() -> None:
    run("push", "testapp.ops", "status", "degraded")
    assert state("status")["value"] == "degraded"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope", "cpu", "1"), "No dashboard 'nope'. Known dashboards: "),
        (("testapp.ops", "nope", "1"), "Dashboard 'testapp.ops' has no component 'nope'."),
        (("testapp.ops", "cpu", "high"), "dashboard 'testapp.ops', stat 'cpu': expected a number"),
    ],
    ids=["dashboard", "component", "value"],
)
def test_push_errors(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError) as info:
        run("push", *args)
    assert str(info.value).startswith(message)
    assert ComponentState.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_push_publish_failed(settings: Any, closed_port: int) -> None:
    settings.GRIP_URL = f"http://127.0.0.1:{closed_port}?key={KEY}"
    settings.DASHBOARDS_SSE = {"PUBLISH_TIMEOUT": 0.3}
    with pytest.raises(CommandError) as info:
        run("push", "testapp.ops", "cpu", "1")
    message = str(info.value)
    assert message.startswith(f"Pushpin at http://127.0.0.1:{closed_port}/publish/ did not accept")
    assert "\n" not in message
    assert state("cpu")["value"] == 1  # stored: replayed on reconnect


@pytest.mark.django_db
def test_refresh_once() -> None:
    out, err = run("refresh")
    assert (out, err) == ("", command.EMBEDDED_ONLY + "\n")  # once, not per dashboard
    assert state("requests")["value"] == 42
    rows = ComponentState.objects.filter(dashboard__startswith="testapp.")
    assert sorted(rows.values_list("dashboard", "component")) == [
        ("testapp.ops", "requests"),
        ("testapp.orders", "latest"),  # every component with a provider
    ]


@pytest.mark.django_db
def test_refresh_named() -> None:
    run("refresh", "testapp.ops")
    assert state("requests")["value"] == 42


@pytest.mark.django_db
def test_refresh_unknown() -> None:
    with pytest.raises(CommandError, match="No dashboard 'nope'"):
        run("refresh", "testapp.ops", "nope")
    assert ComponentState.objects.count() == 0


@pytest.fixture
def broken() -> Iterator[list[type[Dashboard]]]:
    def fail() -> int:
        raise RuntimeError("boom")

    class Failing(Dashboard):
        slug = "t-commands.failing"
        value = Stat(value=fail)

    class Invalid(Dashboard):
        slug = "t-commands.invalid"
        value = Stat(value=lambda: "many")

    yield [Failing, Invalid]
    registry.unregister(Failing)
    registry.unregister(Invalid)


@pytest.mark.django_db
def test_refresh_reports_failures_and_carries_on(broken: list[type[Dashboard]]) -> None:
    stderr = StringIO()
    message = r"^2 dashboard\(s\) failed to refresh \(see above\)\.$"
    with pytest.raises(CommandError, match=message):
        call_command("dashboards_sse", "refresh", stdout=StringIO(), stderr=stderr)
    lines = stderr.getvalue().splitlines()
    assert [line for line in lines if line != command.EMBEDDED_ONLY] == [
        "t-commands.failing: provider failed: RuntimeError: boom",
        "t-commands.invalid: dashboard 't-commands.invalid', stat 'value': "
        "expected a number, got str 'many'.",
    ]
    assert lines.count(command.EMBEDDED_ONLY) == 1
    assert state("requests")["value"] == 42


@pytest.mark.django_db
def test_refresh_json_reports_pushes_and_failures(broken: list[type[Dashboard]]) -> None:
    stdout, stderr = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("dashboards_sse", "refresh", "--json", stdout=stdout, stderr=stderr)
    report = json.loads(stdout.getvalue())["refreshed"]
    by_slug = {entry["dashboard"]: entry for entry in report}
    assert by_slug["testapp.ops"]["values"] == {"requests": 42}
    assert by_slug["testapp.ops"]["published"] is False  # no GRIP_URL: embedded mode
    assert by_slug["testapp.ops"]["event_ids"]["requests"] == state_event_id("requests")
    assert by_slug["t-commands.failing"]["error"] == "provider failed: RuntimeError: boom"
    assert "expected a number" in by_slug["t-commands.invalid"]["error"]
    assert by_slug["testapp.secret"] == {"dashboard": "testapp.secret"}  # no providers


def state_event_id(component: str) -> int:
    return ComponentState.objects.get(dashboard="testapp.ops", component=component).event_id


@pytest.mark.django_db
@pytest.mark.parametrize("every", ["0", "-1"])
def test_refresh_every_not_positive(every: str) -> None:
    with pytest.raises(CommandError, match="--every needs a positive number of seconds"):
        run("refresh", "--every", every)
    assert ComponentState.objects.count() == 0


def test_refresh_every_not_a_number() -> None:
    with pytest.raises(CommandError, match="invalid float value: 'often'"):
        run("refresh", "--every", "often")


@pytest.mark.django_db
def test_refresh_every_until_interrupted(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(command.time, "sleep", sleep)
    out, _ = run("refresh", "--every", "5")
    assert out == "stopped\n"
    assert len(sleeps) == 2
    assert all(4 < seconds <= 5 for seconds in sleeps)
    assert state("requests")["value"] == 42


# -- as a process --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("commands") / "db.sqlite3"
    completed = subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v0"],
        cwd=ROOT,
        env=environment(path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    return path


def environment(database: Path, grip_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DSSE_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="tests.settings", DSSE_TEST_DB=str(database))
    if grip_url:
        env["DSSE_GRIP_URL"] = grip_url
    return env


def manage(
    database: Path, *args: str, grip_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", "dashboards_sse", *args],
        cwd=ROOT,
        env=environment(database, grip_url),
        capture_output=True,
        text=True,
        timeout=60,
    )


def stored(database: Path, component: str) -> Any:
    with sqlite3.connect(database) as connection:
        (row,) = connection.execute(
            "SELECT state FROM dashboards_sse_componentstate "
            "WHERE dashboard = 'testapp.ops' AND component = ?",
            (component,),
        )
    connection.close()
    return json.loads(row[0])


def test_process_list(database: Path) -> None:
    completed = manage(database, "list")
    assert completed.returncode == 0
    lines = completed.stdout.splitlines()
    assert [line for line in lines if line.startswith("testapp.")] == TESTAPP_LINES
    assert completed.stderr == ""


def test_process_push(database: Path) -> None:
    completed = manage(database, "push", "testapp.ops", "cpu", '{"value": 7, "note": "from cron"}')
    assert completed.returncode == 0, completed.stderr
    assert re.fullmatch(STORED_ONLY, completed.stdout)
    assert completed.stderr == command.EMBEDDED_ONLY + "\n"
    assert stored(database, "cpu") == {"value": 7, "change": None, "note": "from cron"}


def test_process_push_bare_word(database: Path) -> None:
    completed = manage(database, "push", "testapp.ops", "status", "degraded")
    assert completed.returncode == 0, completed.stderr
    assert stored(database, "status")["value"] == "degraded"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("push", "nope", "cpu", "1"),
            "No dashboard 'nope'. Known dashboards: {known}.",
        ),
        (
            ("push", "testapp.ops", "nope", "1"),
            "Dashboard 'testapp.ops' has no component 'nope'. "
            "Components: cpu, status, requests, latency.",
        ),
        (
            ("push", "testapp.ops", "cpu", "[1]"),
            "dashboard 'testapp.ops', stat 'cpu': expected a number, got list [1].",
        ),
        (
            ("refresh", "nope"),
            "No dashboard 'nope'. Known dashboards: {known}.",
        ),
        (("refresh", "--every", "0"), "--every needs a positive number of seconds."),
    ],
    ids=["dashboard", "component", "value", "refresh-dashboard", "refresh-every"],
)
def test_process_errors(database: Path, args: tuple[str, ...], message: str) -> None:
    completed = manage(database, *args)
    known = ", ".join(board.slug for board in registry.get_dashboards())  # with twins, if any
    assert completed.returncode == 1
    assert completed.stderr == f"CommandError: {message.format(known=known)}\n"
    assert completed.stdout == ""


def test_process_publish_failed(database: Path, publish_server: PublishServer) -> None:
    publish_server.status = 400
    completed = manage(
        database, "push", "testapp.ops", "cpu", "5", grip_url=f"{publish_server.url}?key={KEY}"
    )
    assert completed.returncode == 1
    assert completed.stderr == (
        f"CommandError: Pushpin at {publish_server.url}/publish/ refused the update "
        "(HTTP 400: ). The update is stored: clients replay it when they reconnect. "
        "Open streams did not get it live.\n"
    )
    assert len(publish_server.requests) == 1
    assert stored(database, "cpu")["value"] == 5


def test_process_publish(database: Path, publish_server: PublishServer) -> None:
    completed = manage(
        database, "push", "testapp.ops", "cpu", "6", grip_url=f"{publish_server.url}?key={KEY}"
    )
    assert completed.returncode == 0, completed.stderr
    ((method, path, body),) = publish_server.requests
    assert (method, path) == ("POST", "/publish/")
    assert [item["channel"] for item in body["items"]] == ["events-dashboard.testapp.ops"]


def test_process_refresh(database: Path) -> None:
    completed = manage(database, "-v0", "refresh")  # quiet: not even the embedded warning
    assert completed.returncode == 0, completed.stderr
    assert (completed.stdout, completed.stderr) == ("", "")
    assert stored(database, "requests")["value"] == 42


def test_process_refresh_every_not_a_number(database: Path) -> None:
    completed = manage(database, "refresh", "--every", "often")
    assert completed.returncode == 2
    assert "error: argument --every: invalid float value: 'often'" in completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize("action", [("push", "testapp.ops", "cpu", "1"), ("refresh",)])
def test_process_database_without_tables(tmp_path: Path, action: tuple[str, ...]) -> None:
    """A second terminal on another (empty) database: one line saying what to do."""
    empty = tmp_path / "other.sqlite3"
    completed = manage(empty, *action)
    assert completed.returncode == 1
    assert completed.stderr == (
        "CommandError: The database has no table dashboards_sse_componentstate, "
        "django_eventstream_event, django_eventstream_eventcounter: run `python manage.py "
        f"migrate`. This process uses the sqlite3 database {str(empty)!r} (settings "
        "tests.settings); is it the site's?\n"
    )
    assert completed.stdout == ""


def test_process_database_that_cannot_open(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "db.sqlite3"
    completed = manage(missing, "push", "testapp.ops", "cpu", "1")
    assert completed.returncode == 1
    assert completed.stderr == (
        "CommandError: Database error: unable to open database file. Check DATABASES. This "
        f"process uses the sqlite3 database {str(missing)!r} (settings tests.settings); is it "
        "the site's?\n"
    )


@pytest.mark.django_db
def test_a_table_missing_mid_command_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A database error after the tables were checked (dropped, another schema) is a
    CommandError naming migrate, never a traceback."""
    from django.db import OperationalError

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("no such table: dashboards_sse_componentstate")

    monkeypatch.setattr(command, "push", fail)
    with pytest.raises(CommandError) as info:
        run("push", "testapp.ops", "cpu", "1")
    assert str(info.value).startswith(
        "Database error: no such table: dashboards_sse_componentstate. Run `python manage.py "
        "migrate`. This process uses the sqlite3 database "
    )
