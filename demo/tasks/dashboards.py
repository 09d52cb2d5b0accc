"""Scoped dashboards: one stream per user (``Inbox``) and one per project (``ProjectTasks``).

Nothing is created per user or project: ``Inbox.for_(user)`` and ``ProjectTasks.for_(project)``
name a stream on demand. Saving a task refreshes the counts of the streams it touches
(``refresh_on``, after the commit); ``tasks.notifications`` pushes the "New task" notification.
"""

from __future__ import annotations

from typing import Any

from dashboards_sse import Dashboard, Stat

from .models import Project, Task


def open_tasks_of(user: Any) -> int:
    return Task.objects.filter(assigned_to=user, done=False).count()


class Inbox(Dashboard):
    """``/dashboards/tasks.inbox/``: the viewer's own, on every tab they have open."""

    title = "My inbox"
    scope = "user"
    permission = "login"

    open_tasks = Stat(label="My open tasks", value=open_tasks_of, refresh_on={Task: "assigned_to"})
    # Pushed by tasks.notifications when a task is assigned to this user; stored, so a new tab or a
    # reconnect shows it.
    latest = Stat(
        label="Latest notification",
        text=True,
        template_name="tasks/components/notification.html",
    )


def progress(project: Project) -> dict[str, Any]:
    total = project.tasks.count()
    done = project.tasks.filter(done=True).count()
    return {"value": 100 * done / total if total else 0, "note": f"{done} of {total} tasks"}


class ProjectTasks(Dashboard):
    """``/dashboards/tasks.project-tasks/<project slug>/``, for any logged-in user."""

    title = "Project"
    scope = Project
    scope_field = "slug"
    permission = "login"

    open = Stat(
        label="Open tasks",
        value=lambda project: project.tasks.filter(done=False).count(),
        refresh_on={Task: "project"},
    )
    done = Stat(
        label="Done",
        value=lambda project: project.tasks.filter(done=True).count(),
        refresh_on={Task: "project"},
    )
    progress = Stat(
        label="Progress", unit="%", decimals=0, value=progress, refresh_on={Task: "project"}
    )

    @classmethod
    def scopes(cls) -> Any:
        """What ``dashboards_sse refresh`` (the demo's publisher) refreshes: every project."""
        return Project.objects.all()
