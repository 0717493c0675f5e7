"""The ``ltvkit`` command line: one subcommand per unit-economics function.

Numbers on the command line are read as exact decimals, so results are exact::

    ltvkit simple-ltv --aov 19.99 --frequency 3 --lifespan 2      # 119.94
    ltvkit channels                     # the bundled example channel table
    ltvkit channels my_channels.csv --json
    ltvkit report [FILE] -o report.html    # a self-contained HTML customer-value report

Bad input exits with status 1 and a one-line message on stderr; usage errors exit with 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from ltvkit import economics
from ltvkit.exceptions import LtvError

__all__ = ["main"]

# subcommand -> (function, [(flag, parameter, required, help)], positional parameters)
_Param = tuple[str, str, bool, str]
_COMMANDS: dict[str, tuple[Callable[..., Any], list[_Param], int]] = {
    "average-order-value": (
        economics.average_order_value,
        [
            ("--revenue", "revenue", True, "revenue of the period"),
            ("--orders", "orders", True, "purchases in the period"),
        ],
        2,
    ),
    "purchase-frequency": (
        economics.purchase_frequency,
        [
            ("--orders", "orders", True, "purchases in the period"),
            ("--customers", "customers", True, "unique customers in the period"),
        ],
        2,
    ),
    "customer-value": (
        economics.customer_value,
        [
            ("--aov", "average_order_value", True, "average order value"),
            ("--frequency", "purchase_frequency", True, "purchases per period"),
        ],
        2,
    ),
    "simple-ltv": (
        economics.simple_ltv,
        [
            ("--aov", "average_order_value", True, "average order value"),
            ("--frequency", "purchase_frequency", True, "purchases per period"),
            ("--lifespan", "lifespan", True, "lifespan in periods"),
            ("--period", "period", False, "unit of frequency and lifespan (default year)"),
            ("--frequency-period", "frequency_period", False, "unit of the frequency"),
            ("--lifespan-period", "lifespan_period", False, "unit of the lifespan"),
        ],
        3,
    ),
    "historical-ltv": (
        economics.historical_ltv,
        [
            ("--revenue", "cohort_revenue", True, "revenue of the cohort over its life"),
            ("--customers", "cohort_customers", True, "customers in the cohort"),
        ],
        2,
    ),
    "ltv-multiple": (
        economics.ltv_multiple_of_first_purchase,
        [
            ("--ltv", "ltv", True, "lifetime value"),
            ("--first-purchase", "first_purchase_value", True, "value of the first purchase"),
        ],
        2,
    ),
    "subscription-ltv": (
        economics.subscription_ltv,
        [
            ("--arpa", "arpa", True, "average revenue per account per period"),
            ("--gross-margin", "gross_margin", True, "share of revenue kept, 0..1"),
            ("--churn", "churn_rate", True, "share of customers lost per period, 0..1"),
            ("--discount-rate", "discount_rate", False, "discount rate per period"),
            ("--periods", "periods", False, "horizon in periods (default: unbounded)"),
        ],
        3,
    ),
    "profit-ltv": (
        economics.profit_ltv,
        [
            ("--first-purchase", "first_purchase", True, "value of the first purchase"),
            ("--repeat-purchases", "repeat_purchases", True, "number of repeat purchases"),
            ("--repeat-value", "repeat_value", True, "value of a repeat purchase"),
            ("--margin", "margin", True, "share of revenue kept, 0..1"),
            ("--cost-to-serve", "cost_to_serve", False, "cost to serve the customer"),
        ],
        4,
    ),
    "max-affordable-cac": (
        economics.max_affordable_cac,
        [
            ("--ltv", "ltv", True, "lifetime value"),
            ("--target-ratio", "target_ratio", False, "target LTV:CAC (default 3)"),
        ],
        1,
    ),
    "cac": (
        economics.cac,
        [
            ("--spend", "acquisition_spend", True, "acquisition spend"),
            ("--new-customers", "new_customers", True, "customers won"),
        ],
        2,
    ),
    "ltv-cac-ratio": (
        economics.ltv_cac_ratio,
        [("--ltv", "ltv", True, "lifetime value"), ("--cac", "cac", True, "acquisition cost")],
        2,
    ),
    "cac-payback": (
        economics.cac_payback_periods,
        [
            ("--cac", "cac", True, "acquisition cost"),
            (
                "--margin-per-period",
                "margin_per_period",
                True,
                "margin a customer brings per period",
            ),
        ],
        2,
    ),
    "churn-rate": (
        economics.churn_rate,
        [
            ("--start", "customers_at_start", True, "customers at the start of the period"),
            ("--lost", "customers_lost", True, "customers lost during the period"),
        ],
        2,
    ),
    "retention-rate": (
        economics.retention_rate,
        [
            ("--start", "customers_at_start", True, "customers at the start of the period"),
            ("--end", "customers_at_end", True, "customers at the end of the period"),
            ("--new", "new_customers", True, "customers won during the period"),
        ],
        3,
    ),
    "expected-lifetime": (
        economics.expected_lifetime,
        [("--churn", "churn_rate", True, "share of customers lost per period")],
        1,
    ),
    "project-base": (
        economics.project_customer_base,
        [
            ("--new", "new_per_period", True, "customers won each period"),
            ("--lost", "lost_per_period", False, "customers lost each period"),
            ("--periods", "periods", True, "periods to project"),
            ("--start", "start", False, "customers before the first period"),
            ("--churn", "churn_rate", False, "share of the base lost each period, or --lost"),
        ],
        3,
    ),
}

_TEXT = {"period", "frequency_period", "lifespan_period"}
_INT = {"periods"}


def _json_value(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_json_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}: {_json_value(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return json.dumps(value)


def _fmt(value: Any, spec: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (Decimal, float, int)):
        return format(value, spec)
    return str(value)


def _channel_report(path: str | None, as_json: bool) -> str:
    from ltvkit import datasets

    if path is None:
        table: Any = datasets.load_channels("records")
    else:
        p = Path(path)
        if not p.is_file():
            msg = f"no such channel file: {path}"
            raise LtvError(msg)
        with p.open(newline="", encoding="utf-8-sig") as f:
            table = [
                {k: (v if k == "channel" or (v or "").strip() else None) for k, v in row.items()}
                for row in csv.DictReader(f)
            ]
        if not table:
            msg = f"{path} has no rows; it needs a header and one row per channel"
            raise LtvError(msg)
    rows = economics.channel_economics(table)
    if as_json:
        return _json_value(rows)
    columns = [
        ("channel", "channel", ""),
        ("cac", "CAC", ",.2f"),
        ("ltv", "LTV", ",.2f"),
        ("ltv_cac", "LTV:CAC", ".2f"),
        ("payback_periods", "payback", ".2f"),
        ("profit_per_customer", "profit/customer", ",.2f"),
        ("total_profit", "total profit", ",.2f"),
        ("loses_money", "loses money", ""),
    ]
    cells = [[title for _, title, _ in columns]]
    cells += [[_fmt(r[key], spec) for key, _, spec in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    losers = [r["channel"] for r in rows if r["loses_money"]]
    lines.append("")
    lines.append(
        "channels losing money: "
        + (", ".join(losers) if losers else "none")
        + "   (LTV is gross-margin LTV; payback in the unit of frequency and lifespan)"
    )
    return "\n".join(lines)


# ---- `ltvkit workbook`: the live-formula Excel workbook (ltvkit.workbook) ------------------


def _add_workbook_command(sub: Any) -> None:
    wb = sub.add_parser(
        "workbook",
        help="write a customer-value Excel workbook with live formulas",
        description="Write an .xlsx workbook: inputs with native Excel formulas (LTV, LTV:CAC, "
        "payback, customer-base projection), cohorts, channels, per-customer CLV, the fitted "
        "models and charts. Needs pip install 'ltvkit[excel]'.",
    )
    wb.add_argument(
        "file", nargs="?", help="transaction log CSV or Parquet (default: the bundled CDNOW sample)"
    )
    wb.add_argument("-o", "--output", default="model.xlsx", help="the .xlsx file to write")
    wb.add_argument("--channels", help="channel CSV (default: the bundled example)")
    wb.add_argument("--period", default="7D", help="time unit of the models (default 7D)")
    wb.add_argument("--horizon", type=int, default=12, help="CLV horizon in months")
    wb.add_argument("--customer-id", default="customer_id", help="customer id column")
    wb.add_argument("--date", default="date", help="date column")
    wb.add_argument("--amount", default="amount", help="amount column")


def _workbook(args: argparse.Namespace) -> str:
    from ltvkit import workbook

    for given in (args.file, args.channels):
        if given is not None and not Path(given).exists():
            msg = f"no such file: {given}"
            raise LtvError(msg)
    channels = None
    if args.channels:
        with open(args.channels, newline="", encoding="utf-8") as f:
            channels = [
                {
                    k: v if k == "channel" else (Decimal(v) if v.strip() else None)
                    for k, v in r.items()
                }
                for r in csv.DictReader(f)
            ]
    path = workbook.to_excel(
        args.output,
        args.file,
        channels=channels,
        period=args.period,
        horizon=args.horizon,
        customer_id=args.customer_id,
        date=args.date,
        amount=args.amount,
    )
    return f"wrote {path}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ltvkit",
        description="Customer unit economics: LTV, CAC, payback, churn and retention, exact.",
    )
    parser.add_argument("--version", action="version", version=f"ltvkit {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ch = sub.add_parser("channels", help="economics of each acquisition channel from a CSV")
    ch.add_argument(
        "file",
        nargs="?",
        help="CSV with channel, spend, new_customers, and ltv or "
        "aov/frequency/lifespan (default: the bundled example)",
    )
    ch.add_argument("--json", action="store_true", help="machine-readable output")
    _add_workbook_command(sub)
    _add_report_parser(sub)
    for name, (func, params, _) in _COMMANDS.items():
        doc = (func.__doc__ or "").strip().splitlines()[0]
        p = sub.add_parser(name, help=doc, description=doc)
        for flag, dest, required, help_text in params:
            p.add_argument(flag, dest=dest, required=required, help=help_text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


# --- ltvkit report: a transaction log to one self-contained HTML file ---------------------


def _add_report_parser(sub: Any) -> None:
    rp = sub.add_parser(
        "report",
        help="a self-contained HTML customer-value report from a transaction log",
        description="From a transaction log (CSV or Parquet; the bundled CDNOW sample when "
        "no file is given) to one HTML file: summary numbers, cohorts, retention and LTV "
        "curves, BG/NBD and Gamma-Gamma fits with uncertainty, top customers by CLV, P(alive).",
    )
    rp.add_argument("file", nargs="?", help="CSV or Parquet log (default: bundled CDNOW)")
    rp.add_argument("-o", "--output", default="report.html", help="default: report.html")
    rp.add_argument("--customer-id", default="customer_id", help="customer column")
    rp.add_argument("--date", default="date", help="purchase date column")
    rp.add_argument("--amount", default="amount", help="amount column")
    rp.add_argument("--value-type", default="value_type", help="value-type column, if any")
    rp.add_argument(
        "--period", default="7D", help="unit of the RFM summary and model rates: D, 7D, W, M"
    )
    rp.add_argument("--cohort", default="M", help="cohort granularity and age unit: M or W")
    rp.add_argument("--horizon", type=int, default=12, help="CLV horizon in months")
    rp.add_argument("--discount-rate", type=float, default=0.01, help="per month")
    rp.add_argument("--title", help="heading of the report")
    rp.add_argument(
        "--xlsx",
        metavar="OUT",
        help="also write the workbook of the same log (see `ltvkit workbook`) to OUT",
    )
    rp.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _report(args: argparse.Namespace) -> int:
    from ltvkit.report import build_report

    try:
        report = build_report(
            args.file,
            customer_id=args.customer_id,
            date=args.date,
            amount=args.amount,
            value_type=args.value_type,
            period=args.period,
            cohort=args.cohort,
            horizon=args.horizon,
            discount_rate=args.discount_rate,
            title=args.title,
            progress=not args.quiet,
        )
    except LtvError:
        if not args.quiet:
            sys.stderr.write("\n")  # end the open progress line before the error message
        raise
    path = report.write(args.output)
    n = report.numbers
    print(
        f"wrote {path} ({path.stat().st_size / 1024:,.0f} KiB) in {report.seconds:.1f} s\n"
        f"{n['customers']:,} customers, {n['transactions']:,} transactions, "
        f"revenue {n['revenue']:,.2f}, {n['first_date']} to {n['last_date']}\n"
        f"BG/NBD r={n['bg_r']:.3f} alpha={n['bg_alpha']:.3f} a={n['bg_a']:.3f} b={n['bg_b']:.3f}"
        + (
            f"; mean {n['horizon_months']}-month CLV {n['clv_mean']:,.2f}, "
            f"total {n['clv_total']:,.2f}"
            if "clv_mean" in n
            else ""
        )
    )
    if args.xlsx is not None:
        _report_xlsx(args)
    return 0


def _report_xlsx(args: argparse.Namespace) -> None:
    """``--xlsx OUT``: the workbook (:func:`ltvkit.workbook.to_excel`) of the same log."""
    from ltvkit import workbook

    path = workbook.to_excel(
        args.xlsx,
        args.file,
        period=args.period,
        horizon=args.horizon,
        customer_id=args.customer_id,
        date=args.date,
        amount=args.amount,
        discount_rate=args.discount_rate,
    )
    print(f"wrote {path}")


def _version() -> str:
    from ltvkit import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ltvkit`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "channels":
            print(_channel_report(args.file, args.json))
            return 0
        if args.command == "workbook":
            print(_workbook(args))
            return 0
        if args.command == "report":
            return _report(args)
        func, params, n_positional = _COMMANDS[args.command]
        values: dict[str, Any] = {}
        for _, dest, _, _ in params:
            raw = getattr(args, dest)
            if raw is None:
                continue
            if dest in _INT:
                try:
                    values[dest] = int(raw)
                except ValueError:
                    msg = f"{dest} is {raw!r}: pass a whole number"
                    raise LtvError(msg) from None
            else:
                values[dest] = raw if dest in _TEXT else raw.strip()
        names = [dest for _, dest, _, _ in params]
        positional = [values.pop(n) if n in values else None for n in names[:n_positional]]
        result = func(*positional, **values)
    except LtvError as exc:
        print(f"ltvkit {args.command}: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print("{" + f'"function": "{func.__name__}", "result": {_json_value(result)}' + "}")
    elif isinstance(result, list):
        print(" ".join(str(v) for v in result))
    else:
        print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
