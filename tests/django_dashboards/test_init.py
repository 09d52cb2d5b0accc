from __future__ import annotations

import importlib
import sys

import pytest


def test_clear_import_error_without_django_dashboards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs with or without django-dashboards installed: its absence is simulated."""
    adapter = "dashboards_sse.contrib.django_dashboards"
    for name in list(sys.modules):
        if name.split(".")[0] == "dashboards" or name.startswith(adapter):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "dashboards", None)  # import dashboards -> ImportError
    with pytest.raises(ImportError) as info:
        importlib.import_module(adapter)
    assert str(info.value) == (
        "dashboards_sse.contrib.django_dashboards needs django-dashboards (import name "
        "'dashboards'): pip install 'django-dashboards-sse[django-dashboards]'"
    )
