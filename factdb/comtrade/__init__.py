"""UN Comtrade CSV files: read them as a stream (``reader``) and import them in bulk
(``importer``), never an ORM object per row."""
