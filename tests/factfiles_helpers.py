"""Helpers for fact-file tests: copies of the bundled seeds that a test may edit."""

from __future__ import annotations

import shutil
from pathlib import Path

from factdb.factfiles.loader import bundled_seeds

ARTICLE = "bulgaria-japan-strategic-partnership"
ARTICLE_SOURCE = "alojapan-radev-japanese-investments"


def copy_seeds(target: Path) -> Path:
    """A writable copy of the bundled seeds directory."""
    out = target / "seeds"
    shutil.copytree(bundled_seeds(), out)
    return out


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
