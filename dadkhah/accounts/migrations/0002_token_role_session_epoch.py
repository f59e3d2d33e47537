# API tokens get a role; existing tokens take their user's role at the time of migrating
# (what they could do until now). Each account gets a session epoch for "log out everywhere".

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

STAFF = ("administrator", "investigator", "reviewer")


def roles_from_users(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    for token in ApiToken.objects.select_related("user").iterator():
        user = token.user
        names = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            role = "administrator"
        else:
            role = next((r for r in STAFF if r in names), None)
        token.role = role or "public"  # no staff role: it could see public material only
        token.save(update_fields=["role"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="role",
            field=models.CharField(
                choices=[
                    ("administrator", "administrator"),
                    ("investigator", "investigator"),
                    ("reviewer", "reviewer"),
                    ("public", "public"),
                ],
                default="reviewer",
                help_text="The most this token may do; its user's own role bounds it too.",
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(roles_from_users, migrations.RunPython.noop),
        migrations.CreateModel(
            name="SessionEpoch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("epoch", models.PositiveIntegerField(default=0)),
                ("changed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="session_epoch",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
    ]
