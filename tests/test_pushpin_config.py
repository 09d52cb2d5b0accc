"""dashboards_sse.pushpin_config: our Pushpin config rendered from the package's templates."""

from __future__ import annotations

import os
import re

import pytest

from dashboards_sse.exceptions import DashboardsSSEError, PushpinConfigError
from dashboards_sse.pushpin_config import (
    PushpinConfig,
    PushpinInstances,
    grip_url_mismatch,
    parse_addr_port,
    parse_instances,
    parse_origins,
    parse_port,
    read_template,
    render_template,
)

KEY = "k" * 40
RUN_DIR = "/tmp/dsse-run"


def config(**fields: object) -> PushpinConfig:
    return PushpinConfig(**{"run_dir": RUN_DIR, "key": KEY, **fields})  # type: ignore[arg-type]


def settings_of(text: str) -> dict[str, dict[str, str]]:
    """The INI file's sections -> key -> value (comments left out)."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        elif line and not line.startswith("#"):
            name, _, value = line.partition("=")
            current[name] = value
    return sections


def test_defaults_are_loopback_with_zurl_and_the_tuned_limits() -> None:
    rendered = config().render()
    assert set(rendered) == {"pushpin.conf", "routes"}
    conf = settings_of(rendered["pushpin.conf"])
    assert conf["runner"]["services"] == "condure,zurl,pushpin-proxy,pushpin-handler"
    assert conf["runner"]["http_port"] == "127.0.0.1:7999"
    assert conf["runner"]["client_buffer_size"] == "4096"
    assert conf["runner"]["logdir"] == RUN_DIR
    assert conf["global"]["rundir"] == RUN_DIR
    assert conf["proxy"]["routesfile"] == "routes"
    assert conf["proxy"]["sig_key"] == KEY
    assert conf["proxy"]["sig_iss"] == "pushpin"
    assert conf["proxy"]["zurl_out_specs"] == "ipc://{rundir}/{ipc_prefix}zurl-in"
    assert conf["proxy"]["updates_check"] == "off"
    assert conf["proxy"]["max_open_requests"] == "100"  # a connect storm waits, not refused
    assert conf["handler"]["push_in_http_addr"] == "127.0.0.1"
    assert conf["handler"]["push_in_http_port"] == "5561"
    assert conf["handler"]["message_rate"] == "100000"
    assert conf["handler"]["message_hwm"] == "1000000"
    assert rendered["routes"].splitlines()[-1] == "* 127.0.0.1:8000"
    for text in rendered.values():
        assert not re.search(r"\$\{PUSHPIN_[A-Z_]+\}", text)  # every placeholder filled


def test_options_are_rendered() -> None:
    rendered = config(
        http="0.0.0.0:8999",
        publish_addr="0.0.0.0",
        publish_port=6001,
        origins=("web-1:8000", "web-2:8000"),
        client_buffer_size=8192,
    ).render()
    conf = settings_of(rendered["pushpin.conf"])
    assert conf["runner"]["http_port"] == "0.0.0.0:8999"
    assert conf["runner"]["client_buffer_size"] == "8192"
    assert conf["handler"]["push_in_http_addr"] == "0.0.0.0"
    assert conf["handler"]["push_in_http_port"] == "6001"
    assert rendered["routes"].splitlines()[-1] == "* web-1:8000 web-2:8000"


def test_grip_url_and_proxy_url() -> None:
    assert config().grip_url == f"http://127.0.0.1:5561?key={KEY}"
    assert config().proxy_url == "http://127.0.0.1:7999"
    wildcard = config(http="0.0.0.0:80", publish_addr="0.0.0.0", publish_port=6000)
    assert wildcard.grip_url == f"http://127.0.0.1:6000?key={KEY}"  # reached on loopback
    assert wildcard.proxy_url == "http://127.0.0.1:80"


def test_the_templates_are_package_data() -> None:
    assert "${PUSHPIN_SIG_KEY}" in read_template("pushpin.conf.template")
    assert "${PUSHPIN_ORIGIN}" in read_template("routes.template")


def test_only_braced_placeholders_are_replaced_like_sed() -> None:
    text = "a=${PUSHPIN_HTTP} b=$PUSHPIN_HTTP c={rundir}"
    assert render_template(text, {"PUSHPIN_HTTP": "x:1"}) == "a=x:1 b=$PUSHPIN_HTTP c={rundir}"


def test_an_unknown_placeholder_is_an_error_not_left_in() -> None:
    with pytest.raises(PushpinConfigError, match=r"\$\{PUSHPIN_NEW\}"):
        render_template("x=${PUSHPIN_NEW}", {})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"key": "changeme"}, '"changeme"'),
        ({"key": "short"}, r"too short \(5 characters, need at least 32\)"),
        ({"key": "k" * 39 + "|"}, r"url-safe characters"),
        ({"run_dir": "relative/dir"}, "absolute path"),
        ({"run_dir": "/tmp/" + "d" * 80}, "too long for unix socket paths"),
        ({"run_dir": "/tmp/a b"}, r"may only contain"),
        ({"http": "7999"}, r"--http must be host:port"),
        ({"http": "127.0.0.1:0"}, r"--http must be host:port"),
        ({"http": "127.0.0.1:65536"}, r"--http must be host:port"),
        ({"http": "[::1]:7999"}, r"--http must be host:port"),
        ({"publish_addr": "a;b"}, r"--publish-addr must be a host name"),
        ({"publish_port": 0}, r"--publish-port must be a TCP port"),
        ({"origins": ("web",)}, r"--origin must be host:port"),
        ({"origins": ()}, r"--origin needs at least one"),
        ({"client_buffer_size": 512}, r"between 1024 and 1048576"),
    ],
)
def test_bad_values_are_refused_naming_the_option(fields: dict[str, object], message: str) -> None:
    with pytest.raises(PushpinConfigError, match=message) as caught:
        config(**fields)
    assert isinstance(caught.value, DashboardsSSEError)


def test_parsers() -> None:
    assert parse_port("5561", "--publish-port") == 5561
    assert parse_addr_port("web-1.internal:8000", "--origin") == "web-1.internal:8000"
    assert parse_origins(["a:1 b:2", "c:3"]) == ("a:1", "b:2", "c:3")
    for bad in ("", "x", "-1", "70000"):
        with pytest.raises(PushpinConfigError, match="--publish-port"):
            parse_port(bad, "--publish-port")
    with pytest.raises(PushpinConfigError, match="'a:1;b:2'"):
        parse_origins(["a:1;b:2"])


def test_grip_url_mismatch() -> None:
    pushpin = config(publish_port=6001)
    assert grip_url_mismatch(pushpin, "http://127.0.0.1:6001", KEY) == ""
    assert grip_url_mismatch(pushpin, "http://127.0.0.1:6001", KEY.encode()) == ""
    assert "key differs" in grip_url_mismatch(pushpin, "http://127.0.0.1:6001", "x" * 40)
    assert "key differs" in grip_url_mismatch(pushpin, "http://127.0.0.1:6001", None)
    assert grip_url_mismatch(pushpin, "http://127.0.0.1:5561", KEY) == (
        "it publishes to port 5561, this Pushpin listens on 6001"
    )


def instances_config(**fields: object) -> PushpinInstances:
    public = PushpinConfig(run_dir="/tmp/dsse-i", key="k" * 40, publish_port=5561)
    return PushpinInstances(public, **{"count": 2, **fields})  # type: ignore[arg-type]


def test_instances_get_their_own_run_dir_and_ports() -> None:
    fleet = instances_config(count=3, instance_port=9000)
    assert [(i.run_dir, i.http, i.publish_port) for i in fleet.instances] == [
        ("/tmp/dsse-i/1", "127.0.0.1:9000", 5561),
        ("/tmp/dsse-i/2", "127.0.0.1:9001", 5562),
        ("/tmp/dsse-i/3", "127.0.0.1:9002", 5563),
    ]
    assert fleet.grip_proxies == [
        {"control_uri": f"http://127.0.0.1:{port}", "key": "k" * 40} for port in (5561, 5562, 5563)
    ]
    files = fleet.render_balancer()
    assert files["upstreams"] == "".join(
        f"server 127.0.0.1:{port} max_fails=0;\n" for port in (9000, 9001, 9002)
    )
    assert "listen 127.0.0.1:7999 backlog=4096;" in files["nginx.conf"]
    assert "include /tmp/dsse-i/upstreams;" in files["nginx.conf"]
    assert "${" not in files["nginx.conf"]


def test_stream_balancer_loads_the_stream_module() -> None:
    conf = instances_config(balancer="stream").render_balancer()["nginx.conf"]
    assert conf.startswith("#") and "load_module" in conf and "stream {" in conf


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"count": 1}, "2 to 64"),
        ({"balancer": "haproxy"}, "--balancer must be one of http, stream"),
        ({"instance_port": 5562}, "ports overlap"),
        ({"instance_port": 65535}, "leaves no room"),
    ],
)
def test_bad_instances_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(PushpinConfigError, match=message):
        instances_config(**fields)


@pytest.mark.parametrize(
    ("text", "count"), [("1", 1), ("4", 4), ("auto", len(os.sched_getaffinity(0)))]
)
def test_parse_instances(text: str, count: int) -> None:
    assert parse_instances(text) == count


@pytest.mark.parametrize("text", ["0", "65", "-1", "many", ""])
def test_parse_instances_refuses(text: str) -> None:
    with pytest.raises(PushpinConfigError, match="--instances must be"):
        parse_instances(text)
