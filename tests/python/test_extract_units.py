"""Planning, row building and snapshot reading, without servers."""

from __future__ import annotations

import gzip

import orjson
import pytest

from extract import settings
from extract.plan import plan_tables
from extract.rows import RowBatch, parent_of
from extract.snapshot import SnapshotLineError, open_snapshot, read_objects

NOW = 1_800_000_000
DAY = 86400


def states(synced_at: int, cursor: int = 100) -> dict:
    return {
        r.name: {"synced_at": synced_at, "cursor": cursor} for r in settings.RESOURCES
    }


def test_first_run_is_full_and_reads_no_event_updates():
    plans, events_since = plan_tables({}, NOW, full_refresh=False)
    assert all(plan.full and not plan.has_rows for plan in plans.values())
    assert events_since is None


def test_later_run_is_incremental_from_cursor_and_last_sync():
    plans, events_since = plan_tables(states(NOW - DAY), NOW, full_refresh=False)
    assert not plans["customers"].full
    assert plans["customers"].since == 100
    assert events_since == NOW - DAY - settings.EVENTS_OVERLAP_SECONDS


def test_cursor_past_the_events_window_reloads_that_table_alone():
    old = states(NOW - DAY)
    old["invoices"]["synced_at"] = NOW - 31 * DAY
    plans, events_since = plan_tables(old, NOW, full_refresh=False)
    assert plans["invoices"].full and plans["invoices"].has_rows
    assert plans["invoice_line_items"].full  # children follow their parent
    assert not plans["customers"].full
    assert events_since == NOW - DAY - settings.EVENTS_OVERLAP_SECONDS


def test_full_refresh_reloads_everything_and_flags_vanished():
    plans, events_since = plan_tables(states(NOW - DAY), NOW, full_refresh=True)
    assert all(plan.full and plan.has_rows for plan in plans.values())
    assert events_since is None


def test_rows_drop_secrets_at_any_depth_and_keep_the_rest():
    batch = RowBatch("payment_intents", "v1")
    intent = {
        "id": "pi_1",
        "object": "payment_intent",
        "created": 7,
        "livemode": False,
        "client_secret": "pi_1_secret",
        "next_action": {"x": [{"client_secret": "nested"}]},
        "amount": 100,
    }
    batch.add(intent)
    table = batch.to_table()
    row = table.to_pylist()[0]
    assert b"secret" not in row["data"].encode()
    assert orjson.loads(row["data"])["amount"] == 100
    assert row["is_deleted"] is False and row["api_version"] == "v1"
    assert "parent_id" not in table.column_names
    deleted = RowBatch("customers", "v1")
    deleted.add({"id": "cus_1", "object": "customer", "deleted": True})
    assert deleted.to_table().to_pylist()[0]["is_deleted"] is True


@pytest.mark.parametrize(
    "table, obj, parent",
    [
        ("invoice_line_items", {"id": "il_1", "invoice": "in_1"}, "in_1"),
        (
            "invoice_line_items",
            {"id": "il_1", "parent": {"invoice_item_details": {"invoice": "in_2"}}},
            "in_2",
        ),
        ("subscription_items", {"id": "si_1", "subscription": "sub_1"}, "sub_1"),
        ("payment_methods", {"id": "pm_1", "customer": {"id": "cus_1"}}, "cus_1"),
        ("payment_methods", {"id": "pm_1", "customer": None}, None),
    ],
)
def test_parent_of_reads_both_api_shapes(table, obj, parent):
    assert parent_of(table, obj) == parent


def test_snapshot_formats_jsonl_gz_and_list_envelope(tmp_path):
    with gzip.open(tmp_path / "charges.jsonl.gz", "wb") as handle:
        handle.write(b'{"id": "ch_1", "object": "charge"}\n\n{"id": "ch_2"}\n')
    (tmp_path / "refunds.json").write_text(
        '{"object": "list", "data": [{"id": "re_1"}]}'
    )
    (tmp_path / "manifest.json").write_text('{"api_version": "2025-03-31.basil"}')
    files, manifest = open_snapshot(tmp_path)
    assert manifest["api_version"] == "2025-03-31.basil"
    assert [o["id"] for o, _ in read_objects(files["charges"])] == ["ch_1", "ch_2"]
    assert [o["id"] for o, _ in read_objects(files["refunds"])] == ["re_1"]


def test_snapshot_object_without_id_names_file_and_line(tmp_path):
    path = tmp_path / "customers.jsonl"
    path.write_text('{"id": "cus_1"}\n{"object": "customer"}\n')
    with pytest.raises(SnapshotLineError, match="customers.jsonl:2"):
        list(read_objects(path))


