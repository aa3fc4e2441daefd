"""`make all`'s steps on the local Stripe, through the Makefile's own targets.

populate -> extract -> build (every model and data test; unit tests are
make test's) -> check-db,
then a day of changes made through the SDK and the same steps again: the
incremental run reflects them, passes every test and check-db reconciles.
(That an incremental build equals a full refresh is test_dbt_oltp's and
test_marts' to show, on the fixture.)
"""

from __future__ import annotations

import re

import pytest
import stripe
from conftest import ROOT, query, run

# as `make all` runs them after `up` (roles: each process logs in as its own)
STEPS = ("roles", "populate", "extract", "build", "check-db")


def make(env: dict[str, str], target: str, **variables: str) -> str:
    args = ["make", "-C", str(ROOT), target]
    args += [f"{name}={value}" for name, value in variables.items()]
    return run(args, env, timeout=900).stdout


def dbt_summary(output: str) -> tuple[int, int, int]:
    found = re.search(r"PASS=(\d+) WARN=\d+ ERROR=(\d+) SKIP=(\d+)", output)
    assert found, output[-3000:]
    return tuple(map(int, found.groups()))


@pytest.fixture(scope="module")
def warehouse(stack_env):
    from conftest import fresh_database

    with fresh_database(stack_env) as env:
        env = dict(env, POPULATE_CUSTOMERS="24", POPULATE_SEED="2026")
        yield env


def test_make_all_steps_then_a_day_of_changes(warehouse):
    env = warehouse
    outputs = {step: make(env, step) for step in STEPS}
    passed, errors, skipped = dbt_summary(outputs["build"])
    assert (errors, skipped) == (0, 0)
    assert passed > 500
    finished = re.search(r"Finished running (.*)", outputs["build"]).group(1)
    assert "unit test" not in finished, f"make build ran unit tests: {finished}"
    assert "check-db: ok" in outputs["check-db"]
    ((mrr_months,),) = query(env, "select count(*) from marts.metrics_mrr_monthly")
    assert mrr_months > 0
    raw_before = query(
        env, "select count(*), count(distinct id) from stripe_raw.customers"
    )

    # a day later: an email changed, a subscription canceled, a refund
    client = stripe.StripeClient(
        env["STRIPE_API_KEY"], base_addresses={"api": env["STRIPE_API_BASE"]}
    )
    ((customer_id,),) = query(
        env,
        "select id from stripe_raw.customers where not is_deleted"
        " and data -> 'metadata' ->> 'populate_key' like 's2026:%%'"
        " order by id limit 1",
    )
    client.v1.customers.update(customer_id, {"email": "changed@example.com"})
    ((subscription_id,),) = query(
        env,
        "select id from stripe_raw.subscriptions where data ->> 'status' = 'active'"
        " and data -> 'metadata' ->> 'populate_key' like 's2026:%%'"
        " order by id limit 1",
    )
    client.v1.subscriptions.cancel(subscription_id)

    second = {step: make(env, step) for step in STEPS}
    assert "created 0 objects" in second["populate"], second["populate"][-2000:]
    assert dbt_summary(second["build"])[1:] == (0, 0)
    assert "check-db: ok" in second["check-db"]
    assert (
        query(env, "select count(*), count(distinct id) from stripe_raw.customers")
        == raw_before
    ), "a re-run never duplicates"
    assert query(
        env, "select email from oltp.customers where customer_id = %s", (customer_id,)
    ) == [("changed@example.com",)]
    assert query(
        env,
        "select status from oltp.subscriptions where subscription_id = %s",
        (subscription_id,),
    ) == [("canceled",)]
    ((mrr_now,),) = query(
        env,
        "select coalesce(sum(mrr_amount), 0) from marts.fct_mrr"
        " where subscription_id = %s and month = date_trunc('month', now())",
        (subscription_id,),
    )
    assert mrr_now == 0, "a canceled subscription counts no MRR"
