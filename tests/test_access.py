from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from dashboards_sse.channels import current_user
from tests.conftest import PublishServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def viewer(settings: Any, publish_server: PublishServer) -> Any:
    settings.GRIP_URL = publish_server.url + "?key=" + "k" * 40
    kind, _ = ContentType.objects.get_or_create(app_label="testapp", model="secret")
    perm, _ = Permission.objects.get_or_create(
        codename="view_secret", content_type=kind, defaults={"name": "Can view secret"}
    )
    user = get_user_model().objects.create_user("viewer")
    user.user_permissions.add(perm)
    return user


SECRET = "events-dashboard.testapp.secret"


def secret_items(server: PublishServer) -> list[dict[str, Any]]:
    """Kick items for testapp.secret (other test apps' dashboards get their own)."""
    items = [item for _, _, body in server.requests for item in body["items"]]
    return [item for item in items if item.get("meta") == {"require_sub": SECRET}]


def closes(server: PublishServer, user: Any) -> int:
    """Closes of every stream of the user (scoped dashboards: each reconnects and re-checks)."""
    items = [item for _, _, body in server.requests for item in body["items"]]
    return items.count(
        {"channel": f"user-{user.pk}", "formats": {"http-stream": {"action": "close"}}}
    )


def test_deleted_inside_a_transaction_kicks_the_right_user(
    viewer: Any, publish_server: PublishServer
) -> None:
    pk = viewer.pk
    with transaction.atomic():  # like the admin's delete view: pk is cleared before the commit
        viewer.delete()
    assert [item["channel"] for item in secret_items(publish_server)] == [f"user-{pk}"] * 2


def test_permission_removed_kicks(viewer: Any, publish_server: PublishServer) -> None:
    viewer.user_permissions.clear()
    items = secret_items(publish_server)
    assert len(items) == 2
    assert '"condition": "forbidden"' in items[0]["formats"]["http-stream"]["content"]
    assert items[1]["formats"]["http-stream"] == {"action": "close"}


def test_still_allowed_user_is_not_kicked(viewer: Any, publish_server: PublishServer) -> None:
    viewer.groups.clear()  # a removal that leaves the permission in place
    assert secret_items(publish_server) == []
    # scoped dashboards (testapp.store-sales) exist: every stream re-checks as it reconnects
    assert closes(publish_server, viewer) == 1


def test_password_change_staff_loss_and_logout_make_every_stream_recheck(
    viewer: Any, publish_server: PublishServer, client: Any
) -> None:
    viewer.is_staff = viewer.is_superuser = True
    viewer.save()
    assert closes(publish_server, viewer) == 0  # gaining access takes nothing away
    viewer.is_superuser = False
    viewer.save()
    assert closes(publish_server, viewer) == 1
    viewer.set_password("a new one")
    viewer.save()
    assert closes(publish_server, viewer) == 2
    viewer.save(update_fields=["last_login"])  # a login's save: no query, no close
    assert closes(publish_server, viewer) == 2
    client.force_login(viewer)
    client.logout()
    assert closes(publish_server, viewer) == 3


def test_current_user_is_none_when_inactive_or_deleted(viewer: Any) -> None:
    assert current_user(viewer.pk) == viewer
    get_user_model().objects.filter(pk=viewer.pk).update(is_active=False)
    assert current_user(viewer.pk) is None
    assert current_user(None) is None
    assert current_user(10_000) is None
