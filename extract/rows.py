"""Stripe objects to raw rows: the columns of the raw contract, as arrow tables."""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from extract import settings

_SECRET_MARKERS = tuple(key.encode() for key in settings.SECRET_KEYS)


def table_columns(table: str) -> dict[str, dict[str, Any]]:
    """dlt column hints of one raw table (parent_id only on child tables)."""
    columns: dict[str, dict[str, Any]] = {
        "id": {"data_type": "text", "nullable": False, "primary_key": True},
        "object": {"data_type": "text", "nullable": True},
        "created": {"data_type": "bigint", "nullable": True},
        "livemode": {"data_type": "bool", "nullable": True},
        "is_deleted": {"data_type": "bool", "nullable": False},
        "data": {"data_type": "json", "nullable": False},
    }
    if table in settings.CHILD_TABLES:
        columns["parent_id"] = {"data_type": "text", "nullable": True}
    columns["api_version"] = {"data_type": "text", "nullable": True}
    return columns


def arrow_schema(table: str) -> pa.Schema:
    fields = [
        pa.field("id", pa.string(), nullable=False),
        pa.field("object", pa.string()),
        pa.field("created", pa.int64()),
        pa.field("livemode", pa.bool_()),
        pa.field("is_deleted", pa.bool_(), nullable=False),
        pa.field("data", pa.string(), nullable=False),
    ]
    if table in settings.CHILD_TABLES:
        fields.append(pa.field("parent_id", pa.string()))
    fields.append(pa.field("api_version", pa.string()))
    return pa.schema(fields)


def scrub(value: Any) -> Any:
    """Remove secret keys at any depth, in place."""
    if isinstance(value, dict):
        for key in settings.SECRET_KEYS & value.keys():
            del value[key]
        for item in value.values():
            if isinstance(item, dict | list):
                scrub(item)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list):
                scrub(item)
    return value


def has_secret(raw: bytes) -> bool:
    return any(marker in raw for marker in _SECRET_MARKERS)


def parent_of(table: str, obj: dict) -> str | None:
    """The parent id a child object carries itself (snapshot loads)."""
    if table == "invoice_line_items":
        parent = obj.get("invoice") or obj.get("parent", {}) or {}
        if isinstance(parent, dict):
            details = parent.get("invoice_item_details") or {}
            parent = details.get("invoice")
        return parent if isinstance(parent, str) else None
    if table == "subscription_items":
        return obj.get("subscription")
    if table == "payment_methods":
        customer = obj.get("customer")
        return customer.get("id") if isinstance(customer, dict) else customer
    return None


# One object reduced to its raw row: id, object, created, livemode,
# is_deleted, the JSON text of the object (secrets removed), parent id.
PreparedRow = tuple[str, str | None, int | None, bool | None, bool, str, str | None]


def prepare(
    obj: dict,
    raw: bytes | None = None,
    parent_id: str | None = None,
    is_deleted: bool = False,
) -> PreparedRow:
    """The raw row of an object; a few hundred bytes of text where the parsed
    object takes kilobytes, so rows waiting for the load cost little memory."""
    if raw is None:
        raw = orjson.dumps(scrub(obj))
    created = obj.get("created")
    return (
        obj["id"],
        obj.get("object"),
        created if isinstance(created, int) else None,
        obj.get("livemode"),
        is_deleted or bool(obj.get("deleted")),
        raw.decode(),
        parent_id,
    )


class RowBatch:
    """Column lists for one raw table, turned into an arrow table when full."""

    def __init__(self, table: str, api_version: str) -> None:
        self.table = table
        self.api_version = api_version
        self.schema = arrow_schema(table)
        self.with_parent = table in settings.CHILD_TABLES
        self.clear()

    def clear(self) -> None:
        self.ids: list[str] = []
        self.objects: list[str | None] = []
        self.created: list[int | None] = []
        self.livemode: list[bool | None] = []
        self.deleted: list[bool] = []
        self.data: list[str] = []
        self.parents: list[str | None] = []

    def __len__(self) -> int:
        return len(self.ids)

    def add(
        self,
        obj: dict,
        raw: bytes | None = None,
        parent_id: str | None = None,
        is_deleted: bool = False,
    ) -> None:
        """Add one object; `raw` is its JSON text when it is known to be clean."""
        self.add_prepared(prepare(obj, raw, parent_id, is_deleted))

    def add_prepared(self, row: PreparedRow) -> None:
        object_id, kind, created, livemode, deleted, data, parent_id = row
        self.ids.append(object_id)
        self.objects.append(kind)
        self.created.append(created)
        self.livemode.append(livemode)
        self.deleted.append(deleted)
        self.data.append(data)
        self.parents.append(parent_id)

    def to_table(self) -> pa.Table:
        arrays = [
            pa.array(self.ids, pa.string()),
            pa.array(self.objects, pa.string()),
            pa.array(self.created, pa.int64()),
            pa.array(self.livemode, pa.bool_()),
            pa.array(self.deleted, pa.bool_()),
            pa.array(self.data, pa.string()),
        ]
        if self.with_parent:
            arrays.append(pa.array(self.parents, pa.string()))
        arrays.append(pa.array([self.api_version] * len(self.ids), pa.string()))
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        self.clear()
        return table


def empty_table(table: str) -> pa.Table:
    return arrow_schema(table).empty_table()
