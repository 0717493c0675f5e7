# Hand-written stubs of the Rust extension, checked by `python -m mypy.stubtest ltvkit._core`.
# The documented public API is in ltvkit.economics; these are its normalised entry points.
import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any, final

from typing_extensions import Self

__all__ = [
    "BetaGeoBetaBinomModel",
    "BetaGeoModel",
    "GammaGammaModel",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "ShiftedBetaGeoModel",
    "__version__",
    "_evaluate",
    "average_order_value",
    "cac",
    "cac_payback_periods",
    "calibration_holdout",
    "channel_economics",
    "churn_rate",
    "cohort_table",
    "cohort_table_one_pass",
    "customer_lifetime_value",
    "customer_value",
    "expected_lifetime",
    "historical_ltv",
    "historical_ltv_of_log",
    "ltv_cac_ratio",
    "ltv_multiple_of_first_purchase",
    "max_affordable_cac",
    "profit_ltv",
    "project_customer_base",
    "purchase_frequency",
    "retention_rate",
    "rfm_summary",
    "rfm_summary_one_pass",
    "rfm_summary_parquet",
    "simple_ltv",
    "subscription_ltv",
    "subscription_metrics",
    "value_breakdown",
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

@final
class BetaGeoModel:
    def __new__(cls, r: float, alpha: float, a: float, b: float) -> Self: ...
    @classmethod
    def fit(
        cls,
        data: Any = None,
        *,
        frequency: Any = None,
        recency: Any = None,
        T: Any = None,
        weights: Any = None,
        penalizer: float = 0.0,
        initial: list[float] | None = None,
        max_iterations: int = 500,
        tolerance: float = 1e-9,
        restarts: int = 4,
        unit: str | None = None,
    ) -> Self: ...
    def expected_purchases(self, t: Any) -> Any: ...
    def conditional_expected_purchases(
        self,
        t: Any,
        frequency: Any = None,
        recency: Any = None,
        T: Any = None,
        *,
        data: Any = None,
    ) -> Any: ...
    def p_alive(
        self, frequency: Any = None, recency: Any = None, T: Any = None, *, data: Any = None
    ) -> Any: ...
    def probability_of_purchases(self, n: Any, t: Any) -> Any: ...
    def simulate(self, n_customers: int, T: float, *, seed: int = 0) -> dict[str, Any]: ...
    def simulate_transactions(
        self,
        n_customers: int,
        T: float,
        *,
        seed: int = 0,
        start: datetime.date | None = None,
        unit: str = "day",
        kind: str = "pandas",
    ) -> Any: ...
    @property
    def params(self) -> dict[str, float]: ...
    @property
    def log_likelihood(self) -> float | None: ...
    @property
    def standard_errors(self) -> dict[str, float] | None: ...
    @property
    def covariance(self) -> list[list[float]] | None: ...
    def confidence_intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]: ...
    @property
    def aic(self) -> float | None: ...
    @property
    def bic(self) -> float | None: ...
    @property
    def n_customers(self) -> float | None: ...
    @property
    def n_iterations(self) -> int | None: ...
    @property
    def converged(self) -> bool | None: ...
    @property
    def unit(self) -> str | None: ...
    def summary(self) -> dict[str, list[Any]]: ...
    def to_json(self) -> str: ...
    @classmethod
    def from_json(cls, text: str) -> Self: ...
    def __reduce__(self) -> tuple[Any, tuple[str]]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def _repr_html_(self) -> str: ...
    def _repr_pretty_(self, p: Any, cycle: bool) -> None: ...

