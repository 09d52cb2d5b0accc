"""The task page: create and assign tasks, mark them done, links to the live dashboards."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .dashboards import Inbox, ProjectTasks
from .forms import AssignForm, TaskForm, people
from .models import Project, Task
from .notifications import activity, assigned
from .seed import DEMO_USERS


@login_required
def index(request: HttpRequest) -> HttpResponse:
    form = TaskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            task = form.save()
            assigned(task, None, request.user)
            activity(task, "created", request.user)
        return redirect("tasks:index")
    projects = Project.objects.annotate(
        open=Count("tasks", filter=Q(tasks__done=False)),
        done=Count("tasks", filter=Q(tasks__done=True)),
    )
    context = {
        "form": form,
        "tasks": Task.objects.select_related("project", "assigned_to"),
        "projects": [(project, ProjectTasks.for_(project).page_url()) for project in projects],
        "people": people(),
        "inbox_url": Inbox.page_url(),
    }
    return render(request, "tasks/index.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    form = AssignForm(request.POST)
    if form.is_valid():
        with transaction.atomic():
            task = get_object_or_404(Task.objects.select_for_update(), pk=pk)
            previous = task.assigned_to_id
            task.assigned_to = form.cleaned_data["assigned_to"]
            task.save(update_fields=["assigned_to"])
            assigned(task, previous, request.user)
            if task.assigned_to_id != previous:
                activity(task, "assigned", request.user)
    return redirect("tasks:index")


@login_required
@require_POST
def mark_done(request: HttpRequest, pk: int) -> HttpResponse:
    done = request.POST.get("done") != "0"
    with transaction.atomic():
        task = get_object_or_404(Task.objects.select_for_update(), pk=pk)
        if task.done != done:
            task.done = done  # refresh_on pushes the new counts, follow the task's row
            task.save(update_fields=["done"])
            activity(task, "done" if done else "reopened", request.user)
    return redirect("tasks:index")


class DemoLoginView(LoginView):
    """Django's login view; with DEBUG it lists the demo's logins."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["demo_logins"] = DEMO_USERS.items() if settings.DEBUG else ()
        return context
