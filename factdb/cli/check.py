"""``factdb verify`` and ``factdb coverage``: facts checked against their sources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from factdb.cli._common import DbOption, engine_for, fail


def verify(
    fact_files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Fact files or directories, only to name where an unsupported fact is "
            "written (file:line). Default: the bundled seeds."
        ),
    ] = None,
    db: DbOption = None,
    no_support: Annotated[
        bool,
        typer.Option(
            "--no-support",
            help="Skip the support check: only quotes at their offsets and texts' sha256.",
        ),
    ] = False,
) -> None:
    """Re-check every quote at its offsets and every stored text against its sha256, and
    check that each fact's numbers, dates, names and qualifiers are in its quotes.

    A fact that needs more than its quotes show passes only with an `inferred:` reason in its
    fact file. Each unsupported fact is one line: file:line: kind slug: what is missing.

    \b
    Examples:
      factdb verify
      factdb verify my-articles/
      factdb verify --no-support
    """
    from factdb.verify import verify as run

    checked, problems = run(engine_for(db), support=not no_support, fact_files=fact_files or None)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise fail(f"{len(problems)} mismatch(es) in {checked} checks")
    typer.echo(f"{checked} checks, all match")


def coverage(
    source: Annotated[str, typer.Argument(help="Slug of a source with stored text.")],
    db: DbOption = None,
) -> None:
    """List the sentences of SOURCE that no fact quotes, then its numbers, dates and names
    that no fact quoting it states.

    \b
    Example:
      factdb coverage alojapan-radev-japanese-investments
    """
    from factdb.verify import uncovered_sentences, uncovered_values

    engine = engine_for(db)
    missing = uncovered_sentences(engine, source)
    for sentence in missing:
        typer.echo(f"{sentence.start}-{sentence.end}: {sentence.text}")
    values = uncovered_values(engine, source)
    for value in values:
        typer.echo(f"{value.start}-{value.end}: {value.kind}: {value.text}")
    counts = {kind: sum(v.kind == kind for v in values) for kind in ("number", "date", "name")}
    typer.echo(
        f"{len(missing)} sentence(s) not quoted by any fact; "
        f"{counts['number']} number(s), {counts['date']} date(s) and {counts['name']} name(s) "
        "no fact states",
        err=True,
    )