@final
class ModifiedBetaGeoModel:
    def __new__(cls, r: float, alpha: float, a: float, b: float) -> Self: ...
    @classmethod
    def fit(
        cls,
        data: Any = None,
        *,
        frequency: Any = None,
        recency: Any = None,
        T: Any = None,
        weights: Any = None,
        penalizer: float = 0.0,
        initial: list[float] | None = None,
        max_iterations: int = 500,
        tolerance: float = 1e-9,
        restarts: int = 4,
        unit: str | None = None,
    ) -> Self: ...
    def expected_purchases(self, t: Any) -> Any: ...
    def conditional_expected_purchases(
        self,
        t: Any,
        frequency: Any = None,
        recency: Any = None,
        T: Any = None,
        *,
        data: Any = None,
    ) -> Any: ...
    def p_alive(
        self, frequency: Any = None, recency: Any = None, T: Any = None, *, data: Any = None
    ) -> Any: ...
    def probability_of_purchases(self, n: Any, t: Any) -> Any: ...
    def simulate(self, n_customers: int, T: float, *, seed: int = 0) -> dict[str, Any]: ...
    def simulate_transactions(
        self,
        n_customers: int,
        T: float,
        *,
        seed: int = 0,
        start: datetime.date | None = None,
        unit: str = "day",
        kind: str = "pandas",
    ) -> Any: ...
    @property
    def params(self) -> dict[str, float]: ...
    @property
    def log_likelihood(self) -> float | None: ...
    @property
    def standard_errors(self) -> dict[str, float] | None: ...
    @property
    def covariance(self) -> list[list[float]] | None: ...
    def confidence_intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]: ...
    @property
    def aic(self) -> float | None: ...
    @property
    def bic(self) -> float | None: ...
    @property
    def n_customers(self) -> float | None: ...
    @property
    def n_iterations(self) -> int | None: ...
    @property
    def converged(self) -> bool | None: ...
    @property
    def unit(self) -> str | None: ...
    def summary(self) -> dict[str, list[Any]]: ...
    def to_json(self) -> str: ...
    @classmethod
    def from_json(cls, text: str) -> Self: ...
    def __reduce__(self) -> tuple[Any, tuple[str]]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def _repr_html_(self) -> str: ...
    def _repr_pretty_(self, p: Any, cycle: bool) -> None: ...

@final
class GammaGammaModel:
    def __new__(cls, p: float, q: float, gamma: float) -> Self: ...
    @classmethod
    def fit(
        cls,
        data: Any = None,
        *,
        frequency: Any = None,
        monetary_value: Any = None,
        weights: Any = None,
        penalizer: float = 0.0,
        initial: list[float] | None = None,
        max_iterations: int = 500,
        tolerance: float = 1e-9,
        restarts: int = 4,
        unit: str | None = None,
    ) -> Self: ...
    @property
    def spend_frequency_correlation(self) -> float | None: ...
    def conditional_expected_spend(self, frequency: Any, monetary_value: Any) -> Any: ...
    def population_mean_spend(self) -> float: ...
    def simulate_spend(self, frequency: Any, *, seed: int = 0) -> Any: ...
    @property
    def params(self) -> dict[str, float]: ...
    @property
    def log_likelihood(self) -> float | None: ...
    @property
    def standard_errors(self) -> dict[str, float] | None: ...
    @property
    def covariance(self) -> list[list[float]] | None: ...
    def confidence_intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]: ...
    @property
    def aic(self) -> float | None: ...
    @property
    def bic(self) -> float | None: ...
    @property
    def n_customers(self) -> float | None: ...
    @property
    def n_iterations(self) -> int | None: ...
    @property
    def converged(self) -> bool | None: ...
    @property
    def unit(self) -> str | None: ...
    def summary(self) -> dict[str, list[Any]]: ...
    def to_json(self) -> str: ...
    @classmethod
    def from_json(cls, text: str) -> Self: ...
    def __reduce__(self) -> tuple[Any, tuple[str]]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def _repr_html_(self) -> str: ...
    def _repr_pretty_(self, p: Any, cycle: bool) -> None: ...

