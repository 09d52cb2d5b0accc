from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.views import serve
from django.urls import include, path, re_path
from django.views.generic import TemplateView

urlpatterns = [
    path("dashboards/", include("dashboards_sse.urls")),
    path("custom/", TemplateView.as_view(template_name="custom.html")),
    # htmx loaded by the page and by {% dashboards_sse_head %}: twice, before or after ours;
    # or once, the page's, with {% dashboards_sse_head htmx=False %}
    path(
        "htmx/<str:order>/",
        TemplateView.as_view(template_name="htmx_script.html"),
    ),
    # Static files straight from the app folders, also with DEBUG off (tests only).
    re_path(r"^static/(?P<path>.*)$", serve, {"insecure": True}),
]

if settings.DJANGO_DASHBOARDS:
    urlpatterns += [path("dd/", include("dashboards.urls"))]
