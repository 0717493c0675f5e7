//! Bindings of `crate::unit_economics` and `crate::channels`. The public, documented functions
//! are in `python/ltvkit/economics.py`; these take the arguments it has normalised.

use super::errors::{py_result, InvalidInputError};
use super::numeric::{call, scalar, scalar_or_missing, Scalar};
use crate::channels::{self, ChannelInput, ChannelOutcome, ChannelValue};
use crate::error::Result;
use crate::number::Number;
use crate::period::Period;
use crate::unit_economics::{self as ue, Loss};
use crate::vectorize::{
    AverageOrderValue, Cac, CacPayback, ChurnRate, CustomerValue, ExpectedLifetime, HistoricalLtv,
    LtvCacRatio, LtvMultiple, MaxAffordableCac, ProfitLtv, PurchaseFrequency, RetentionRate,
    SimpleLtv, SubscriptionLtv,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use rust_decimal::Decimal;

fn period(name: &str, text: &str) -> PyResult<Period> {
    text.parse::<Period>().map_err(|_| {
        InvalidInputError::new_err(format!(
            "{name} is {text:?}: not a period; use \"year\", \"quarter\", \"month\" or \"week\""
        ))
    })
}

#[pyfunction]
fn average_order_value<'py>(
    py: Python<'py>,
    revenue: &Bound<'py, PyAny>,
    orders: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    call(py, &AverageOrderValue {}, [revenue, orders])
}

#[pyfunction]
fn purchase_frequency<'py>(
    py: Python<'py>,
    orders: &Bound<'py, PyAny>,
    customers: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    call(py, &PurchaseFrequency {}, [orders, customers])
}

#[pyfunction]
fn customer_value<'py>(
    py: Python<'py>,
    average_order_value: &Bound<'py, PyAny>,
    purchase_frequency: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    call(
        py,
        &CustomerValue {},
        [average_order_value, purchase_frequency],
    )
}

#[pyfunction]
fn simple_ltv<'py>(
    py: Python<'py>,
    average_order_value: &Bound<'py, PyAny>,
    purchase_frequency: &Bound<'py, PyAny>,
    lifespan: &Bound<'py, PyAny>,
    frequency_period: &str,
    lifespan_period: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let k = SimpleLtv {
        frequency_period: period("frequency_period", frequency_period)?,
        lifespan_period: period("lifespan_period", lifespan_period)?,
    };
    call(py, &k, [average_order_value, purchase_frequency, lifespan])
}

#[pyfunction]
fn historical_ltv<'py>(
    py: Python<'py>,
    cohort_revenue: &Bound<'py, PyAny>,
    cohort_customers: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    call(py, &HistoricalLtv {}, [cohort_revenue, cohort_customers])
}

#[pyfunction]
fn ltv_multiple_of_first_purchase<'py>(
    py: Python<'py>,
    ltv: &Bound<'py, PyAny>,
    first_purchase_value: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    call(py, &LtvMultiple {}, [ltv, first_purchase_value])
}

#[pyfunction]
#[pyo3(signature = (arpa, gross_margin, churn_rate, discount_rate, periods))]
fn subscription_ltv<'py>(
    py: Python<'py>,
    arpa: &Bound<'py, PyAny>,
    gross_margin: &Bound<'py, PyAny>,
    churn_rate: &Bound<'py, PyAny>,
    discount_rate: &Bound<'py, PyAny>,
    periods: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let periods = match periods {
        None => None,
        Some(p) => Some(u64::try_from(p).map_err(|_| {
            InvalidInputError::new_err(format!(
                "periods is {p}: must be at least 1 (or None for an unbounded horizon)"
            ))
        })?),
    };
    call(
        py,
        &SubscriptionLtv { periods },
        [arpa, gross_margin, churn_rate, discount_rate],
    )
}

