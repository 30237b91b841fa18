"""Which database to use, and how to show its URL without the password.

Import-light on purpose: the CLI calls this before deciding whether SQLAlchemy is needed.
"""

from __future__ import annotations

import os
import re

DEFAULT_URL = "sqlite:///factdb.sqlite3"
URL_ENV = "FACTDB_URL"

_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s]*)(?=@)", re.I)


def resolve_url(cli_url: str | None = None) -> str:
    """``--db`` first, then ``$FACTDB_URL``, then a SQLite file in the current directory."""
    url = cli_url or os.environ.get(URL_ENV) or DEFAULT_URL
    return normalise_url(url)


def normalise_url(url: str) -> str:
    """Map bare ``postgresql://`` URLs to the psycopg 3 driver that factdb ships with."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def redact(text: str) -> str:
    """Replace the password of every URL in ``text`` with ``***``."""
    return _PASSWORD.sub(lambda m: m.group("head") + "***", text)
