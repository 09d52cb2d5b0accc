from __future__ import annotations

from django.urls import include, path

from . import views

# /bench/stats/ is answered by middleware.RequestCounter (asgi.py) before Django.
urlpatterns = [
    path("dashboards/", include("dashboards_sse.urls")),
    path("bench/fragment/", views.fragment),
    path("bench/raw/stream/", views.raw_stream),
    path("bench/raw-send-event/stream/", views.raw_send_event_stream),
    path("bench/redis/stream/", views.redis_stream),
]
