"""PostgreSQL: trade_flows' references to entities and sources are checked once per statement.

A foreign key checks each inserted row with its own trigger and query, which made a bulk import
of official trade rows spend more time on three foreign keys than on everything else. Here the
three foreign keys of ``trade_flows`` (reporter, partner, source) become statement-level
triggers with transition tables, each checking all the rows of one statement in one query, and
keeping every guarantee the foreign keys gave:

- an INSERT, COPY or UPDATE of ``trade_flows`` locks the entities and sources its rows name
  ``FOR KEY SHARE`` (the lock a foreign key takes), in id order, and is refused (SQLSTATE 23503,
  the foreign key's name) when one of them does not exist;
- a DELETE of entities or sources deletes the trade rows that name them (``ON DELETE
  CASCADE``), in a query that sees rows committed while the DELETE waited for their locks;
- an UPDATE that changes a referenced ``entities.id`` or ``sources.id`` is refused (NO ACTION);
- a TRUNCATE of ``entities`` (or of ``sources``) that would leave trade rows pointing at nothing
  is refused;
- deleting or re-keying entities or sources is refused outside READ COMMITTED: under a
  transaction snapshot the cascade could not see trade rows committed after the snapshot (a
  foreign key uses a second, fresh snapshot there, which a trigger cannot).

The functions pin ``search_path`` to the schema and ``pg_temp`` last, so a temporary table named
``entities`` cannot stand in for the real one. SQLite keeps its real foreign keys: nothing
changes there. The models still declare the foreign keys; ``factdb.schema_drift`` knows these
three are triggers on PostgreSQL and checks the triggers instead.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (constraint, column, referenced table) of the foreign keys the triggers replace
_FOREIGN_KEYS = (
    ("fk_trade_flows_reporter_id_entities", "reporter_id", "entities"),
    ("fk_trade_flows_partner_id_entities", "partner_id", "entities"),
    ("fk_trade_flows_source_id_sources", "source_id", "sources"),
)

_CHECK_NEW_ROWS = """
CREATE FUNCTION trade_flows_check_references() RETURNS trigger
LANGUAGE plpgsql SET search_path = {path} AS $$
DECLARE
    wanted integer[];
    wanted_sources integer[];
    found bigint;
    missing integer;
    missing_column text;
BEGIN
    -- The entities and sources the statement's rows name, each once, from one scan of them
    -- (grouped by reporter, partner and source first: a few thousand groups per million rows).
    WITH named AS MATERIALIZED (
        SELECT reporter_id, partner_id, source_id FROM new_rows GROUP BY 1, 2, 3)
    SELECT (SELECT array_agg(DISTINCT id ORDER BY id)
              FROM named, unnest(ARRAY[reporter_id, partner_id]) AS id),
           (SELECT array_agg(DISTINCT source_id ORDER BY source_id)
              FROM named WHERE source_id IS NOT NULL)
      INTO wanted, wanted_sources;
    -- Locked FOR KEY SHARE in id order, so a concurrent DELETE waits for this transaction,
    -- and one that committed first is seen (the lock skips the deleted row; the count falls
    -- short).
    IF wanted IS NOT NULL THEN
        SELECT count(*) INTO found FROM (
            SELECT e.id FROM entities AS e WHERE e.id = ANY (wanted) ORDER BY e.id
            FOR KEY SHARE OF e) AS locked;
        IF found < cardinality(wanted) THEN
            SELECT w.id INTO missing FROM unnest(wanted) AS w(id)
             WHERE NOT EXISTS (SELECT 1 FROM entities AS e WHERE e.id = w.id)
             ORDER BY w.id LIMIT 1;
            missing_column := CASE
                WHEN EXISTS (SELECT 1 FROM new_rows WHERE reporter_id = missing)
                THEN 'reporter_id' ELSE 'partner_id' END;
            RAISE EXCEPTION 'insert or update on table "trade_flows" violates foreign key '
                'constraint "fk_trade_flows_%_entities"', missing_column
                USING ERRCODE = 'foreign_key_violation',
                      CONSTRAINT = 'fk_trade_flows_' || missing_column || '_entities',
                      TABLE = 'trade_flows',
                      DETAIL = format('Key (%s)=(%s) is not present in table "entities".',
                                      missing_column, coalesce(missing::text, '?'));
        END IF;
    END IF;
    wanted := wanted_sources;
    IF wanted IS NOT NULL THEN
        SELECT count(*) INTO found FROM (
            SELECT s.id FROM sources AS s WHERE s.id = ANY (wanted) ORDER BY s.id
            FOR KEY SHARE OF s) AS locked;
        IF found < cardinality(wanted) THEN
            SELECT w.id INTO missing FROM unnest(wanted) AS w(id)
             WHERE NOT EXISTS (SELECT 1 FROM sources AS s WHERE s.id = w.id)
             ORDER BY w.id LIMIT 1;
            RAISE EXCEPTION 'insert or update on table "trade_flows" violates foreign key '
                'constraint "fk_trade_flows_source_id_sources"'
                USING ERRCODE = 'foreign_key_violation',
                      CONSTRAINT = 'fk_trade_flows_source_id_sources',
                      TABLE = 'trade_flows',
                      DETAIL = format('Key (source_id)=(%s) is not present in table "sources".',
                                      coalesce(missing::text, '?'));
        END IF;
    END IF;
    RETURN NULL;
