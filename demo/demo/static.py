"""Static files served by Django itself, DEBUG or not, with no extra dependency.

``django.contrib.staticfiles.views.serve`` (``insecure=True``) finds files in every app and
``STATIC_ROOT`` and handles ``If-Modified-Since``, but answers with a ``FileResponse``, a
synchronous stream that Django warns about under ASGI. Our files are small: read them whole.
"""

from __future__ import annotations

from django.contrib.staticfiles.views import serve as find_and_serve
from django.http import HttpRequest, HttpResponse, HttpResponseBase


def serve(request: HttpRequest, path: str) -> HttpResponseBase:
    response = find_and_serve(request, path, insecure=True)
    if not response.streaming:
        return response
    try:
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    finally:
        response.close()
    whole = HttpResponse(body, status=response.status_code)
    for header, value in response.items():
        whole[header] = value
    whole["Cache-Control"] = "public, max-age=300"
    return whole
