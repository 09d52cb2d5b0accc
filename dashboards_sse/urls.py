from __future__ import annotations

from django.urls import path

from . import views

app_name = "dashboards_sse"

urlpatterns = [
    path("<str:slug>/", views.dashboard_page, name="page"),
    path("<str:slug>/stream/", views.dashboard_stream, name="stream"),
    # a scoped dashboard's object (a key is never "stream": scopes.check_key)
    path("<str:slug>/<str:key>/", views.dashboard_page, name="scoped-page"),
    path("<str:slug>/<str:key>/stream/", views.dashboard_stream, name="scoped-stream"),
]
