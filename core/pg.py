"""Fast idempotent upserts on PostgreSQL: COPY into a temporary table, then one
INSERT … ON CONFLICT DO UPDATE. Compiling a bulk_create for ~1,000 wide rows costs more than the
database work, so jobs that write many summary rows use this instead."""

import json

from django.db import connection


def copy_upsert(model, objects, unique_fields: list[str]) -> int:
    # Every identifier below comes from the model's own metadata, never from input; values go
    # through COPY, so no value is ever formatted into SQL.
    if not objects:
        return 0
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    unique_columns = [model._meta.get_field(name).column for name in unique_fields]
    table = model._meta.db_table
    temp = f"tmp_upsert_{table}"
    column_list = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in columns if c not in unique_columns)
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(
            f"CREATE TEMP TABLE {temp} AS SELECT {column_list} FROM {table} WITH NO DATA"  # noqa: S608
        )
        with cursor.cursor.copy(f"COPY {temp} ({column_list}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row(
                    [
                        json.dumps(getattr(obj, f.attname))
                        if f.attname in json_fields
                        else getattr(obj, f.attname)
                        for f in fields
                    ]
                )
        cursor.execute(
            f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {temp} "  # noqa: S608 - names from model meta
            f"ON CONFLICT ({', '.join(unique_columns)}) DO UPDATE SET {updates}"
        )
        cursor.execute(f"DROP TABLE {temp}")
    return len(objects)
