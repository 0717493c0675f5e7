"""Holdout checks of a fitted transaction model (BG/NBD, MBG/NBD, Pareto/NBD).

:func:`evaluate` compares each customer's predicted holdout purchases with the purchases they
made, on the frame :func:`ltvkit.calibration_holdout` returns. The statistics are computed in
the Rust core; this module reads the columns and builds tables of the caller's kind.

Examples
--------
>>> from ltvkit import BetaGeoModel, evaluate
>>> m = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
>>> frame = {"frequency_cal": [2.0, 0.0], "recency_cal": [30.43, 0.0], "T_cal": [38.86, 38.86],
...          "frequency_holdout": [1.0, 0.0], "duration_holdout": [39.0, 39.0]}
>>> e = evaluate(m, frame)
>>> [round(float(v), 3) for v in e.predictions["predicted"]]  # FHL 2005 print 1.226
[1.226, 0.195]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ltvkit import _core
from ltvkit.models import _columns, _frame_kind, _table

__all__ = ["Evaluation", "evaluate"]

_SPEC = (
    ("frequency", ("frequency_cal", "frequency", "x")),
    ("recency", ("recency_cal", "recency", "t_x")),
    ("T", ("T_cal", "T")),
    ("frequency_holdout", ("frequency_holdout",)),
    ("duration_holdout", ("duration_holdout",)),
)


@dataclass(frozen=True)
class Evaluation:
    """The result of :func:`evaluate`.

    Attributes
    ----------
    mae, rmse, bias : float
        Mean absolute error, root mean squared error and mean (predicted - actual) of the
        holdout purchases per customer (bias > 0: the model over-predicts).
    n_customers : int
        Customers evaluated.
    total_predicted, total_actual : float
        Holdout purchases of all customers, expected and observed.
    predictions : table
        Per customer (keyed as in ``data``): ``predicted`` and ``actual`` holdout purchases.
    deciles : table
        ``decile`` (1 = highest predictions), ``n_customers``, ``mean_predicted``,
        ``mean_actual``: the calibration table of customers ranked by prediction.
    tracking : table
        ``time`` (1, 2, ... holdout periods in the model's unit) and ``expected_cumulative``,
        the expected purchases of all customers by that time. The calibration-holdout frame
        holds only each customer's holdout total, so the actual series is its end point,
        ``total_actual``.
    """

    mae: float
    rmse: float
    bias: float
    n_customers: int
    total_predicted: float
    total_actual: float
    predictions: Any
    deciles: Any
    tracking: Any


def evaluate(model: Any, data: Any) -> Evaluation:
    """Predicted vs actual holdout purchases of each customer, with a decile calibration table
    and the expected cumulative tracking series.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        Fitted on the calibration columns of ``data`` (same time unit).
    data : DataFrame, pyarrow Table or dict of arrays
        As returned by :func:`ltvkit.calibration_holdout`: ``frequency_cal``, ``recency_cal``,
        ``T_cal``, ``frequency_holdout`` and ``duration_holdout``.

    Returns
    -------
    Evaluation
        Summary numbers and three tables of the same kind as ``data`` (pandas, polars,
        pyarrow; a dict for a dict); ``predictions`` keeps the customer key (the pandas index,
        or the customer-id column of a polars/pyarrow frame).

    Raises
    ------
    InvalidDataError
        A missing column, or a negative / non-finite holdout count or duration (naming the
        row).
    InvalidInputError
        ``model`` is not a transaction model.

    Notes
    -----
    ``predicted_i = E[Y_i(d_i) | x_i, t_x_i, T_i]`` (FHL 2005 eq. 10 for BG/NBD);
    ``MAE = mean |predicted - actual|``, ``RMSE = sqrt(mean (predicted - actual)^2)``,
    ``bias = mean (predicted - actual)``. Deciles: customers sorted by prediction (descending,
    ties in row order) and split into 10 groups whose sizes differ by at most one, larger
    groups first (as ``numpy.array_split``).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way.
    Marketing Science 24(2), 275-284, section 4 (Figures 4 and 5).
    """
    x, tx, t, actual, duration = _columns(data, _SPEC)
    res = _core._evaluate(model, x, tx, t, actual, duration)
    kind = _frame_kind(data)
    predictions = _table(kind, data, {"predicted": res["predicted"], "actual": actual}, keyed=True)
    deciles = _table(
        kind,
        data,
        {
            "decile": res["decile"],
            "n_customers": res["n_customers"],
            "mean_predicted": res["mean_predicted"],
            "mean_actual": res["mean_actual"],
        },
        keyed=False,
    )
    tracking = _table(
        kind,
        data,
        {"time": res["tracking_time"], "expected_cumulative": res["tracking_expected"]},
        keyed=False,
    )
    return Evaluation(
        mae=res["mae"],
        rmse=res["rmse"],
        bias=res["bias"],
        n_customers=len(actual),
        total_predicted=res["total_predicted"],
        total_actual=res["total_actual"],
        predictions=predictions,
        deciles=deciles,
        tracking=tracking,
    )
