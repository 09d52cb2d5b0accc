from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from .models import Task


def people() -> Any:
    return get_user_model().objects.filter(is_active=True).order_by("username")


class TaskForm(forms.ModelForm):
    class Meta:
        model = Task
        fields = ["title", "project", "assigned_to"]
        labels = {"assigned_to": "Assign to"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee, project = self.fields["assigned_to"], self.fields["project"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assert isinstance(project, forms.ModelChoiceField)
        assignee.queryset = people()
        assignee.empty_label = "nobody"
        project.empty_label = None
        self.fields["title"].widget.attrs.update(placeholder="What needs doing?")


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(queryset=people(), required=False, empty_label="nobody")
