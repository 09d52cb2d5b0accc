"""A URLconf built after a test registered its django-dashboards dashboard (dashboards.urls
lists the registry once, when first imported)."""

from __future__ import annotations

from dashboards import views
from dashboards.registry import registry
from django.urls import include, path

urlpatterns = [
    path("dashboards/", include("dashboards_sse.urls")),
    path(
        "dd/",
        include(
            (
                [
                    *registry.get_urls(),
                    path(
                        "<str:app_label>/<str:dashboard>/@component/<slug:component>/",
                        views.ComponentView.as_view(),
                        name="dashboard_component",
                    ),
                ],
                "dashboards",
            )
        ),
    ),
]
