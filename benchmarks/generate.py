"""Deterministic UN Comtrade-format files with N rows, in the current or the legacy layout.

    python benchmarks/generate.py --rows 1000000 --layout current out.csv[.gz]

Every row has a distinct (reporter, partner, period, flow, commodity), so an import of N rows
stores N rows. The same arguments always give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import random
from collections.abc import Iterator
from pathlib import Path
from typing import IO

COUNTRIES = [
    ("100", "BGR", "Bulgaria"),
    ("392", "JPN", "Japan"),
    ("276", "DEU", "Germany"),
    ("250", "FRA", "France"),
    ("380", "ITA", "Italy"),
    ("724", "ESP", "Spain"),
    ("616", "POL", "Poland"),
    ("642", "ROU", "Romania"),
    ("300", "GRC", "Greece"),
    ("792", "TUR", "Türkiye"),
    ("156", "CHN", "China"),
    ("344", "HKG", "China, Hong Kong SAR"),
    ("410", "KOR", "Rep. of Korea"),
    ("842", "USA", "USA"),
    ("124", "CAN", "Canada"),
    ("484", "MEX", "Mexico"),
    ("076", "BRA", "Brazil"),
    ("032", "ARG", "Argentina"),
    ("356", "IND", "India"),
    ("036", "AUS", "Australia"),
    ("554", "NZL", "New Zealand"),
    ("710", "ZAF", "South Africa"),
    ("818", "EGY", "Egypt"),
    ("566", "NGA", "Nigeria"),
    ("643", "RUS", "Russian Federation"),
    ("804", "UKR", "Ukraine"),
    ("528", "NLD", "Netherlands"),
    ("056", "BEL", "Belgium"),
    ("040", "AUT", "Austria"),
    ("203", "CZE", "Czechia"),
]
PARTNERS = [("0", "W00", "World"), *COUNTRIES]
FLOWS_CURRENT = ["M", "X", "RM", "RX"]
FLOWS_LEGACY = [("1", "Import"), ("2", "Export"), ("3", "Re-Export"), ("4", "Re-Import")]
COMMODITIES = [("TOTAL", "All Commodities")] + [
    (f"{c:02d}", f"Chapter {c:02d}, goods of heading group {c}") for c in range(1, 98) if c != 77
]
YEARS = list(range(2024, 1994, -1))
MONTHS = list(range(0, 13))

CURRENT_HEADER = [
    "typeCode",
    "freqCode",
    "refPeriodId",
    "refYear",
    "refMonth",
    "period",
    "reporterCode",
    "reporterISO",
    "reporterDesc",
    "flowCode",
    "flowDesc",
    "partnerCode",
    "partnerISO",
    "partnerDesc",
    "partner2Code",
    "classificationCode",
    "cmdCode",
    "cmdDesc",
    "aggrLevel",
    "isLeaf",
    "qtyUnitCode",
    "qty",
    "netWgt",
    "cifvalue",
    "fobvalue",
    "primaryValue",
    "isReported",
    "isAggregate",
]
LEGACY_HEADER = [
    "Classification",
    "Year",
    "Period",
    "Period Desc.",
    "Aggregate Level",
    "Is Leaf Code",
    "Trade Flow Code",
    "Trade Flow",
    "Reporter Code",
    "Reporter",
    "Reporter ISO",
    "Partner Code",
    "Partner",
    "Partner ISO",
    "Commodity Code",
    "Commodity",
    "Qty Unit Code",
    "Qty",
    "Netweight (kg)",
    "Trade Value (US$)",
    "Flag",
]


def combos(n: int) -> Iterator[tuple[int, int, int, int, int, int]]:
    """n distinct (reporter, partner, year, month, flow, commodity) index tuples."""
    radix = [len(COUNTRIES), len(PARTNERS) - 1, len(YEARS), len(MONTHS), 4, len(COMMODITIES)]
    capacity = 1
    for r in radix:
        capacity *= r
    if n > capacity:
        raise SystemExit(f"at most {capacity} distinct rows")
    stride = 7_919  # prime, coprime with the capacity: a walk that visits every tuple once
    for i in range(n):
        k = (i * stride) % capacity
        digits = []
        for r in radix:
            digits.append(k % r)
            k //= r
        reporter, partner = digits[0], digits[1]
        partner = partner + 1 if partner >= reporter else partner  # never the reporter itself
        partner = (partner + 1) % len(PARTNERS)  # index into PARTNERS (0 = World)
        yield reporter, partner, digits[2], digits[3], digits[4], digits[5]


def rows(n: int, layout: str, seed: int = 2024) -> Iterator[list[str]]:
    rng = random.Random(seed)
    for r, p, y, m, f, c in combos(n):
        code, iso, name = COUNTRIES[r]
        pcode, piso, pname = PARTNERS[p]
        if pcode == code:
            pcode, piso, pname = PARTNERS[0]
        year, month = YEARS[y], MONTHS[m]
        cmd, desc = COMMODITIES[c]
        cents = rng.randrange(100, 5_000_000_000_00)
        value = f"{cents // 100}.{cents % 100:02d}" if cents % 7 else str(cents // 100)
        if layout == "current":
            period = f"{year}{month:02d}" if month else str(year)
            yield [
                "C",
                "M" if month else "A",
                f"{period}01" if month else f"{year}0101",
                str(year),
                str(month or 52),
                period,
                code.lstrip("0") or "0",
                iso,
                name,
                FLOWS_CURRENT[f],
                ["Import", "Export", "Re-import", "Re-export"][f],
                pcode,
                piso,
                pname,
                "0",
                "HS",
                cmd,
                desc,
                "0" if cmd == "TOTAL" else "2",
                "0",
                "-1",
                "",
                "",
                "",
                "",
                value,
                "True",
                "False",
            ]
        else:
            flow_code, flow = FLOWS_LEGACY[f]
            yield [
                "HS",
                str(year),
                f"{year}{month:02d}" if month else str(year),
                f"{year}{month:02d}" if month else str(year),
                "0" if cmd == "TOTAL" else "2",
                "0",
                flow_code,
                flow,
                code.lstrip("0") or "0",
                name,
                iso,
                pcode,
                pname,
                piso,
                cmd,
                desc,
                "",
                "",
                "",
                value,
                "0",
            ]


def write(path: Path, n: int, layout: str, seed: int = 2024) -> Path:
    """Write the file (gzipped when the name ends in .gz) and return its path."""
    with path.open("wb") as handle:
        if path.suffix == ".gz":
            with gzip.GzipFile(fileobj=handle, mode="wb", compresslevel=1, mtime=0) as packed:
                _write_csv(packed, n, layout, seed)
        else:
            _write_csv(handle, n, layout, seed)
    return path


def _write_csv(binary: IO[bytes], n: int, layout: str, seed: int) -> None:
    stream = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    writer = csv.writer(stream)
    writer.writerow(CURRENT_HEADER if layout == "current" else LEGACY_HEADER)
    writer.writerows(rows(n, layout, seed))
    stream.flush()
    stream.detach()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--layout", choices=["current", "legacy"], default="current")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    write(args.out, args.rows, args.layout, args.seed)


if __name__ == "__main__":
    main()
