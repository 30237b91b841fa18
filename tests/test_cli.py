"""The command line: exit codes, messages, and that --help stays free of SQLAlchemy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factdb.cli import app
from tests.factfiles_helpers import ARTICLE, copy_seeds, edit

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0 and out.startswith("factdb ")


def test_help_does_not_import_sqlalchemy() -> None:
    probe = (
        "import sys, runpy; sys.argv = ['factdb', '--help'];\n"
        "try:\n    runpy.run_module('factdb', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('SQLALCHEMY' if 'sqlalchemy' in sys.modules else 'CLEAN', file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stderr.strip().endswith("CLEAN")


def test_upgrade_check_doctor_on_a_fresh_database(db_url: str) -> None:
    for command in (["db", "upgrade"], ["db", "check"], ["db", "current"]):
        code, out, err = invoke(*command, "--db", db_url)
        assert code == 0, err
    code, out, err = invoke("db", "doctor", "--db", db_url)
    if db_url.startswith("sqlite"):
        assert code == 0 and "no problems" in out
    else:
        assert code == 1 and "factdb db roles" in err, "roles are not set up yet"


def test_unknown_revision_is_one_line(db_url: str) -> None:
    code, _, err = invoke("db", "upgrade", "nope", "--db", db_url)
    assert code == 1
    assert err.startswith("Error: ") and "nope" in err and "Traceback" not in err


def test_unreachable_database_hides_the_password() -> None:
    url = "postgresql://alice:s3cret@127.0.0.1:1/nowhere"
    code, _, err = invoke("db", "upgrade", "--db", url)
    assert code == 1
    assert "s3cret" not in err and "Traceback" not in err
    assert "cannot open database" in err


def test_sqlite_path_that_cannot_exist(tmp_path: Path) -> None:
    code, _, err = invoke("db", "upgrade", "--db", f"sqlite:///{tmp_path}/no/such/dir/x.db")
    assert code == 1 and "cannot open database" in err
    code, _, err = invoke("db", "current", "--db", f"{tmp_path}/no/such/dir/x.db")
    assert code == 1 and "no database at" in err and "factdb quickstart" in err
    assert not (tmp_path / "no").exists()


def test_seed_reports_counts_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    assert invoke("db", "upgrade", "--db", url)[0] == 0
    code, out, _ = invoke("seed", "--db", url)
    assert code == 0 and "evidence" in out
    code, out, _ = invoke("seed", "--db", url)
    assert out.strip().splitlines()[-1].split() == ["total", "0", "0", "0"]


def test_seed_errors_name_file_line_and_field(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    invoke("db", "upgrade", "--db", url)
    seeds = copy_seeds(tmp_path)
    edit(seeds / f"{ARTICLE}.yaml", "    kind: country\n", "    kind: planet\n")
    code, _, err = invoke("seed", str(seeds), "--db", url)
    assert code == 1
    assert f"{ARTICLE}.yaml:" in err and "entities[0].kind" in err
    assert "Traceback" not in err


def test_seed_schema_is_json_schema() -> None:
    code, out, _ = invoke("seed", "schema")
    schema = json.loads(out)
    assert code == 0 and schema["title"] == "factdb fact file"
    assert "source" in schema["required"]


def test_quickstart_in_an_empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FACTDB_URL")
    code, out, err = invoke("quickstart")
    assert code == 0, err
    assert (tmp_path / "factdb.sqlite3").exists()
    assert "evidence quotes" in out
    assert invoke("verify")[0] == 0
    code, out, err = invoke("coverage", "alojapan-radev-japanese-investments")
    # the byline is quoted too: it names the writer whose reading one claim is
    assert code == 0 and out.strip() == "", out
    assert "0 sentence(s) not quoted" in err


def test_verify_fails_on_tampering(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    invoke("quickstart", "--db", url)
    import sqlite3

    with sqlite3.connect(tmp_path / "x.sqlite3") as conn:
        conn.execute(
            "UPDATE evidence SET quote = 'forged' WHERE id = "
            "(SELECT min(id) FROM evidence WHERE quote_start IS NOT NULL)"
        )
    code, _, err = invoke("verify", "--db", url)
    assert code == 1 and "forged" in err