class _IdleExtraction:
    """Stands in for ApiExtraction: the test feeds the sink by hand."""

    def __init__(self) -> None:
        import threading

        self.stop = threading.Event()

    def run(self) -> None:
        self.stop.wait(30)


def test_rows_waiting_for_the_load_are_bounded_per_table(monkeypatch):
    import threading

    from extract.handoff import QueueSink

    monkeypatch.setattr(settings, "QUEUE_PAGES", 2)
    sink = QueueSink()
    page = [({"id": f"cus_{i}", "object": "customer"}, None, False) for i in range(3)]
    producer = threading.Thread(
        target=lambda: [sink.emit("customers", page) for _ in range(5)]
    )
    producer.start()
    producer.join(timeout=1.5)
    assert producer.is_alive(), "a producer that is far ahead must wait"
    assert sink.queues["customers"].qsize() == 2
    # rows are queued as compact raw rows, not parsed objects
    kind, rows = sink.queues["customers"].get_nowait()
    assert kind == "rows" and rows[0][0] == "cus_0" and isinstance(rows[0][5], str)
    sink.abandoned.set()  # the load stopped reading: waiting producers give up
    producer.join(timeout=3)
    assert not producer.is_alive()


def test_the_load_never_waits_on_one_table():
    from extract.handoff import ApiRun, QueueSink

    sink = QueueSink()
    extraction = _IdleExtraction()
    run = ApiRun(extraction, sink)
    customers = run.table_items("customers", "v", 0, first_load=True)
    invoices = run.table_items("invoices", "v", 0, first_load=True)
    sink.emit("invoices", [({"id": "in_1", "object": "invoice"}, None, False)])
    sink.finish("invoices", 5)
    # customers has nothing yet: its generator hands control back at once
    assert next(customers) is None
    table = next(item for item in invoices if item is not None)
    assert table.num_rows == 1 and table.column("id").to_pylist() == ["in_1"]
    invoices.close()
    customers.close()  # dlt stopping early stops the API threads
    assert extraction.stop.is_set() and sink.abandoned.is_set()


def test_payment_methods_named_by_every_field_that_names_one():
    """A detached card is in no customer's list: whatever names it must
    bring it, including a subscription's or invoice's default and a
    customer's invoice default (ids, or expanded objects)."""
    from extract.api import payment_methods_named

    objs = [
        {"object": "charge", "payment_method": "pm_charge"},
        {"object": "payment_intent", "payment_method": {"id": "pm_intent"}},
        {"object": "subscription", "default_payment_method": "pm_sub"},
        {"object": "invoice", "default_payment_method": {"id": "pm_invoice"}},
        {
            "object": "customer",
            "invoice_settings": {"default_payment_method": "pm_cus"},
        },
        {"object": "customer", "invoice_settings": {"default_payment_method": None}},
        {"object": "subscription", "default_payment_method": None},
    ]
    assert payment_methods_named(objs) == {
        "pm_charge",
        "pm_intent",
        "pm_sub",
        "pm_invoice",
        "pm_cus",
    }


def test_an_api_run_merges_and_only_a_snapshot_replaces_an_empty_table():
    """A killed API run's package is loaded by a later run, around that
    run's own package: a replace could truncate another package's rows, so
    the API source takes no `filled` and merges; a snapshot (always
    complete) may replace a table that holds no rows yet."""
    import inspect

    from extract.sources import raw_resource, stripe_snapshot_source, stripe_source

    assert "filled" not in inspect.signature(stripe_source).parameters
    assert "filled" in inspect.signature(stripe_snapshot_source).parameters
    assert raw_resource("charges", iter(()), None).write_disposition == "merge"
    assert raw_resource("charges", iter(()), set()).write_disposition == "replace"
    filled = {"charges"}
    assert raw_resource("charges", iter(()), filled).write_disposition == "merge"


def test_a_complete_listing_that_merges_keeps_each_ids_first_row():
    """An API run's full listing merges, yet keeps an object that arrives
    twice in it once (the first), as the replace it replaced did; an
    incremental listing hands dlt what it listed."""
    import pyarrow as pa

    from extract.sources import raw_resource

    batches = [
        pa.table({"id": ["ch_a", "ch_b"], "v": [1, 2]}),
        pa.table({"id": ["ch_a", "ch_c"], "v": [9, 3]}),
    ]

    def rows(complete: bool) -> list[tuple[str, int]]:
        resource = raw_resource("charges", iter(batches), None, complete=complete)
        return [(r["id"], r["v"]) for t in resource for r in t.to_pylist()]

    assert rows(True) == [("ch_a", 1), ("ch_b", 2), ("ch_c", 3)]
    assert rows(False) == [("ch_a", 1), ("ch_b", 2), ("ch_a", 9), ("ch_c", 3)]
