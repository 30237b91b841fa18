"""A history of every change: changesets, the previous version of every updated or deleted row,
and the ``changeset_id`` of each fact table's rows.

``changesets``: one per write transaction (when, which database user, which command, the files
and their sha256, counts per table). ``row_versions``: the OLD row of every update and delete, as
JSON, with its changeset. The database keeps them itself:

- PostgreSQL: per table, a BEFORE STATEMENT trigger makes sure the transaction has a changeset
  (a direct SQL write gets one of its own, command ``sql``, user ``session_user``) and puts its id
  in ``factdb_history.changeset`` for the transaction; ``changeset_id`` DEFAULTs to it, so COPY and INSERT
  stamp rows for free; a BEFORE UPDATE row trigger stamps updated rows; AFTER UPDATE / AFTER
  DELETE statement triggers copy the transition table's OLD rows with one INSERT ... SELECT.
  The functions that write history are SECURITY DEFINER with a fixed search_path, and the writer
  may only read ``changesets`` and ``row_versions``: it can neither forge nor erase history.
  TRUNCATE of a tracked table is refused by a trigger (it would bypass the history).
- SQLite: row-level AFTER UPDATE / DELETE triggers (SQLite-specific branch), with the
  changeset being the newest one (SQLite has one writer at a time and factdb inserts its
  changeset first in the same transaction). New rows are stamped by factdb in one pass per
  table when it closes the changeset (a trigger per row would cost the bulk import a third of
  its speed, and its UPDATE would index searched rows twice); while the changeset is open its
  ``counts`` hold ``_marks``, each table's largest rowid before the command wrote, so a row
  the same changeset inserted keeps no version when it is updated. The json_object of the OLD row names each column,
  reflected at upgrade time: a later revision that adds a column to a tracked table must call
  ``restore_history_triggers(table)`` afterwards (see below); so must one that rebuilds a
  tracked table on SQLite, which drops its triggers.

A later revision that adds a fact table lists it in ``HISTORY_TABLES`` of its own copy of this
logic, or simply calls::

    script = op.get_context().script
    script.get_revision("0011").module.track_table("new_table")

which adds ``changeset_id`` and the triggers, on both backends. Revisions never import factdb.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: every table whose changes are kept
HISTORY_TABLES: tuple[str, ...] = (
    "sources",
    "entities",
    "entity_aliases",
    "entity_identifiers",
    "roles",
    "events",
    "event_participants",
    "trade_flows",
    "trade_derivations",
    "relations",
    "evidence",
    "quantities",
    "documents",
    "document_signatories",
    "entity_declarations",
    "entity_alias_declarations",
    "entity_identifier_declarations",
)

#: the session setting (PostgreSQL) that carries the transaction's changeset id
SETTING = "factdb_history.changeset"
_CURRENT = f"NULLIF(current_setting('{SETTING}', true), '')::bigint"
#: SQLite: the changeset of the transaction is the newest one
_NEWEST = "(SELECT max(id) FROM changesets)"


def _json_type() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    from sqlalchemy.dialects.postgresql import JSONB

    return sa.JSON().with_variant(JSONB(), "postgresql")


def _columns(table: str) -> list[str]:
    """The table's columns as they are now (reflected), so every one is kept."""
    return [c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)]


def _key(table: str) -> list[str]:
    """The primary-key columns; the first is the ``row_id`` a version is filed under."""
    found = sa.inspect(op.get_bind()).get_pk_constraint(table).get("constrained_columns") or []
    return list(found) or ["rowid"]


def _schema() -> str:
    return str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar())


# --- SQLite ------------------------------------------------------------------------------------


