"""The tasks demo under the demo's settings, no Pushpin (pushes are stored, not sent):

    cd demo && ../.venv/bin/python manage.py test tasks

These check what each request stores for which stream (so what a new or reconnecting tab
shows); ``demo/check_tasks.py`` checks that browsers get it live from a running ``make demo``.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

from dashboards_sse.models import ComponentState
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import TestCase, override_settings

from .models import Project, Task
from .notifications import assigned
from .seed import DEMO_USERS, seed


def stored(dashboard: str, key: Any, component: str) -> Any:
    row = ComponentState.objects.filter(dashboard=dashboard, scope=str(key), component=component)
    found = row.first()
    return None if found is None else found.state


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class TasksDemoTest(TestCase):
    def setUp(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            seed()
        users = get_user_model().objects
        self.ann, self.bob = users.get(username="ann"), users.get(username="bob")
        self.website = Project.objects.get(slug="website")

    def login(self, username: str) -> None:
        self.assertTrue(self.client.login(username=username, password=DEMO_USERS[username]))

    def create(self, title: str, assignee: Any) -> Any:
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                "/tasks/",
                {"title": title, "project": self.website.pk, "assigned_to": assignee.pk},
            )
        self.assertRedirects(response, "/tasks/", fetch_redirect_response=False)
        return Task.objects.get(title=title)

    def test_seeding_is_idempotent(self) -> None:
        seed()
        self.assertEqual(Project.objects.count(), 2)
        self.assertEqual(get_user_model().objects.count(), 2)
        self.assertEqual(Task.objects.count(), 5)
        out = StringIO()
        call_command("seed_tasks", stdout=out)
        self.assertEqual(
            out.getvalue().split(), ["login", "ann", "ann-demo", "login", "bob", "bob-demo"]
        )

    def test_pages_need_a_login(self) -> None:
        for url in (
            "/tasks/",
            "/dashboards/tasks.inbox/",
            "/dashboards/tasks.project-tasks/website/",
        ):
            response = self.client.get(url)
            self.assertRedirects(
                response, f"/accounts/login/?next={url}", fetch_redirect_response=False
            )
        with override_settings(DEBUG=True):  # the login page lists the demo logins
            self.assertContains(self.client.get("/accounts/login/"), "ann-demo")

    def test_pages(self) -> None:
        self.login("ann")
        page = self.client.get("/tasks/")
        self.assertContains(page, 'href="/dashboards/tasks.inbox/"')
        self.assertContains(page, 'href="/dashboards/tasks.project-tasks/website/"')
        self.assertContains(page, 'sse-connect="/dashboards/tasks.inbox/')  # ann's own, live
        self.assertContains(self.client.get("/dashboards/tasks.inbox/"), "My inbox — ann")
        board = self.client.get("/dashboards/tasks.project-tasks/mobile-app/")
        self.assertContains(board, "Project — Mobile app")
        self.assertEqual(self.client.get("/dashboards/tasks.project-tasks/nope/").status_code, 404)
        self.assertContains(self.client.get("/"), 'href="/tasks/"')

    def test_assigning_notifies_the_assignee_only(self) -> None:
        self.login("bob")
        bob_before = stored("tasks.inbox", self.bob.pk, "open_tasks")
        self.create("Write the FAQ", self.ann)
        latest = stored("tasks.inbox", self.ann.pk, "latest")
        self.assertEqual(latest["value"], "New task: Write the FAQ (Website)")
        self.assertTrue(latest["note"].startswith("from bob at "))
        self.assertEqual(stored("tasks.inbox", self.ann.pk, "open_tasks")["value"], 3)
        self.assertIsNone(stored("tasks.inbox", self.bob.pk, "latest"))
        self.assertEqual(stored("tasks.inbox", self.bob.pk, "open_tasks"), bob_before)
        self.assertEqual(stored("tasks.project-tasks", "website", "open")["value"], 3)

    def test_reassigning_moves_the_count_and_notifies_the_new_assignee(self) -> None:
        self.login("ann")
        task = self.create("Proofread the docs", self.ann)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/tasks/{task.pk}/assign/", {"assigned_to": self.bob.pk})
        self.assertEqual(stored("tasks.inbox", self.ann.pk, "open_tasks")["value"], 2)
        self.assertEqual(stored("tasks.inbox", self.bob.pk, "open_tasks")["value"], 2)
        latest = stored("tasks.inbox", self.bob.pk, "latest")
        self.assertEqual(latest["value"], "New task: Proofread the docs (Website)")

    def test_a_rolled_back_assignment_sends_nothing(self) -> None:
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            try:
                with transaction.atomic():
                    task = Task.objects.create(title="Never", project=self.website)
                    task.assigned_to = self.ann
                    task.save()
                    assigned(task, None, self.bob)
                    raise RuntimeError("roll back")
            except RuntimeError:
                pass
        self.assertEqual(callbacks, [])
        self.assertIsNone(stored("tasks.inbox", self.ann.pk, "latest"))

    def test_marking_done_updates_the_counts(self) -> None:
        self.login("ann")
        task = Task.objects.filter(project=self.website, done=False).first()
        assert task is not None
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/tasks/{task.pk}/done/")
        self.assertEqual(stored("tasks.project-tasks", "website", "open")["value"], 1)
        self.assertEqual(stored("tasks.project-tasks", "website", "done")["value"], 2)
        progress = stored("tasks.project-tasks", "website", "progress")
        self.assertEqual(progress["note"], "2 of 3 tasks")

    def test_the_publisher_refreshes_every_project_quietly(self) -> None:
        out, err = StringIO(), StringIO()
        # verbosity 0, as a cron job runs it: no "not published" warning (no Pushpin in tests)
        call_command("dashboards_sse", "refresh", verbosity=0, stdout=out, stderr=err)
        self.assertEqual(err.getvalue(), "")
        self.assertEqual(stored("tasks.project-tasks", "mobile-app", "open")["value"], 2)

    def test_the_project_feed_tells_what_happened_to_its_tasks(self) -> None:
        self.login("bob")
        task = self.create("Write the FAQ", self.ann)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/tasks/{task.pk}/assign/", {"assigned_to": self.bob.pk})
            self.client.post(f"/tasks/{task.pk}/assign/", {"assigned_to": self.bob.pk})  # same
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/tasks/{task.pk}/done/")
            self.client.post(f"/tasks/{task.pk}/done/")  # done already: nothing new
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/tasks/{task.pk}/done/", {"done": "0"})
        feed = stored("tasks.project-tasks", "website", "activity")["items"]
        self.assertEqual(
            [(item["title"], item["text"], item["level"]) for item in feed],
            [
                ("Reopened by bob", "Write the FAQ", "warn"),
                ("Done by bob", "Write the FAQ", "ok"),
                ("Assigned by bob", "Write the FAQ, to bob", "info"),
                ("Created by bob", "Write the FAQ, for ann", "info"),
            ],
        )
        self.assertIsNone(stored("tasks.project-tasks", "mobile-app", "activity"))

    def test_the_project_table_follows_its_tasks(self) -> None:
        self.login("ann")
        task = self.create("Write the FAQ", self.ann)

        def rows(project: str) -> dict[str, dict[str, Any]]:
            items = stored("tasks.project-tasks", project, "tasks")["items"]
            return {item["cells"]["title"]: item["cells"] for item in items}

        self.assertEqual(rows("website")["Write the FAQ"]["assignee"], "ann")
        self.assertEqual(rows("website")["Write the FAQ"]["state"], "open")
        self.assertEqual(next(iter(rows("website"))), "Write the FAQ")  # newest first
        self.assertNotIn("Write the FAQ", rows("mobile-app"))
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/tasks/{task.pk}/done/")
        self.assertEqual(rows("website")["Write the FAQ"]["state"], "done")
        page = self.client.get("/dashboards/tasks.project-tasks/website/")
        self.assertContains(page, "Write the FAQ")
        self.assertContains(page, "Activity")
