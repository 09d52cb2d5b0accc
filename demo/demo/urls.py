"""The dashboard at ``/``, the package's pages and streams under ``/dashboards/``,
django-dashboards' pages under ``/dd/``, the task page (scoped dashboards) under ``/tasks/``
with Django's login at ``/accounts/login/``, and static files served by Django itself (no web
server or extra dependency needed, DEBUG or not)."""

from __future__ import annotations

from django.contrib.auth.views import LogoutView
from django.urls import include, path, re_path

from demo.static import serve
from hosts.views import home
from tasks.views import DemoLoginView

urlpatterns = [
    path("", home, name="home"),
    path("dashboards/", include("dashboards_sse.urls")),
    path("dd/", include("dashboards.urls")),  # django-dashboards' pages (traffic.dashboards)
    path("tasks/", include("tasks.urls")),  # scoped dashboards: an inbox per user, per project
    path("accounts/login/", DemoLoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    re_path(r"^static/(?P<path>.+)$", serve),
]
