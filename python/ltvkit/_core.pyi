# Hand-written stubs of the Rust extension, checked by `python -m mypy.stubtest ltvkit._core`.
# The documented public API is in ltvkit.economics; these are its normalised entry points.
from decimal import Decimal
from typing import Any

__all__ = [
    "__version__",
    "average_order_value",
    "cac",
    "cac_payback_periods",
    "channel_economics",
    "churn_rate",
    "customer_value",
    "expected_lifetime",
    "historical_ltv",
    "ltv_cac_ratio",
    "ltv_multiple_of_first_purchase",
    "max_affordable_cac",
    "profit_ltv",
    "project_customer_base",
    "purchase_frequency",
    "retention_rate",
    "simple_ltv",
    "subscription_ltv",
]

__version__: str

def average_order_value(revenue: Any, orders: Any) -> Any: ...
def purchase_frequency(orders: Any, customers: Any) -> Any: ...
def customer_value(average_order_value: Any, purchase_frequency: Any) -> Any: ...
def simple_ltv(
    average_order_value: Any,
    purchase_frequency: Any,
    lifespan: Any,
    frequency_period: str,
    lifespan_period: str,
) -> Any: ...
def historical_ltv(cohort_revenue: Any, cohort_customers: Any) -> Any: ...
def ltv_multiple_of_first_purchase(ltv: Any, first_purchase_value: Any) -> Any: ...
def subscription_ltv(
    arpa: Any, gross_margin: Any, churn_rate: Any, discount_rate: Any, periods: int | None
) -> Any: ...
def profit_ltv(
    first_purchase: Any,
    repeat_purchases: Any,
    repeat_value: Any,
    margin: Any,
    cost_to_serve: Any,
) -> Any: ...
def max_affordable_cac(ltv: Any, target_ratio: Any) -> Any: ...
def cac(acquisition_spend: Any, new_customers: Any) -> Any: ...
def ltv_cac_ratio(ltv: Any, cac: Any) -> Any: ...
def cac_payback_periods(cac: Any, margin_per_period: Any) -> Any: ...
def churn_rate(customers_at_start: Any, customers_lost: Any) -> Any: ...
def retention_rate(customers_at_start: Any, customers_at_end: Any, new_customers: Any) -> Any: ...
def expected_lifetime(churn_rate: Any) -> Any: ...
def project_customer_base(
    new_per_period: Any,
    lost_per_period: Any | None,
    periods: int,
    start: Any,
    churn_rate: Any | None,
) -> list[float] | list[Decimal]: ...
def channel_economics(
    channel: list[str],
    spend: list[Any],
    new_customers: list[Any],
    ltv: list[Any] | None,
    average_order_value: list[Any] | None,
    frequency: list[Any] | None,
    lifespan: list[Any] | None,
    gross_margin: list[Any] | None,
) -> dict[str, list[Any]]: ...
