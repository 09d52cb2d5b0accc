"""compose.yaml as Compose reads it (Debian's docker-compose `config`: no engine needed): the
default stack, and the `scale` profile's production topology of docs/scaling.md."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from string import Template
from typing import Any

import pytest
import yaml

from tests.live import REPO

pytestmark = pytest.mark.skipif(
    shutil.which("docker-compose") is None,
    reason="docker-compose not installed (make system-deps installs it)",
)

KEY = "k" * 40
ENV = {"PUSHPIN_SIG_KEY": KEY, "DJANGO_SECRET_KEY": "s" * 50, "POSTGRES_PASSWORD": "pw"}
SCALE_DJANGO = ("web-1", "web-2", "scale-migrate", "scale-publisher")


def compose(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["docker-compose", "-f", str(REPO / "compose.yaml"), *args],
        env={"PATH": os.environ["PATH"], **(ENV if env is None else env)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def scale() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(compose("--profile", "scale", "config"))["services"]
    return services


def test_default_stack_needs_no_scale_settings() -> None:
    env = {name: value for name, value in ENV.items() if name != "POSTGRES_PASSWORD"}
    services = yaml.safe_load(compose("config", env=env))["services"]
    always = {name for name, service in services.items() if not service.get("profiles")}
    assert always == {"pushpin", "web", "publisher"}


def test_every_pushpin_is_built_from_our_dockerfile(scale: dict[str, Any]) -> None:
    for name in ("pushpin", "pushpin-1", "pushpin-2"):
        build = scale[name]["build"]
        assert Path(build["context"]) == REPO
        assert build["dockerfile"] == "pushpin/Dockerfile"
        assert "volumes" not in scale[name]  # the image has the launcher and the templates


def test_scale_profile_services(scale: dict[str, Any]) -> None:
    assert {"balancer", "pushpin-1", "pushpin-2", "postgres", *SCALE_DJANGO} <= set(scale)


def test_only_the_balancer_reaches_the_host(scale: dict[str, Any]) -> None:
    exposed = {name for name, service in scale.items() if service.get("ports")}
    assert exposed == {"balancer", "pushpin"}  # pushpin: the default stack's single instance
    assert [port["target"] for port in scale["balancer"]["ports"]] == [8999]


def test_every_django_publishes_to_both_pushpins(scale: dict[str, Any]) -> None:
    for name in SCALE_DJANGO:
        environment = scale[name]["environment"]
        assert environment["GRIP_URL"] == ""  # never GRIP_URL and GRIP_PROXIES together
        assert environment["GRIP_URLS"].split() == [
            f"http://pushpin-1:5561?key={KEY}",
            f"http://pushpin-2:5561?key={KEY}",
        ]
        assert environment["DEMO_PG_HOST"] == "postgres"
        assert environment["DEMO_PG_PASSWORD"] == "pw"


def test_pushpins_share_the_key_and_both_web_servers(scale: dict[str, Any]) -> None:
    for name in ("pushpin-1", "pushpin-2"):
        environment = scale[name]["environment"]
        assert environment["PUSHPIN_SIG_KEY"] == KEY
        assert set(environment["PUSHPIN_ORIGIN"].split()) == {"web-1:8000", "web-2:8000"}


def test_balancer_fills_every_template_placeholder(scale: dict[str, Any]) -> None:
    balancer = scale["balancer"]
    (volume,) = balancer["volumes"]
    source = volume.split(":")[0] if isinstance(volume, str) else volume["source"]
    assert source == str(REPO / "pushpin" / "balancer.conf.template")
    template = Template((REPO / "pushpin" / "balancer.conf.template").read_text())
    rendered = template.substitute(
        {name: value for name, value in balancer["environment"].items()},
        # nginx's own variables stay as they are
        http_host="$http_host",
        proxy_add_x_forwarded_for="$proxy_add_x_forwarded_for",
        scheme="$scheme",
    )
    assert "server pushpin-1:7999 " in rendered and "server pushpin-2:7999 " in rendered


def test_demo_settings_read_the_scale_environment(scale: dict[str, Any]) -> None:
    """The demo project, given web-1's environment, checks clean with two proxies on
    PostgreSQL (manage.py check reads the settings without connecting)."""
    environment = {k: str(v) for k, v in scale["web-1"]["environment"].items()}
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from dashboards_sse.conf import get_settings\n"
        "from django.core.management import call_command\n"
        "call_command('check', fail_level='WARNING')\n"
        "print(settings.DATABASES['default']['ENGINE'])\n"
        "print(' '.join(p.publish_url for p in get_settings().proxies))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO / "demo",
        env={**os.environ, **environment, "DJANGO_SETTINGS_MODULE": "demo.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    engine, proxies = done.stdout.strip().splitlines()[-2:]
    assert engine == "django.db.backends.postgresql"
    assert proxies == "http://pushpin-1:5561/publish/ http://pushpin-2:5561/publish/"
