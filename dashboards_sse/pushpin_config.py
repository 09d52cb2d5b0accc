"""Our Pushpin configuration, rendered from the templates shipped in ``dashboards_sse/pushpin/``.

Pure: values in, file texts out (the templates are package data, read, never written). The
same templates are rendered by the repository's POSIX ``pushpin/run`` for containers without
Python; both refuse the same bad values, and a test holds the two renderings identical.
``manage.py dashboards_sse pushpin`` (``pushpin_launch``) does the files, the key and the exec.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Final
from urllib.parse import urlsplit

from .exceptions import PushpinConfigError

# What pushpin/run defaults to (its environment variables), and so do we.
DEFAULT_HTTP: Final = "127.0.0.1:7999"
DEFAULT_PUBLISH_ADDR: Final = "127.0.0.1"
DEFAULT_PUBLISH_PORT: Final = 5561
DEFAULT_ORIGIN: Final = "127.0.0.1:8000"  # runserver's default address
DEFAULT_CLIENT_BUFFER_SIZE: Final = 4096
CLIENT_BUFFER_RANGE: Final = (1024, 1048576)

# Unix socket paths are limited to 107 bytes; the longest socket name Pushpin makes in the run
# dir is "pushpin-condure-out-stream" (26 characters) plus "/".
MAX_RUN_DIR_CHARS: Final = 80
MIN_KEY_CHARS: Final = 32

TEMPLATES: Final = {"pushpin.conf": "pushpin.conf.template", "routes": "routes.template"}
PLACEHOLDER = re.compile(r"\$\{(PUSHPIN_[A-Z_]+)\}")  # what pushpin/run's sed replaces

_HOST = re.compile(r"[A-Za-z0-9._-]+")
_RUN_DIR = re.compile(r"/[A-Za-z0-9._/+@~-]*")
_KEY = re.compile(r"[A-Za-z0-9._~-]+")


def parse_port(text: str, what: str) -> int:
    """A TCP port, 1-65535; ``what`` names the option in the error."""
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise PushpinConfigError(f"{what} must be a TCP port (1-65535), got {text!r}.")
    return int(text)


def parse_host(text: str, what: str) -> str:
    """A host name or IPv4 address (no IPv6: Pushpin's routes and our sh launcher take none)."""
    if not _HOST.fullmatch(text):
        raise PushpinConfigError(
            f"{what} must be a host name or IPv4 address ([A-Za-z0-9._-]), got {text!r}."
        )
    return text


def parse_addr_port(text: str, what: str) -> str:
    """``host:port``, checked, as given (``127.0.0.1:7999``, ``web:8000``)."""
    host, _, port = text.rpartition(":")
    if not _HOST.fullmatch(host) or not port.isdigit() or not 0 < int(port) < 65536:
        raise PushpinConfigError(
            f"{what} must be host:port (a host name or IPv4 address, a port 1-65535, e.g. "
            f"127.0.0.1:8000), got {text!r}."
        )
    return text


def parse_origins(texts: list[str]) -> tuple[str, ...]:
    """Django's ``host:port``; several (each option, or one separated by spaces) fail over in
    the order given."""
    origins = tuple(origin for text in texts for origin in text.split())
    if not origins:
        raise PushpinConfigError("--origin needs at least one host:port.")
    return tuple(parse_addr_port(origin, "--origin") for origin in origins)


def check_key(key: str) -> str:
    """Pushpin's ``sig_key``, which Django's ``GRIP_URL`` must carry (``?key=``)."""
    if key == "changeme":
        raise PushpinConfigError('The signing key must not be "changeme" (Pushpin\'s default).')
    if len(key) < MIN_KEY_CHARS:
        raise PushpinConfigError(
            f"The signing key is too short ({len(key)} characters, need at least {MIN_KEY_CHARS})."
        )
    if not _KEY.fullmatch(key):
        raise PushpinConfigError(
            "The signing key may only contain url-safe characters [A-Za-z0-9._~-]."
        )
    return key


def check_run_dir(path: str) -> str:
    if not path.startswith("/"):
        raise PushpinConfigError(f"The run dir must be an absolute path, got {path!r}.")
    path = path.rstrip("/") or "/"
    if len(path) > MAX_RUN_DIR_CHARS:
        raise PushpinConfigError(
            f"The run dir is too long for unix socket paths (max {MAX_RUN_DIR_CHARS} "
            f"characters): {path}"
        )
    if not _RUN_DIR.fullmatch(path):
        raise PushpinConfigError(f"The run dir may only contain [A-Za-z0-9._/+@~-]: {path}")
    return path


def check_client_buffer_size(size: int) -> int:
    low, high = CLIENT_BUFFER_RANGE
    if not low <= size <= high:
        raise PushpinConfigError(
            f"The client buffer size must be between {low} and {high} bytes, got {size}."
        )
    return size


@dataclass(frozen=True)
class PushpinConfig:
    """One Pushpin instance: where it listens, where Django is, its run dir and signing key.

    Every field is checked on creation (``PushpinConfigError`` names the bad one).
    """

    run_dir: str  # private: the rendered config, ipc sockets, pid files and logs
    key: str
    http: str = DEFAULT_HTTP  # client listener, host:port
    publish_addr: str = DEFAULT_PUBLISH_ADDR  # the publish endpoint: no authentication
    publish_port: int = DEFAULT_PUBLISH_PORT
    origins: tuple[str, ...] = (DEFAULT_ORIGIN,)
    client_buffer_size: int = DEFAULT_CLIENT_BUFFER_SIZE

    def __post_init__(self) -> None:
        object.__setattr__(self, "run_dir", check_run_dir(self.run_dir))
        check_key(self.key)
        parse_addr_port(self.http, "--http")
        parse_host(self.publish_addr, "--publish-addr")
        parse_port(str(self.publish_port), "--publish-port")
        parse_origins(list(self.origins))
        check_client_buffer_size(self.client_buffer_size)

    @property
    def values(self) -> dict[str, str]:
        """The templates' placeholders, named like pushpin/run's environment variables."""
        return {
            "PUSHPIN_RUN_DIR": self.run_dir,
            "PUSHPIN_HTTP": self.http,
            "PUSHPIN_PUBLISH_ADDR": self.publish_addr,
            "PUSHPIN_PUBLISH_PORT": str(self.publish_port),
            "PUSHPIN_ORIGIN": " ".join(self.origins),
            "PUSHPIN_SIG_KEY": self.key,
            "PUSHPIN_CLIENT_BUFFER_SIZE": str(self.client_buffer_size),
        }

    @property
    def grip_url(self) -> str:
        """What Django's ``GRIP_URL`` must be: the publish endpoint and the signing key."""
        # A wildcard listener is reached on loopback from the same machine.
        host = "127.0.0.1" if self.publish_addr == "0.0.0.0" else self.publish_addr
        return f"http://{host}:{self.publish_port}?key={self.key}"

    @property
    def proxy_url(self) -> str:
        """Where browsers (and ``dashboards_sse check --proxy``) reach this Pushpin."""
        host, _, port = self.http.rpartition(":")
        return f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"

    def render(self) -> dict[str, str]:
        """File name -> text: ``pushpin.conf`` and the ``routes`` file it names (they go in
        one directory, since ``routesfile`` is relative to the config)."""
        values = self.values
        return {
            name: render_template(read_template(src), values) for name, src in TEMPLATES.items()
        }


def read_template(name: str) -> str:
    return (files(__package__) / "pushpin" / name).read_text(encoding="utf-8")


def render_template(template: str, values: dict[str, str]) -> str:
    """Replace each ``${PUSHPIN_...}`` as pushpin/run's sed does; an unknown one is an error
    (a template newer than this renderer), never left in the config."""

    def value(match: re.Match[str]) -> str:
        try:
            return values[match.group(1)]
        except KeyError:
            raise PushpinConfigError(
                f"The Pushpin template has a placeholder we do not fill: {match.group(0)}"
            ) from None

    return PLACEHOLDER.sub(value, template)


def grip_url_mismatch(config: PushpinConfig, control_uri: str, key: str | bytes | None) -> str:
    """Why a configured ``GRIP_URL`` (its control URI and key) would not work with this
    Pushpin, or ``""`` when it matches."""
    if key is None or (key.encode() if isinstance(key, str) else key) != config.key.encode():
        return (
            "its key differs from the key this Pushpin signs with, so every stream through it "
            "would get 403"
        )
    parts = urlsplit(control_uri)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if port != config.publish_port:
        return f"it publishes to port {port}, this Pushpin listens on {config.publish_port}"
    return ""


# --- several instances on one host -------------------------------------------------------
# Pushpin's handler and proxy are one thread each: one instance per core, each with its own
# run dir (so its own ipc sockets), client port and publish port, behind one balancer (nginx)
# on the public port. condure sets no SO_REUSEPORT, so the instances cannot share a port.
DEFAULT_INSTANCE_PORT: Final = 18000  # instance i's client listener: 127.0.0.1:18000 + i - 1
BALANCERS: Final = ("http", "stream")  # nginx's http proxy, or its stream (TCP) module
DEFAULT_BALANCER: Final = "http"
BALANCER_TEMPLATES: Final = {name: f"balancer-{name}.conf.template" for name in BALANCERS}
MAX_INSTANCES: Final = 64


def cpu_count() -> int:
    """The CPUs this process may run on (what ``nproc`` prints, as pushpin/run's ``auto``)."""
    return len(os.sched_getaffinity(0))


def parse_instances(text: str) -> int:
    """``N`` (1-64) or ``auto`` (one per CPU)."""
    if text == "auto":
        return min(cpu_count(), MAX_INSTANCES)
    if not text.isdigit() or not 1 <= int(text) <= MAX_INSTANCES:
        raise PushpinConfigError(
            f"--instances must be a number from 1 to {MAX_INSTANCES} or 'auto' (one per CPU), "
            f"got {text!r}."
        )
    return int(text)


def parse_balancer(text: str) -> str:
    if text not in BALANCERS:
        raise PushpinConfigError(
            f"--balancer must be one of {', '.join(BALANCERS)} (nginx's http proxy, or its "
            f"stream module: plain TCP), got {text!r}."
        )
    return text


@dataclass(frozen=True)
class PushpinInstances:
    """``count`` Pushpins on one host behind nginx on ``public.http``.

    Instance ``i`` (1..count) runs in ``<run_dir>/<i>``, listens for clients on loopback
    ``instance_port + i - 1`` and for publishes on ``publish_port + i - 1``; all sign with
    the same key, and Django publishes to each (``GRIP_PROXIES``).
    """

    public: PushpinConfig  # run dir, key, public listener, first publish port, origins
    count: int
    instance_port: int = DEFAULT_INSTANCE_PORT
    balancer: str = DEFAULT_BALANCER

    def __post_init__(self) -> None:
        if not 2 <= self.count <= MAX_INSTANCES:
            raise PushpinConfigError(
                f"Several instances means 2 to {MAX_INSTANCES}, got {self.count}."
            )
        parse_balancer(self.balancer)
        publish = range(self.public.publish_port, self.public.publish_port + self.count)
        clients = range(self.instance_port, self.instance_port + self.count)
        for name, ports in (("--publish-port", publish), ("--instance-port", clients)):
            if ports[-1] > 65535:
                raise PushpinConfigError(
                    f"{name} {ports[0]} leaves no room for {self.count} instances (ports "
                    f"{ports[0]}-{ports[-1]}): choose a lower one."
                )
        public_port = int(self.public.http.rpartition(":")[2])
        if set(publish) & set(clients) or public_port in set(publish) | set(clients):
            raise PushpinConfigError(
                f"The instances' ports overlap: publish {publish[0]}-{publish[-1]}, clients "
                f"{clients[0]}-{clients[-1]}, public {public_port}. Choose another "
                "--instance-port or --publish-port."
            )
        for instance in self.instances:  # each run dir is checked (its length) on creation
            check_run_dir(instance.run_dir)

    @property
    def instances(self) -> list[PushpinConfig]:
        return [
            PushpinConfig(
                run_dir=f"{self.public.run_dir}/{number}",
                key=self.public.key,
                http=f"127.0.0.1:{self.instance_port + number - 1}",
                publish_addr=self.public.publish_addr,
                publish_port=self.public.publish_port + number - 1,
                origins=self.public.origins,
                client_buffer_size=self.public.client_buffer_size,
            )
            for number in range(1, self.count + 1)
        ]

    @property
    def grip_proxies(self) -> list[dict[str, str]]:
        """What Django's ``GRIP_PROXIES`` must be: every instance's publish endpoint."""
        return [
            {"control_uri": instance.grip_url.partition("?")[0], "key": self.public.key}
            for instance in self.instances
        ]

    def render_balancer(self) -> dict[str, str]:
        """File name -> text for the run dir: nginx's ``nginx.conf`` and its ``upstreams``.

        ``max_fails=0``: never mark an instance down. On loopback a refused connect costs
        nothing and the request goes to the next; marking would send every client to one
        instance for seconds after it was probed before it listened (at start, at a restart).
        """
        upstreams = "".join(
            f"server {instance.http} max_fails=0;\n" for instance in self.instances
        )
        template = read_template(BALANCER_TEMPLATES[self.balancer])
        return {
            "nginx.conf": render_template(template, self.public.values),
            "upstreams": upstreams,
        }
