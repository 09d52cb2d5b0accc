"""Share grants: signed, expiring, revocable read-only links to one dashboard (sharing.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dashboards_sse", "0003_scope")]

    operations = [
        migrations.CreateModel(
            name="ShareGrant",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("dashboard", models.CharField(max_length=200)),
                ("scope", models.CharField(blank=True, default="", max_length=100)),
                ("label", models.CharField(blank=True, default="", max_length=200)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("expires", models.DateTimeField()),
                ("revoked", models.DateTimeField(blank=True, null=True)),
            ],
        ),
    ]
