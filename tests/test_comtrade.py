"""Importing UN Comtrade files, and reconciling stated figures with them, on both backends."""

from __future__ import annotations

import gzip
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb.cli import app
from factdb.comtrade.importer import PUBLISHER, ImportFailed, import_file, source_slug
from factdb.comtrade.reader import UnknownLayout, file_digests, parse_cents, read_rows
from factdb.reports.reconcile import reconcile

CURRENT = (
    "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,reporterISO,reporterDesc,"
    "flowCode,flowDesc,partnerCode,partnerISO,partnerDesc,partner2Code,classificationCode,"
    "cmdCode,cmdDesc,aggrLevel,qtyUnitCode,qty,netWgt,cifvalue,fobvalue,primaryValue,"
    "isReported,isAggregate,someNewColumn\n"
)
LEGACY = (
    "Classification,Year,Period,Period Desc.,Aggregate Level,Is Leaf Code,Trade Flow Code,"
    "Trade Flow,Reporter Code,Reporter,Reporter ISO,Partner Code,Partner,Partner ISO,"
    "Commodity Code,Commodity,Qty Unit Code,Qty,Netweight (kg),Trade Value (US$),Flag\n"
)


def current_row(
    reporter: str,
    iso: str,
    name: str,
    flow: str,
    partner: str,
    piso: str,
    pname: str,
    value: str,
    year: int = 2024,
    month: int = 52,
    cmd: str = "TOTAL",
    desc: str = "All Commodities",
) -> str:
    freq = "A" if month == 52 else "M"
    return (
        f'C,{freq},{year}0101,{year},{month},{year},{reporter},{iso},"{name}",{flow},x,{partner},'
        f'{piso},"{pname}",0,HS,{cmd},"{desc}",0,-1,,,,,{value},True,False,extra\n'
    )


BG_JP_2024 = CURRENT + "".join(
    [
        current_row("100", "BGR", "Bulgaria", "X", "392", "JPN", "Japan", "88512345.67"),
        current_row("100", "BGR", "Bulgaria", "M", "392", "JPN", "Japan", "179000000"),
        current_row("392", "JPN", "Japan", "M", "100", "BGR", "Bulgaria", "93000000.5"),
        current_row("100", "BGR", "Bulgaria", "X", "0", "W00", "World", "55000000000"),
        current_row(
            "344",
            "HKG",
            "China, Hong Kong SAR",
            "RX",
            "100",
            "BGR",
            "Bulgaria",
            "1234.5",
            cmd="8542",
            desc="Electronic integrated circuits, parts",
        ),
    ]
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def official(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT reporter_iso3, partner, year, month, flow, commodity_code, "
                    "value_cents, status, source_line FROM v_trade WHERE series = 'comtrade' "
                    "ORDER BY reporter_iso3, partner, flow, commodity_code"
                )
            )
        ]


def test_parse_cents_is_exact() -> None:
    assert parse_cents("1") == 100
    assert parse_cents("1.5") == 150
    assert parse_cents("88512345.67") == 8851234567
    assert parse_cents("1.20") == 120
    assert parse_cents("1.5E+3") == 150000
    for bad in ("1.234", "-5", "abc", ""):
        with pytest.raises(ValueError):
            parse_cents(bad)


def test_current_layout_with_quotes_world_and_re_exports(migrated: Engine, tmp_path: Path) -> None:
    report = import_file(migrated, write(tmp_path, "bg.csv", BG_JP_2024))
    assert (report.rows, report.inserted, report.updated) == (5, 5, 0)
    rows = official(migrated)
    assert ("BGR", "Japan", 2024, 0, "export", "TOTAL", 8851234567, "final", 2) in rows
    assert ("HKG", "Bulgaria", 2024, 0, "re_export", "8542", 123450, "final", 6) in rows
    with migrated.connect() as conn:
        kinds = dict(
            conn.execute(
                sa.text(
                    "SELECT name, kind FROM entities "
                    "WHERE name IN ('World', 'China, Hong Kong SAR')"
                )
            ).all()
        )
        label = conn.execute(
            sa.text("SELECT commodity_label FROM trade_flows WHERE commodity_code = '8542'")
        ).scalar_one()
        source = conn.execute(
            sa.text("SELECT kind, file_name, row_count, text_sha256, imported_at FROM sources")
        ).one()
    assert kinds == {"World": "area", "China, Hong Kong SAR": "country"}
    assert label == "Electronic integrated circuits, parts"
    assert (source.kind, source.file_name, source.row_count) == ("statistics_dataset", "bg.csv", 5)
    assert len(source.text_sha256) == 64 and source.imported_at is not None


