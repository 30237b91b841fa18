"""Charts of report rows as SVG or PNG bytes: the trade series and the network.

Drawing only: rows come from ``factdb.reports`` and leave as image bytes; no database access
here. matplotlib is an optional extra, imported inside the functions with the Agg backend (no
display needed), and SVG text stays text (``svg.fonttype = none``) so labels can be searched.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from factdb.errors import MissingExtra
from factdb.vocabulary import TOTAL_COMMODITY

if TYPE_CHECKING:
    from factdb.reports.network import Edge
    from factdb.reports.trade import TradeRow

CHART_FORMATS = ("svg", "png")
#: size of every chart in inches at ``DPI``: 1200 x 720 pixels in PNG
SIZE = (10.0, 6.0)
DPI = 120
#: the series of official statistics (``factdb.comtrade.importer.SERIES``), drawn as lines
OFFICIAL_SERIES = "comtrade"
CHARTS_EXTRA = "install factdb[charts] (pip install 'factdb[charts]') to draw charts"


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise MissingExtra(f"matplotlib is not installed; {CHARTS_EXTRA}") from None
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"
    matplotlib.rcParams["svg.hashsalt"] = "factdb"  # the same rows give the same bytes
    import matplotlib.pyplot as plt

    return plt


def require_matplotlib() -> None:
    """Refuse in one line, before any reading, when the ``charts`` extra is missing."""
    _pyplot()


def _save(fig: Any, fmt: str) -> bytes:
    plt = _pyplot()
    out = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(out, format=fmt, dpi=DPI, metadata=metadata)
    plt.close(fig)
    return out.getvalue()


def _millions(value: float) -> str:
    return f"{value / 1e6:,.1f}".rstrip("0").rstrip(".") + "M"


def _x(row: TradeRow) -> float:
    """The middle of the row's period, in years: 2024 H1 sits at 2024.25."""
    year = row.year or 0  # undated rows never reach a chart
    if row.month == 0:
        return year + 0.5
    return year + (row.month - 1 + row.months / 2) / 12


def _label_points(ax: Any, figures: list[TradeRow], numbers: dict[str, int]) -> None:
    """Label each stated figure with its qualifier, value and source numbers; labels of
    figures close to each other at the same period go one under the other."""
    values = [float(r.value) / 1e6 for r in figures]
    span = (max(values) - min(values)) if values else 0.0
    last: dict[float, tuple[float, int]] = {}  # x -> (value labelled last, its line)
    for r in sorted(figures, key=lambda r: (_x(r), -float(r.value))):
        x, y = _x(r), float(r.value) / 1e6
        line = 0
        if x in last and abs(last[x][0] - y) < max(span * 0.05, 1e-9):
            line = last[x][1] + 1
        last[x] = (y, line)
        refs = ",".join(str(numbers.setdefault(s, len(numbers) + 1)) for s in r.sources)
        qualifier = "" if r.qualifier == "exact" else f"{r.qualifier} "
        ax.annotate(
            f"{qualifier}{_millions(float(r.value))} [{refs}]",
            (x, y),
            textcoords="offset points",
            xytext=(6, 4 - 11 * line),
            fontsize=8,
        )


def trade_chart(rows: Sequence[TradeRow], fmt: str) -> bytes:
    """Stated figures as points labelled with value and source numbers, official series
    (annual totals of all goods) as lines; the sources are numbered under the chart. A target
    with no year has no place on the time axis and is left out."""
    rows = [r for r in rows if r.year is not None]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=SIZE)
    numbers: dict[str, int] = {}
    official: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    stated: dict[str, list[TradeRow]] = defaultdict(list)
    for row in rows:
        if row.series == OFFICIAL_SERIES:
            if row.month == 0 and row.commodity.split(" ")[0] == TOTAL_COMMODITY:
                key = (row.reporter, row.partner, row.flow)
                official[key].append((_x(row), float(row.value)))
            continue
        stated[row.flow].append(row)
    colours: dict[str, Any] = {}
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for flow in sorted({k[2] for k in official} | set(stated)):
        colours[flow] = cycle[len(colours) % len(cycle)]
    for (reporter, partner, flow), points in sorted(official.items()):
        points.sort()
        ax.plot(
            [p[0] for p in points],
            [p[1] / 1e6 for p in points],
            "-",
            color=colours[flow],
            label=f"{reporter} → {partner} {flow} (official)",
        )
    for flow, figures in sorted(stated.items()):
        ax.plot(
            [_x(r) for r in figures],
            [float(r.value) / 1e6 for r in figures],
            "o",
            color=colours[flow],
            label=f"{flow}, as stated",
        )
    _label_points(ax, [r for flow in sorted(stated) for r in stated[flow]], numbers)
    pairs = sorted({(r.reporter, r.partner) for r in rows if not r.mirror})
    title = "; ".join(f"{a} – {b}" for a, b in pairs) or "no trade figures"
    ax.set_title(f"Trade: {title}")
    currencies = sorted({r.currency for r in rows}) or ["USD"]
    ax.set_ylabel(f"million {'/'.join(currencies)}")
    ax.set_xlabel("year (points sit mid-period)")
    years = [r.year for r in rows if r.year is not None]
    if years:
        ax.set_xlim(min(years) - 0.1, max(years) + 1.1)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    if rows:
        ax.legend(loc="upper left", fontsize=8)
    notes = [f"[{n}] {slug}" for slug, n in numbers.items()]
    fig.text(0.01, 0.01, "   ".join(notes), fontsize=7, wrap=True)
    fig.subplots_adjust(bottom=0.18)
    return _save(fig, fmt)


def network_chart(edges: Sequence[Edge], fmt: str) -> bytes:
    """Entities on a circle, one arrow per edge labelled with what joined them."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=SIZE)
    ax.set_axis_off()
    nodes = sorted({e.source for e in edges} | {e.target for e in edges})
    place = {
        name: (math.cos(2 * math.pi * i / len(nodes)), math.sin(2 * math.pi * i / len(nodes)))
        for i, name in enumerate(nodes)
    }
    labels: dict[tuple[str, str], list[str]] = defaultdict(list)
    for e in edges:
        if e.label not in labels[(e.source, e.target)]:
            labels[(e.source, e.target)].append(e.label)
    for (a, b), says in labels.items():
        (x0, y0), (x1, y1) = place[a], place[b]
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={"arrowstyle": "->", "color": "0.6", "shrinkA": 12, "shrinkB": 12},
        )
        ax.text(
            (x0 + x1) / 2,
            (y0 + y1) / 2,
            ", ".join(says),
            fontsize=6,
            color="0.3",
            ha="center",
            va="center",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    for name, (x, y) in place.items():
        ax.plot([x], [y], "o", color="tab:blue", markersize=8)
        ax.text(
            x * 1.08,
            y * 1.08,
            textwrap.fill(name, 28),
            fontsize=8,
            ha="left" if x >= 0 else "right",
            va="center",
        )
    ax.set_xlim(-2.0, 2.0)
    ax.set_ylim(-1.25, 1.25)
    ax.set_title(f"Network: {len(nodes)} entities, {len(edges)} edges")
    return _save(fig, fmt)
