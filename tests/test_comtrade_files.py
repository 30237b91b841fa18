"""Comtrade files that cannot be read as they are: each a one-line error naming file and line,
with nothing written and memory flat, on both backends; and directories of files."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

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


# Real-format sample files: the same five trade rows as each channel and year of Comtrade
# writes them (tests/comtrade_samples, built from the published column lists).
SAMPLES = Path(__file__).resolve().parent / "comtrade_samples"
MADE_UP = {
    "year": "Jahr",
    "month": "Monat",
    "flow": "Richtung",
    "reporter_code": "Meldeland",
    "reporter_iso": "Meldeland ISO",
    "reporter_name": "Meldeland Name",
    "partner_code": "Partnerland",
    "partner_iso": "Partnerland ISO",
    "partner_name": "Partnerland Name",
    "commodity_code": "Warennummer",
    "commodity_label": "Ware",
    "value": "Wert in USD",
}
SAMPLE_FILES: list[tuple[str, str, dict[str, str]]] = [
    ("comtrade_plus_bom.csv", "utf-8", {}),
    ("comtrade_plus_bulk.txt.gz", "utf-8", {}),
    ("legacy_crlf.csv", "utf-8", {}),
    ("legacy_full_windows1252.csv", "cp1252", {}),
    ("legacy_spelled_together.csv", "utf-8", {}),
    ("legacy_api_short_names.csv", "utf-8", {}),
    ("snake_case.csv", "utf-8", {}),
    ("camel_case_flow_names.csv", "utf-8", {}),
    ("made_up_headers.csv", "utf-8", MADE_UP),
]
CARS = "Motor cars and other motor vehicles, principally designed for the transport of persons"
ALL, YEAR = "All Commodities", (2023, 0, 12)
BG, JP, HK, TR = (
    ("BGR", "Bulgaria"),
    ("JPN", "Japan"),
    ("HKG", "China, Hong Kong SAR"),
    ("TUR", "Türkiye"),
)
#: what every sample states, as v_trade shows it (the file's line is the row's provenance)
SAMPLE_ROWS = [
    (*BG, *JP, *YEAR, "export", "TOTAL", ALL, 88_512_345_67, 2),
    (*BG, *JP, *YEAR, "import", "8703", CARS, 1_790_000_00, 3),
    (*JP, *BG, 2023, 3, 1, "import", "TOTAL", ALL, 93_000_000_50, 4),
    (*HK, *BG, *YEAR, "re_export", "8542", "Electronic integrated circuits", 1_234_50, 5),
    (*BG, *TR, *YEAR, "export", "TOTAL", ALL, 5_000_00, 6),
]


def sample_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.text(
                    "SELECT reporter_iso3, reporter, partner_iso3, partner, year, month, months, "
                    "flow, commodity_code, commodity_label, value_cents, source_line "
                    "FROM v_trade WHERE series = 'comtrade' ORDER BY source_line"
                )
            )
        ]


@pytest.mark.parametrize(
    ("name", "encoding", "columns"), SAMPLE_FILES, ids=[s[0] for s in SAMPLE_FILES]
)
def test_every_sample_file_gives_the_same_trade_rows(
    migrated: Engine, name: str, encoding: str, columns: dict[str, str]
) -> None:
    report = import_file(migrated, SAMPLES / name, encoding=encoding, columns=columns)
    assert (report.rows, report.inserted, report.skipped_count) == (5, 5, 0)
    assert sample_rows(migrated) == SAMPLE_ROWS


def test_a_utf8_byte_order_mark_wins_over_the_encoding_option(migrated: Engine) -> None:
    import_file(migrated, SAMPLES / "comtrade_plus_bom.csv", encoding="cp1252")
    assert sample_rows(migrated) == SAMPLE_ROWS, "Türkiye read as UTF-8"


def test_the_samples_cover_what_real_files_vary_in() -> None:
    """Several layouts and spellings, gzip, a UTF-8 BOM, Windows-1252, CRLF, tabs."""
    raw = {name: (SAMPLES / name).read_bytes() for name, _, _ in SAMPLE_FILES}
    assert raw["comtrade_plus_bom.csv"].startswith(b"\xef\xbb\xbftypeCode,")
    assert raw["comtrade_plus_bulk.txt.gz"].startswith(b"\x1f\x8b")
    assert gzip.decompress(raw["comtrade_plus_bulk.txt.gz"]).startswith(b"typeCode\tfreqCode\t")
    assert b"\r\n" in raw["legacy_crlf.csv"] and b"Trade Value (US$)" in raw["legacy_crlf.csv"]
    assert "Türkiye".encode("cp1252") in raw["legacy_full_windows1252.csv"]
    with pytest.raises(UnicodeDecodeError):
        raw["legacy_full_windows1252.csv"].decode("utf-8")
    assert b",TradeValueUS,CIF TradeValue," in raw["legacy_spelled_together.csv"]
    assert raw["legacy_api_short_names.csv"].startswith(b"pfCode,yr,period,")


VARIANTS = {
    "value": ["Trade Value (US$)", "TradeValue", "trade_value_usd", "Trade Value", "primaryValue",
              "PrimaryValue", "TRADE VALUE (USD)", "TradeValueUS", "trade_value_us"],
    "reporter_code": ["Reporter Code", "ReporterCode", "reporterCode", "rtCode", "reporter_code"],
    "partner_iso": ["Partner ISO", "pt3ISO", "partnerISO", "partner_iso", "PartnerIso"],
    "commodity_code": ["Commodity Code", "cmdCode", "CmdCode", "commodity_code"],
    "flow": ["Trade Flow Code", "TradeFlow Code", "rgCode", "flowCode", "trade_flow_code",
             "Trade Flow", "flowDesc", "rgDesc"],
    "period": ["Period", "period", "refPeriodId", "PERIOD"],
    "year": ["Year", "refYear", "yr", "ref_year"],
}  # fmt: skip


@pytest.mark.parametrize("field_name", sorted(VARIANTS))
def test_every_header_spelling_is_found(field_name: str) -> None:
    from factdb.comtrade.headers import FIELDS, match_header

    needed = [f for f in FIELDS if f.required or f.name == "year"]
    others = [f.known[0] for f in needed if f.name != field_name]
    for spelling in VARIANTS[field_name]:
        header = ["Flag", *others, "CIF Trade Value (US$)", "2nd Partner ISO", spelling, "ptCode2"]
        found = match_header(header)
        assert found.columns[field_name] == (header.index(spelling), spelling), spelling
        assert found.missing == ()


def test_every_known_header_is_found_under_each_spelling_of_it() -> None:
    from factdb.comtrade.headers import FIELDS, match_header, normalise

    for spec in FIELDS:
        for known in spec.known:
            snake = "_".join(w.lower() for w in known.replace("(US$)", "usd").split())
            for spelling in (known, known.upper(), snake, f" {known} "):
                found = match_header(["x", spelling])
                assert found.columns.get(spec.name) == (1, spelling.strip()), spelling
            assert normalise(known), known


def test_the_header_table_is_documented() -> None:
    from factdb.comtrade.headers import markdown_table

    docs = (Path(__file__).resolve().parent.parent / "docs" / "trade-statistics.md").read_text()
    assert markdown_table() in docs


def test_a_made_up_header_is_one_line_naming_the_missing_fields_and_the_headers_seen(
    tmp_path: Path,
) -> None:
    from factdb.comtrade.reader import read_rows
    from factdb.errors import UnknownLayout

    path = SAMPLES / "made_up_headers.csv"
    with pytest.raises(UnknownLayout) as caught:
        list(read_rows(path))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:1: header: no column found for year (or period), flow, ")
    missing = message.split("no column found for ")[1].split(";")[0].split(", ")
    assert missing == [
        "year (or period)", "flow", "reporter_code", "partner_code", "commodity_code", "value"
    ]  # fmt: skip
    for header in MADE_UP.values():
        assert repr(header) in message
    assert "use --column FIELD=HEADER" in message
    # one field named: the rest are still reported
    with pytest.raises(UnknownLayout, match=r"no column found for year \(or period\), flow, "):
        list(read_rows(path, columns={"value": "Wert in USD"}))


def test_column_option_on_the_command_line(migrated: Engine) -> None:
    path = SAMPLES / "made_up_headers.csv"
    args = ["import", "comtrade", str(path), "--db", url_of(migrated)]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1
    assert len(refused.stderr.splitlines()) == 1 and "'Wert in USD'" in refused.stderr
    options = [
        arg for field, header in MADE_UP.items() for arg in ("--column", f"{field}={header}")
    ]
    wrong = CliRunner().invoke(app, [*args, *options, "--column", "freq=Frequenz"])
    assert wrong.exit_code == 1
    assert wrong.stderr.startswith(f"Error: {path}:1: header: --column freq='Frequenz' names no ")
    assert len(wrong.stderr.splitlines()) == 1
    # a header named in another case or spacing is found too
    options[options.index("value=Wert in USD")] = "value=WERT_IN_USD"
    done = CliRunner().invoke(app, [*args, *options])
    assert done.exit_code == 0, done.output
    assert "5 rows (5 inserted" in done.stdout
    assert sample_rows(migrated) == SAMPLE_ROWS


@pytest.mark.parametrize(
    ("option", "complaint"),
    [
        ("value", "expected FIELD=HEADER"),
        ("value=", "expected FIELD=HEADER"),
        ("=Trade Value", "expected FIELD=HEADER"),
        ("price=Trade Value", "unknown field 'price'"),
    ],
)
def test_bad_column_options_are_exit_2_naming_the_fields(
    tmp_path: Path, option: str, complaint: str
) -> None:
    from factdb.comtrade.headers import FIELD_NAMES

    path = SAMPLES / "legacy_crlf.csv"
    db = str(tmp_path / "untouched.sqlite3")
    result = CliRunner().invoke(
        app, ["import", "comtrade", str(path), "--column", option, "--db", db]
    )
    assert result.exit_code == InvalidOption.exit_code == 2
    assert result.stderr == (
        f"Error: --column {option!r}: {complaint}; FIELD is one of {', '.join(FIELD_NAMES)}\n"
    )
    assert not (tmp_path / "untouched.sqlite3").exists()


def test_a_field_given_twice_is_exit_2(tmp_path: Path) -> None:
    args = ["--column", "value=A", "--column", "value=B", "--db", str(tmp_path / "x.sqlite3")]
    result = CliRunner().invoke(app, ["import", "comtrade", str(SAMPLES / "snake_case.csv"), *args])
    assert result.exit_code == 2
    assert result.stderr == "Error: --column value is given twice; give each field once\n"


DIGEST_IN_BOUNDED_MEMORY = """
import resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20))
from factdb.comtrade.reader import file_digests
print(file_digests(Path(sys.argv[1])).content)
"""


def test_the_content_digest_of_a_gigabyte_takes_flat_memory(endless_line: Path) -> None:
    """The child may use 512 MB; the file gunzips to 1 GiB."""
    expected = hashlib.sha256(CURRENT.encode())
    block = b"9" * (1 << 20)
    for _ in range(1024):
        expected.update(block)
    expected.update(b"\n")
    done = subprocess.run(
        [sys.executable, "-c", DIGEST_IN_BOUNDED_MEMORY, str(endless_line)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected.hexdigest()


def parse(tmp_path: Path, text: str) -> list[Any]:
    from factdb.comtrade.reader import read_rows

    path = tmp_path / "flows.csv"
    path.write_text(text, encoding="utf-8")
    return list(read_rows(path))


def test_a_period_id_needs_the_frequency(tmp_path: Path) -> None:
    header = "refPeriodId,flowCode,reporterCode,partnerCode,cmdCode,primaryValue"
    rows = parse(tmp_path, f"{header}\n20230301,X,100,392,TOTAL,5\n")
    assert [str(r).split(": ", 2)[1:] for r in rows] == [
        [
            "refPeriodId",
            "period '20230301' is a period id (YYYYMMDD), the same for a year and its January; "
            "the file needs a freqCode column (A or M)",
        ]
    ]
    rows = parse(
        tmp_path, f"freqCode,{header}\nM,20230301,X,100,392,TOTAL,5\nA,20230101,X,100,392,TOTAL,5\n"
    )
    assert [(r.year, r.month, r.months) for r in rows] == [(2023, 3, 1), (2023, 0, 12)]


def test_without_a_year_column_the_period_gives_the_year(tmp_path: Path) -> None:
    header = "Period,Trade Flow,Reporter Code,Partner Code,Commodity Code,Trade Value"
    rows = parse(tmp_path, f"{header}\n202311,Re-Import,100,392,01,5\n2022,Export,100,392,01,6\n")
    assert [(r.year, r.month, r.flow, r.value_cents) for r in rows] == [
        (2023, 11, "re_import", 500),
        (2022, 0, "export", 600),
    ]
    [bad] = parse(tmp_path, f"{header}\n202311,Sold,100,392,01,5\n")
    assert str(bad).endswith(": Trade Flow: unknown flow code 'Sold'")


@pytest.mark.parametrize("limit", [1, 2, 1 << 16])
def test_remembered_periods_codes_and_commodities_read_as_the_first_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """Each distinct raw period, flow, code and commodity is parsed once and then looked up; a
    repeated bad value is a problem on every row, and a cache that fills up starts afresh."""
    from factdb.comtrade import reader

    monkeypatch.setattr(reader, "CACHE_LIMIT", limit)
    header = "refYear,refMonth,flowCode,reporterCode,partnerCode,cmdCode,cmdDesc,primaryValue"
    rows = parse(
        tmp_path,
        f"{header}\n"
        "2023,52,X,100,392,TOTAL,,5\n"
        "2023,3,M,0100,8,01,Live animals,1.5\n"
        "2023,13,X,100,392,TOTAL,,5\n"
        "2023,52,X,100,392,TOTAL,,12.34\n"
        "2023,13,X,100,392,TOTAL,,5\n"
        "2023,3,M,0100,8,01,,7\n"
        "2023,52,Z,100,392,01,,5\n",
    )
    shown = [str(r).split(": ", 1)[1] if isinstance(r, reader.RowProblem) else r[1:] for r in rows]
    assert shown == [
        ("100", "", "", "392", "", "", 2023, 0, 12, "export", "TOTAL", None, 500),
        ("100", "", "", "008", "", "", 2023, 3, 1, "import", "01", "Live animals", 150),
        "refMonth: month 13 out of range",
        ("100", "", "", "392", "", "", 2023, 0, 12, "export", "TOTAL", None, 1234),
        "refMonth: month 13 out of range",
        ("100", "", "", "008", "", "", 2023, 3, 1, "import", "01", None, 700),
        "flowCode: unknown flow code 'Z'",
    ]
    assert [r.line for r in rows] == [2, 3, 4, 5, 6, 7, 8]
