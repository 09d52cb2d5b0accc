"""Scoped dashboards: a state per (dashboard, scope, component). Existing rows are unscoped."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dashboards_sse", "0002_coalescing")]

    operations = [
        migrations.AddField(
            model_name="componentstate",
            name="scope",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
        migrations.RemoveConstraint(model_name="componentstate", name="dsse_unique_state"),
        migrations.AddConstraint(
            model_name="componentstate",
            constraint=models.UniqueConstraint(
                fields=("dashboard", "scope", "component"), name="dsse_unique_scoped_state"
            ),
        ),
    ]
