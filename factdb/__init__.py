"""factdb: a SQL-backed database of facts taken from documents, each with its source and quote.

This package root stays import-light: the CLI imports it at start-up, so nothing heavy lives here.
"""

__version__ = "0.1.0"
