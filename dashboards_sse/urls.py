from __future__ import annotations

from django.urls import path

from . import views

app_name = "dashboards_sse"

urlpatterns = [
    path("<str:slug>/", views.dashboard_page, name="page"),
    path("<str:slug>/stream/", views.dashboard_stream, name="stream"),
]
