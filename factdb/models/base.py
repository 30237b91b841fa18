"""Declarative base, naming convention, portable enums and the exact money type.

Everything here must render as plain SQL on SQLite and PostgreSQL alike: enums are VARCHAR with a
named CHECK (no ``CREATE TYPE``) and money is an integer count of cents (no float anywhere).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model; its ``metadata`` carries the naming convention."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.date: sa.Date(),
        dt.datetime: sa.DateTime(timezone=True),
        str: sa.String(),
    }


def choice(enum_cls: type[enum.StrEnum], name: str) -> sa.Enum:
    """A portable enum column type: VARCHAR plus a CHECK named ``name`` (no CREATE TYPE)."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


class Money(sa.types.TypeDecorator[Decimal]):
    """An exact amount stored as integer cents, so SQLite never turns it into a float.

    Values with more than two decimal places are refused rather than rounded.
    """

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> int | None:
        if value is None:
            return None
        return to_cents(Decimal(value) if not isinstance(value, Decimal) else value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_cents(int(value))


def to_cents(amount: Decimal) -> int:
    """Exact conversion of a money amount to cents; raises ValueError on sub-cent precision."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has more than two decimal places")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def date_precision_check(date_col: str, precision_col: str, *, optional: bool = False) -> str:
    """SQL for: a date is present exactly when its precision is day, month or year.

    With ``optional`` the precision may itself be NULL (an end that has not happened: ongoing).
    """
    known = f"{precision_col} IN ('day', 'month', 'year')"
    rule = (
        f"({date_col} IS NULL AND {precision_col} = 'unknown') "
        f"OR ({date_col} IS NOT NULL AND {known})"
    )
    if optional:
        rule = f"({date_col} IS NULL AND {precision_col} IS NULL) OR {rule}"
    return rule
