"""The briefing canned query in a real headless browser (Debian's chromium).

Not skipped anywhere: without chromium the test fails and says how to install it; CI
(``.ci/run``) installs it. Two runs of the browser: one takes a screenshot, one dumps the DOM
after the page has rendered. Every run is bounded by a timeout.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_serve import DB_NAME, quickstart_db, start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
WINDOW = (1280, 1024)
BROWSER_TIMEOUT = 120  # seconds per run; a cold start on a busy machine is slow
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def briefing_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = quickstart_db(tmp_path_factory.mktemp("browser"))
    proc, base = start_server(db)
    try:
        yield f"{base}/{DB_NAME}/briefing?country=bulgaria&partner=japan"
    finally:
        stop_server(proc)


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    browser = shutil.which("chromium") or CHROMIUM
    if not Path(browser).exists():
        pytest.fail(
            f"chromium is not installed at {CHROMIUM}; .ci/run installs it "
            "(apt-get install -y chromium)"
        )
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        timeout=BROWSER_TIMEOUT,
        check=True,
    )


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (the IHDR chunk comes first)."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR", head
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_briefing_renders_in_a_browser(briefing_url: str, tmp_path: Path) -> None:
    shot = tmp_path / "briefing.png"
    chromium(
        tmp_path / "profile",
        f"--screenshot={shot}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        briefing_url,
    )
    assert png_size(shot) == WINDOW
    dom = chromium(tmp_path / "profile", "--dump-dom", briefing_url).stdout.decode("utf-8")
    assert "Briefing for a pair of countries" in dom
    rows = dom.split("<tbody>", 1)[1]
    assert "Bulgaria and Japan: strategic partnership" in rows
    assert "Rumen Radev" in rows
    assert "270,000,000 USD" in rows
