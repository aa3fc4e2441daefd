"""Erasure of one customer's personal data from raw (make forget, and a
`customer.deleted` event seen by the extraction).

What Stripe copies of a person goes: the customer's name, email, phone,
addresses and free text; the billing details of its payment methods and
charges; an invoice's `customer_*` fields; receipt emails and shipping; a
dispute's evidence; the same fields inside the events about those objects.
Ids, amounts, currencies, statuses and dates stay, so the books still add
up. Each changed row gets a new load id (registered in `_dlt_loads`), so the
next `dbt build` carries the erasure through the incremental models; the
snapshots' history is cleared by dbt itself (macros/erasure.sql), from the
log this writes: `stripe_raw._erasure_log`, which holds ids, counts and
times only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import orjson

from extract import settings

LOG_TABLE = "_erasure_log"

# Per Stripe object type: the fields that describe a person.
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "customer": (
        "name",
        "email",
        "phone",
        "address",
        "shipping",
        "description",
        "individual_name",
        "business_name",
    ),
    "payment_method": ("billing_details",),
    "charge": ("billing_details", "receipt_email", "shipping"),
    "invoice": (
        "customer_name",
        "customer_email",
        "customer_phone",
        "customer_address",
        "customer_shipping",
        "customer_tax_ids",
    ),
    "payment_intent": ("receipt_email", "shipping"),
    "dispute": ("evidence",),
}
# Card details that single a person out, under a payment method's `card`
# and a charge's `payment_method_details.card`.
CARD_FIELDS = ("fingerprint", "last4")


def erase_object(obj: dict) -> dict:
    """The object with its personal fields set to null, in place."""
    for field in PERSONAL_FIELDS.get(obj.get("object") or "", ()):
        if field in obj:
            obj[field] = None
    cards = [obj.get("card"), (obj.get("payment_method_details") or {}).get("card")]
    for card in cards:
        if isinstance(card, dict):
            for field in CARD_FIELDS:
                if field in card:
                    card[field] = None
    return obj


def erase_event(event: dict) -> dict:
    """An event whose object is erased, and whose previous values are too."""
    data = event.get("data") or {}
    obj = data.get("object")
    if isinstance(obj, dict):
        erase_object(obj)
        previous = data.get("previous_attributes")
        if isinstance(previous, dict):
            for field in PERSONAL_FIELDS.get(obj.get("object") or "", ()):
                previous.pop(field, None)
    return event


# Raw table -> the expression naming the customer a row belongs to.
OWNER_COLUMNS = {
    "customers": "owned.id",
    "charges": "owned.data->>'customer'",
    "payment_methods": "owned.data->>'customer'",
    "invoices": "owned.data->>'customer'",
    "payment_intents": "owned.data->>'customer'",
    "events": (
        "coalesce(owned.data->'data'->'object'->>'customer',"
        " owned.data->'data'->'object'->>'id')"
    ),
}

# Raw table -> how its rows of one customer are found (%(customer)s, and
# %(methods)s, %(charges)s: ids found before it).
_OWNED_ROWS = {
    "customers": "id = %(customer)s",
    "charges": "data->>'customer' = %(customer)s",
    "payment_methods": (
        "parent_id = %(customer)s or data->>'customer' = %(customer)s"
        " or id = any(%(methods)s)"
    ),
    "invoices": "data->>'customer' = %(customer)s",
    "payment_intents": "data->>'customer' = %(customer)s",
    "disputes": "data->>'charge' = any(%(charges)s)",
}


def _existing_tables(cur, tables: Iterable[str]) -> set[str]:
    cur.execute(
        "select table_name from information_schema.tables"
        " where table_schema = %s and table_name = any(%s)",
        (settings.DATASET_NAME, list(tables)),
    )
    return {name for (name,) in cur.fetchall()}


def ensure_log(cur) -> None:
    cur.execute(
        f"create table if not exists {settings.DATASET_NAME}.{LOG_TABLE} ("
        " customer_id text not null, erased_at timestamptz not null,"
        " reason text not null, rows_erased jsonb not null, load_id text not null)"
    )


def erase_customer(cur, customer_id: str, reason: str) -> dict[str, int]:
    """Erase one customer's personal data from raw; the rows changed per table.

    Runs in the caller's transaction, as the raw schema's owner or an admin.
    """
    raw = settings.DATASET_NAME
    tables = _existing_tables(cur, [*_OWNED_ROWS, "events", "_dlt_loads"])
    load_id = f"{time.time():.6f}"
    params = {"customer": customer_id, "methods": [], "charges": []}
    if "charges" in tables:
        cur.execute(
            f"select id, data->>'payment_method' from {raw}.charges"
            " where data->>'customer' = %s",
            (customer_id,),
        )
        found = cur.fetchall()
        params["charges"] = [charge for charge, _ in found]
        params["methods"] = [method for _, method in found if method]
    if "payment_intents" in tables:
        cur.execute(
            f"select data->>'payment_method' from {raw}.payment_intents"
            " where data->>'customer' = %s and data->>'payment_method' is not null",
            (customer_id,),
        )
        params["methods"] += [method for (method,) in cur.fetchall()]
    changed: dict[str, int] = {}
    object_ids = [customer_id]
    for table, condition in _OWNED_ROWS.items():
        if table not in tables:
            continue
        cur.execute(f"select id, data from {raw}.{table} where {condition}", params)
        rows = cur.fetchall()
        object_ids += [object_id for object_id, _ in rows]
        changed[table] = _rewrite(cur, table, rows, erase_object, load_id)
    if "events" in tables:
        cur.execute(
            f"select id, data from {raw}.events"
            " where data->'data'->'object'->>'id' = any(%(ids)s)"
            " or data->'data'->'object'->>'customer' = %(customer)s",
            {"ids": object_ids, "customer": customer_id},
        )
        changed["events"] = _rewrite(
            cur, "events", cur.fetchall(), erase_event, load_id
        )
    if "_dlt_loads" in tables:
        cur.execute(
            f"insert into {raw}._dlt_loads (load_id, schema_name, status,"
            " inserted_at, schema_version_hash) select %s, %s, 0, now(),"
            f" (select schema_version_hash from {raw}._dlt_loads"
            " order by inserted_at desc limit 1)",
            (load_id, settings.PIPELINE_NAME),
        )
    ensure_log(cur)
    cur.execute(
        f"insert into {raw}.{LOG_TABLE} values (%s, now(), %s, %s, %s)",
        (customer_id, reason, orjson.dumps(changed).decode(), load_id),
    )
    return changed


def _rewrite(cur, table: str, rows: list, erase, load_id: str) -> int:
    for object_id, data in rows:
        if isinstance(data, str | bytes):  # DuckDB returns JSON as text
            data = orjson.loads(data)
        erased = orjson.dumps(erase(data)).decode()
        cur.execute(
            f"update {settings.DATASET_NAME}.{table}"
            " set data = %s::jsonb, _dlt_load_id = %s where id = %s",
            (erased, load_id, object_id),
        )
    return len(rows)


def erase_snapshot_file_objects(obj: dict, customer_id: str, methods: set[str]) -> bool:
    """Whether a snapshot file's object belongs to the customer (then erased
    in place): the customer, its objects, and events about them."""
    if obj.get("object") == "event":
        inner = (obj.get("data") or {}).get("object") or {}
        if inner.get("id") == customer_id or inner.get("customer") == customer_id:
            erase_event(obj)
            return True
        return False
    owner = obj.get("customer")
    owner = owner.get("id") if isinstance(owner, dict) else owner
    if obj.get("id") == customer_id or owner == customer_id or obj.get("id") in methods:
        erase_object(obj)
        return True
    return False
