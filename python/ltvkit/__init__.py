"""ltvkit: what customers are worth.

Lifetime value (LTV), acquisition cost (CAC), retention and churn, computed exactly and fast by a
Rust core. Importing ltvkit imports nothing heavy: pandas, polars, pyarrow and matplotlib are
imported only by the functions that need them.
"""

from __future__ import annotations

from ltvkit import datasets
from ltvkit._core import __version__
from ltvkit._display import display
from ltvkit.economics import (
    average_order_value,
    cac,
    cac_payback_periods,
    channel_economics,
    churn_rate,
    customer_value,
    expected_lifetime,
    historical_ltv,
    ltv_cac_ratio,
    ltv_multiple_of_first_purchase,
    max_affordable_cac,
    profit_ltv,
    project_customer_base,
    purchase_frequency,
    retention_rate,
    simple_ltv,
    subscription_ltv,
)
from ltvkit.evaluation import Evaluation, evaluate
from ltvkit.exceptions import (
    ArithmeticOverflowError,
    ConvergenceError,
    InvalidDataError,
    InvalidInputError,
    LtvError,
    MissingDependencyError,
    MissingFileError,
)
from ltvkit.models import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeoModel,
    customer_lifetime_value,
)
from ltvkit.transactions import (
    calibration_holdout,
    cohort_table,
    rfm_summary,
    subscription_metrics,
    value_breakdown,
)
from ltvkit.workbook import to_excel  # xlsxwriter is imported only when it runs

__all__ = [
    "ArithmeticOverflowError",
    "BetaGeoBetaBinomModel",
    "BetaGeoModel",
    "ConvergenceError",
    "Evaluation",
    "GammaGammaModel",
    "InvalidDataError",
    "InvalidInputError",
    "LtvError",
    "MissingDependencyError",
    "MissingFileError",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "ShiftedBetaGeoModel",
    "__version__",
    "average_order_value",
    "cac",
    "cac_payback_periods",
    "calibration_holdout",
    "channel_economics",
    "churn_rate",
    "cohort_table",
    "customer_lifetime_value",
    "customer_value",
    "datasets",
    "display",
    "evaluate",
    "expected_lifetime",
    "historical_ltv",
    "ltv_cac_ratio",
    "ltv_multiple_of_first_purchase",
    "max_affordable_cac",
    "profit_ltv",
    "project_customer_base",
    "purchase_frequency",
    "retention_rate",
    "rfm_summary",
    "simple_ltv",
    "subscription_ltv",
    "subscription_metrics",
    "to_excel",
    "value_breakdown",
]
