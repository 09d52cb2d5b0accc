"""The pytest plugin of dashboards_sse (an entry point): the ``dashboard_pushes`` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .testing import CapturedPushes


@pytest.fixture
def dashboard_pushes() -> Iterator[CapturedPushes]:
    """Pushes made during the test, captured instead of published."""
    # Imported when a test asks for the fixture: pytest loads its plugins before Django's
    # settings are configured, and the package (django-eventstream's import) reads them.
    from .testing import capture_pushes

    with capture_pushes() as captured:
        yield captured