def test_existing_countries_are_found_by_m49(seeded: Engine, tmp_path: Path) -> None:
    import_file(seeded, write(tmp_path, "bg.csv", BG_JP_2024))
    with seeded.connect() as conn:
        count = conn.execute(
            sa.text("SELECT count(*) FROM entities WHERE name IN ('Bulgaria', 'Japan')")
        ).scalar_one()
    assert count == 2, "no duplicate countries"


def test_legacy_layout_gzipped(migrated: Engine, tmp_path: Path) -> None:
    text = LEGACY + (
        "HS,2024,202403,202403,0,0,2,Export,100,Bulgaria,BGR,392,Japan,JPN,TOTAL,"
        '"All Commodities",,,,7000000.25,0\n'
        "HS,2024,2024,2024,0,0,4,Re-Import,392,Japan,JPN,100,Bulgaria,BGR,3301,"
        '"Essential oils",,,,99,0\n'
    )
    report = import_file(migrated, write(tmp_path, "legacy.csv.gz", text))
    assert report.inserted == 2
    rows = official(migrated)
    assert ("BGR", "Japan", 2024, 3, "export", "TOTAL", 700000025, "final", 2) in rows
    assert ("JPN", "Bulgaria", 2024, 0, "re_import", "3301", 9900, "final", 3) in rows


def test_reimport_changes_nothing(migrated: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "bg.csv", BG_JP_2024)
    import_file(migrated, path)
    before = official(migrated)
    again = import_file(migrated, path)
    assert again.already_imported and (again.inserted, again.updated) == (0, 0)
    assert official(migrated) == before


def test_a_revised_file_updates_values_and_keeps_identity(migrated: Engine, tmp_path: Path) -> None:
    import_file(migrated, write(tmp_path, "v1.csv", BG_JP_2024))
    with migrated.connect() as conn:
        ids = dict(conn.execute(sa.text("SELECT flow || partner_id, id FROM trade_flows")).all())
    revised = BG_JP_2024.replace("88512345.67", "88600000")
    report = import_file(migrated, write(tmp_path, "v2.csv", revised))
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 4)
    with migrated.connect() as conn:
        after = dict(conn.execute(sa.text("SELECT flow || partner_id, id FROM trade_flows")).all())
        row = conn.execute(
            sa.text(
                "SELECT t.value, t.status, s.file_name FROM trade_flows t "
                "JOIN sources s ON s.id = t.source_id WHERE t.value = 8860000000"
            )
        ).one()
    assert after == ids, "rows keep their identity"
    assert tuple(row) == (8860000000, "revised", "v2.csv")


def test_bad_value_names_file_line_and_column(migrated: Engine, tmp_path: Path) -> None:
    bad = BG_JP_2024.replace("179000000", "17x9")
    path = write(tmp_path, "bad.csv", bad)
    with pytest.raises(ImportFailed) as caught:
        import_file(migrated, path)
    assert caught.value.problems == [
        f"{path}:3: primaryValue: not an amount with at most two decimals: '17x9'"
    ]
    assert official(migrated) == [], "all or nothing"
    with migrated.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM sources")).scalar_one() == 0


def test_max_errors_skips_and_lists(migrated: Engine, tmp_path: Path) -> None:
    bad = BG_JP_2024.replace("179000000", "17x9").replace(",M,x,100,", ",Q,x,100,")
    path = write(tmp_path, "bad.csv", bad)
    with pytest.raises(ImportFailed):
        import_file(migrated, path, max_errors=1)
    report = import_file(migrated, path, max_errors=2)
    assert report.inserted == 3
    assert [p.split(": ")[0] for p in report.skipped] == [f"{path}:3", f"{path}:4"]
    assert "unknown flow code 'Q'" in report.skipped[1]