def sqlite_trigger_sql(table: str, columns: Sequence[str], key: Sequence[str]) -> list[str]:
    """The three triggers that keep ``table``'s history on SQLite, for these columns.

    Only an update that changes a value other than ``changeset_id`` keeps a version (and stamps
    the row); the stamping update itself changes only ``changeset_id``, so it keeps none.
    """
    values = [c for c in columns if c != "changeset_id"]
    old_row = _sqlite_json_text(table, columns)
    changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in values)

    def keep(operation: str) -> str:
        # a row this same changeset wrote before was never seen by anyone: no version of it;
        # a direct SQL write into a database that has no changeset yet gets one
        return (
            "INSERT INTO changesets (at, db_user, command, files, counts) "
            "SELECT strftime('%Y-%m-%d %H:%M:%S', 'now') || '.000000', 'unknown', 'sql', "
            "'[]', '{}' WHERE NOT EXISTS (SELECT 1 FROM changesets); "
            "INSERT INTO row_versions (changeset_id, table_name, row_id, operation, old_row) "
            f"SELECT {_NEWEST}, '{table}', OLD.\"{key[0]}\", '{operation}', {old_row} "
            f"WHERE OLD.changeset_id IS NOT {_NEWEST} AND NOT (OLD.changeset_id IS NULL "
            f"AND OLD.rowid > coalesce(json_extract((SELECT counts FROM changesets "
            f"WHERE id = {_NEWEST}), '$._marks.{table}'), 9223372036854775807));"
        )

    return [
        f"CREATE TRIGGER history_{table}_update AFTER UPDATE ON {table} WHEN {changed} BEGIN "
        f"{keep('update')} "
        f"UPDATE {table} SET changeset_id = {_NEWEST} WHERE rowid = NEW.rowid; END",
        f"CREATE TRIGGER history_{table}_delete AFTER DELETE ON {table} BEGIN {keep('delete')} END",
    ]


def _sqlite_json_text(table: str, columns: Sequence[str]) -> str:
    """SQL for the OLD row as JSON text in the form ``json.dumps`` and PostgreSQL's JSONB print
    (``{"a": 1, "b": "x"}``), so versions read alike whichever backend kept them; a JSON column
    is embedded as the JSON it holds."""
    json_columns = {
        c["name"]
        for c in sa.inspect(op.get_bind()).get_columns(table)
        if isinstance(c["type"], sa.JSON)
    }
    parts = []
    for n, column in enumerate(columns):
        value = f'OLD."{column}"'
        rendered = (
            f"coalesce({value}, 'null')" if column in json_columns else f"json_quote({value})"
        )
        parts.append(f"'{', ' if n else ''}\"{column}\": ' || {rendered}")
    return "('{' || " + " || ".join(parts) + " || '}')"


def _drop_sqlite_triggers(table: str) -> None:
    for event in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS history_{table}_{event}")


# --- PostgreSQL --------------------------------------------------------------------------------


def postgres_functions_sql(schema: str) -> list[str]:
    """The functions every tracked table's triggers share, SECURITY DEFINER with a fixed path."""
    definer = f"SECURITY DEFINER SET search_path = {schema}, pg_temp"
    return [
        # The transaction's changeset: the one factdb opened (checked to be this transaction's,
        # so a writer cannot file its changes under another's), else a new one for direct SQL.
        f"""CREATE FUNCTION factdb_changeset() RETURNS bigint LANGUAGE plpgsql {definer} AS $$
DECLARE
    given text := current_setting('{SETTING}', true);
    found_id bigint;
BEGIN
    IF given ~ '^[0-9]{{1,18}}$' THEN
        SELECT id INTO found_id FROM changesets
         WHERE id = given::bigint AND txid = txid_current();
        IF found_id IS NOT NULL THEN
            RETURN found_id;
        END IF;
    END IF;
    SELECT id INTO found_id FROM changesets WHERE txid = txid_current();
    IF found_id IS NULL THEN
        INSERT INTO changesets (at, db_user, command, files, counts, txid)
        VALUES (now(), session_user, 'sql', '[]'::jsonb, '{{}}'::jsonb, txid_current())
        RETURNING id INTO found_id;
    END IF;
    PERFORM set_config('{SETTING}', found_id::text, true);
    RETURN found_id;
END $$""",
        f"""CREATE FUNCTION factdb_open_changeset(p_command text, p_files jsonb)
RETURNS bigint LANGUAGE plpgsql {definer} AS $$
DECLARE
    found_id bigint := factdb_changeset();
BEGIN
    UPDATE changesets SET command = p_command, files = p_files WHERE id = found_id;
    RETURN found_id;
END $$""",
        f"""CREATE FUNCTION factdb_close_changeset(p_counts jsonb)
RETURNS bigint LANGUAGE plpgsql {definer} AS $$
DECLARE
    found_id bigint := factdb_changeset();
BEGIN
    -- a command that changed nothing leaves no changeset
    IF p_counts = '{{}}'::jsonb
       AND NOT EXISTS (SELECT FROM row_versions WHERE changeset_id = found_id) THEN
        DELETE FROM changesets WHERE id = found_id;
        PERFORM set_config('{SETTING}', '', true);
        RETURN NULL;
    END IF;
    UPDATE changesets SET counts = p_counts WHERE id = found_id;
    RETURN found_id;
END $$""",
        """CREATE FUNCTION factdb_statement_changeset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM factdb_changeset();
    RETURN NULL;
END $$""",
        f"""CREATE FUNCTION factdb_stamp_changeset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changeset_id := {_CURRENT};
    RETURN NEW;
END $$""",
        """CREATE FUNCTION factdb_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'TRUNCATE of % would bypass its history; DELETE the rows instead',
        TG_TABLE_NAME USING ERRCODE = '42501';
END $$""",
    ]


