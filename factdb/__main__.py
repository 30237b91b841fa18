"""Entry point for ``python -m factdb``."""

from factdb.cli import main

main()
