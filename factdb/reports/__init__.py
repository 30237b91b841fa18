"""Report queries: each returns typed rows and knows nothing of rendering (see factdb.render)."""
