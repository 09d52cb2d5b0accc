from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .dashboards import Host


def home(request: HttpRequest) -> HttpResponse:
    context = {"dashboard": Host, "pushpin": bool(getattr(settings, "GRIP_URL", None))}
    return render(request, "hosts/home.html", context)
