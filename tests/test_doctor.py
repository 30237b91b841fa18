"""``factdb db doctor`` on databases that are not healthy factdb databases: never migrated,
missing, not SQLite at all, damaged. Each is one line and exit 1, and nothing is created."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb.cli import app


def doctor(url: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["db", "doctor", "--db", url])
    return result.exit_code, result.stdout, result.stderr


def assert_one_line(code: int, out: str, err: str, *parts: str) -> None:
    assert code == 1, err
    assert "no problems" not in out
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for part in parts:
        assert part in err


def test_an_unmigrated_database_is_not_healthy(engine: Engine, db_url: str) -> None:
    with engine.connect():  # the database exists (a file on SQLite) but holds no schema
        pass
    assert_one_line(*doctor(db_url), "not migrated", "factdb db upgrade")


def test_a_database_behind_head_is_reported(migrated: Engine, db_url: str) -> None:
    from factdb import migrate

    migrate.downgrade(migrated, "0002")
    code, _, err = doctor(db_url)
    assert code == 1
    assert "database is at 0002" in err and "factdb db upgrade" in err


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.sqlite3"
    assert_one_line(*doctor(f"sqlite:///{path}"), "no database at", str(path))
    assert not path.exists()


def test_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are notes, not a database\n" * 200)
    assert_one_line(*doctor(f"sqlite:///{path}"), "not a readable SQLite database")


def test_a_damaged_sqlite_file(tmp_path: Path) -> None:
    from factdb import migrate
    from factdb.db import make_engine

    path = tmp_path / "damaged.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page + 100 : page * 4] = b"\xa5" * (page * 4 - page - 100)  # pages 2-4: garbage
    path.write_bytes(bytes(data))
    code, out, err = doctor(f"sqlite:///{path}")
    assert_one_line(code, out, err, str(path))
    assert "damaged" in err or "not a readable SQLite database" in err


def test_roles_does_not_import_doctor() -> None:
    probe = "import sys, factdb.roles; print('factdb.doctor' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