def test_unknown_and_missing_columns(tmp_path: Path) -> None:
    renamed = write(tmp_path, "m.csv", CURRENT.replace("primaryValue", "amount"))
    with pytest.raises(UnknownLayout) as caught:
        list(read_rows(renamed))
    assert str(caught.value).startswith(
        f"{renamed}:1: header: no column found for value; headers seen: 'typeCode', 'freqCode', "
    )
    assert "'amount'" in str(caught.value)
    assert str(caught.value).endswith("use --column FIELD=HEADER")
    assert len(list(read_rows(renamed, columns={"value": "amount"}))) == 0
    with pytest.raises(UnknownLayout, match=r"no column found for year \(or period\), flow, "):
        list(read_rows(write(tmp_path, "x.csv", "a,b,c\n1,2,3\n")))


def test_a_real_legacy_export_is_read(migrated: Engine, tmp_path: Path) -> None:
    """The header of a legacy download that was refused for its spelling of two columns."""
    header = LEGACY.replace("Trade Flow Code,Trade Flow,", "TradeFlow Code,TradeFlow,").replace(
        "Trade Value (US$)", "TradeValueUS"
    )
    text = header + (
        "HS,2024,2024,2024,0,0,2,Export,100,Bulgaria,BGR,392,Japan,JPN,TOTAL,"
        '"All Commodities",,,,7000000.25,0\n'
    )
    report = import_file(migrated, write(tmp_path, "legacy.csv", text))
    assert report.inserted == 1
    assert official(migrated) == [
        ("BGR", "Japan", 2024, 0, "export", "TOTAL", 700000025, "final", 2)
    ]


def sources(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text("SELECT slug, file_name, row_count, text_sha256 FROM sources ORDER BY id")
            )
        ]


def test_the_same_content_renamed_or_gzipped_is_already_imported(
    migrated: Engine, tmp_path: Path
) -> None:
    first = import_file(migrated, write(tmp_path, "bg.csv", BG_JP_2024))
    before = official(migrated), sources(migrated)
    (tmp_path / "elsewhere").mkdir()
    content = hashlib.sha256(BG_JP_2024.encode()).hexdigest()
    assert first.source == f"comtrade-{content[:16]}"
    assert before[1] == [(first.source, "bg.csv", 5, content)]
    copies = [
        write(tmp_path, "renamed.csv", BG_JP_2024),
        write(tmp_path, "bg.csv.gz", BG_JP_2024),
        write(tmp_path / "elsewhere", "bg.csv", BG_JP_2024),
    ]
    for copy in copies:
        again = import_file(migrated, copy)
        assert again.already_imported, copy
        assert (again.source, again.imported_as) == (first.source, "bg.csv")
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
        assert (official(migrated), sources(migrated)) == before, "no new source, no new rows"


def test_a_gzipped_file_first_is_the_same_content_as_its_plain_copy(
    migrated: Engine, tmp_path: Path
) -> None:
    packed = write(tmp_path, "bg.csv.gz", BG_JP_2024)
    assert import_file(migrated, packed).inserted == 5
    [(_, name, rows, digest)] = sources(migrated)
    assert (name, rows, digest) == ("bg.csv.gz", 5, hashlib.sha256(BG_JP_2024.encode()).hexdigest())
    assert digest != hashlib.sha256(packed.read_bytes()).hexdigest()
    plain = import_file(migrated, write(tmp_path, "plain.csv", BG_JP_2024))
    assert plain.already_imported and plain.imported_as == "bg.csv.gz"
    assert len(sources(migrated)) == 1


