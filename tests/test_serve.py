"""``factdb serve``: a real Datasette server on a loopback port, read through HTTP.

The database is built once per module with ``factdb quickstart``; the server runs in a
subprocess as a person starts it and is stopped at the end. Every wait is bounded.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from factdb.catalog import TABLES, VIEWS
from factdb.serve import CANNED_QUERIES, COLUMNS, VIEW_COLUMNS, column_descriptions
from tests.conftest import quickstart_file

START_TIMEOUT = 60.0  # seconds for the server to answer; a loaded machine is slow to import
DB_NAME = "serve-test"


def quickstart_db(directory: Path) -> Path:
    """A database made by ``factdb quickstart``, as a user makes it."""
    return quickstart_file(directory / f"{DB_NAME}.sqlite3")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``factdb serve`` on a free loopback port; returns once it answers (or fails)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "factdb", "serve", "--port", str(port), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "FACTDB_URL": ""},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"factdb serve exited {proc.returncode}: {err.decode()}")
        try:
            with urllib.request.urlopen(base + "/-/versions.json", timeout=2):
                return proc, base
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise AssertionError(f"factdb serve did not answer within {START_TIMEOUT} s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=20)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = quickstart_db(tmp_path_factory.mktemp("serve"))
    proc, base = start_server(db)
    try:
        yield base, db
    finally:
        stop_server(proc)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        body: bytes = response.read()
        return body.decode("utf-8")


def get_json(url: str) -> Any:
    return json.loads(get(url))


def test_views_are_listed_with_their_descriptions(served: tuple[str, Path]) -> None:
    base, _ = served
    database = get_json(f"{base}/{DB_NAME}.json")
    assert {v["name"] for v in database["views"]} == set(VIEWS)
    assert {q["name"] for q in database["queries"]} == {q.name for q in CANNED_QUERIES}
    for view, (one_row_is, _) in VIEWS.items():
        page = get(f"{base}/{DB_NAME}/{view}")
        assert f"One row is {one_row_is}." in html.unescape(page), view


def test_column_descriptions_are_shown(served: tuple[str, Path]) -> None:
    base, _ = served
    page = get(f"{base}/{DB_NAME}/v_trade")
    assert "<dt>value</dt><dd>" + VIEW_COLUMNS["v_trade"]["value"] in page
    assert 'data-column-description="' + COLUMNS["start_precision"] in get(
        f"{base}/{DB_NAME}/v_events"
    )


def test_internal_tables_are_hidden_and_documented_ones_shown(served: tuple[str, Path]) -> None:
    base, _ = served
    listing = {t["name"]: t["hidden"] for t in get_json(f"{base}/{DB_NAME}.json")["tables"]}
    for internal in ("alembic_version", "fts_search", "fts_search_data", "fts_search_idx"):
        assert listing[internal] is True, internal
    for table in TABLES:
        assert listing[table] is False, table
    undocumented = set(listing) - set(TABLES) - set(VIEWS)
    assert undocumented and all(listing[name] for name in undocumented)


@pytest.mark.parametrize("query", CANNED_QUERIES, ids=lambda q: q.name)
def test_each_canned_query_runs_with_its_parameters(served: tuple[str, Path], query: Any) -> None:
    base, _ = served
    params = urllib.parse.urlencode({**query.example, "_shape": "objects"})
    result = get_json(f"{base}/{DB_NAME}/{query.name}.json?{params}")
    assert result["ok"] is True
    assert result["rows"], query.name
    assert set(re.findall(r"(?<!:):(\w+)", query.sql)) == set(query.example)


def test_canned_queries_hold_the_expected_rows(served: tuple[str, Path]) -> None:
    base, _ = served

    def rows(name: str, **params: str) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({**params, "_shape": "objects"})
        result: list[dict[str, Any]] = get_json(f"{base}/{DB_NAME}/{name}.json?{query}")["rows"]
        return result

    briefing = rows("briefing", country="bulgaria", partner="japan")
    texts = " ".join(str(r["text"]) for r in briefing)
    assert "strategic partnership" in texts
    assert {"relationship", "people", "timeline", "trade", "claims"} <= {
        r["section"] for r in briefing
    }
    assert any(r["claimed_by"] == "Rumen Radev" for r in briefing)
    assert "270,000,000 USD" in texts
    assert "Shinzo Abe, former Prime Minister (Japan)" in texts
    assert "Rumen Radev, President (Bulgaria)" in texts
    # the other way round gives the same lines
    reverse = rows("briefing", country="japan", partner="bulgaria")
    assert sorted(r["text"] for r in reverse) == sorted(r["text"] for r in briefing)
    trade = rows("trade_by_year", country="bulgaria", partner="japan")
    assert {r["value"] for r in trade} >= {270000000.0, 269500000.0, 90000000.0}
    assert all(r["currency"] == "USD" for r in trade)
    assert rows("trade_by_year", country="bulgaria", partner="turkey") == []
    claims = rows("claims_by_person", person="rumen-radev")
    assert claims and all(r["quote"] for r in claims)
    assert rows("claims_by_person", person="toyota") == []
    timeline = rows("timeline", entity="rumen-radev")
    assert all("Rumen Radev" in r["participants"] for r in timeline)
    assert any(r["start_precision"] == "year" for r in timeline)
    hits = rows("search", words="Toyota")
    assert any("Toyota" in str(r["text"]) for r in hits)
    assert rows("search", words='") OR ("') == []  # query syntax is plain text


def test_source_urls_are_links(served: tuple[str, Path]) -> None:
    base, _ = served
    page = get(f"{base}/{DB_NAME}/v_evidence?_facet=source_slug")
    assert re.search(r'<a href="https?://[^"]+">https?://', page)


def test_facets_are_offered(served: tuple[str, Path]) -> None:
    base, _ = served
    result = get_json(f"{base}/{DB_NAME}/v_trade.json?_extra=facet_results")
    facets = result.get("facet_results") or {}
    facets = facets.get("results", facets)
    assert {"reporter", "partner", "year", "flow", "status"} <= set(facets)


def test_the_server_cannot_write(served: tuple[str, Path]) -> None:
    base, db = served
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    sql = urllib.parse.urlencode({"sql": "DELETE FROM entities"})
    with pytest.raises(urllib.error.HTTPError):
        get(f"{base}/{DB_NAME}.json?{sql}")
    assert get_json(f"{base}/{DB_NAME}.json?sql=select+count(*)+as+n+from+entities")["rows"]
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_every_view_column_is_described() -> None:
    for view, (_, columns) in VIEWS.items():
        names = [c.strip() for c in columns.split(",")]
        described = column_descriptions(view, names)
        assert set(described) == set(names), (view, set(names) - set(described))


def _serve(*args: str, pre: str = "pass") -> subprocess.CompletedProcess[str]:
    code = (
        f"import sys; {pre}; from factdb.cli import main; "
        "sys.argv = ['factdb', *sys.argv[1:]]; main()"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FACTDB_URL": ""},
    )


def test_a_missing_file_is_one_line_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.sqlite3"
    done = _serve("--db", str(missing), "--port", str(free_port()))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "no database at" in done.stderr
    assert not missing.exists()


def test_postgresql_is_served_from_a_snapshot() -> None:
    done = _serve("--db", "postgresql://someone:secret@localhost/facts")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "factdb snapshot OUT.sqlite3" in done.stderr and "secret" not in done.stderr


def test_without_datasette_it_says_which_extra_to_install(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    db.write_bytes(b"")
    done = _serve("--db", str(db), pre="sys.modules['datasette'] = None")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "install factdb[web]" in done.stderr


def test_a_file_being_written_is_refused(served: tuple[str, Path], tmp_path: Path) -> None:
    _, db = served
    copy = tmp_path / "busy.sqlite3"
    shutil.copy(db, copy)
    writer = sqlite3.connect(copy)
    try:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("PRAGMA user_version = 7")  # a write that stays in the -wal file
        writer.commit()
        assert copy.with_name("busy.sqlite3-wal").stat().st_size > 0
        done = _serve("--db", str(copy), "--port", str(free_port()))
    finally:
        writer.close()
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "busy.sqlite3-wal" in done.stderr


def test_a_busy_port_is_refused(served: tuple[str, Path]) -> None:
    base, db = served
    port = urllib.parse.urlsplit(base).port
    done = _serve("--db", str(db), "--port", str(port))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and f"--port {port}" in done.stderr


def test_a_port_out_of_range_is_refused(served: tuple[str, Path]) -> None:
    _, db = served
    done = _serve("--db", str(db), "--port", "70000")
    assert done.returncode == 2 and "--port: 70000" in done.stderr


def test_the_metadata_can_be_printed_for_datasette_itself(served: tuple[str, Path]) -> None:
    """Without starting a server and without Datasette: the same metadata the server uses."""
    _, db = served
    done = _serve("--db", str(db), "--print-metadata", pre="sys.modules['datasette'] = None")
    assert done.returncode == 0, done.stderr
    meta = json.loads(done.stdout)
    database = meta["databases"][DB_NAME]
    assert set(database["queries"]) == {q.name for q in CANNED_QUERIES}
    assert database["tables"]["alembic_version"] == {"hidden": True}
    assert database["tables"]["v_trade"]["columns"]["value"] == VIEW_COLUMNS["v_trade"]["value"]
