"""The history of every change: open and close a command's changeset, and read what changed.

A command that writes (``seed``, ``import comtrade``) opens a changeset as its first write, in
its own transaction, and closes it with its counts as its last; the database's triggers keep the
previous version of every updated or deleted row with it (revision 0011). On PostgreSQL the
changeset is opened through SECURITY DEFINER functions, so the writer role never writes history
tables itself. This module never opens or commits a transaction (its callers own them) and
never writes a fact.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.errors import InvalidOption, NotFound

#: tables whose rows have a slug that ``history SLUG`` finds, in the order they are looked in
SLUGGED_TABLES: tuple[str, ...] = (
    "entities",
    "sources",
    "events",
    "roles",
    "relations",
    "trade_flows",
)


@dataclass(frozen=True)
class OpenChangeset:
    """The changeset of the current transaction, as ``close_changeset`` needs it."""

    command: str
    files: list[dict[str, str]]
    #: SQLite: the changeset's id (PostgreSQL: the first write's trigger makes it)
    id: int | None = None
    #: SQLite: each tracked table's largest rowid before the command wrote
    marks: dict[str, int] = field(default_factory=dict)


def file_entries(paths: Sequence[Path]) -> list[dict[str, str]]:
    """``[{path, sha256}]`` of the files a command wrote from."""
    out = []
    for path in paths:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        out.append({"path": str(path), "sha256": digest.hexdigest()})
    return out


def _os_user() -> str:
    """SQLite has no database users: the operating-system user stands in."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def open_changeset(
    conn: Connection,
    command: str,
    files: Sequence[Path] = (),
    *,
    digests: Sequence[dict[str, str]] | None = None,
) -> OpenChangeset:
    """Record that ``command`` writes in this transaction, from ``files``; call it first.

    ``digests`` gives ``[{path, sha256}]`` already computed (a large file is hashed once).
    """
    entries = list(digests) if digests is not None else file_entries(files)
    if conn.dialect.name == "postgresql":
        # The first write's statement trigger opens the transaction's changeset; it is named
        # when it closes, so a user who may not write is refused by the command's own write.
        return OpenChangeset(command, entries)
    from factdb.models import HISTORY_TABLES, Changeset

    # New rows are stamped when the changeset closes; until then the triggers read these marks
    # to tell a row this changeset inserted (no version kept) from an older one.
    marks = {
        table: int(conn.scalar(sa.text(f"SELECT coalesce(max(rowid), 0) FROM {table}")) or 0)
        for table in HISTORY_TABLES
    }
    # through the model, so times and JSON are stored as every other factdb write stores them
    found = conn.execute(
        sa.insert(Changeset)
        .values(
            at=dt.datetime.now(dt.UTC),
            db_user=_os_user(),
            command=command,
            files=entries,
            counts={"_marks": marks},
        )
        .returning(Changeset.id)
    ).scalar_one()
    return OpenChangeset(command, entries, int(found), marks)