def test_a_source_recorded_by_the_sha256_of_its_gzipped_bytes_is_found(
    migrated: Engine, tmp_path: Path
) -> None:
    """Databases whose sources hold the digest of the stored, gzipped file."""
    packed = write(tmp_path, "old.csv.gz", BG_JP_2024)
    stored = hashlib.sha256(packed.read_bytes()).hexdigest()
    with migrated.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO sources (slug, kind, publisher, file_name, text_sha256, row_count, "
                "published_precision) VALUES (:slug, 'statistics_dataset', :publisher, "
                "'old.csv.gz', :sha, 5, 'unknown')"
            ),
            {"slug": f"comtrade-old-csv-gz-{stored[:12]}", "publisher": PUBLISHER, "sha": stored},
        )
    again = import_file(migrated, packed)
    assert again.already_imported and again.source == f"comtrade-old-csv-gz-{stored[:12]}"
    assert official(migrated) == [] and len(sources(migrated)) == 1


def test_file_digests_hash_the_content_in_bounded_blocks(tmp_path: Path) -> None:
    plain = write(tmp_path, "a.csv", BG_JP_2024)
    packed = write(tmp_path, "a.csv.gz", BG_JP_2024)
    content = hashlib.sha256(BG_JP_2024.encode()).hexdigest()
    assert file_digests(plain) == (content, content)
    assert file_digests(packed) == (content, hashlib.sha256(packed.read_bytes()).hexdigest())
    # two gzip members are one content, as gunzip sees it
    half = len(BG_JP_2024) // 2
    members = tmp_path / "members.csv.gz"
    members.write_bytes(
        gzip.compress(BG_JP_2024[:half].encode()) + gzip.compress(BG_JP_2024[half:].encode())
    )
    assert file_digests(members).content == content


def test_cli_import_and_summary(migrated: Engine, tmp_path: Path) -> None:
    url = migrated.url.render_as_string(hide_password=False)
    path = write(tmp_path, "bg.csv", BG_JP_2024)
    result = CliRunner().invoke(app, ["import", "comtrade", str(path), "--db", url])
    assert result.exit_code == 0, result.output
    assert "5 rows (5 inserted, 0 updated, 0 unchanged, 0 skipped)" in result.stdout
    again = CliRunner().invoke(app, ["import", "comtrade", str(path), "--db", url])
    assert (
        again.stdout
        == f"{path}: already imported as {source_slug(sha256(path))}; nothing changed\n"
    )
    packed = write(tmp_path, "copy.csv.gz", BG_JP_2024)
    copied = CliRunner().invoke(app, ["import", "comtrade", str(packed), "--db", url])
    assert copied.exit_code == 0
    assert copied.stdout == (
        f"{packed}: same content as bg.csv, already imported as {source_slug(sha256(path))}; "
        "nothing changed\n"
    )
    bad = write(tmp_path, "bad.csv", BG_JP_2024.replace("179000000", "-1"))
    failed = CliRunner().invoke(app, ["import", "comtrade", str(bad), "--db", url])
    assert failed.exit_code == 1 and f"{bad}:3: primaryValue" in failed.stderr


def test_reconcile_without_official_figures(seeded: Engine) -> None:
    with seeded.connect() as conn:
        rows = reconcile(conn, "Bulgaria", "Japan", 2024)
    assert rows and all(r.basis == "none" and r.official_value is None for r in rows)
    assert "no official figure" in rows[0].note


def test_reconcile_with_official_and_mirror_figures(seeded: Engine, tmp_path: Path) -> None:
    import_file(seeded, write(tmp_path, "bg.csv", BG_JP_2024))
    with seeded.connect() as conn:
        rows = reconcile(conn, "Bulgaria", "Japan", 2024)
    exports = {r.basis: r for r in rows if r.flow == "export" and r.period == "2024"}
    assert exports["reported"].official_value == Decimal("88512345.67")
    assert exports["reported"].difference == Decimal("1487654.33")
    assert exports["reported"].percent == Decimal("1.7")
    mirror = exports["mirror"]
    assert mirror.mirror and mirror.official_reporter == "Japan"
    assert mirror.official_value == Decimal("93000000.50")
    totals = [r for r in rows if r.flow == "total" and r.period == "2024"]
    assert {r.stated_value for r in totals} == {Decimal("270000000.00"), Decimal("269500000.00")}
    assert all(r.official_value == Decimal("267512345.67") for r in totals)
    assert all("sum of export and import" in r.note for r in totals)
    halves = [r for r in rows if r.period == "2024 Jan–Jun"]
    assert halves and all(r.basis == "none" for r in halves)


