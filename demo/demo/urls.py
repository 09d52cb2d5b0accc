"""The dashboard at ``/``, the package's pages and streams under ``/dashboards/``,
django-dashboards' pages under ``/dd/``, and static files served by Django itself (no web
server or extra dependency needed, DEBUG or not)."""

from __future__ import annotations

from django.urls import include, path, re_path

from demo.static import serve
from hosts.views import home

urlpatterns = [
    path("", home, name="home"),
    path("dashboards/", include("dashboards_sse.urls")),
    path("dd/", include("dashboards.urls")),  # django-dashboards' pages (traffic.dashboards)
    re_path(r"^static/(?P<path>.+)$", serve),
]
