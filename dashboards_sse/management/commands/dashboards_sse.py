"""``manage.py dashboards_sse list | push | refresh | check | pushpin | share`` — for cron jobs,
shell scripts, a tuned Pushpin in front of the dev server, and share links."""

from __future__ import annotations

import json
import re
import sys
import time
import warnings
from argparse import ArgumentParser
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django_eventstream.models import Event, EventCounter

from ...conf import get_settings
from ...dashboard import (
    ScopedDashboard,
    Target,
    get_dashboard,
    get_dashboards,
    get_target,
    target_name,
)
from ...exceptions import DashboardsSSEError, NotPublishedWarning, PushpinConfigError
from ...models import ComponentState
from ...probe import probe_pushpin
from ...publish import push
from ...publish.pipeline import NO_PROXY
from ...pushpin_config import (
    BALANCERS,
    DEFAULT_BALANCER,
    DEFAULT_CLIENT_BUFFER_SIZE,
    DEFAULT_HTTP,
    DEFAULT_INSTANCE_PORT,
    DEFAULT_ORIGIN,
    DEFAULT_PUBLISH_ADDR,
    DEFAULT_PUBLISH_PORT,
    PushpinConfig,
    PushpinInstances,
    check_run_dir,
    grip_url_mismatch,
    parse_addr_port,
    parse_balancer,
    parse_host,
    parse_instances,
    parse_origins,
    parse_port,
)
from ...pushpin_launch import (
    KEY_FILE_NAME,
    default_run_dir,
    exec_pushpin,
    find_nginx,
    find_pushpin,
    prepare_run_dir,
    pushpin_command,
    read_or_create_key,
    stop_leftovers,
    supervise,
    write_config,
    write_instances,
)
from ...scopes import scope_label
from ...sharing import revoke, share