END
$$
"""

_REFUSE_SNAPSHOT = """
    IF current_setting('transaction_isolation') <> 'read committed'
       AND current_setting('transaction_isolation') <> 'read uncommitted' THEN
        RAISE EXCEPTION 'deleting or re-keying {table} needs READ COMMITTED (this transaction '
            'is %): trade rows refer to {table} through triggers, which can only see rows '
            'committed by others under READ COMMITTED', current_setting('transaction_isolation')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
"""

#: {table}: entities or sources; {deletes}: one DELETE per referencing column
_CASCADE_DELETE = """
CREATE FUNCTION {table}_delete_trade_flows() RETURNS trigger
LANGUAGE plpgsql SET search_path = {path} AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
        RETURN NULL;
    END IF;
{refuse}
    -- ON DELETE CASCADE. Under READ COMMITTED each query takes a new snapshot, so rows of a
    -- transaction that held a row lock this DELETE waited for are deleted too.
{deletes}
    RETURN NULL;
END
$$
"""

_KEEP_REFERENCED_KEYS = """
CREATE FUNCTION {table}_keep_referenced_ids() RETURNS trigger
LANGUAGE plpgsql SET search_path = {path} AS $$
DECLARE
    gone integer[];
    referenced integer;
BEGIN
    SELECT array_agg(o.id ORDER BY o.id) INTO gone FROM old_rows AS o
     WHERE NOT EXISTS (SELECT 1 FROM new_rows AS n WHERE n.id = o.id);
    IF gone IS NULL THEN
        RETURN NULL;
    END IF;
{refuse}
    -- ON UPDATE NO ACTION: a referenced id may not change.
{finds}
    RETURN NULL;
END
$$
"""

_FIND_REFERENCE = """
    SELECT t.{column} INTO referenced FROM trade_flows AS t
     WHERE t.{column} = ANY (gone) LIMIT 1;
    IF referenced IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "{table}" violates foreign key constraint '
            '"{constraint}" on table "trade_flows"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{constraint}',
                  TABLE = '{table}',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "trade_flows".',
                                  referenced);
    END IF;
