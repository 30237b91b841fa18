"""The declarative base the ORM classes share, mapped onto ``factdb.models.tables``.

The tables, their types and helpers live in ``factdb.models.tables`` (Core, no ORM); this
module only adds the ORM's registry on the same ``MetaData``, and names the helpers again for
code that imports them from here. It must not declare a table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from factdb.models import tables
from factdb.models.tables import (
    NAMING_CONVENTION,
    Money,
    choice,
    date_precision_check,
    from_cents,
    to_cents,
)

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "Money",
    "choice",
    "date_precision_check",
    "from_cents",
    "to_cents",
]


class Base(DeclarativeBase):
    """Base of every model; its ``metadata`` is the Core tables' (with the naming convention)."""

    # only the class names the MetaData: a module-level name for it would make
    # pytest-alembic's clean-import check look for models under this module
    metadata = tables.metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.date: sa.Date(),
        dt.datetime: sa.DateTime(timezone=True),
        str: sa.String(),
    }
