"""Which database to use, and how to show its URL without the password.

Import-light on purpose: the CLI calls this before deciding whether SQLAlchemy is needed. It must
not open a database or import SQLAlchemy.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from urllib.parse import quote

from factdb.errors import UnsupportedDatabase

DEFAULT_URL = "sqlite:///factdb.sqlite3"
URL_ENV = "FACTDB_URL"
DEBUG_ENV = "FACTDB_DEBUG"

#: ``factdb --db X COMMAND``: the root option, seen by every command that takes none of its own.
GLOBAL_DB: ContextVar[str | None] = ContextVar("factdb_global_db", default=None)
#: ``factdb --debug COMMAND``: tracebacks for user errors too.
DEBUG: ContextVar[bool] = ContextVar("factdb_debug", default=False)

_SCHEME = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://", re.I)
_SUPPORTED = ("sqlite", "postgresql", "postgres")
# A server address written without its scheme: ``user:password@host[/db]``.
_SCHEMELESS_SERVER = re.compile(r"^[^\s/:@]+:[^\s]*@[^\s/@]+(?:[:/].*)?$")


def resolve_url(cli_url: str | None = None) -> str:
    """``--db`` (after or before the subcommand), then ``$FACTDB_URL``, then ``factdb.sqlite3``."""
    url = cli_url or GLOBAL_DB.get() or os.environ.get(URL_ENV) or DEFAULT_URL
    return normalise_url(url)


def describe_source(cli_url: str | None = None) -> str:
    """Where the database choice came from, for messages that tell the user what to change."""
    if cli_url or GLOBAL_DB.get():
        return "--db"
    if os.environ.get(URL_ENV):
        return f"${URL_ENV}"
    return "the default (no --db, no $FACTDB_URL)"


def normalise_url(url: str) -> str:
    """A SQLAlchemy URL for a plain SQLite path or a supported URL; refuse anything else.

    A value without ``scheme://`` is a SQLite file path (``factdb.sqlite3``, ``/data/f.db``).
    Bare ``postgresql://`` URLs get the psycopg 3 driver that factdb ships with.
    """
    url = url.strip()
    match = _SCHEME.match(url)
    if match is None:
        if _SCHEMELESS_SERVER.match(url):
            raise UnsupportedDatabase(
                f"{redact(url)!r} looks like a server address without a scheme; "
                "write postgresql://USER@HOST/DB, or give a SQLite file path"
            )
        if not url:
            raise UnsupportedDatabase("the database is empty; give a SQLite path or a URL")
        return sqlite_url(url)
    scheme = match.group("scheme").lower()
    backend = scheme.split("+", 1)[0]
    if backend not in _SUPPORTED:
        raise UnsupportedDatabase(
            f"factdb works with SQLite and PostgreSQL, not {backend!r} ({redact(url)}); "
            "use a SQLite path or a postgresql:// URL"
        )
    if backend in ("postgres", "postgresql") and "+" not in scheme:
        url = "postgresql+psycopg://" + url[match.end() :]
    elif backend == "postgres":
        url = "postgresql" + url[len("postgres") :]
    return url


def sqlite_url(path: str) -> str:
    """The SQLAlchemy URL of a SQLite file path, with characters URLs treat specially escaped."""
    # SQLAlchemy reads "?" as the start of the query; "%" would be read as an escape.
    return "sqlite:///" + quote(path, safe="/:~#@!$&'()*+,;=-._ ")


_URL_USERINFO = re.compile(
    r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]*:)(?P<rest>[^\s'\"]*)", re.I
)
_QUERY_SECRET = re.compile(r"(?P<head>[?&;\s](?:ssl)?password=)[^&\s'\"]*", re.I)
_CONNINFO_SECRET = re.compile(r"(?P<head>\b(?:ssl)?password\s*=\s*)(?:'[^']*'|[^\s'\"&]+)", re.I)
_BARE_USERINFO = re.compile(r"(?P<head>(?<![\w/:@.-])[\w.-]+:)(?P<password>[^\s/@'\"]+)(?=@[\w.-])")


def _mask_userinfo(match: re.Match[str]) -> str:
    rest = match.group("rest")
    # The password runs to the LAST "@" before the path, so an unencoded "@" inside it is hidden
    # too ("postgresql://u:p@ss@host/db").
    path_at = rest.find("/", rest.rfind("@") + 1) if "@" in rest else -1
    netloc = rest if path_at < 0 else rest[:path_at]
    at = netloc.rfind("@")
    if at < 0:
        return match.group(0)  # "scheme://host:port/...": no password here
    return match.group("head") + "***" + rest[at:]


def redact(text: str) -> str:
    """Hide every password in ``text``: in URLs (even with an unencoded "@"), in ``?password=``
    query parameters, in libpq ``password=`` settings and in ``user:password@host`` addresses
    written without a scheme."""
    text = _URL_USERINFO.sub(_mask_userinfo, text)
    text = _QUERY_SECRET.sub(lambda m: m.group("head") + "***", text)
    text = _CONNINFO_SECRET.sub(lambda m: m.group("head") + "***", text)
    return _BARE_USERINFO.sub(lambda m: m.group("head") + "***", text)


def debug_enabled() -> bool:
    """Tracebacks for every error, not only for bugs: ``--debug`` or ``FACTDB_DEBUG=1``."""
    if DEBUG.get():
        return True
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")
