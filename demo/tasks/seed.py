"""The demo's projects, users and first tasks, created idempotently (``manage.py seed_tasks``,
run by ``make demo``)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Project, Task

# Demo logins, printed by `make demo` and shown on the login page (DEBUG only).
DEMO_USERS = {"ann": "ann-demo", "bob": "bob-demo"}
PROJECTS = {"website": "Website", "mobile-app": "Mobile app"}
# Created once, when there is no task at all: (title, project slug, assignee or None, done).
FIRST_TASKS = [
    ("Write the launch announcement", "website", "ann", False),
    ("Fix the contact form on Safari", "website", "bob", False),
    ("Move the blog to the new theme", "website", "bob", True),
    ("Review the iOS beta build", "mobile-app", "ann", False),
    ("Design the new app icon", "mobile-app", None, False),
]


def seed() -> dict[str, str]:
    """Make sure the projects and users exist (with these passwords); add the first tasks to an
    empty database. Returns the logins. The task counts are pushed after the commit."""
    users = get_user_model()
    with transaction.atomic():
        projects = {
            slug: Project.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in PROJECTS.items()
        }
        people = {}
        for username, password in DEMO_USERS.items():
            user, _ = users.objects.get_or_create(username=username)
            if not user.check_password(password):
                user.set_password(password)
                user.save()
            people[username] = user
        if not Task.objects.exists():
            for title, project, assignee, done in FIRST_TASKS:
                Task.objects.create(
                    title=title,
                    project=projects[project],
                    assigned_to=people[assignee] if assignee else None,
                    done=done,
                )
    return dict(DEMO_USERS)
