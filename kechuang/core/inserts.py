"""Inserting rows that a unique constraint may already hold, in one statement and without a savepoint.

``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (PostgreSQL, and SQLite 3.35+) inserts what is new,
skips what a unique constraint refuses — a concurrent insert of the same key waits for the first to
commit or roll back — and returns the new rows' ids. Django's ``bulk_create(ignore_conflicts=True)`` does
not return them, and a plain insert that hits the constraint aborts the transaction unless a savepoint
(two more round trips) wraps it.
"""

from django.db import connection, models


def insert_new(rows: list[models.Model]) -> list[int]:
    """Insert ``rows`` (unsaved instances of one model) except those a unique constraint refuses; set the
    primary key of each inserted instance and return the new ids (in the order the database gives)."""
    if not rows:
        return []
    model = type(rows[0])
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    values = []
    for row in rows:
        values += [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES {placeholders} ON CONFLICT DO NOTHING RETURNING {quote(opts.pk.column)}",
            values,
        )
        ids = [row[0] for row in cursor.fetchall()]
    if len(rows) == 1 and ids:
        rows[0].pk = ids[0]
        rows[0]._state.adding = False
        rows[0]._state.db = connection.alias
    return ids