def _evaluate(
    model: BetaGeoModel | ModifiedBetaGeoModel | ParetoNBDModel,
    frequency: Any,
    recency: Any,
    T: Any,
    actual: Any,
    duration: Any,
) -> dict[str, Any]: ...
def customer_lifetime_value(
    transaction_model: BetaGeoModel | ModifiedBetaGeoModel | ParetoNBDModel,
    spend_model: GammaGammaModel,
    data: Any = None,
    *,
    horizon: int,
    unit: str,
    discount_rate: float,
    margin: float = 1.0,
    data_unit: str | None = None,
    frequency: Any = None,
    recency: Any = None,
    T: Any = None,
    monetary_value: Any = None,
    schedule: bool = False,
) -> Any: ...

@final
class ParetoNBDModel:
    def __new__(cls, r: float, alpha: float, s: float, beta: float) -> Self: ...
    @classmethod
    def fit(
        cls,
        data: Any = None,
        *,
        frequency: Any = None,
        recency: Any = None,
        T: Any = None,
        weights: Any = None,
        penalizer: float = 0.0,
        initial: list[float] | None = None,
        max_iterations: int = 500,
        tolerance: float = 1e-9,
        restarts: int = 4,
        unit: str | None = None,
    ) -> Self: ...
    def expected_purchases(self, t: Any) -> Any: ...
    def conditional_expected_purchases(
        self,
        t: Any,
        frequency: Any = None,
        recency: Any = None,
        T: Any = None,
        *,
        data: Any = None,
    ) -> Any: ...
    def p_alive(
        self, frequency: Any = None, recency: Any = None, T: Any = None, *, data: Any = None
    ) -> Any: ...
    def dert(self, discount_rate: Any, frequency: Any, recency: Any, T: Any) -> Any: ...
    def probability_of_purchases(self, n: Any, t: Any) -> Any: ...
    def simulate(self, n_customers: int, T: float, *, seed: int = 0) -> dict[str, Any]: ...
    def simulate_transactions(
        self,
        n_customers: int,
        T: float,
        *,
        seed: int = 0,
        start: datetime.date | None = None,
        unit: str = "day",
        kind: str = "pandas",
    ) -> Any: ...
    @property
    def params(self) -> dict[str, float]: ...
    @property
    def log_likelihood(self) -> float | None: ...
    @property
    def standard_errors(self) -> dict[str, float] | None: ...
    @property
    def covariance(self) -> list[list[float]] | None: ...
    def confidence_intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]: ...
    @property
    def aic(self) -> float | None: ...
    @property
    def bic(self) -> float | None: ...
    @property
    def n_customers(self) -> float | None: ...
    @property
    def n_iterations(self) -> int | None: ...
    @property
    def converged(self) -> bool | None: ...
    @property
    def unit(self) -> str | None: ...
    def summary(self) -> dict[str, list[Any]]: ...
    def to_json(self) -> str: ...
    @classmethod
    def from_json(cls, text: str) -> Self: ...
    def __reduce__(self) -> tuple[Any, tuple[str]]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def _repr_html_(self) -> str: ...
    def _repr_pretty_(self, p: Any, cycle: bool) -> None: ...

@final
class BetaGeoBetaBinomModel:
    def __new__(cls, alpha: float, beta: float, gamma: float, delta: float) -> Self: ...
    @classmethod
    def fit(
        cls,
        data: Any = None,
        *,
        frequency: Any = None,
        recency: Any = None,
        periods: Any = None,
        weights: Any = None,
        penalizer: float = 0.0,
        initial: list[float] | None = None,
        max_iterations: int = 500,
        tolerance: float = 1e-9,
        restarts: int = 4,
        unit: str | None = None,
    ) -> Self: ...
    def expected_purchases(self, n: Any) -> Any: ...
    def probability_of_purchases(self, x: Any, n: Any) -> Any: ...
    def conditional_expected_purchases(
        self, n_star: Any, frequency: Any, recency: Any, periods: Any
    ) -> Any: ...
    def p_alive(self, frequency: Any, recency: Any, periods: Any) -> Any: ...
    def dert(self, discount_rate: Any, frequency: Any, recency: Any, periods: Any) -> Any: ...
    def simulate(self, n_customers: int, periods: float, *, seed: int = 0) -> dict[str, Any]: ...
    @property
    def params(self) -> dict[str, float]: ...
    @property
    def log_likelihood(self) -> float | None: ...
    @property
    def standard_errors(self) -> dict[str, float] | None: ...
    @property
    def covariance(self) -> list[list[float]] | None: ...
    def confidence_intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]: ...
    @property
    def aic(self) -> float | None: ...
    @property
    def bic(self) -> float | None: ...
    @property
    def n_customers(self) -> float | None: ...
    @property
    def n_iterations(self) -> int | None: ...
    @property
    def converged(self) -> bool | None: ...
    @property
    def unit(self) -> str | None: ...
    def summary(self) -> dict[str, list[Any]]: ...
    def to_json(self) -> str: ...
    @classmethod
    def from_json(cls, text: str) -> Self: ...
    def __reduce__(self) -> tuple[Any, tuple[str]]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def _repr_html_(self) -> str: ...
    def _repr_pretty_(self, p: Any, cycle: bool) -> None: ...

