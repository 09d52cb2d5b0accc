"""``manage.py dashboards_sse share``: a signed, expiring, read-only link to one dashboard; the
links listed, one revoked."""

from __future__ import annotations

import json
import re
from argparse import ArgumentParser, _SubParsersAction
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from ...conf import get_settings
from ...dashboard import Target, target_name
from ...sharing import revoke, share

DURATION = re.compile(r"(\d+)([smhdw])")
DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``45s``, ``2w``: a positive duration."""
    match = DURATION.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise CommandError(
            f"--expires takes a positive duration such as 30d, 12h or 90m (units s, m, h, d, "
            f"w), got {text!r}."
        )
    return timedelta(**{DURATION_UNITS[match.group(2)]: int(match.group(1))})


def add_parser(sub: _SubParsersAction[ArgumentParser]) -> None:
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


def run(
    command: BaseCommand, options: dict[str, Any], find: Callable[[str, str | None], Target]
) -> None:
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
                list_shares(command)
            else:
                revoke_share(command, revoking)
        except DatabaseError as exc:
            raise CommandError(f"share: database error ({exc}): run migrate?") from None
        return
    if slug is None or not options["expires"]:
        raise CommandError(
            "share needs a dashboard and --expires: "
            "share <dashboard> [--key K] --expires 30d [--label 'Lobby TV']."
        )
    expires = parse_duration(options["expires"])
    target = find(slug, options["key"])
    grant = share(target, expires=expires, label=options["label"])
    base_url = options["base_url"]
    command.stdout.write(grant.url(base_url) if base_url else grant.path)
    label = f" ({grant.label})" if grant.label else ""
    command.stdout.write(
        f"share {grant.pk}: {target_name(target)}{label}, read only, expires "
        f"{grant.expires:%Y-%m-%d %H:%M %Z}; revoke: share --revoke {grant.pk}"
    )
    if not base_url:
        command.stdout.write(
            "(a path: put your site's address in front, or pass --base-url https://...)"
        )


def list_shares(command: BaseCommand) -> None:
    grants = apps.get_model("dashboards_sse", "ShareGrant").objects.order_by("pk")
    for grant in grants:
        name = f"{grant.dashboard}/{grant.scope}" if grant.scope else grant.dashboard
        when = grant.revoked if grant.revoked is not None else grant.expires
        command.stdout.write(
            f"{grant.pk} {name} {grant.status} {when:%Y-%m-%d %H:%M %Z} "
            f"{json.dumps(grant.label, ensure_ascii=False)}"
        )


def revoke_share(command: BaseCommand, grant_id: int) -> None:
    grant = revoke(grant_id)
    name = f"{grant.dashboard}/{grant.scope}" if grant.scope else grant.dashboard
    closed = (
        "its open streams were closed"
        if get_settings().publishes
        else "open streams (embedded mode) end within a second"
    )
    command.stdout.write(f"revoked share {grant.pk} ({name}): {closed}")