#[pyfunction]
fn profit_ltv<'py>(
    py: Python<'py>,
    first_purchase: &Bound<'py, PyAny>,
    repeat_purchases: &Bound<'py, PyAny>,
    repeat_value: &Bound<'py, PyAny>,
    margin: &Bound<'py, PyAny>,
    cost_to_serve: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    call(
        py,
        &ProfitLtv {},
        [
            first_purchase,
            repeat_purchases,
            repeat_value,
            margin,
            cost_to_serve,
        ],
    )
}

#[pyfunction]
fn max_affordable_cac<'py>(
    py: Python<'py>,
    ltv: &Bound<'py, PyAny>,
    target_ratio: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    call(py, &MaxAffordableCac {}, [ltv, target_ratio])
}

#[pyfunction]
fn cac<'py>(
    py: Python<'py>,
    acquisition_spend: &Bound<'py, PyAny>,
    new_customers: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    call(py, &Cac {}, [acquisition_spend, new_customers])
}

#[pyfunction]
fn ltv_cac_ratio<'py>(
    py: Python<'py>,
    ltv: &Bound<'py, PyAny>,
    cac: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    call(py, &LtvCacRatio {}, [ltv, cac])
}

#[pyfunction]
fn cac_payback_periods<'py>(
    py: Python<'py>,
    cac: &Bound<'py, PyAny>,
    margin_per_period: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    call(py, &CacPayback {}, [cac, margin_per_period])
}

#[pyfunction]
fn churn_rate<'py>(
    py: Python<'py>,
    customers_at_start: &Bound<'py, PyAny>,
    customers_lost: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    call(py, &ChurnRate {}, [customers_at_start, customers_lost])
}

#[pyfunction]
fn retention_rate<'py>(
    py: Python<'py>,
    customers_at_start: &Bound<'py, PyAny>,
    customers_at_end: &Bound<'py, PyAny>,
    new_customers: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    call(
        py,
        &RetentionRate {},
        [customers_at_start, customers_at_end, new_customers],
    )
}

#[pyfunction]
fn expected_lifetime<'py>(
    py: Python<'py>,
    churn_rate: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    call(py, &ExpectedLifetime {}, [churn_rate])
}

fn to_u64(name: &str, value: i64) -> PyResult<u64> {
    u64::try_from(value).map_err(|_| {
        InvalidInputError::new_err(format!("{name} is {value}: must be zero or positive"))
    })
}

fn list_of<'py, N: IntoPyObject<'py> + Copy>(
    py: Python<'py>,
    v: &[N],
) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyList::new(py, v.iter().copied())?.into_any())
}

#[pyfunction]
#[pyo3(signature = (new_per_period, lost_per_period, periods, start, churn_rate))]
fn project_customer_base<'py>(
    py: Python<'py>,
    new_per_period: &Bound<'py, PyAny>,
    lost_per_period: Option<&Bound<'py, PyAny>>,
    periods: i64,
    start: &Bound<'py, PyAny>,
    churn_rate: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let periods = to_u64("periods", periods)?;
    let (loss_name, loss_obj, fixed) = match (lost_per_period, churn_rate) {
        (Some(l), None) => ("lost_per_period", l, true),
        (None, Some(c)) => ("churn_rate", c, false),
        _ => {
            return Err(InvalidInputError::new_err(
                "pass exactly one of lost_per_period (customers lost each period) or churn_rate= (share lost each period)",
            ))
        }
    };
    let new = scalar("new_per_period", new_per_period)?;
    let loss = scalar(loss_name, loss_obj)?;
    let start = scalar("start", start)?;
    let exact = [new, loss, start]
        .iter()
        .any(|v| matches!(v, Scalar::Exact(_)));
    fn make_loss<N>(fixed: bool, x: N) -> Loss<N> {
        if fixed {
            Loss::Fixed(x)
        } else {
            Loss::Rate(x)
        }
    }
    if exact {
        let d = |name: &str, s: Scalar| py_result(s.as_decimal(name));
        let out = ue::project_customer_base(
            d("new_per_period", new)?,
            make_loss(fixed, d(loss_name, loss)?),
            periods,
            d("start", start)?,
        );
        list_of(py, &py_result(out)?)
    } else {
        let out = ue::project_customer_base(
            new.as_f64(),
            make_loss(fixed, loss.as_f64()),
            periods,
            start.as_f64(),
        );
        list_of(py, &py_result(out)?)
    }
}