@final
class ShiftedBetaGeoModel:
    def __new__(cls, gamma: float, delta: float) -> Self: ...
    @classmethod
    def fit(
        cls,
        survivors: Any = None,
        *,
        duration: Any = None,
        churned: list[bool] | None = None,
        weights: Any = None,
        penalizer: float = 0.0,
        initial: list[float] | None = None,
        max_iterations: int = 500,
        tolerance: float = 1e-9,
        restarts: int = 4,
        unit: str | None = None,
    ) -> Self: ...
    def survival(self, t: Any) -> Any: ...
    def churn_probability(self, t: Any) -> Any: ...
    def retention_rate(self, t: Any) -> Any: ...
    def expected_lifetime(self) -> float: ...
    def discounted_expected_lifetime(self, discount_rate: Any) -> Any: ...
    def discounted_expected_residual_lifetime(self, discount_rate: Any, renewals: Any) -> Any: ...
    def simulate(self, n_customers: int, periods: float, *, seed: int = 0) -> dict[str, Any]: ...
    @property
    def params(self) -> dict[str, float]: ...
    @property
    def log_likelihood(self) -> float | None: ...
    @property
    def standard_errors(self) -> dict[str, float] | None: ...
    @property
    def covariance(self) -> list[list[float]] | None: ...
    def confidence_intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]: ...
    @property
    def aic(self) -> float | None: ...
    @property
    def bic(self) -> float | None: ...
    @property
    def n_customers(self) -> float | None: ...
    @property
    def n_iterations(self) -> int | None: ...
    @property
    def converged(self) -> bool | None: ...
    @property
    def unit(self) -> str | None: ...
    def summary(self) -> dict[str, list[Any]]: ...
    def to_json(self) -> str: ...
    @classmethod
    def from_json(cls, text: str) -> Self: ...
    def __reduce__(self) -> tuple[Any, tuple[str]]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def _repr_html_(self) -> str: ...
    def _repr_pretty_(self, p: Any, cycle: bool) -> None: ...

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
    memory_limit: int | None = None,
    rows_hint: int | None = None,
) -> tuple[Any, str]: ...
def rfm_summary_one_pass(
    data: Any,
    customer_id: str,
    date: str,
    amount: str | None,
    period: str,
    observation_end: datetime.date | None,
    future: str,
    refunds: str,
    memory_limit: int | None = None,
    rows_hint: int | None = None,
    id_range: tuple[int, int] | None = None,
) -> tuple[Any, str] | None: ...
def rfm_summary_parquet(
    files: list[str],
    customer_id: str,
    date: str,
    amount: str | None,
    period: str,
    observation_end: datetime.date | None,
    future: str,
    refunds: str,
    memory_limit: int | None = None,
    progress: Callable[[int, int, int], bool] | None = None,
) -> tuple[str, tuple[Any, str] | None]: ...
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
def cohort_table_one_pass(
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
) -> tuple[Any, str] | None: ...
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