def postgres_trigger_sql(table: str, key: Sequence[str], schema: str) -> list[str]:
    """``table``'s history functions and triggers on PostgreSQL.

    Versions are taken whole (``to_jsonb`` of the OLD row), so a column added later is kept
    without a new revision; an update that changes nothing but ``changeset_id`` keeps none.
    """
    definer = f"SECURITY DEFINER SET search_path = {schema}, pg_temp"
    join = " AND ".join(f'n."{c}" = o."{c}"' for c in key)
    insert = (
        "INSERT INTO row_versions (changeset_id, table_name, row_id, operation, old_row) "
        f"SELECT {_CURRENT}, '{table}', o.\"{key[0]}\", '{{op}}', to_jsonb(o) FROM old_rows o"
    )
    # a row this same changeset wrote before was never seen by anyone: no version of it
    unseen = f"o.changeset_id IS DISTINCT FROM {_CURRENT}"
    update = (
        insert.format(op="update") + f" LEFT JOIN new_rows n ON {join} WHERE {unseen} AND "
        f'(n."{key[0]}" IS NULL '
        "OR (to_jsonb(o) - 'changeset_id') IS DISTINCT FROM (to_jsonb(n) - 'changeset_id'))"
    )
    delete = insert.format(op="delete") + f" WHERE {unseen}"
    return [
        f"""CREATE FUNCTION factdb_history_{table}_update() RETURNS trigger LANGUAGE plpgsql
{definer} AS $$ BEGIN {update}; RETURN NULL; END $$""",
        f"""CREATE FUNCTION factdb_history_{table}_delete() RETURNS trigger LANGUAGE plpgsql
{definer} AS $$ BEGIN {delete}; RETURN NULL; END $$""",
        f"ALTER TABLE {table} ALTER COLUMN changeset_id SET DEFAULT {_CURRENT}",
        f"CREATE TRIGGER history_{table}_changeset BEFORE INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION factdb_statement_changeset()",
        f"CREATE TRIGGER history_{table}_stamp BEFORE UPDATE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION factdb_stamp_changeset()",
        f"CREATE TRIGGER history_{table}_update AFTER UPDATE ON {table} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION factdb_history_{table}_update()",
        f"CREATE TRIGGER history_{table}_delete AFTER DELETE ON {table} "
        "REFERENCING OLD TABLE AS old_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION factdb_history_{table}_delete()",
        f"CREATE TRIGGER history_{table}_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION factdb_refuse_truncate()",
    ]


def _drop_postgres_triggers(table: str) -> None:
    for name in ("changeset", "stamp", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS history_{table}_{name} ON {table}")
    for name in ("update", "delete"):
        op.execute(f"DROP FUNCTION IF EXISTS factdb_history_{table}_{name}()")


# --- per table ---------------------------------------------------------------------------------


def restore_history_triggers(table: str) -> None:
    """Re-create ``table``'s history triggers for the columns it has now.

    A later revision calls this after adding a column to a tracked table (SQLite lists the
    columns in its triggers) or after rebuilding one on SQLite (which drops its triggers).
    """
    if op.get_bind().dialect.name == "postgresql":
        _drop_postgres_triggers(table)
        for statement in postgres_trigger_sql(table, _key(table), _schema()):
            op.execute(statement)
        return
    _drop_sqlite_triggers(table)
    for statement in sqlite_trigger_sql(table, _columns(table), _key(table)):
        op.execute(statement)


def track_table(table: str) -> None:
    """Give ``table`` a ``changeset_id`` and history triggers (a fact table added later)."""
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("changeset_id", sa.BigInteger(), nullable=True))
    restore_history_triggers(table)


