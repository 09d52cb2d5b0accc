"""The Celery app the integration tests run a real worker with (broker: a real Redis)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

app = Celery("tests")
app.conf.broker_url = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
app.conf.result_backend = app.conf.broker_url
app.conf.imports = ["dashboards_sse.contrib.celery"]
app.conf.task_acks_late = True
app.conf.worker_prefetch_multiplier = 1
