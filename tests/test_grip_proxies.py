"""Several GRIP proxies (GRIP_PROXIES) and hosted GRIP: whose Grip-Sig a stream accepts."""

from __future__ import annotations

import base64
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

STREAM = "/dashboards/testapp.ops/stream/"
API_TOKEN = "t" * 36
KEYS = ("a" * 40, "b" * 40)


def signed(key: Any, algorithm: str = "HS256", **claims: Any) -> str:
    claims = {"iss": "pushpin", "exp": int(time.time()) + 60, **claims}
    return jwt.encode(claims, key, algorithm=algorithm)


@pytest.fixture
def fleet(settings: Any) -> None:
    settings.GRIP_PROXIES = [
        {"control_uri": f"http://127.0.0.1:{port}", "key": key}
        for port, key in zip((1, 2), KEYS, strict=True)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("key", KEYS)
def test_any_instance_of_the_fleet_is_trusted(client: Client, fleet: None, key: str) -> None:
    response = client.get(STREAM, HTTP_GRIP_SIG=signed(key))
    assert response.status_code == 200
    assert response["Grip-Hold"] == "stream"


@pytest.mark.django_db
def test_a_stranger_is_not(client: Client, fleet: None) -> None:
    response = client.get(STREAM, HTTP_GRIP_SIG=signed("c" * 40))
    assert response.status_code == 403
    assert response.content.decode().startswith("Grip-Sig did not verify")


@pytest.mark.django_db
def test_unsigned_requests_are_refused(client: Client, fleet: None) -> None:
    response = client.get(STREAM)
    assert response.status_code == 403


def test_django_grip_proxy_list_stays_the_same(fleet: None) -> None:
    """django-grip grows GRIP_PROXIES when GRIP_URL is also set (check E004); with
    GRIP_PROXIES alone its list is stable from request to request."""
    import django_grip

    assert len(django_grip._get_proxies()) == 2
    assert len(django_grip._get_proxies()) == 2


# --- a hosted GRIP service: Grip-Sig signed with its private key (ES256) ------------------


@pytest.fixture
def hosted(settings: Any) -> ec.EllipticCurvePrivateKey:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings.GRIP_URL = (
        f"https://grip.example/service/svc?verify-iss=fastly:svc&key={API_TOKEN}"
        "&verify-key=base64:" + base64.b64encode(pem).decode()
    )
    return private


@pytest.mark.django_db
def test_hosted_signature_is_trusted(client: Client, hosted: Any) -> None:
    response = client.get(STREAM, HTTP_GRIP_SIG=signed(hosted, "ES256", iss="fastly:svc"))
    assert response.status_code == 200
    assert response["Grip-Hold"] == "stream"


@pytest.mark.django_db
@pytest.mark.parametrize("forgery", ["other issuer", "other private key", "api token"])
def test_hosted_forgeries_are_refused(client: Client, hosted: Any, forgery: str) -> None:
    signature = {
        "other issuer": lambda: signed(hosted, "ES256", iss="fastly:other"),
        "other private key": lambda: signed(
            ec.generate_private_key(ec.SECP256R1()), "ES256", iss="fastly:svc"
        ),
        # the publish credential is not a signing key once a verify key is set
        "api token": lambda: signed(API_TOKEN, iss="fastly:svc"),
    }[forgery]()
    response = client.get(STREAM, HTTP_GRIP_SIG=signature)
    assert response.status_code == 403
