"""Charts: ``report trade`` and ``report network`` as SVG and PNG, read back as images."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb.charts import DPI, SIZE, trade_chart
from factdb.cli import app
from factdb.reports.trade import TradeRow

runner = CliRunner()
SVG = "{http://www.w3.org/2000/svg}"
PIXELS = (round(SIZE[0] * DPI), round(SIZE[1] * DPI))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def svg_texts(data: str) -> tuple[ET.Element, list[str]]:
    """The parsed SVG and every piece of text in it (text stays text: svg.fonttype none)."""
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    return root, texts


def points(value: str | None) -> float:
    assert value is not None and value.endswith("pt"), value
    return float(value[:-2])


def test_trade_svg_holds_the_labels_and_values(seeded: Engine) -> None:
    url = seeded.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["report", "trade", "--db", url, "--format", "svg"])
    assert result.exit_code == 0, result.output
    root, texts = svg_texts(result.stdout)
    # 72 points per inch: the size the chart was drawn at
    assert (points(root.get("width")), points(root.get("height"))) == (
        SIZE[0] * 72,
        SIZE[1] * 72,
    )
    joined = "\n".join(texts)
    assert "Trade: Bulgaria – Japan" in joined
    numbers = dict(re.findall(r"\[(\d+)\] ([a-z0-9-]+)", joined))
    by_slug = {slug: n for n, slug in numbers.items()}
    article, minister = (
        by_slug["alojapan-radev-japanese-investments"],
        by_slug["novinite-bulgaria-japan-trade-2024"],
    )
    # each stated figure, with the number of its source under the chart
    assert f"about 270M [{article}]" in texts
    assert f"269.5M [{minister}]" in texts
    assert f"near 90M [{article}]" in texts
    # two figures close together in the same period get labels one under the other
    y = {"".join(t.itertext()): float(t.get("y", "0")) for t in root.iter(f"{SVG}text")}
    assert y[f"269.5M [{minister}]"] - y[f"about 270M [{article}]"] >= 8
    assert "million USD" in joined


def test_trade_png_to_a_file(seeded: Engine, tmp_path: Path) -> None:
    url = seeded.url.render_as_string(hide_password=False)
    out = tmp_path / "trade.png"
    result = runner.invoke(app, ["report", "trade", "--db", url, "-f", "png", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert png_size(out.read_bytes()) == PIXELS


def test_network_svg_and_png(seeded: Engine, tmp_path: Path) -> None:
    url = seeded.url.render_as_string(hide_password=False)
    out = tmp_path / "network.svg"
    result = runner.invoke(
        app, ["report", "network", "rumen-radev", "--db", url, "-f", "svg", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    _, texts = svg_texts(out.read_text("utf-8"))
    assert "Rumen Radev" in texts and "Japan" in texts
    assert any("met" in t for t in texts) and any("hosted" in t for t in texts)
    png = tmp_path / "network.png"
    result = runner.invoke(app, ["report", "network", "--db", url, "-f", "png", "-o", str(png)])
    assert result.exit_code == 0, result.output
    assert png_size(png.read_bytes()) == PIXELS


def _row(series: str, year: int, value: str, flow: str = "export") -> TradeRow:
    return TradeRow(
        reporter="Bulgaria",
        partner="Japan",
        period=str(year),
        year=year,
        month=0,
        months=12,
        flow=flow,
        commodity="TOTAL All goods",
        value=Decimal(value),
        currency="USD",
        qualifier="exact",
        status="final",
        derived=False,
        method=None,
        series=series,
        sources=["un-comtrade"] if series == "comtrade" else ["some-article"],
    )


def test_official_series_are_lines_and_stated_figures_points() -> None:
    rows = [
        _row("comtrade", 2021, "80000000"),
        _row("comtrade", 2022, "85000000"),
        _row("comtrade", 2023, "88000000"),
        _row("some-article", 2023, "90000000"),
    ]
    _, texts = svg_texts(trade_chart(rows, "svg").decode("utf-8"))
    assert "Bulgaria → Japan export (official)" in texts
    assert "export, as stated" in texts
    assert "90M [1]" in texts and "[1] some-article" in texts
    # official figures get no point labels of their own
    assert not any(t.startswith("88M") for t in texts)


def test_png_needs_an_output_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "trade", "--db", str(tmp_path / "x"), "-f", "png"])
    assert result.exit_code == 2
    assert "--format png needs --output FILE" in result.output
    assert not (tmp_path / "x").exists()


def test_output_is_only_for_charts(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    result = runner.invoke(app, ["report", "trade", "-f", "csv", "-o", str(out)])
    assert result.exit_code == 2 and "--output is for --format svg or png" in result.output
    assert not out.exists()


@pytest.mark.parametrize("report", ["trade", "network"])
def test_without_matplotlib_it_says_which_extra_to_install(report: str, tmp_path: Path) -> None:
    out = tmp_path / "chart.svg"
    code = (
        "import sys; sys.modules['matplotlib'] = None; from factdb.cli import main; "
        "sys.argv = ['factdb', *sys.argv[1:]]; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "report", report, "-f", "svg", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FACTDB_URL": str(tmp_path / "none.sqlite3")},
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "install factdb[charts]" in done.stderr
    assert not out.exists()
