"""Inputs and the single-machine references shared by tests/test_spark.py and test_dask.py."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Money on a cluster is summed per partition and then across partitions: a different order of
# float additions than one machine's, so money agrees to rounding (1e-15 relative in practice).
REL = 1e-9

METRICS = [
    "customers",
    "retention",
    "revenue",
    "gross_revenue",
    "revenue_retention",
    "gross_revenue_retention",
    "revenue_per_customer",
    "cumulative_revenue_per_customer",
    "ltv_multiple",
]


def synthetic_log(customers: int = 130_000, seed: int = 7) -> pd.DataFrame:
    """Over a million orders of ``customers`` simulated from a BG/NBD model (so that a fit has
    a proper optimum), with amounts in cents and some refunds, and a channel fixed per customer
    (the segment of a customer is that of the first purchase row; one value per customer keeps
    the answer independent of the row order within a day). The rows are shuffled so that each
    customer's rows are spread over the input partitions."""
    import ltvkit

    model = ltvkit.BetaGeoModel(r=0.6, alpha=20.0, a=0.8, b=4.0)
    log = model.simulate_transactions(customers, 730.0, seed=seed, unit="day")
    rng = np.random.default_rng(seed)
    rows = len(log)
    amount = np.round(rng.gamma(2.0, 25.0, rows), 2)
    refund = rng.random(rows) < 0.02
    amount[refund] = -np.round(amount[refund] / 2, 2)
    channels = np.array(["ads", "email", "organic", "partner"])
    log["amount"] = amount
    log["channel"] = channels[log["customer_id"].to_numpy() % 4]
    return log.sample(frac=1.0, random_state=seed).reset_index(drop=True)


# A fit on the distinct rows with counts maximises the same likelihood as the fit on every
# customer, summed in another order; where the optimum is flat (Gamma-Gamma on spend that is
# not gamma-gamma distributed) the optimiser stops within its tolerance of it.
FIT_FLAT_REL = 1e-6


def weighted_reference(model_class, local: pd.DataFrame, columns: list[str], **options):
    """The single-machine fit on the distinct rows of ``columns`` counted by pandas (an
    independent count of the sufficient statistics), sorted as ltvkit sorts them."""
    stats = local.groupby(columns).size().rename("count").reset_index()
    stats = stats.sort_values(columns, kind="mergesort")
    arrays = {c: stats[c].to_numpy(dtype=float) for c in columns}
    return model_class.fit(**arrays, weights=stats["count"].to_numpy(dtype=float), **options)


def frames_equal_exact(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def params_close(got: dict[str, float], want: dict[str, float], rel: float = REL) -> None:
    assert got.keys() == want.keys()
    for k in want:
        assert abs(got[k] - want[k]) <= rel * abs(want[k]), (k, got[k], want[k])
