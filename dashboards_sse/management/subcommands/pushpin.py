"""``manage.py dashboards_sse pushpin``: our Pushpin config rendered, and Pushpin run in front of
Django (one instance, or several behind nginx), or the config written for systemd/containers."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ...conf import get_settings
from ...exceptions import PushpinConfigError
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


def add_arguments(parser: ArgumentParser) -> None:
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
        help=f"The signing key, created (mode 600) if missing (default RUN_DIR/{KEY_FILE_NAME}).",
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
    parser.add_argument("--print-key", action="store_true", help="Print the signing key and exit.")
    parser.add_argument(
        "--write-config",
        metavar="DIR",
        help="Write pushpin.conf and routes to DIR (systemd, containers) and exit.",
    )


def run(command: BaseCommand, options: dict[str, Any]) -> None:
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
        command.stdout.write(key)
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
        run_instances(command, PushpinInstances(config, count, instance_port, balancer))
        return
    warn_grip_url_mismatch(command, config)
    if options["write_config"]:
        path = write_config(config, Path(options["write_config"]).absolute())
        command.stdout.write(f"wrote {path} and {path.parent / 'routes'} (mode 600: the key)")
        command.stdout.write(f"start it with: {' '.join(pushpin_command(path))}")
        command.stdout.write(f"GRIP_URL={config.grip_url}")
        return
    stopped = stop_leftovers(run_dir)
    if stopped:
        command.stderr.write(
            f"stopped services left by a killed Pushpin: {' '.join(map(str, stopped))}"
        )
    path = write_config(config, Path(run_dir))
    command.stdout.write(
        f"Pushpin on {config.proxy_url}/ in front of Django at {' '.join(origins)}\n"
        f"Django needs GRIP_URL={config.grip_url}\n"
        f"  e.g. GRIP_URL='{config.grip_url}' python manage.py runserver {origins[0]}\n"
        f"Config and logs in {run_dir}/. Ctrl-C stops Pushpin."
    )
    sys.stdout.flush()
    exec_pushpin(path)


def run_instances(command: BaseCommand, fleet: PushpinInstances) -> None:
    """Several Pushpins behind nginx, until SIGTERM or Ctrl-C stops them all."""
    stopped = stop_leftovers(fleet.public.run_dir)
    if stopped:
        command.stderr.write(
            f"stopped services left by a killed Pushpin: {' '.join(map(str, stopped))}"
        )
    commands = write_instances(fleet)
    proxies = ",\n".join(f"    {proxy!r}" for proxy in fleet.grip_proxies)
    command.stdout.write(
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


def warn_grip_url_mismatch(command: BaseCommand, config: PushpinConfig) -> None:
    """A GRIP_URL already in the settings that cannot work with this Pushpin."""
    proxies = get_settings().proxies
    if len(proxies) != 1:
        return
    problem = grip_url_mismatch(config, proxies[0].control_uri, proxies[0].signing_key)
    if problem:
        command.stderr.write(
            f"Warning: the GRIP_URL in your settings will not work with this Pushpin: "
            f"{problem}. Set GRIP_URL={config.grip_url}"
        )