/// One optional table column: a cell per row, `None` where missing.
type Cells = Vec<Option<Scalar>>;

fn read_column(
    name: &str,
    cells: Option<Vec<Bound<'_, PyAny>>>,
    n: usize,
) -> PyResult<Option<Cells>> {
    let Some(cells) = cells else { return Ok(None) };
    if cells.len() != n {
        return Err(InvalidInputError::new_err(format!(
            "column {name:?} has {} rows but column \"channel\" has {n}",
            cells.len()
        )));
    }
    cells
        .iter()
        .map(|c| scalar_or_missing(name, c))
        .collect::<PyResult<Cells>>()
        .map(Some)
}

struct Table {
    channel: Vec<String>,
    spend: Cells,
    new_customers: Cells,
    ltv: Option<Cells>,
    average_order_value: Option<Cells>,
    frequency: Option<Cells>,
    lifespan: Option<Cells>,
    gross_margin: Option<Cells>,
}

fn cell<N: Number>(
    column: &str,
    cells: Option<&Cells>,
    row: usize,
    conv: &impl Fn(&str, Scalar) -> Result<N>,
) -> Result<Option<N>> {
    match cells.and_then(|c| c[row]) {
        Some(s) => conv(column, s)
            .map(Some)
            .map_err(|e| e.at(crate::error::Position::Row(row))),
        None => Ok(None),
    }
}

fn required<N: Number>(
    column: &str,
    cells: &Cells,
    row: usize,
    conv: &impl Fn(&str, Scalar) -> Result<N>,
) -> Result<N> {
    cell(column, Some(cells), row, conv)?.ok_or_else(|| {
        crate::Error::param(
            column,
            "missing",
            "is required for every channel; fill it in",
        )
        .at(crate::error::Position::Row(row))
    })
}

fn build_rows<N: Number>(
    t: &Table,
    conv: impl Fn(&str, Scalar) -> Result<N>,
) -> Result<Vec<ChannelInput<N>>> {
    let mut rows = Vec::with_capacity(t.channel.len());
    for (i, name) in t.channel.iter().enumerate() {
        let ltv = cell("ltv", t.ltv.as_ref(), i, &conv)?;
        let aov = cell(
            "average_order_value",
            t.average_order_value.as_ref(),
            i,
            &conv,
        )?;
        let freq = cell("frequency", t.frequency.as_ref(), i, &conv)?;
        let life = cell("lifespan", t.lifespan.as_ref(), i, &conv)?;
        let value =
            match (ltv, aov, freq, life) {
                (Some(ltv), _, _, lifespan) => ChannelValue::Ltv { ltv, lifespan },
                (None, Some(a), Some(f), Some(l)) => ChannelValue::Components {
                    average_order_value: a,
                    frequency: f,
                    lifespan: l,
                },
                _ => return Err(crate::Error::param(
                    "ltv",
                    "missing",
                    "give each channel an ltv, or an average_order_value, frequency and lifespan",
                )
                .at(crate::error::Position::Row(i))),
            };
        rows.push(ChannelInput {
            channel: name.clone(),
            spend: required("spend", &t.spend, i, &conv)?,
            new_customers: required("new_customers", &t.new_customers, i, &conv)?,
            value,
            gross_margin: cell("gross_margin", t.gross_margin.as_ref(), i, &conv)?,
        });
    }
    Ok(rows)
}

fn outcomes_to_dict<'py, N: Number + IntoPyObject<'py>>(
    py: Python<'py>,
    out: Vec<ChannelOutcome<N>>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(
        "channel",
        out.iter().map(|o| o.channel.clone()).collect::<Vec<_>>(),
    )?;
    macro_rules! col {
        ($($f:ident),*) => { $( d.set_item(stringify!($f), PyList::new(py, out.iter().map(|o| o.$f))?)?; )* };
    }
    col!(
        spend,
        new_customers,
        cac,
        ltv,
        ltv_cac,
        payback_periods,
        profit_per_customer,
        total_profit,
        loses_money
    );
    Ok(d)
}

