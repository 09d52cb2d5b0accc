from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

from dashboards_sse.asgi import stream_fast_path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
application = get_asgi_application()
if os.environ.get(
    "DSSE_FAST_PATH"
):  # the browser suite's stack: Pushpin's streams skip Django's handler
    application = stream_fast_path(application)
