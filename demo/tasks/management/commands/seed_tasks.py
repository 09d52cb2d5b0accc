"""``manage.py seed_tasks``: the demo's projects, users and first tasks (idempotent).

Prints one ``login <username> <password>`` line per demo user (demo/run.py shows them).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ...seed import seed


class Command(BaseCommand):
    help = "Create the tasks demo's projects and users (ann, bob) if missing, and first tasks."

    def handle(self, *args: Any, **options: Any) -> None:
        for username, password in seed().items():
            self.stdout.write(f"login {username} {password}")
