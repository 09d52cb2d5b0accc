"""The demo's Celery app (compose profile ``celery``): a worker and beat with Redis as broker.

celery -A demo worker --pool prefork      # runs dashboards_sse's tasks
celery -A demo beat                       # schedules them from the components' refresh_every
"""

from __future__ import annotations

import os

from celery import Celery
from dashboards_sse.contrib.celery import beat_schedule

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

app = Celery("demo")
app.conf.broker_url = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
app.conf.imports = ["dashboards_sse.contrib.celery"]
app.conf.task_ignore_result = True
app.conf.beat_schedule = beat_schedule()  # one entry: hosts.host every second
