"""Fact files: declarative YAML, one per source document, read strictly and loaded idempotently.

The pipeline is parse (``reader``), validate (``schema``), resolve and locate quotes
(``validate``), then write everything in one transaction (``loader``). Only the last step touches
the database.
"""