def _revoke_writes(tables: Sequence[str]) -> None:
    """Only the owner (through the SECURITY DEFINER functions) writes history: every other
    grantee keeps SELECT at most, whatever default privileges gave it."""
    for table in tables:
        op.execute(
            "DO $$ DECLARE r record; BEGIN "
            "FOR r IN SELECT DISTINCT a.grantee::regrole::text AS grantee FROM pg_class c, "
            f"aclexplode(c.relacl) a WHERE c.oid = '{table}'::regclass "
            "AND a.grantee NOT IN (0, c.relowner) "
            f"LOOP EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {table} FROM %s', "
            "r.grantee); END LOOP; "
            f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC; END $$"
        )


# --- views -------------------------------------------------------------------------------------


def _views(dialect: str) -> dict[str, str]:
    """The documented views, alike on both backends: times as ISO text in UTC to the second,
    JSON as text."""
    if dialect == "postgresql":
        at = """to_char(c.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
        slug = "v.old_row ->> 'slug'"
        files, counts, old_row = "c.files::text", "c.counts::text", "v.old_row::text"
    else:
        at = "strftime('%Y-%m-%dT%H:%M:%SZ', c.at)"
        slug = "json_extract(v.old_row, '$.slug')"
        files, counts, old_row = "c.files", "c.counts", "v.old_row"
    return {
        "v_changesets": f"""
    SELECT c.id, {at} AS at, c.db_user, c.command, {files} AS files, {counts} AS counts,
           (SELECT count(*) FROM row_versions v WHERE v.changeset_id = c.id) AS versions
    FROM changesets c""",
        "v_history": f"""
    SELECT v.id, v.changeset_id, {at} AS at, c.db_user, c.command,
           v.table_name, v.row_id, {slug} AS slug, v.operation, {old_row} AS old_row
    FROM row_versions v
    JOIN changesets c ON c.id = v.changeset_id""",
    }


# --- upgrade / downgrade -----------------------------------------------------------------------


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "changesets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("db_user", sa.String(length=200), nullable=False),
        sa.Column("command", sa.String(length=200), nullable=False),
        sa.Column("files", _json_type(), nullable=False),
        sa.Column("counts", _json_type(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changesets")),
        sa.UniqueConstraint("txid", name=op.f("uq_changesets_txid")),
    )
    op.create_table(
        "row_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("changeset_id", sa.BigInteger(), nullable=False),
        sa.Column("table_name", sa.String(length=100), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=True),
        sa.Column("operation", sa.String(length=6), nullable=False),
        sa.Column("old_row", _json_type(), nullable=False),
        sa.CheckConstraint(
            "operation IN ('update', 'delete')", name=op.f("ck_row_versions_operation")
        ),
        sa.ForeignKeyConstraint(
            ["changeset_id"],
            ["changesets.id"],
            name=op.f("fk_row_versions_changeset_id_changesets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_row_versions")),
    )
    with op.batch_alter_table("row_versions") as batch:
        batch.create_index(batch.f("ix_row_versions_changeset_id"), ["changeset_id"])
        batch.create_index(batch.f("ix_row_versions_table_name_row_id"), ["table_name", "row_id"])
    for table in HISTORY_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("changeset_id", sa.BigInteger(), nullable=True))
    if dialect == "postgresql":
        schema = _schema()
        for statement in postgres_functions_sql(schema):
            op.execute(statement)
        _revoke_writes(["changesets", "row_versions"])
    for table in HISTORY_TABLES:
        restore_history_triggers(table)
    for name, body in _views(dialect).items():
        op.execute(f"CREATE VIEW {name} AS {body}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in _views(dialect):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for table in HISTORY_TABLES:
        if dialect == "postgresql":
            _drop_postgres_triggers(table)
        else:
            _drop_sqlite_triggers(table)
        # a plain DROP COLUMN on both backends: a SQLite batch rebuild would drop the
        # full-text search triggers of revision 0003
        op.execute(f"ALTER TABLE {table} DROP COLUMN changeset_id")
    if dialect == "postgresql":
        for function in (
            "factdb_open_changeset(text, jsonb)",
            "factdb_close_changeset(jsonb)",
            "factdb_statement_changeset()",
            "factdb_stamp_changeset()",
            "factdb_refuse_truncate()",
            "factdb_changeset()",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_table("row_versions")
    op.drop_table("changesets")
