from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dashboards_sse", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="componentstate",
            name="published_at",
            field=models.FloatField(null=True),
        ),
        migrations.AddField(
            model_name="componentstate",
            name="pending",
            field=models.BooleanField(default=False),
        ),
    ]
