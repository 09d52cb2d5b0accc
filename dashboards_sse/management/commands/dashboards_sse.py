"""``manage.py dashboards_sse list | push | refresh | check | pushpin | share`` — for cron jobs,
shell scripts, a tuned Pushpin in front of the dev server, and share links."""

from __future__ import annotations

import json
import time
import warnings
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from ...conf import get_settings
from ...dashboard import (
    ScopedDashboard,
    Target,
    get_dashboard,
    get_dashboards,
    get_target,
    target_name,
)
from ...exceptions import DashboardsSSEError, NotPublishedWarning
from ...probe import probe_pushpin
from ...publish import push
from ...publish.pipeline import NO_PROXY
from ...scopes import scope_label
from ..subcommands import pushpin, share
from ..subcommands.database import database_problem, require_tables

# What a push from a process without a GRIP proxy reaches, and what to do if that is not enough.
EMBEDDED_ONLY = (
    "Warning: updates from this process reach the streams Django serves itself (embedded mode: "
    "runserver without Pushpin), not pages served through Pushpin. If the site runs behind "
    "Pushpin, run this command with the site's settings (its GRIP_URL)."
)


def parse_value(text: str) -> Any:
    """JSON, or a bare word taken as a string (``push ops status degraded``)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


class Command(BaseCommand):
    help = "List dashboards' components, push a value, or refresh values from providers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{list,push,refresh,check,pushpin,share}"
        )
        sub.add_parser(
            "list",
            help="One line per component: <dashboard> <component> <kind> "
            "[scope=<model or user>] (a scoped dashboard: a stream per object).",
        )
        push_parser = sub.add_parser(
            "push", help="Push one value (JSON; a bare word is a string)."
        )
        push_parser.add_argument("dashboard", help="Dashboard slug, as `list` prints it.")
        push_parser.add_argument("component")
        push_parser.add_argument("value")
        push_parser.add_argument(
            "--key", help="A scoped dashboard's object: its key (the pk, or its scope_field)."
        )
        check = sub.add_parser("check", help="Probe Pushpin: publish, stream, round trip.")
        check.add_argument(
            "--proxy",
            default="http://127.0.0.1:7999",
            help="Pushpin's client URL (default %(default)s).",
        )
        check.add_argument(
            "--dashboard", help="A dashboard to stream (default: the first public)."
        )
        check.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS")
        share.add_parser(sub)
        refresh = sub.add_parser("refresh", help="Recompute every provider and push.")
        refresh.add_argument("dashboards", nargs="*", metavar="dashboard")
        refresh.add_argument(
            "--key",
            help="Only this object of a scoped dashboard (default: every object its scopes() "
            "classmethod yields).",
        )
        refresh.add_argument(
            "--every", type=float, metavar="SECONDS", help="Repeat until interrupted."
        )
        refresh.add_argument(
            "--json",
            action="store_true",
            help="Print what was pushed as JSON (one line per round with --every).",
        )

        pushpin.add_arguments(
            sub.add_parser(
                "pushpin",
                help="Run Pushpin configured for dashboards_sse in front of Django (prints the "
                "GRIP_URL Django needs), or write that config (--write-config).",
            )
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        self.verbosity = options.get("verbosity", 1)
        try:
            if action not in ("list", "pushpin"):
                require_tables()
            if action == "pushpin":
                pushpin.run(self, options)
            elif action == "list":
                self.list_components()
            elif action == "check":
                self.probe(options["proxy"], options["dashboard"], options["timeout"])
            elif action == "share":
                share.run(self, options, self.target)
            elif action == "push":
                self.push_one(
                    options["dashboard"], options["component"], options["value"], options["key"]
                )
            else:
                targets = self.refresh_targets(options["dashboards"], options["key"])
                self.refresh(targets, options["every"], options["json"])
        except DashboardsSSEError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(database_problem(exc)) from None

    def list_components(self) -> None:
        for dashboard in get_dashboards():
            scope = f" scope={scope_label(dashboard.scope)}" if dashboard.scope else ""
            for name, component in dashboard.components.items():
                self.stdout.write(f"{dashboard.slug} {name} {component.kind}{scope}")

    def target(self, slug: str, key: str | None) -> Target:
        """The dashboard, or the object of a scoped one ``--key`` names (which must exist)."""
        dashboard = get_dashboard(slug)
        if dashboard.scope is not None and key is None:
            raise CommandError(
                f"The dashboard {slug!r} is scoped by {scope_label(dashboard.scope)} (a stream "
                "per object): name one with --key <key>."
            )
        target = get_target(dashboard, key)
        if isinstance(target, ScopedDashboard):
            target.require_object()
        return target

    def probe(self, proxy_url: str, slug: str | None, timeout: float) -> None:
        if slug is not None:
            dashboard = get_dashboard(slug)
        else:
            public = [d for d in get_dashboards() if d.permission is None and not d.is_scoped()]
            if not public:
                raise CommandError("No public dashboard to stream: name one with --dashboard.")
            dashboard = public[0]
        results = probe_pushpin(proxy_url, dashboard, timeout)
        for result in results:
            self.stdout.write(f"{'ok  ' if result.ok else 'FAIL'} {result.name}: {result.detail}")
        failed = [result.name for result in results if not result.ok]
        if failed:
            raise CommandError(f"Pushpin check failed: {', '.join(failed)}.")

    def push_one(self, slug: str, name: str, text: str, key: str | None) -> None:
        target = self.target(slug, key)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotPublishedWarning)  # said below, as an error
            result = push(target, **{name: parse_value(text)})
        event = result.event_ids.get(name)
        sent = f"event {event}" if event is not None else "nothing changed on screen: no event"
        if name in result.deferred:
            sent = "stored; sent when its max_rate slot opens"
        config = get_settings()
        if config.publishes or event is None:
            self.stdout.write(f"pushed {target_name(target)} {name} ({sent})")
            return
        stored = f"stored {target_name(target)} {name} ({sent}), not published: {NO_PROXY}"
        if config.pushpin_required:
            raise CommandError(
                f"{stored[0].upper()}{stored[1:]}, and PUSHPIN_REQUIRED is True: no stream shows "
                "it. Set GRIP_URL to Pushpin's publish endpoint."
            )
        self.stdout.write(stored)
        self.warn_embedded_only()

    def warn_embedded_only(self) -> None:
        """Say (once, on stderr, unless -v0) that an update only reached embedded streams."""
        if self.verbosity > 0 and not getattr(self, "warned", False):
            self.warned = True
            self.stderr.write(EMBEDDED_ONLY)

    def refresh_targets(self, slugs: list[str], key: str | None) -> list[Target]:
        if key is not None:
            if len(slugs) != 1:
                raise CommandError("--key names an object of one dashboard: give exactly one.")
            return [self.target(slugs[0], key)]
        if slugs:
            return [get_dashboard(slug) for slug in slugs]
        # Every dashboard; of the scoped ones, those that say which objects (scopes()).
        return [d for d in get_dashboards() if not d.is_scoped() or d.has_scopes()]

    def refresh(self, dashboards: list[Target], every: float | None, as_json: bool) -> None:
        if every is not None and every <= 0:
            raise CommandError("--every needs a positive number of seconds.")
        if every is None:
            report = self.refresh_once(dashboards, as_json)
            failures = sum("error" in entry for entry in report)
            if failures:
                raise CommandError(f"{failures} dashboard(s) failed to refresh (see above).")
            return
        try:
            while True:
                started = time.monotonic()
                self.refresh_once(dashboards, as_json)
                time.sleep(max(0.0, every - (time.monotonic() - started)))
        except KeyboardInterrupt:
            if not as_json:
                self.stdout.write("stopped")

    def refresh_once(self, dashboards: list[Target], as_json: bool) -> list[dict[str, Any]]:
        """Push every provider of each dashboard in one push; report failures and carry on.

        Returns one entry per dashboard: what was pushed with its event ids, or the error.
        """
        report: list[dict[str, Any]] = []
        config = get_settings()
        for dashboard in dashboards:
            entry: dict[str, Any] = {"dashboard": target_name(dashboard)}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", NotPublishedWarning)  # said below
                    pushed = dashboard.refresh()
                if pushed is not None:
                    entry.update(values=pushed.values, event_ids=pushed.event_ids)
                    entry["published"] = pushed.published
                if pushed is not None and pushed.event_ids and not config.publishes:
                    if config.pushpin_required:
                        entry["error"] = (
                            f"stored, not published: {NO_PROXY}, and PUSHPIN_REQUIRED is True: "
                            "no stream shows it. Set GRIP_URL to Pushpin's publish endpoint."
                        )
                    else:
                        self.warn_embedded_only()
            except DashboardsSSEError as exc:
                entry["error"] = str(exc)
            except DatabaseError as exc:
                entry["error"] = database_problem(exc)
            except Exception as exc:  # a provider raised: say which, keep the loop alive
                entry["error"] = f"provider failed: {type(exc).__name__}: {exc}"
            if "error" in entry:
                self.stderr.write(f"{target_name(dashboard)}: {entry['error']}")
            report.append(entry)
        if as_json:
            self.stdout.write(json.dumps({"refreshed": report}, default=str))
        return report