"""

_REFUSE_TRUNCATE = """
CREATE FUNCTION {table}_truncate_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = {path} AS $$
BEGIN
    -- After the whole TRUNCATE: trade_flows named in the same statement is empty by now.
    IF EXISTS (SELECT 1 FROM trade_flows WHERE {condition}) THEN
        RAISE EXCEPTION 'cannot truncate table "{table}": trade_flows refers to it'
            USING ERRCODE = 'foreign_key_violation', TABLE = '{table}',
                  HINT = 'Truncate trade_flows in the same statement.';
    END IF;
    RETURN NULL;
END
$$
"""

#: (trigger, table, timing and event, transition tables, function)
_TRIGGERS = (
    (
        "trade_flows_references_on_insert",
        "trade_flows",
        "AFTER INSERT",
        "REFERENCING NEW TABLE AS new_rows",
        "trade_flows_check_references",
    ),
    (
        "trade_flows_references_on_update",
        "trade_flows",
        "AFTER UPDATE",
        "REFERENCING NEW TABLE AS new_rows",
        "trade_flows_check_references",
    ),
    (
        "entities_trade_flows_on_delete",
        "entities",
        "AFTER DELETE",
        "REFERENCING OLD TABLE AS old_rows",
        "entities_delete_trade_flows",
    ),
    (
        "entities_trade_flows_on_update",
        "entities",
        "AFTER UPDATE",
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "entities_keep_referenced_ids",
    ),
    (
        "entities_trade_flows_on_truncate",
        "entities",
        "AFTER TRUNCATE",
        "",
        "entities_truncate_check",
    ),
    (
        "sources_trade_flows_on_delete",
        "sources",
        "AFTER DELETE",
        "REFERENCING OLD TABLE AS old_rows",
        "sources_delete_trade_flows",
    ),
    (
        "sources_trade_flows_on_update",
        "sources",
        "AFTER UPDATE",
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "sources_keep_referenced_ids",
    ),
    ("sources_trade_flows_on_truncate", "sources", "AFTER TRUNCATE", "", "sources_truncate_check"),
)

_FUNCTIONS = (
    "trade_flows_check_references",
    "entities_delete_trade_flows",
    "entities_keep_referenced_ids",
    "entities_truncate_check",
    "sources_delete_trade_flows",
    "sources_keep_referenced_ids",
    "sources_truncate_check",
)


def _path() -> str:
    """The schema the tables live in, then pg_temp last (never first, as it is by default)."""
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    return '"' + str(schema).replace('"', '""') + '", pg_temp'


def _functions(path: str) -> list[str]:
    out = [_CHECK_NEW_ROWS.format(path=path)]
    for table, columns, condition in (
        ("entities", ("reporter_id", "partner_id"), "TRUE"),
        ("sources", ("source_id",), "source_id IS NOT NULL"),
    ):
        refuse = _REFUSE_SNAPSHOT.format(table=table)
        deletes = "\n".join(
            f"    DELETE FROM trade_flows WHERE {column} IN (SELECT id FROM old_rows);"
            for column in columns
        )
        finds = "\n".join(
            _FIND_REFERENCE.format(table=table, column=column, constraint=name)
            for name, column, referenced in _FOREIGN_KEYS
            if referenced == table
        )
        out += [
            _CASCADE_DELETE.format(table=table, path=path, refuse=refuse, deletes=deletes),
            _KEEP_REFERENCED_KEYS.format(table=table, path=path, refuse=refuse, finds=finds),
            _REFUSE_TRUNCATE.format(table=table, path=path, condition=condition),
        ]
    return out


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # The rows already there were checked by the foreign keys being dropped: nothing to verify.
    for name, _, _ in _FOREIGN_KEYS:
        op.drop_constraint(name, "trade_flows", type_="foreignkey")
    for sql in _functions(_path()):
        op.execute(sql)
    for trigger, table, event, referencing, function in _TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {trigger} {event} ON {table} {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger, table, _, _, _ in _TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for function in _FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}()")
    for name, column, referenced in _FOREIGN_KEYS:
        op.create_foreign_key(name, "trade_flows", referenced, [column], ["id"], ondelete="CASCADE")