def test_a_figure_stated_twice_keeps_the_last(migrated: Engine, tmp_path: Path) -> None:
    twice = BG_JP_2024 + current_row(
        "100", "BGR", "Bulgaria", "X", "392", "JPN", "Japan", "88000000"
    )
    report = import_file(migrated, write(tmp_path, "twice.csv", twice))
    assert report.rows == 6 and report.inserted == 5
    with migrated.connect() as conn:
        value, line = conn.execute(
            sa.text(
                "SELECT value, source_line FROM trade_flows t "
                "JOIN entities p ON p.id = t.partner_id "
                "WHERE t.flow = 'export' AND p.name = 'Japan'"
            )
        ).one()
    assert (value, line) == (8_800_000_000, 7)


def test_half_year_reconciled_from_monthly_figures(seeded: Engine, tmp_path: Path) -> None:
    months = CURRENT + "".join(
        current_row("100", "BGR", "Bulgaria", "X", "392", "JPN", "Japan", "6000000", month=m)
        for m in range(1, 7)
    )
    import_file(seeded, write(tmp_path, "monthly.csv", months))
    with seeded.connect() as conn:
        rows = reconcile(conn, "Bulgaria", "Japan", 2024)
    half = [r for r in rows if r.period == "2024 Jan–Jun" and r.flow == "export"]
    assert len(half) == 1 and half[0].official_value == Decimal("36000000.00")
    assert half[0].note == "sum of 6 months"
    assert half[0].difference == Decimal("1900000.00")


