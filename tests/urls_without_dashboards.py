"""A URLconf that forgot ``include("dashboards_sse.urls")`` (the E017 check's test)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