def _plain_counts(counts: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for table, value in counts.items():
        numbers = {
            k: int((value.get(k) if isinstance(value, Mapping) else getattr(value, k)) or 0)
            for k in ("inserted", "updated", "deleted")
        }
        if any(numbers.values()):
            out[table] = numbers
    return out


def close_changeset(conn: Connection, changeset: OpenChangeset, counts: Mapping[str, Any]) -> None:
    """Record the command's counts per table (``{table: {inserted, updated, deleted}}`` or
    objects with those fields); tables where nothing changed are left out, and a command that
    changed nothing leaves no changeset."""
    plain = json.dumps(_plain_counts(counts))
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT factdb_open_changeset(:command, CAST(:files AS jsonb))"),
            {"command": changeset.command, "files": json.dumps(changeset.files)},
        )
        conn.execute(sa.text("SELECT factdb_close_changeset(CAST(:c AS jsonb))"), {"c": plain})
        return
    if plain == "{}" and not conn.scalar(
        sa.text("SELECT count(*) FROM row_versions WHERE changeset_id = :id"), {"id": changeset.id}
    ):
        # a command that changed nothing leaves no changeset
        conn.execute(sa.text("DELETE FROM changesets WHERE id = :id"), {"id": changeset.id})
        return
    conn.execute(
        sa.text("UPDATE changesets SET counts = :c WHERE id = :id"),
        {"c": plain, "id": changeset.id},
    )
    for table, mark in changeset.marks.items():
        conn.execute(
            sa.text(
                f"UPDATE {table} SET changeset_id = :id "
                "WHERE rowid > :mark AND changeset_id IS NULL"
            ),
            {"id": changeset.id, "mark": mark},
        )


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One changeset and what it changed: counts per table and the versions it kept."""

    id: int
    at: dt.datetime | None
    db_user: str
    command: str
    files: list[dict[str, str]]
    counts: dict[str, dict[str, int]]
    #: {table: {"update": n, "delete": n}}: previous versions kept by this changeset
    versions: dict[str, dict[str, int]]


@dataclass(frozen=True)
class Version:
    """One version of a row: what it held, which changeset made it and which ended it."""

    table: str
    row_id: int | None
    slug: str | None
    #: ``current``, ``replaced`` (a later changeset updated it) or ``deleted``
    state: str
    made_by: int | None
    made_at: dt.datetime | None
    made_by_command: str | None
    made_by_user: str | None
    files: list[dict[str, str]]
    ended_by: int | None
    values: dict[str, Any]


def parse_since(text: str | None) -> int | dt.datetime | None:
    """``--since``: a changeset id (changes after it) or an ISO date or time (from then on)."""
    if text is None:
        return None
    value = text.strip()
    if re.fullmatch(r"\d{1,18}", value):
        return int(value)
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidOption(
            f"--since {text!r}: give a changeset id (42) or a date (2026-11-28 or 2026-11-28T09:30)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _json(value: Any) -> Any:
    """JSON columns come back decoded on PostgreSQL and as text on SQLite."""
    return json.loads(value) if isinstance(value, str) else value


def _datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def changes(conn: Connection, since: int | dt.datetime | None = None) -> list[Change]:
    """Changesets after changeset ``since`` (an id) or from time ``since`` on, in the order a
    follower applies them.

    On PostgreSQL that is the order of the transactions' ids, and only changesets whose
    transaction ended before every transaction still writing began are listed, so one taken
    later can never sort before one already listed: keep the last id listed and ask again with
    ``--since`` it. On SQLite (one writer at a time) it is the order of the ids.
    """
    postgres = conn.dialect.name == "postgresql"
    order = "txid" if postgres else "id"
    where = []
    params: dict[str, Any] = {}
    if postgres:
        where.append("c.txid < txid_snapshot_xmin(txid_current_snapshot())")
    if isinstance(since, int):
        if since > 0:
            key = conn.execute(
                sa.text(f"SELECT {order} FROM changesets WHERE id = :id"), {"id": since}
            ).first()
            if key is None:
                raise NotFound(
                    f"no changeset {since}; `factdb changes` lists them (0 means from the start)"
                )
            where.append(f"c.{order} > :after")
            params["after"] = key[0]
    elif isinstance(since, dt.datetime):
        where.append("c.at >= :since")
        # SQLite holds the time as text in UTC, "2026-11-28 09:30:00.000000"
        utc = since.astimezone(dt.UTC).replace(tzinfo=None)
        params["since"] = since if postgres else utc.strftime("%Y-%m-%d %H:%M:%S.%f")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(
        sa.text(
            f"SELECT c.id, c.at, c.db_user, c.command, c.files, c.counts FROM changesets c "
            f"{clause} ORDER BY c.{order}"
        ),
        params,
    ).all()
    kept: dict[int, dict[str, dict[str, int]]] = {}
    ids = [row.id for row in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for changeset_id, table, operation, count in conn.execute(
            sa.text(
                "SELECT changeset_id, table_name, operation, count(*) FROM row_versions "
                "WHERE changeset_id IN :ids GROUP BY changeset_id, table_name, operation "
                "ORDER BY changeset_id, table_name, operation"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": chunk},
        ):
            kept.setdefault(changeset_id, {}).setdefault(table, {})[operation] = int(count)
    return [
        Change(
            id=int(row.id),
            at=_datetime(row.at),
            db_user=row.db_user,
            command=row.command,
            files=_json(row.files),
            counts=_json(row.counts),
            versions=kept.get(row.id, {}),
        )
        for row in rows
    ]


def history(conn: Connection, slug: str) -> list[Version]:
    """Every version of the rows with this slug (a fact or a source), current first then the
    kept ones newest first; a deleted fact shows only its kept versions."""
    changesets: dict[Any, Any] = {}
    out: list[Version] = []
    found: list[tuple[str, int | None, dict[str, Any] | None]] = []
    for table in SLUGGED_TABLES:
        for row in conn.execute(
            sa.text(f"SELECT * FROM {table} WHERE slug = :slug"), {"slug": slug}
        ).mappings():
            found.append((table, row["id"], dict(row)))
    slug_of = (
        "old_row ->> 'slug'"
        if conn.dialect.name == "postgresql"
        else "json_extract(old_row, '$.slug')"
    )
    kept = conn.execute(
        sa.text(
            "SELECT table_name, row_id, operation, changeset_id, old_row FROM row_versions "
            f"WHERE {slug_of} = :slug AND table_name IN :tables ORDER BY id DESC"
        ).bindparams(sa.bindparam("tables", expanding=True)),
        {"slug": slug, "tables": list(SLUGGED_TABLES)},
    ).all()
    keys = {(table, row_id) for table, row_id, _ in found}
    keys |= {(row.table_name, row.row_id) for row in kept}
    if not keys:
        raise NotFound(
            f"no fact or source has the slug {slug!r}, now or in its history; "
            "`factdb search` finds slugs"
        )
    wanted = {row.changeset_id for row in kept}
    wanted |= {values.get("changeset_id") for _, _, values in found if values}
    wanted |= {_json(row.old_row).get("changeset_id") for row in kept}
    wanted.discard(None)
    if wanted:
        changesets = {
            row.id: row
            for row in conn.execute(
                sa.text(
                    "SELECT id, at, db_user, command, files FROM changesets WHERE id IN :ids"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": sorted(wanted)},
            )
        }

    def version(
        table: str, row_id: Any, state: str, values: dict[str, Any], ended_by: int | None
    ) -> Version:
        made = changesets.get(values.get("changeset_id"))  # type: ignore[arg-type]
        return Version(
            table=table,
            row_id=row_id,
            slug=values.get("slug"),
            state=state,
            made_by=None if made is None else int(made.id),
            made_at=None if made is None else _datetime(made.at),
            made_by_command=None if made is None else made.command,
            made_by_user=None if made is None else made.db_user,
            files=[] if made is None else _json(made.files),
            ended_by=ended_by,
            values={k: _plain(v) for k, v in values.items()},
        )

    for table, row_id, values in found:
        out.append(version(table, row_id, "current", values or {}, None))
    for old in kept:
        state = "deleted" if old.operation == "delete" else "replaced"
        out.append(
            version(old.table_name, old.row_id, state, _json(old.old_row), int(old.changeset_id))
        )
    return out


def _plain(value: Any) -> Any:
    """A stored value as JSON gives it (dates as ISO text), so versions compare alike."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
