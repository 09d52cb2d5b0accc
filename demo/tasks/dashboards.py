"""Scoped dashboards: one stream per user (``Inbox``) and one per project (``ProjectTasks``).

Nothing is created per user or project: ``Inbox.for_(user)`` and ``ProjectTasks.for_(project)``
name a stream on demand. Saving a task refreshes the counts of the streams it touches
(``refresh_on``, after the commit); ``tasks.notifications`` pushes the "New task" notification
and each project's activity feed. A project's task table follows ``Task``: a created task is
inserted, a changed one replaced, a deleted one removed, one row each, after the commit.
"""

from __future__ import annotations

from typing import Any

from dashboards_sse import Column, Dashboard, Feed, Stat, Table

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


def task_row(task: Task) -> dict[str, Any]:
    """A task as a row of its project's table."""
    return {
        "id": task.pk,
        "title": task.title,
        "assignee": task.assigned_to.get_username() if task.assigned_to else "nobody",
        "state": "done" if task.done else "open",
        "created": task.created,
    }


def newest_tasks(project: Project) -> Any:
    return project.tasks.select_related("assigned_to").order_by("-created", "-pk")[:TASK_ROWS]


TASK_ROWS = 20


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
    # Pushed by tasks.notifications: created, assigned, done, reopened.
    activity = Feed(label="Activity", limit=10)
    tasks = Table(
        label="Tasks",
        columns=[
            Column("title", label="Task"),
            Column("assignee", label="Assigned to"),
            Column("state", label="State"),
            Column("created", label="Created", format="date"),
        ],
        key="id",
        order_by="-created",
        limit=TASK_ROWS,
        value=newest_tasks,
        row=task_row,
        follow={Task: "project"},
    )

    @classmethod
    def scopes(cls) -> Any:
        """What ``dashboards_sse refresh`` (the demo's publisher) refreshes: every project."""
        return Project.objects.all()
