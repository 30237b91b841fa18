"""``factdb verify`` and ``factdb coverage``: facts checked against their sources."""

from __future__ import annotations

from typing import Annotated

import typer

from factdb.cli._common import DbOption, engine_for, fail


def verify(db: DbOption = None) -> None:
    """Re-check every quote at its offsets and every stored text against its sha256.

    \b
    Example:
      factdb verify
    """
    from factdb.verify import verify as run

    checked, problems = run(engine_for(db))
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise fail(f"{len(problems)} mismatch(es) in {checked} checks")
    typer.echo(f"{checked} checks, all match")


def coverage(
    source: Annotated[str, typer.Argument(help="Slug of a source with stored text.")],
    db: DbOption = None,
) -> None:
    """List the sentences of SOURCE that no fact quotes.

    \b
    Example:
      factdb coverage alojapan-radev-japanese-investments
    """
    from factdb.verify import uncovered_sentences

    missing = uncovered_sentences(engine_for(db), source)
    for sentence in missing:
        typer.echo(f"{sentence.start}-{sentence.end}: {sentence.text}")
    typer.echo(f"{len(missing)} sentence(s) not quoted by any fact", err=True)
