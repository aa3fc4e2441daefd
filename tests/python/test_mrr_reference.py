"""fct_mrr against the reference MRR of a synthetic company's ground truth.

A company of REFERENCE_CUSTOMERS (default 1,000) customers is generated
(cached under data/reference/), loaded with `SOURCE=json python -m extract`
into a database of the test stack, dated at the snapshot's "now", built by
dbt, and every subscription-month of `marts.fct_mrr` is compared with
tests/reference/mrr.py. Months the ground truth marks unobservable (Stripe's
objects cannot tell them) are counted by cause, not compared. On any size:
`python -m tests.reference.compare --customers 10000`.
"""

from __future__ import annotations

import os

import pytest
from conftest import fresh_database

from tests.reference import compare as ref

CUSTOMERS = int(os.environ.get("REFERENCE_CUSTOMERS", "1000"))
SEED = 7


@pytest.fixture(scope="module")
def reference_warehouse(stack_env):
    from tools.fake_stripe.synth import parse_now

    now_ts = parse_now(ref.DEFAULT_NOW)
    directory = ref.snapshot(CUSTOMERS, SEED, ref.DEFAULT_NOW, workers=2)
    with fresh_database(stack_env) as env:
        ref.load_and_build(env, directory, now_ts)
        yield env, directory, now_ts


def test_fct_mrr_equals_the_reference_every_subscription_month(reference_warehouse):
    env, directory, now_ts = reference_warehouse
    reference = ref.reference_for(directory, now_ts)
    result = ref.compare(reference, ref.marts_mrr(env))
    print(result.summary())
    assert result.compared > 5_000 * CUSTOMERS // 1000
    assert result.differing == 0, result.summary(limit=20)
