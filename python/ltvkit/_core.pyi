# Stubs of the Rust extension module, written by hand
# (checked by `python -m mypy.stubtest ltvkit._core`).
import datetime
from typing import Any

__version__: str

# The functions of other modules are not stubbed here yet.
def __getattr__(name: str) -> Any: ...

# transactions (src/python/transactions.rs): an Arrow stream in, (arro3 Table, JSON report) out
def rfm_summary(
    data: Any,
    customer_id: str,
    date: str,
    amount: str | None,
    period: str,
    observation_end: datetime.date | None,
    future: str,
    refunds: str,
) -> tuple[Any, str]: ...
def calibration_holdout(
    data: Any,
    customer_id: str,
    date: str,
    amount: str | None,
    period: str,
    calibration_end: datetime.date,
    observation_end: datetime.date | None,
    future: str,
    refunds: str,
) -> tuple[Any, str]: ...
def cohort_table(
    data: Any,
    customer_id: str,
    date: str,
    amount: str | None,
    segment: str | None,
    cohort: str,
    period: str,
    metric: str,
    observation_end: datetime.date | None,
    future: str,
    refunds: str,
) -> tuple[Any, str]: ...
def historical_ltv_of_log(
    data: Any,
    customer_id: str,
    date: str,
    amount: str,
    by: str | None,
    cohort: str,
    period: str,
    horizon: int | None,
    observation_end: datetime.date | None,
    future: str,
    refunds: str,
) -> tuple[Any, str]: ...
def subscription_metrics(
    data: Any,
    customer_id: str,
    month: str,
    mrr: str,
    observation_end: datetime.date | None,
    future: str,
    refunds: str,
) -> tuple[Any, str]: ...
def value_breakdown(
    data: Any,
    customer_id: str,
    date: str,
    amount: str,
    value_type: str,
    referred_by: str | None,
    referral_share: float,
    observation_end: datetime.date | None,
    future: str,
    refunds: str,
) -> tuple[Any, str]: ...
