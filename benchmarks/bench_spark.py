"""Spark, local[2]: the summary + BG/NBD + Gamma-Gamma + 12-month CLV pipeline on a Parquet log,
ltvkit.spark against the same pipeline in plain PySpark (SQL aggregations, scipy fits of the
published log-likelihoods on the driver, CLV in a pandas UDF) and against ltvkit on one machine.

    nice -n 10 .venv/bin/python benchmarks/bench_spark.py /work/bench-data/log10m.parquet \\
        --repeat 3 --partitions 8

One Spark session (start-up not timed) runs every contender ``--repeat`` times, in this order:
ltvkit.spark (once per ``--ltvkit-batch-rows`` value, default ltvkit's own 100,000 rows a
batch), the plain pipeline with Spark's Arrow settings and/or (``--plain-arrow``) with the ones
ltvkit sets during its jobs (``maxBytesPerBatch`` 2147483647, ``maxRecordsPerBatch`` 100,000:
the plain pipeline's ``toPandas`` and ``mapInPandas`` use Arrow too), then ltvkit on one
machine. The medians of each phase are printed:

- ``read``: the scan of the log and ``max(date)`` (the observation end; both pipelines need it);
- ``shuffle``: the log repartitioned by customer and discarded (``noop`` sink), minus ``read``:
  what the shuffle of the log alone costs (ltvkit only; the plain pipeline's group-bys shuffle
  inside its summary);
- ``summary``: the summary, persisted and counted, minus ``read`` and ``shuffle`` for ltvkit
  (so that it is the Rust kernel in the executors), everything for the plain pipeline;
- ``fit``: sufficient statistics to the driver and both fits;
- ``clv``: scored in the executors, persisted and counted.

Peak memory is the sum of the peak RSS (VmHWM) of the driver, the JVM and the Python workers,
read from /proc at the end (an upper bound: their peaks need not coincide).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MONTH = 365.2425 / 12


def tree_peak_rss() -> int:
    """Sum of VmHWM over this process and its descendants, in bytes."""
    children: dict[int, list[int]] = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(p.name))
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def scipy_fits(x: Any, tx: Any, tt: Any, w: Any, gx: Any, gm: Any) -> dict[str, float]:
    """BG/NBD (FHL 2005 eq. 6) on the weighted distinct rows, Gamma-Gamma (Fader, Hardie & Lee
    2005b) on the repeat buyers, with scipy's L-BFGS-B (numerical gradients), as a data team
    would write them."""
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import gammaln

    def bg_nll(theta: Any) -> float:
        r, alpha, a, b = np.exp(theta)
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        a3 = -(r + x) * np.log(alpha + tt)
        with np.errstate(divide="ignore", invalid="ignore"):
            a4 = np.where(
                x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + tx), -np.inf
            )
        return float(-np.sum(w * (a1 + a2 + np.logaddexp(a3, a4))) / w.sum())

    r, alpha, a, b = np.exp(minimize(bg_nll, np.zeros(4), method="L-BFGS-B").x)

    def gg_nll(theta: Any) -> float:
        p, q, v = np.exp(theta)
        ll = (
            gammaln(p * gx + q)
            - gammaln(p * gx)
            - gammaln(q)
            + q * np.log(v)
            + (p * gx - 1) * np.log(gm)
            + p * gx * np.log(gx)
            - (p * gx + q) * np.log(gx * gm + v)
        )
        return float(-np.mean(ll))

    p, q, v = np.exp(minimize(gg_nll, np.zeros(3), method="L-BFGS-B").x)
    return {"r": r, "alpha": alpha, "a": a, "b": b, "p": p, "q": q, "gamma": v}


def scipy_clv(pdf: Any, k: dict[str, float]) -> Any:
    """12-month CLV at 1% a month of each row of ``pdf`` (days), BG/NBD + Gamma-Gamma."""
    import numpy as np
    from scipy.special import hyp2f1

    r, alpha, a, b, p, q, v = (k[n] for n in ("r", "alpha", "a", "b", "p", "q", "gamma"))
    X, TX, T, M = (pdf[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))
    spend = (v + X * M) * p / (p * X + q - 1)
    odds = (X > 0) * a / np.maximum(b + X - 1, 1e-12) * ((alpha + T) / (alpha + TX)) ** (r + X)
    palive = 1 / (1 + odds)

    def expected(t: float) -> Any:
        z = t / (alpha + T + t)
        h = hyp2f1(r + X, b + X, a + b + X - 1, z)
        return (
            (a + b + X - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + X) * h)
        ) * palive

    clv = np.zeros(len(X))
    prev = np.zeros(len(X))
    for step in range(1, 13):
        cur = expected(step * MONTH)
        clv += (cur - prev) * spend / 1.01**step
        prev = cur
    return clv


def timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def read_phase(spark: Any, path: str) -> tuple[float, Any, Any]:
    from pyspark.sql import functions as F

    df = spark.read.parquet(path)
    sec, end = timed(lambda: df.agg(F.max("date")).first()[0])
    return sec, df, end


def ls_batch_rows() -> int:
    import ltvkit.spark as ls

    return ls._BATCH_ROWS


# ltvkit's Arrow settings during its jobs (ltvkit.spark._arrow_settings), for the plain pipeline
ARROW = {
    "spark.sql.execution.arrow.maxBytesPerBatch": "2147483647",
    "spark.sql.execution.arrow.maxRecordsPerBatch": str(ls_batch_rows()),
}


@contextlib.contextmanager
def session_conf(spark: Any, settings: dict[str, str]) -> Iterator[None]:
    """``settings`` set in the session for the block, unset after."""
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key in settings:
            spark.conf.unset(key)


def ltvkit_spark(spark: Any, path: str, partitions: int, batch_rows: int) -> dict[str, Any]:
    import ltvkit
    import ltvkit.spark as ls

    ls._BATCH_ROWS = batch_rows  # the default unless --ltvkit-batch-rows
    t_read, df, end = read_phase(spark, path)
    t_shuf, _ = timed(
        lambda: (
            df.repartition(partitions, "customer_id").write.format("noop").mode("overwrite").save()
        )
    )
    t_sum, s = timed(
        lambda: ls.rfm_summary(df, amount="amount", observation_end=end, partitions=partitions)
    )

    def fits() -> tuple[Any, Any]:
        bg = ls.fit(ltvkit.BetaGeoModel, s, unit="day")
        gg = ls.fit(ltvkit.GammaGammaModel, s.where("frequency > 0 AND monetary_value > 0"))
        return bg, gg

    t_fit, (bg, gg) = timed(fits)
    positive = s.where("monetary_value >= 0")
    t_clv, clv = timed(
        lambda: ls.customer_lifetime_value(
            bg, gg, positive, horizon=12, unit="month", discount_rate=0.01
        )
    )
    total = clv.agg({"clv": "sum"}).first()[0]
    customers = s.count()
    clv.unpersist()
    s.unpersist()
    return {
        "read": t_read,
        "shuffle": max(t_shuf - t_read, 0.0),
        "summary": max(t_sum - t_shuf, 0.0),
        "fit": t_fit,
        "clv": t_clv,
        "total": t_read + t_sum + t_fit + t_clv,
        "customers": customers,
        "params": {**bg.params, **gg.params},
        "clv_total": total,
    }


def plain_spark(
    spark: Any, path: str, partitions: int, arrow: dict[str, str] | None = None
) -> dict[str, Any]:
    with session_conf(spark, arrow or {}):
        return _plain_spark(spark, path, partitions)


def _plain_spark(spark: Any, path: str, partitions: int) -> dict[str, Any]:
    import pandas as pd
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    t_read, df, end = read_phase(spark, path)

    def summary() -> Any:
        per_day = df.groupBy("customer_id", "date").agg(F.sum("amount").alias("amount"))
        s = (
            per_day.groupBy("customer_id")
            .agg(
                F.min("date").alias("first"),
                F.max("date").alias("last"),
                F.count("*").alias("n"),
                F.sum("amount").alias("total"),
                F.min_by("amount", "date").alias("first_amount"),
            )
            .select(
                "customer_id",
                (F.col("n") - 1).cast("double").alias("frequency"),
                F.datediff("last", "first").cast("double").alias("recency"),
                F.datediff(F.lit(end), "first").cast("double").alias("T"),
                F.when(F.col("n") > 1, (F.col("total") - F.col("first_amount")) / (F.col("n") - 1))
                .otherwise(0.0)
                .alias("monetary_value"),
            )
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        s.count()
        return s

    t_sum, s = timed(summary)

    def fits() -> dict[str, float]:
        u = s.groupBy("frequency", "recency", "T").count().toPandas()
        rep = s.where("frequency > 0 AND monetary_value > 0").select("frequency", "monetary_value")
        g = rep.toPandas()
        return scipy_fits(
            *(u[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "count")),
            g["frequency"].to_numpy(),
            g["monetary_value"].to_numpy(),
        )

    t_fit, k = timed(fits)

    def clv_udf(batches: Any) -> Any:
        for pdf in batches:
            yield pd.DataFrame({"customer_id": pdf["customer_id"], "clv": scipy_clv(pdf, k)})

    def clv() -> Any:
        out = (
            s.where("monetary_value >= 0")
            .mapInPandas(clv_udf, "customer_id long, clv double")
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        out.count()
        return out

    t_clv, out = timed(clv)
    total = out.agg({"clv": "sum"}).first()[0]
    customers = s.count()
    out.unpersist()
    s.unpersist()
    return {
        "read": t_read,
        "shuffle": float("nan"),
        "summary": t_sum,
        "fit": t_fit,
        "clv": t_clv,
        "total": t_read + t_sum + t_fit + t_clv,
        "customers": customers,
        "params": k,
        "clv_total": total,
    }


def single_machine(path: str) -> dict[str, Any]:
    import pyarrow.compute as pc

    import ltvkit

    t_sum, s = timed(lambda: ltvkit.rfm_summary(path, amount="amount", progress=False))

    def fits() -> tuple[Any, Any]:
        bg = ltvkit.BetaGeoModel.fit(s, unit="day")
        mask = pc.and_(pc.greater(s["frequency"], 0), pc.greater(s["monetary_value"], 0))
        return bg, ltvkit.GammaGammaModel.fit(s.filter(mask))

    t_fit, (bg, gg) = timed(fits)
    positive = s.filter(pc.greater_equal(s["monetary_value"], 0))
    t_clv, clv = timed(
        lambda: ltvkit.customer_lifetime_value(
            bg, gg, positive, horizon=12, unit="month", discount_rate=0.01
        )
    )
    return {
        "read": float("nan"),
        "shuffle": float("nan"),
        "summary": t_sum,
        "fit": t_fit,
        "clv": t_clv,
        "total": t_sum + t_fit + t_clv,
        "customers": s.num_rows,
        "params": {**bg.params, **gg.params},
        "clv_total": float(pc.sum(clv["clv"]).as_py()),
    }


def report(name: str, runs: list[dict[str, Any]], rss: int | None) -> None:
    med = {
        k: statistics.median(r[k] for r in runs)
        for k in ("read", "shuffle", "summary", "fit", "clv", "total")
    }
    cells = "  ".join(f"{k} {v:7.2f}" for k, v in med.items())
    mem = f"  peak RSS {rss / 2**20:7.0f} MiB" if rss is not None else ""
    params = ", ".join(f"{k}={v:.4g}" for k, v in runs[0]["params"].items())
    print(
        f"{name:15s} {cells}{mem}\n    customers {runs[0]['customers']:,}  "
        f"total CLV {runs[0]['clv_total']:,.0f}  {params}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument(
        "--ltvkit-batch-rows",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[ls_batch_rows()],
        help="rows per Arrow batch of ltvkit's jobs (comma-separated: one contender each; "
        "default ltvkit's own)",
    )
    parser.add_argument(
        "--plain-arrow",
        choices=("default", "ltvkit", "both"),
        default="both",
        help="run the plain pipeline with Spark's Arrow settings, with ltvkit's "
        "(maxBytesPerBatch 2147483647, maxRecordsPerBatch as ltvkit), or both",
    )
    args = parser.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(args.partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # warm up the JVM and the Python workers (not timed)
    spark.range(1000).mapInArrow(lambda it: it, "id long").count()
    print(f"load before: {os.getloadavg()}  (seconds; medians of {args.repeat})", flush=True)
    contenders: list[tuple[str, Any]] = []
    for rows in args.ltvkit_batch_rows:
        contenders.append(
            (
                f"ltvkit.spark {rows // 1000}k",
                lambda r=rows: ltvkit_spark(spark, args.path, args.partitions, r),
            )
        )
    if args.plain_arrow in ("default", "both"):
        contenders.append(("plain pyspark", lambda: plain_spark(spark, args.path, args.partitions)))
    if args.plain_arrow in ("ltvkit", "both"):
        contenders.append(
            ("plain + arrow", lambda: plain_spark(spark, args.path, args.partitions, ARROW))
        )
    for name, fn in contenders:
        runs = [fn() for _ in range(args.repeat)]
        report(name, runs, None)
        print(f"    load {os.getloadavg()}", flush=True)
    print(f"peak RSS driver + JVM + workers: {tree_peak_rss() / 2**20:.0f} MiB", flush=True)
    spark.stop()
    runs = [single_machine(args.path) for _ in range(args.repeat)]
    report("ltvkit (1 machine)", runs, None)
    print(f"load after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
