"""Run factdb as a person does: on a pseudo-terminal of a given width, or piped.

Output that differs on a terminal (rich tables, progress bars, colours) is only tested for real
when stdout and stderr are a TTY; ``CliRunner`` always pipes.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


@dataclass(frozen=True)
class TerminalRun:
    exit_code: int
    raw: str  # everything the terminal received, escape sequences included

    @property
    def text(self) -> str:
        """What a person reads: escape sequences removed, CR-LF as LF."""
        return _ANSI.sub("", self.raw).replace("\r\n", "\n")


def run_in_terminal(
    *args: str,
    columns: int = 80,
    rows: int = 50,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 120.0,
) -> TerminalRun:
    """Run ``python -m factdb ARGS`` with stdin, stdout and stderr on a pty of that size."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    full_env = {**os.environ, **(env or {}), "TERM": "xterm-256color"}
    for name in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM_PROGRAM"):
        full_env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "factdb", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=full_env,
        cwd=cwd,
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError(f"factdb {' '.join(args)} ran past {timeout} s")
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                # Drain what is left, then stop.
                while select.select([master], [], [], 0.05)[0]:
                    try:
                        data = os.read(master, 65536)
                    except OSError:
                        break
                    if not data:
                        break
                    chunks.append(data)
                break
    finally:
        os.close(master)
    code = proc.wait(timeout=10)
    return TerminalRun(code, b"".join(chunks).decode("utf-8", errors="replace"))