DURATION = re.compile(r"(\d+)([smhdw])")
DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

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


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``45s``, ``2w``: a positive duration."""
    match = DURATION.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise CommandError(
            f"--expires takes a positive duration such as 30d, 12h or 90m (units s, m, h, d, "
            f"w), got {text!r}."
        )
    return timedelta(**{DURATION_UNITS[match.group(2)]: int(match.group(1))})


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
        shared = sub.add_parser(
            "share",
            help="A signed, expiring, read-only link to one dashboard for a screen that cannot "
            "log in; --list the links, --revoke one.",
        )
        shared.add_argument("dashboard", nargs="?", help="Dashboard slug, as `list` prints it.")
        shared.add_argument("--key", help="A scoped dashboard's object: its key.")
        shared.add_argument(
            "--expires", metavar="DURATION", help="How long the link works: 30d, 12h, 90m, 2w."
        )
        shared.add_argument("--label", default="", help='Who it is for ("Lobby TV").')
        shared.add_argument(
            "--base-url",
            metavar="URL",
            help="The site's address (https://dash.example.com): prints a whole URL instead of "
            "a path.",
        )
        mode = shared.add_mutually_exclusive_group()
        mode.add_argument(
            "--list", action="store_true", help="Every link: id, dashboard, label, status."
        )
        mode.add_argument(
            "--revoke", type=int, metavar="ID", help="Revoke a link: its open streams end."
        )
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

        self.add_pushpin_arguments(
            sub.add_parser(
                "pushpin",
                help="Run Pushpin configured for dashboards_sse in front of Django (prints the "
                "GRIP_URL Django needs), or write that config (--write-config).",
            )
        )

    def add_pushpin_arguments(self, parser: ArgumentParser) -> None:
        """The options of pushpin/run's environment variables, with its defaults."""
        parser.add_argument(
            "--origin",
            action="append",
            metavar="HOST:PORT",
            help=f"Django's address (default {DEFAULT_ORIGIN}, runserver's). Repeat it, or "
            "separate by spaces, for several: a request goes to the next when one is down.",
        )
        parser.add_argument(
            "--http",
            default=DEFAULT_HTTP,
            metavar="ADDR:PORT",
            help="Where browsers connect (default %(default)s).",
        )
        parser.add_argument(
            "--publish-addr",
            default=DEFAULT_PUBLISH_ADDR,
            metavar="ADDR",
            help="Publish endpoint address (default %(default)s). It has no authentication: "
            "keep it on loopback or a private network.",
        )
        parser.add_argument(
            "--publish-port",
            default=str(DEFAULT_PUBLISH_PORT),
            metavar="PORT",
            help="Publish endpoint port (default %(default)s).",
        )
        parser.add_argument(
            "--run-dir",
            metavar="DIR",
            help="Private directory (mode 700) for the rendered config, ipc sockets and logs, "
            f"at most 80 characters (default {default_run_dir()}, as pushpin/run).",
        )
        parser.add_argument(
            "--key-file",
            metavar="FILE",
            help=f"The signing key, created (mode 600) if missing (default "
            f"RUN_DIR/{KEY_FILE_NAME}).",
        )
        parser.add_argument(
            "--client-buffer-size",
            type=int,
            default=DEFAULT_CLIENT_BUFFER_SIZE,
            metavar="BYTES",
            help="condure's per-connection buffers; a request's headers must fit in one "
            "(default %(default)s).",
        )
        parser.add_argument(
            "--instances",
            default="1",
            metavar="N|auto",
            help="Run N Pushpins (auto: one per CPU; Pushpin's handler uses one core) behind "
            "one nginx on --http; instance i listens on 127.0.0.1:INSTANCE_PORT+i-1 and "
            "publishes on PUBLISH_PORT+i-1, in RUN_DIR/i (default %(default)s).",
        )
        parser.add_argument(
            "--instance-port",
            default=str(DEFAULT_INSTANCE_PORT),
            metavar="PORT",
            help="The first instance's client port, on loopback (default %(default)s).",
        )
        parser.add_argument(
            "--balancer",
            default=DEFAULT_BALANCER,
            metavar="|".join(BALANCERS),
            help="nginx balancing HTTP requests, or TCP connections (stream: cheaper, needs "
            "libnginx-mod-stream) (default %(default)s).",
        )
        parser.add_argument(
            "--print-key", action="store_true", help="Print the signing key and exit."
        )
        parser.add_argument(
            "--write-config",
            metavar="DIR",
            help="Write pushpin.conf and routes to DIR (systemd, containers) and exit.",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        self.verbosity = options.get("verbosity", 1)
        try:
            if action not in ("list", "pushpin"):
                require_tables()
            if action == "pushpin":
                self.pushpin(options)
            elif action == "list":
                self.list_components()
            elif action == "check":
                self.probe(options["proxy"], options["dashboard"], options["timeout"])
            elif action == "share":
                self.share(options)
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

    def pushpin(self, options: dict[str, Any]) -> None:
        """Render our Pushpin config and exec Pushpin (or print the key, or write the config)."""
        http = parse_addr_port(options["http"], "--http")
        publish_addr = parse_host(options["publish_addr"], "--publish-addr")
        publish_port = parse_port(options["publish_port"], "--publish-port")
        origins = parse_origins(options["origin"] or [DEFAULT_ORIGIN])
        run_dir = check_run_dir(options["run_dir"] or default_run_dir())
        count = parse_instances(options["instances"])
        instance_port = parse_port(options["instance_port"], "--instance-port")
        balancer = parse_balancer(options["balancer"])
        if count > 1 and options["write_config"]:
            raise PushpinConfigError(
                "--write-config writes one instance's config: for several, write one per "
                "instance (each its own --http, --publish-port and --write-config dir) and "
                "put a balancer in front (pushpin/balancer.conf.template)."
            )
        if not (options["print_key"] or options["write_config"]):
            find_pushpin()  # before touching any file: say how to install it
            if count > 1:
                find_nginx(balancer)
        prepare_run_dir(run_dir)
        key = read_or_create_key(Path(options["key_file"] or f"{run_dir}/{KEY_FILE_NAME}"))
        if options["print_key"]:
            self.stdout.write(key)
            return
        config = PushpinConfig(
            run_dir=run_dir,
            key=key,
            http=http,
            publish_addr=publish_addr,
            publish_port=publish_port,
            origins=origins,
            client_buffer_size=options["client_buffer_size"],
        )
        if count > 1:
            self.run_instances(PushpinInstances(config, count, instance_port, balancer))
            return
        self.warn_grip_url_mismatch(config)
        if options["write_config"]:
            path = write_config(config, Path(options["write_config"]).absolute())
            self.stdout.write(f"wrote {path} and {path.parent / 'routes'} (mode 600: the key)")
            self.stdout.write(f"start it with: {' '.join(pushpin_command(path))}")
            self.stdout.write(f"GRIP_URL={config.grip_url}")
            return
        stopped = stop_leftovers(run_dir)
        if stopped:
            self.stderr.write(
                f"stopped services left by a killed Pushpin: {' '.join(map(str, stopped))}"
            )
        path = write_config(config, Path(run_dir))
        self.stdout.write(
            f"Pushpin on {config.proxy_url}/ in front of Django at {' '.join(origins)}\n"
            f"Django needs GRIP_URL={config.grip_url}\n"
            f"  e.g. GRIP_URL='{config.grip_url}' python manage.py runserver {origins[0]}\n"
            f"Config and logs in {run_dir}/. Ctrl-C stops Pushpin."
        )
        sys.stdout.flush()
        exec_pushpin(path)

    def run_instances(self, fleet: PushpinInstances) -> None:
        """Several Pushpins behind nginx, until SIGTERM or Ctrl-C stops them all."""
        stopped = stop_leftovers(fleet.public.run_dir)
        if stopped:
            self.stderr.write(
                f"stopped services left by a killed Pushpin: {' '.join(map(str, stopped))}"
            )
        commands = write_instances(fleet)
        proxies = ",\n".join(f"    {proxy!r}" for proxy in fleet.grip_proxies)
        self.stdout.write(
            f"{fleet.count} Pushpins behind nginx ({fleet.balancer}) on "
            f"{fleet.public.proxy_url}/, in front of Django at {' '.join(fleet.public.origins)}\n"
            f"Django needs GRIP_PROXIES (and no GRIP_URL), publishing to every instance:\n"
            f"GRIP_PROXIES = [\n{proxies},\n]\n"
            f"Config and logs in {fleet.public.run_dir}/<n>/. Ctrl-C stops them all."
        )
        sys.stdout.flush()
        status = supervise(commands)
        if status:
            raise CommandError(f"A Pushpin or nginx exited ({status}): see the log above.")

    def warn_grip_url_mismatch(self, config: PushpinConfig) -> None:
        """A GRIP_URL already in the settings that cannot work with this Pushpin."""
        proxies = get_settings().proxies
        if len(proxies) != 1:
            return
        problem = grip_url_mismatch(config, proxies[0].control_uri, proxies[0].signing_key)
        if problem:
            self.stderr.write(
                f"Warning: the GRIP_URL in your settings will not work with this Pushpin: "
                f"{problem}. Set GRIP_URL={config.grip_url}"
            )

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

    def share(self, options: dict[str, Any]) -> None:
        listing, revoking, slug = options["list"], options["revoke"], options["dashboard"]
        if listing or revoking is not None:
            extra = [name for name in ("dashboard", "key", "expires") if options[name]]
            if extra:
                raise CommandError(
                    f"share --list / --revoke take no {', '.join(extra)}: "
                    "a new link is `share <dashboard> --expires 30d`."
                )
            try:
                if listing:
                    self.list_shares()
                else:
                    self.revoke_share(revoking)
            except DatabaseError as exc:
                raise CommandError(f"share: database error ({exc}): run migrate?") from None
            return
        if slug is None or not options["expires"]:
            raise CommandError(
                "share needs a dashboard and --expires: "
                "share <dashboard> [--key K] --expires 30d [--label 'Lobby TV']."
            )
        expires = parse_duration(options["expires"])
        target = self.target(slug, options["key"])
        grant = share(target, expires=expires, label=options["label"])
        base_url = options["base_url"]
        self.stdout.write(grant.url(base_url) if base_url else grant.path)
        label = f" ({grant.label})" if grant.label else ""
        self.stdout.write(
            f"share {grant.pk}: {target_name(target)}{label}, read only, expires "
            f"{grant.expires:%Y-%m-%d %H:%M %Z}; revoke: share --revoke {grant.pk}"
        )
        if not base_url:
            self.stdout.write(
                "(a path: put your site's address in front, or pass --base-url https://...)"
            )

    def list_shares(self) -> None:
        grants = apps.get_model("dashboards_sse", "ShareGrant").objects.order_by("pk")
        for grant in grants:
            name = f"{grant.dashboard}/{grant.scope}" if grant.scope else grant.dashboard
            when = grant.revoked if grant.revoked is not None else grant.expires
            self.stdout.write(
                f"{grant.pk} {name} {grant.status} {when:%Y-%m-%d %H:%M %Z} "
                f"{json.dumps(grant.label, ensure_ascii=False)}"
            )

    def revoke_share(self, grant_id: int) -> None:
        grant = revoke(grant_id)
        name = f"{grant.dashboard}/{grant.scope}" if grant.scope else grant.dashboard
        closed = (
            "its open streams were closed"
            if get_settings().publishes
            else "open streams (embedded mode) end within a second"
        )
        self.stdout.write(f"revoked share {grant.pk} ({name}): {closed}")

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


def require_tables() -> None:
    """CommandError (one line: what to do) unless the database has dashboards_sse's tables."""
    needed = [model._meta.db_table for model in (ComponentState, Event, EventCounter)]
    try:
        present = set(connection.introspection.table_names())
    except DatabaseError as exc:
        raise CommandError(database_problem(exc)) from None
    missing = [table for table in needed if table not in present]
    if missing:
        raise CommandError(
            f"The database has no table {', '.join(missing)}: run `python manage.py migrate`. "
            f"{_which_database()}"
        )


def database_problem(exc: DatabaseError) -> str:
    """One line for a database error: what failed, what to do."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "no such table" in text or "does not exist" in text:
        return f"Database error: {text}. Run `python manage.py migrate`. {_which_database()}"
    return f"Database error: {text}. Check DATABASES. {_which_database()}"


def _which_database() -> str:
    """Which database this process uses: a second terminal may have other settings."""
    database = connection.settings_dict
    engine = str(database.get("ENGINE", "")).rsplit(".", 1)[-1]
    return (
        f"This process uses the {engine} database {str(database.get('NAME'))!r} "
        f"(settings {settings.SETTINGS_MODULE or 'configured in code'}); is it the site's?"
    )
