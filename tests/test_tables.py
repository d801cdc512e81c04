"""The Core read tables name real columns, with the models' types."""

from __future__ import annotations

import pytest
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.types import TypeDecorator

from brevefeed.archive import tables
from brevefeed.archive.models import STATUSES, Base, Source
from brevefeed.archive.types import UTCDateTime


@pytest.mark.parametrize("table", tables.ALL, ids=lambda t: t.name)
def test_every_column_is_the_models_with_its_type(table: TableClause) -> None:
    model = Base.metadata.tables[table.name]
    for column in table.c:
        assert column.name in model.c, f"{table.name}.{column.name} is not in the models"
        kind = model.c[column.name].type
        if isinstance(kind, TypeDecorator):  # UTCDateTime: its conversions, not a plain type
            assert type(column.type) is type(kind), f"{table.name}.{column.name}"
        else:  # Text read as String, JSONList (JSON, JSONB on PostgreSQL) as JSON
            assert column.type._type_affinity is kind._type_affinity, f"{table.name}.{column.name}"


def test_statuses_and_outlet_names_are_the_models() -> None:
    assert STATUSES is tables.STATUSES
    source = Source(name="", title="Le Quotidien", url="https://q.example/feed")
    assert source.outlet == tables.outlet_name("", "Le Quotidien", "https://q.example/feed")
    assert tables.outlet_name("", "", "https://q.example/feed") == "https://q.example/feed"
    assert isinstance(tables.breves.c.published_at.type, UTCDateTime)
