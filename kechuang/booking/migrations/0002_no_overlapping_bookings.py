"""The database refuses two occupying bookings of one instrument whose times overlap.

PostgreSQL: an exclusion constraint ``(instrument_id WITH =, tstzrange(starts_at, ends_at) WITH &&)`` over
pending, confirmed and completed bookings; ``=`` on a bigint inside a GiST index needs the ``btree_gist``
extension, created here (the ``postgres`` superuser of CI and of the demo may). SQLite has no exclusion
constraints: two triggers abort an INSERT or UPDATE that would make an occupying booking overlap another
(SQLite runs one writer at a time, and the trigger runs inside the writing statement, so no race passes it).

Mind on SQLite: a later migration that alters ``booking_booking`` makes Django rebuild the table, which
drops these triggers — such a migration must run :func:`up` again (the test
``test_no_double_booking_in_the_service_and_in_the_database`` fails if it does not).
"""

from django.db import migrations

OCCUPYING = "('pending', 'confirmed', 'completed')"

PG_UP = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE booking_booking ADD CONSTRAINT booking_no_overlap
    EXCLUDE USING gist (instrument_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status IN {OCCUPYING});
"""
PG_DOWN = "ALTER TABLE booking_booking DROP CONSTRAINT IF EXISTS booking_no_overlap;"

SQLITE_TRIGGER = """
CREATE TRIGGER booking_no_overlap_{when}
BEFORE {event} ON booking_booking
WHEN NEW.status IN {occupying}
BEGIN
    SELECT RAISE(ABORT, 'booking_no_overlap: the instrument is booked at that time')
    WHERE EXISTS (
        SELECT 1 FROM booking_booking AS other
        WHERE other.instrument_id = NEW.instrument_id
          AND other.id IS NOT NEW.id
          AND other.status IN {occupying}
          AND other.starts_at < NEW.ends_at
          AND other.ends_at > NEW.starts_at
    );
END;
"""


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif schema_editor.connection.vendor == "sqlite":
        for when, event in (("insert", "INSERT"), ("update", "UPDATE")):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS booking_no_overlap_{when}")
            schema_editor.execute(
                SQLITE_TRIGGER.format(when=when, event=event, occupying=OCCUPYING)
            )


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif schema_editor.connection.vendor == "sqlite":
        for when in ("insert", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS booking_no_overlap_{when}")


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_booking_rules_and_bookings")]

    operations = [migrations.RunPython(up, down, elidable=False)]
