"""Telling a user a task was assigned to them (a push to their Inbox) and a project's viewers
what happened to its tasks (its activity feed), after the commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from .dashboards import Inbox, ProjectTasks
from .models import Task


def assigned(task: Task, previous_id: int | None, by: Any) -> None:
    """Call inside the transaction that saved ``task`` with a new ``assigned_to`` (created or
    reassigned; ``previous_id`` the former assignee's pk). After the commit, the new assignee
    gets "New task: ..." on every open tab; a rollback sends nothing.

    The open-task counts of the new and the previous assignee are ``refresh_on``'s (the
    package refreshes the user a task left as well as the one it joined).
    """
    if task.assigned_to_id == previous_id:
        return
    assignee = task.assigned_to
    if assignee is None:
        return
    message = {
        "value": f"New task: {task.title} ({task.project})",
        "note": f"from {by.get_username()} at {timezone.localtime():%H:%M}",
    }
    transaction.on_commit(lambda: Inbox.for_(assignee).latest.push(message), robust=True)


def activity(task: Task, what: str, by: Any) -> None:
    """Call inside the transaction that changed ``task``: after the commit its project's
    activity feed shows ``what`` happened ("created", "assigned", "done", "reopened") and who
    did it; a rollback sends nothing."""
    assignee = task.assigned_to.get_username() if task.assigned_to else None
    texts = {
        "created": f"{task.title}" + (f", for {assignee}" if assignee else ""),
        "assigned": f"{task.title}, to {assignee}" if assignee else f"{task.title}, to nobody",
        "done": task.title,
        "reopened": task.title,
    }
    levels = {"done": "ok", "reopened": "warn"}
    item = {
        "title": f"{what.capitalize()} by {by.get_username()}",
        "text": texts[what],
        "level": levels.get(what, "info"),
    }
    feed = ProjectTasks.for_(task.project).activity
    transaction.on_commit(lambda: feed.push(item), robust=True)
