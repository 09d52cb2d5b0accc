from __future__ import annotations

from django.urls import path

from . import views

app_name = "tasks"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/done/", views.mark_done, name="done"),
]
