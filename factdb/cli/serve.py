"""``factdb serve``: browse the database in a web browser (Datasette, the ``web`` extra).

Thin: resolves the file, checks it, builds the metadata through ``factdb.serve`` and runs it.
Never serves a PostgreSQL database and never writes to the file.
"""

from __future__ import annotations

from typing import Annotated

import typer

from factdb.cli._common import DbOption

PORTS = (1, 65535)


def _check_port(value: int) -> int:
    from factdb.errors import InvalidOption

    if not PORTS[0] <= value <= PORTS[1]:
        raise InvalidOption(f"--port: {value} is not a port from {PORTS[0]} to {PORTS[1]}")
    return value


def serve(
    db: DbOption = None,
    port: Annotated[int, typer.Option(help="Port to listen on.", callback=_check_port)] = 8001,
    host: Annotated[
        str, typer.Option(help="Address to listen on; the default is this machine only.")
    ] = "127.0.0.1",
    print_metadata: Annotated[
        bool,
        typer.Option(
            "--print-metadata",
            help="Print the Datasette metadata as JSON and exit "
            "(for datasette serve -i FILE --metadata metadata.json).",
        ),
    ] = False,
) -> None:
    """Browse a SQLite database read-only in a web browser: views described, canned queries.

    Needs the web extra (pip install 'factdb[web]'). A shared PostgreSQL database is served
    from a copy: run `factdb snapshot OUT.sqlite3`, then `factdb serve --db OUT.sqlite3`.

    \b
    Example:
      factdb serve --db factdb.sqlite3 --port 8001
    """
    from factdb.cli._common import engine_for
    from factdb.config import resolve_url
    from factdb.db import connect
    from factdb.schema_version import require_head
    from factdb.serve import (
        metadata,
        require_datasette,
        require_free_port,
        require_quiet_file,
        require_sqlite_file,
    )
    from factdb.serve import serve as run

    url = resolve_url(db)
    path = require_sqlite_file(url)
    if not print_metadata:
        require_datasette()
    with connect(engine_for(db), read_only=True) as conn:
        require_head(conn)
        meta = metadata(conn, path.stem)
    if print_metadata:
        import json

        typer.echo(json.dumps(meta, indent=2, ensure_ascii=False))
        return
    require_quiet_file(path)
    require_free_port(host, port)
    typer.echo(f"Serving {path} read-only at http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    run(path, meta, host, port)
