"""Comtrade files that cannot be read as they are: each a one-line error naming file and line,
with nothing written and memory flat, on both backends; and directories of files."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb.cli import app
from factdb.comtrade.importer import ImportFailed, import_file
from factdb.comtrade.reader import LINE_LIMIT, UnreadableFile, parse_cents
from factdb.errors import InvalidOption
from tests.test_comtrade import BG_JP_2024, CURRENT, current_row, official, write


def nothing_written(engine: Engine) -> bool:
    with engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT count(*) FROM sources")).scalar_one() == 0
            and conn.execute(sa.text("SELECT count(*) FROM trade_flows")).scalar_one() == 0
        )


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_a_field_over_the_csv_limit_is_one_error_at_its_line(
    migrated: Engine, tmp_path: Path
) -> None:
    huge = current_row("100", "BGR", "Bulgaria", "X", "392", "JPN", "Japan", "1").replace(
        "All Commodities", "x" * 200_000
    )
    path = write(tmp_path, "wide.csv", BG_JP_2024 + huge)
    with pytest.raises(UnreadableFile, match=rf"^{path}:7: row: field larger than field limit"):
        import_file(migrated, path)
    assert nothing_written(migrated)


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_a_damaged_gzip_is_one_error_at_its_line(
    migrated: Engine, tmp_path: Path, damage: str
) -> None:
    body = CURRENT + current_row("100", "BGR", "Bulgaria", "X", "392", "JPN", "Japan", "1")
    rows = "".join(
        current_row("100", "BGR", "Bulgaria", "X", "392", "JPN", "Japan", str(v), year=y)
        for y in range(1950, 2050)
        for v in range(30)
    )
    data = gzip.compress((body + rows).encode(), compresslevel=1)
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        middle = len(data) // 2
        data = data[:middle] + bytes(200) + data[middle + 200 :]
    path = tmp_path / "damaged.csv.gz"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile) as caught:
        import_file(migrated, path)
    message = str(caught.value)
    assert message.startswith(f"{path}:") and "gzip stream is truncated or corrupt" in message
    assert "\n" not in message
    assert int(message.split(":")[1]) > 2, "the line the damage was met at"
    assert nothing_written(migrated)


def test_latin1_names_the_line_and_suggests_the_option(migrated: Engine, tmp_path: Path) -> None:
    text = BG_JP_2024.replace('392,JPN,"Japan",M', '392,JPN,"Japón",M')
    assert "Japón" in text
    path = tmp_path / "latin1.csv"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(UnreadableFile) as caught:
        import_file(migrated, path)
    assert str(caught.value) == (
        f"{path}:4: row: not valid utf-8 (byte 0xF3: invalid continuation byte); "
        "if the file is Latin-1, use --encoding latin-1"
    )
    assert nothing_written(migrated)
    report = import_file(migrated, path, encoding="latin-1")
    assert report.inserted == 5
    with migrated.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT count(*) FROM entities WHERE name = 'Japón'")).scalar_one()
            == 0
        ), "Japan's M49 code was known already"
        assert conn.execute(sa.text("SELECT name FROM entities WHERE slug = 'japan'")).scalar_one()


def test_cli_encoding_option(migrated: Engine, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(BG_JP_2024.replace("Japan", "Japón").encode("latin-1"))
    failed = CliRunner().invoke(app, ["import", "comtrade", str(path), "--db", url_of(migrated)])
    assert failed.exit_code == 1 and "--encoding latin-1" in failed.stderr
    assert "Traceback" not in failed.output
    bad = CliRunner().invoke(
        app, ["import", "comtrade", str(path), "--encoding", "klingon", "--db", url_of(migrated)]
    )
    assert bad.exit_code == InvalidOption.exit_code and "unknown encoding" in bad.stderr
    good = CliRunner().invoke(
        app, ["import", "comtrade", str(path), "--encoding", "latin-1", "--db", url_of(migrated)]
    )
    assert good.exit_code == 0, good.output
    assert "5 rows (5 inserted" in good.stdout


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_byte_order_marks_are_followed(migrated: Engine, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"{encoding}.csv"
    data = BG_JP_2024.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    assert import_file(migrated, path).inserted == 5
    assert ("BGR", "Japan", 2024, 0, "export", "TOTAL", 8851234567, "final", 2) in official(
        migrated
    )


def test_values_out_of_range() -> None:
    assert parse_cents("92233720368547758.07") == 2**63 - 1
    for text in ("92233720368547758.08", "1e999999", "9" * 30, "NaN", "inf", "-Infinity", "1e17"):
        with pytest.raises(ValueError, match="value out of range"):
            parse_cents(text)


def test_a_value_out_of_range_is_a_row_error(migrated: Engine, tmp_path: Path) -> None:
    text = BG_JP_2024.replace("179000000", "92233720368547758.08").replace("93000000.5", "1e999999")
    path = write(tmp_path, "huge.csv", text)
    with pytest.raises(ImportFailed) as caught:
        import_file(migrated, path)
    assert [p.split(": ", 2)[:2] for p in caught.value.problems] == [
        [f"{path}:3", "primaryValue"],
        [f"{path}:4", "primaryValue"],
    ]
    assert all("value out of range" in p for p in caught.value.problems)
    assert nothing_written(migrated)


# the child limits its own address space to 1.5 GB: reading the line whole would need 5 GB
ENDLESS_LINE = """
import resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))
from factdb.cli import main
sys.argv = ["factdb", "import", "comtrade", sys.argv[1], "--db", sys.argv[2]]
main()
"""


@pytest.fixture(scope="module")
def endless_line(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gzip of about 1 MB whose content is a header and one line of 1 GiB."""
    path = tmp_path_factory.mktemp("endless") / "endless.csv.gz"
    block = b"9" * (1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as packed:
        packed.write(CURRENT.encode())
        for _ in range(1024):
            packed.write(block)
        packed.write(b"\n")
    assert path.stat().st_size < 4 << 20
    return path


def test_an_endless_line_is_refused_with_flat_memory(migrated: Engine, endless_line: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", ENDLESS_LINE, str(endless_line), url_of(migrated)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == (
        f"Error: {endless_line}:2: row: the line is longer than {LINE_LIMIT:,} characters; "
        "this is not a Comtrade CSV file"
    )
    assert nothing_written(migrated)


def test_a_directory_imports_its_files_in_name_order(migrated: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    write(folder, "b-2024.csv.gz", BG_JP_2024)
    write(folder, "a-2024.csv", BG_JP_2024.replace("88512345.67", "88600000"))
    write(folder, "c-notes.txt", BG_JP_2024.replace("88512345.67", "88700000"))
    (folder / "readme.md").write_text("not data")
    result = CliRunner().invoke(app, ["import", "comtrade", str(folder), "--db", url_of(migrated)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        str(folder / "a-2024.csv"),
        str(folder / "b-2024.csv.gz"),
        str(folder / "c-notes.txt"),
    ]
    assert f"importing {folder / 'a-2024.csv'} (1 of 3)" in result.stderr
    exported = [r for r in official(migrated) if r[1] == "Japan" and r[4] == "export"]
    assert exported[0][6] == 8_870_000_000, "the last file in name order wins"


def test_an_empty_directory_is_one_line(migrated: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.md").write_text("nothing")
    result = CliRunner().invoke(app, ["import", "comtrade", str(folder), "--db", url_of(migrated)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {folder}: no Comtrade files (*.csv, *.csv.gz, *.gz, *.txt) in this directory\n"
    )
    missing = CliRunner().invoke(
        app, ["import", "comtrade", str(tmp_path / "nope"), "--db", url_of(migrated)]
    )
    assert missing.exit_code == 1
    assert missing.stderr == f"Error: {tmp_path / 'nope'}: no such file or directory\n"
