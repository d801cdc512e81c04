"""What every kind of export record shares: typed field access, the line format, and the one
way a record is restored (check keys, find by identity, compare, create or update).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from brevefeed.archive.breves import Change
from brevefeed.archive.models import Base
from brevefeed.errors import InputError

Record = dict[str, Any]
Row = TypeVar("Row", bound=Base)


def dumps(record: Record) -> str:
    """One line of the export: UTF-8 as written (no \\u escapes), keys in a fixed order."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


class Fields:
    """Typed access to one export record; every problem names the key."""

    def __init__(self, record: Record):
        self.record = record

    def get(self, key: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
        if key not in self.record:
            if optional:
                return None
            raise InputError(f"missing key {key!r}")
        value = self.record[key]
        if value is None and optional:
            return None
        if not isinstance(value, kind):
            raise InputError(f"key {key!r} has the wrong type ({type(value).__name__})")
        return value

    def strings(self, key: str) -> list[str]:
        value = self.get(key, list)
        if not all(isinstance(v, str) for v in value):
            raise InputError(f"key {key!r} must be a list of strings")
        return list(value)

    def time(self, key: str, *, optional: bool = False) -> datetime | None:
        value = self.get(key, str, optional=optional)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise InputError(f"key {key!r}: {value!r} is not an ISO 8601 date-time") from None
        if parsed.tzinfo is None:
            raise InputError(f"key {key!r}: {value!r} has no time zone")
        return parsed


class Kind(ABC, Generic[Row]):
    """One ``kind`` of record: how its rows are exported, found again and filled in."""

    #: The value of the record's "kind" key.
    name: ClassVar[str]
    #: How error messages name the record.
    label: ClassVar[str]
    keys: ClassVar[frozenset[str]]
    model: type[Row]

    @abstractmethod
    def export(self, session: Session) -> Iterator[Record]:
        """Every row of this kind, as records, in an order that does not depend on the backend."""

    @abstractmethod
    def identity(self, session: Session, fields: Fields) -> dict[str, Any]:
        """The columns that identify the record's row (a new row is created with them)."""

    @abstractmethod
    def exported(self, row: Row, fields: Fields) -> Record:
        """The record ``export`` writes for ``row``, found from ``fields``."""

    @abstractmethod
    def fill(self, session: Session, row: Row, fields: Fields) -> None:
        """Write every field of the record to ``row``, checking each one."""

    def restore(self, session: Session, record: Record) -> Change:
        """Make the archive hold exactly this record (inserted, replaced or unchanged)."""
        unknown = sorted(set(record) - self.keys)
        if unknown:
            raise InputError(f"unknown key {unknown[0]!r} in a {self.label} record")
        fields = Fields(record)
        identity = self.identity(session, fields)
        row = session.scalars(select(self.model).filter_by(**identity)).one_or_none()
        if row is not None and dumps(self.exported(row, fields)) == dumps(record):
            return "unchanged"
        change: Change = "updated"
        if row is None:
            row = self.model(**identity)
            change = "created"
        # Added once filled: a check in ``fill`` may query, and the autoflush before it must
        # not insert a row whose required columns are still empty.
        self.fill(session, row, fields)
        session.add(row)
        session.flush()
        return change
