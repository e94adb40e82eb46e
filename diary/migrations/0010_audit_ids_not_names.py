"""The audit keeps ids and route names only: no actor's name, no free path (issue 12, finding 7).

Existing rows are converted: the id a path named besides the patient (a check-in, a link, a note)
moves to object_id, then the names and paths go. The table is append-only by a trigger (0004), so
the trigger is lifted for the conversion and put back after it, in the same migration (and, on
PostgreSQL, the same transaction).
"""

from django.db import migrations, models
from django.urls import Resolver404, resolve

POSTGRESQL_LIFT = [
    "DROP TRIGGER IF EXISTS diary_auditevent_append_only ON diary_auditevent",
]
POSTGRESQL_RESTORE = [
    """
    CREATE TRIGGER diary_auditevent_append_only BEFORE UPDATE OR DELETE ON diary_auditevent
    FOR EACH ROW EXECUTE FUNCTION diary_auditevent_append_only()
    """,
]
SQLITE_LIFT = ["DROP TRIGGER IF EXISTS diary_auditevent_append_only"]
SQLITE_RESTORE = [
    """
    CREATE TRIGGER diary_auditevent_append_only BEFORE UPDATE ON diary_auditevent
    BEGIN SELECT RAISE(ABORT, 'diary_auditevent is append-only: UPDATE refused'); END
    """,
]


def _run(schema_editor, statements):  # type: ignore[no-untyped-def]
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def lift_trigger(apps, schema_editor):  # type: ignore[no-untyped-def]
    _run(schema_editor, {"postgresql": POSTGRESQL_LIFT, "sqlite": SQLITE_LIFT})


def restore_trigger(apps, schema_editor):  # type: ignore[no-untyped-def]
    _run(schema_editor, {"postgresql": POSTGRESQL_RESTORE, "sqlite": SQLITE_RESTORE})


def object_id_from_path(path):  # type: ignore[no-untyped-def]
    """The id a stored path named besides the patient, as the app now records it; else None."""
    if path.startswith("therapist "):  # manage.py reset_two_step wrote "therapist <id>"
        number = path.removeprefix("therapist ")
        return int(number) if number.isdigit() else None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    for name, value in match.kwargs.items():
        if name.endswith("_id") and name != "patient_id" and isinstance(value, int) and 0 < value < 2**63:
            return value
    return None


def paths_to_object_ids(apps, schema_editor):  # type: ignore[no-untyped-def]
    AuditEvent = apps.get_model("diary", "AuditEvent")
    for event in AuditEvent.objects.exclude(path="").only("id", "path").iterator():
        object_id = object_id_from_path(event.path)
        if object_id is not None:
            AuditEvent.objects.filter(pk=event.pk).update(object_id=object_id)


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0009_signup_pending"),
    ]

    operations = [
        migrations.RunPython(lift_trigger, restore_trigger),
        migrations.AddField(
            model_name="auditevent",
            name="object_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        # Backwards the paths cannot come back (they were dropped); the names neither.
        migrations.RunPython(paths_to_object_ids, migrations.RunPython.noop),
        migrations.RemoveField(model_name="auditevent", name="actor_name"),
        migrations.RemoveField(model_name="auditevent", name="path"),
        migrations.RunPython(restore_trigger, lift_trigger),
    ]