def entities_by_slug(engine: Engine) -> dict[str, tuple[str, str, str]]:
    """slug -> (kind, ISO alpha-3, M49) of every entity."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT e.slug, e.kind, "
                "(SELECT value FROM entity_identifiers i WHERE i.entity_id = e.id "
                " AND scheme = 'iso3166_alpha3'), "
                "(SELECT value FROM entity_identifiers i WHERE i.entity_id = e.id "
                " AND scheme = 'm49') FROM entities e"
            )
        ).all()
    return {slug: (kind, iso, m49) for slug, kind, iso, m49 in rows}


def test_import_after_seeds_reuses_their_countries(seeded: Engine, tmp_path: Path) -> None:
    before = entities_by_slug(seeded)
    import_file(seeded, write(tmp_path, "bg.csv", BG_JP_2024))
    after = entities_by_slug(seeded)
    assert after["bulgaria"] == ("country", "BGR", "100")
    assert after["japan"] == ("country", "JPN", "392")
    assert set(after) - set(before) == {"m49-000", "china-hong-kong-sar"}
    assert after["m49-000"] == ("area", None, "000")
    assert after["china-hong-kong-sar"] == ("country", "HKG", "344")


def test_an_empty_database_gets_countries_named_as_fact_files_name_them(
    migrated: Engine, tmp_path: Path
) -> None:
    text = CURRENT + "".join(
        [
            current_row("276", "DEU", "Germany", "X", "100", "BGR", "Bulgaria", "5"),
            current_row("792", "TUR", "Türkiye", "X", "0", "W00", "World", "5"),
            current_row("490", "S19", "Other Asia, nes", "X", "276", "DEU", "Germany", "5"),
        ]
    )
    import_file(migrated, write(tmp_path, "de.csv", text))
    assert entities_by_slug(migrated) == {
        "germany": ("country", "DEU", "276"),
        "bulgaria": ("country", "BGR", "100"),
        "turkiye": ("country", "TUR", "792"),
        "m49-000": ("area", None, "000"),
        "m49-490": ("area", None, "490"),
    }


def test_an_entity_holding_a_code_is_reused_and_a_taken_slug_is_not(
    migrated: Engine, tmp_path: Path
) -> None:
    with migrated.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO entities (slug, kind, name) VALUES "
                "('deutschland', 'country', 'Deutschland'), "
                "('la-france', 'country', 'La France'), "
                "('japan', 'organisation', 'Japan, the band')"
            )
        )
        for slug, scheme, value in (
            ("deutschland", "iso3166_alpha3", "DEU"),
            ("la-france", "m49", "250"),
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO entity_identifiers (entity_id, scheme, value) "
                    "SELECT id, :scheme, :value FROM entities WHERE slug = :slug"
                ),
                {"slug": slug, "scheme": scheme, "value": value},
            )
    text = CURRENT + "".join(
        [
            current_row("276", "DEU", "Germany", "X", "392", "JPN", "Japan", "5"),
            current_row("392", "JPN", "Japan", "X", "276", "DEU", "Germany", "5"),
            current_row("250", "FRA", "France", "X", "276", "DEU", "Germany", "5"),
        ]
    )
    import_file(migrated, write(tmp_path, "de.csv", text))
    assert entities_by_slug(migrated) == {
        "deutschland": ("country", "DEU", "276"),
        "la-france": ("country", "FRA", "250"),
        "japan": ("organisation", None, None),
        "m49-392": ("country", "JPN", "392"),
    }


def test_all_or_nothing_lists_every_bad_row_and_how_to_skip_them(
    migrated: Engine, tmp_path: Path
) -> None:
    rows = [
        current_row("100", "BGR", "Bulgaria", "X", "392", "JPN", "Japan", str(v), year=y)
        for y in range(2000, 2025)
        for v in ("5", "x")
    ]
    path = write(tmp_path, "bad.csv", CURRENT + "".join(rows))
    url = migrated.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["import", "comtrade", str(path), "--db", url])
    assert result.exit_code == 1
    expected = [
        f"{path}:{line}: primaryValue: not an amount with at most two decimals: 'x'"
        for line in range(3, 3 + 2 * 20, 2)
    ]
    assert result.stderr.splitlines() == [
        f"Error: {expected[0]}",
        *expected[1:],
        "... and 5 more",
        "25 bad rows; nothing was written. To import the other rows and skip these, "
        "use --max-errors 25",
    ]
    assert official(migrated) == []
    skipped = CliRunner().invoke(
        app, ["import", "comtrade", str(path), "--db", url, "--max-errors", "25"]
    )
    assert skipped.exit_code == 0, skipped.output
    assert "25 rows (25 inserted, 0 updated, 0 unchanged, 25 skipped)" in skipped.stdout
    assert skipped.stderr.splitlines()[-1] == "skipped ... and 5 more"


@pytest.mark.parametrize("per_statement", [1, 2, 3])
def test_rows_written_many_to_a_statement_are_the_rows_written_one_by_one(
    migrated: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, per_statement: int
) -> None:
    """SQLite writes several rows to a statement: a figure stated twice (in one statement and
    across two), then a revised file, give the same rows, counts and history as one row to a
    statement."""
    from factdb.comtrade import importer

    monkeypatch.setattr(importer, "ROWS_PER_STATEMENT", per_statement)
    hong_kong = ("344", "HKG", "China, Hong Kong SAR", "RX", "100", "BGR", "Bulgaria")
    twice = (
        BG_JP_2024
        + current_row(*hong_kong, "99", cmd="8542", desc="Electronic integrated circuits, parts")
        + current_row("100", "BGR", "Bulgaria", "X", "392", "JPN", "Japan", "88000000")
    )
    report = import_file(migrated, write(tmp_path, "twice.csv", twice))
    assert (report.rows, report.inserted, report.updated + report.unchanged) == (7, 5, 2)
    if migrated.dialect.name == "sqlite":
        # each line stated again updates the row its first statement wrote (PostgreSQL keeps
        # the last line of each figure before writing)
        assert report.updated == 2
    # the status of a line stated again differs by backend (above): left out
    first = [row[:7] + row[8:] for row in official(migrated)]
    assert ("BGR", "Japan", 2024, 0, "export", "TOTAL", 8_800_000_000, 8) in first
    assert ("HKG", "Bulgaria", 2024, 0, "re_export", "8542", 9900, 7) in first
    assert ("BGR", "Japan", 2024, 0, "import", "TOTAL", 17_900_000_000, 3) in first
    assert len(first) == 5
    # three values differ from those stored: the export, the import and Hong Kong's figure
    revised = BG_JP_2024.replace("179000000", "179500000")
    report = import_file(migrated, write(tmp_path, "revised.csv", revised))
    assert (report.rows, report.inserted, report.updated, report.unchanged) == (5, 0, 3, 2)
    with migrated.connect() as conn:
        kept = conn.execute(
            sa.text("SELECT operation, count(*) FROM row_versions GROUP BY operation")
        ).all()
    assert [tuple(row) for row in kept] == [("update", 3)]
    with migrated.connect() as conn:
        stamps = conn.execute(
            sa.text(
                "SELECT c.command, count(*) FROM trade_flows t "
                "JOIN changesets c ON c.id = t.changeset_id "
                "GROUP BY c.id, c.command ORDER BY c.id"
            )
        ).all()
    # every row carries the changeset that last changed it
    assert [tuple(row) for row in stamps] == [
        ("factdb import comtrade", 2),
        ("factdb import comtrade", 3),
    ]
    assert sorted((row[6], row[8]) for row in official(migrated) if row[7] == "revised") == [
        (123450, 6),
        (8_851_234_567, 2),
        (17_950_000_000, 3),
    ]


def test_a_skipped_row_names_no_country(migrated: Engine, tmp_path: Path) -> None:
    """Countries are resolved from good rows only: a row skipped for its value leaves no
    entity behind for a code no good row gives."""
    bad = current_row("100", "BGR", "Bulgaria", "X", "276", "DEU", "Germany", "12x")
    report = import_file(migrated, write(tmp_path, "skip.csv", BG_JP_2024 + bad), max_errors=1)
    assert (report.inserted, report.skipped_count) == (5, 1)
    with migrated.connect() as conn:
        names = set(conn.scalars(sa.text("SELECT name FROM entities")))
    assert "Japan" in names and "Germany" not in names


@pytest.mark.parametrize(
    ("variables", "length"), [(250_000, 1_000_000_000), (999, 1_000_000_000), (32_766, 20_000)]
)
def test_rows_to_a_statement_fit_the_sqlite_library_limits(variables: int, length: int) -> None:
    """A SQLite library built with lower limits (parameters, statement length) gets fewer rows
    to a statement, and both statements run within them."""
    import sqlite3

    from factdb.comtrade import importer

    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    with engine.connect() as conn:
        importer.TradeFlow.__table__.create(conn)  # type: ignore[attr-defined]
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, variables)
        raw.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, length)
        fixed: dict[str, str | int] = {"series": "s" * 200, "currency": "USD", "status": "final"}
        fixed |= {"value_qualifier": "exact", "source_id": 1}
        rows = importer._rows_per_statement(raw, importer.ROW_COLUMNS, fixed)
        assert 1 <= rows <= importer.ROWS_PER_STATEMENT
        assert rows * len(importer.ROW_COLUMNS) <= variables
        for statement in importer._sqlite_statements(importer.ROW_COLUMNS, fixed, rows):
            assert len(statement) <= length
            values = [(1, 2, 2024, 0, 12, "export", f"{n}", None, 100, n + 2) for n in range(rows)]
            raw.execute(statement, [value for row in values for value in row])
        assert raw.execute("SELECT count(*) FROM trade_flows").fetchone() == (rows,)


def test_an_import_leaves_its_connection_as_it_found_it(migrated: Engine, tmp_path: Path) -> None:
    """SQLite keeps an import's statement journals in memory: the setting is the import's
    alone, whether it succeeds or fails, and the pooled connection goes back unchanged."""
    bad = write(tmp_path, "bad.csv", BG_JP_2024.replace("179000000", "17x9"))
    with pytest.raises(ImportFailed):
        import_file(migrated, bad)
    import_file(migrated, write(tmp_path, "bg.csv", BG_JP_2024))
    with migrated.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM trade_flows")).scalar() == 5