#[pyfunction]
#[pyo3(signature = (channel, spend, new_customers, ltv, average_order_value, frequency, lifespan, gross_margin))]
#[allow(clippy::too_many_arguments)]
fn channel_economics<'py>(
    py: Python<'py>,
    channel: Vec<String>,
    spend: Vec<Bound<'py, PyAny>>,
    new_customers: Vec<Bound<'py, PyAny>>,
    ltv: Option<Vec<Bound<'py, PyAny>>>,
    average_order_value: Option<Vec<Bound<'py, PyAny>>>,
    frequency: Option<Vec<Bound<'py, PyAny>>>,
    lifespan: Option<Vec<Bound<'py, PyAny>>>,
    gross_margin: Option<Vec<Bound<'py, PyAny>>>,
) -> PyResult<Bound<'py, PyDict>> {
    let n = channel.len();
    let missing = |name: &str| {
        InvalidInputError::new_err(format!("column {name:?} is missing from the channel table"))
    };
    let t = Table {
        spend: read_column("spend", Some(spend), n)?.ok_or_else(|| missing("spend"))?,
        new_customers: read_column("new_customers", Some(new_customers), n)?
            .ok_or_else(|| missing("new_customers"))?,
        ltv: read_column("ltv", ltv, n)?,
        average_order_value: read_column("average_order_value", average_order_value, n)?,
        frequency: read_column("frequency", frequency, n)?,
        lifespan: read_column("lifespan", lifespan, n)?,
        gross_margin: read_column("gross_margin", gross_margin, n)?,
        channel,
    };
    let exact = [
        Some(&t.spend),
        Some(&t.new_customers),
        t.ltv.as_ref(),
        t.average_order_value.as_ref(),
        t.frequency.as_ref(),
        t.lifespan.as_ref(),
        t.gross_margin.as_ref(),
    ]
    .into_iter()
    .flatten()
    .flatten()
    .any(|c| matches!(c, Some(Scalar::Exact(_))));
    if exact {
        let rows = py_result(build_rows(&t, |name, s| s.as_decimal(name)))?;
        outcomes_to_dict(
            py,
            py_result(channels::channel_economics::<Decimal>(&rows))?,
        )
    } else {
        let rows = py_result(build_rows(&t, |_, s| Ok(s.as_f64())))?;
        outcomes_to_dict(py, py_result(channels::channel_economics::<f64>(&rows))?)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(average_order_value, m)?)?;
    m.add_function(wrap_pyfunction!(purchase_frequency, m)?)?;
    m.add_function(wrap_pyfunction!(customer_value, m)?)?;
    m.add_function(wrap_pyfunction!(simple_ltv, m)?)?;
    m.add_function(wrap_pyfunction!(historical_ltv, m)?)?;
    m.add_function(wrap_pyfunction!(ltv_multiple_of_first_purchase, m)?)?;
    m.add_function(wrap_pyfunction!(subscription_ltv, m)?)?;
    m.add_function(wrap_pyfunction!(profit_ltv, m)?)?;
    m.add_function(wrap_pyfunction!(max_affordable_cac, m)?)?;
    m.add_function(wrap_pyfunction!(cac, m)?)?;
    m.add_function(wrap_pyfunction!(ltv_cac_ratio, m)?)?;
    m.add_function(wrap_pyfunction!(cac_payback_periods, m)?)?;
    m.add_function(wrap_pyfunction!(churn_rate, m)?)?;
    m.add_function(wrap_pyfunction!(retention_rate, m)?)?;
    m.add_function(wrap_pyfunction!(expected_lifetime, m)?)?;
    m.add_function(wrap_pyfunction!(project_customer_base, m)?)?;
    m.add_function(wrap_pyfunction!(channel_economics, m)?)?;
    Ok(())
}
