"""Dask LocalCluster (2 worker processes, 1 thread each): the summary + BG/NBD + Gamma-Gamma +
12-month CLV pipeline on a Parquet log, ltvkit.dask against the same pipeline written with
dask.dataframe group-bys (scipy fits of the published log-likelihoods on the client, CLV with
numpy/scipy in map_partitions).

    nice -n 10 .venv/bin/python benchmarks/bench_dask.py /work/bench-data/log10m.parquet \\
        --repeat 3 --partitions 8

Phases (medians of ``--repeat`` runs, seconds): ``read`` (the Parquet read and ``max(date)``),
``shuffle`` (ltvkit only: the (already read) log shuffled by customer and persisted),
``summary`` (ltvkit: the summary persisted, minus ``read`` and ``shuffle``, i.e. the Rust
kernel; group-bys: the whole summary), ``fit`` (statistics to the client and both fits),
``clv`` (scored on the workers and summed). Peak memory: the sum of the peak RSS of the client
and the worker processes (VmHWM from /proc; an upper bound).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_spark import report, scipy_clv, scipy_fits, timed, tree_peak_rss


def read_phase(dd: Any, path: str, partitions: int) -> tuple[float, Any, Any]:
    def read() -> tuple[Any, Any]:
        ddf = dd.read_parquet(path).repartition(npartitions=partitions).persist()
        return ddf, ddf["date"].astype("datetime64[s]").max().compute().date()

    sec, (ddf, end) = timed(read)
    return sec, ddf, end


def ltvkit_dask(dd: Any, wait: Any, path: str, partitions: int) -> dict[str, Any]:
    import ltvkit
    import ltvkit.dask as lk

    t_read, ddf, end = read_phase(dd, path, partitions)
    t_shuf, shuffled = timed(lambda: wait(ddf.shuffle(on="customer_id").persist()))
    del shuffled

    def summary() -> Any:
        s = lk.rfm_summary(ddf, amount="amount", observation_end=end).persist()
        wait(s)
        return s

    t_sum, s = timed(summary)

    def fits() -> tuple[Any, Any]:
        bg = lk.fit(ltvkit.BetaGeoModel, s, unit="day")
        rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
        return bg, lk.fit(ltvkit.GammaGammaModel, rep)

    t_fit, (bg, gg) = timed(fits)
    positive = s[s["monetary_value"] >= 0]
    t_clv, total = timed(
        lambda: float(
            lk.customer_lifetime_value(
                bg, gg, positive, horizon=12, unit="month", discount_rate=0.01
            )["clv"]
            .sum()
            .compute()
        )
    )
    return {
        "read": t_read,
        "shuffle": t_shuf,
        "summary": max(t_sum - t_shuf, 0.0),
        "fit": t_fit,
        "clv": t_clv,
        "total": t_read + t_sum + t_fit + t_clv,
        "customers": int(s.shape[0].compute()),
        "params": {**bg.params, **gg.params},
        "clv_total": total,
    }


def groupby_dask(dd: Any, wait: Any, path: str, partitions: int) -> dict[str, Any]:
    import pandas as pd

    t_read, ddf, end = read_phase(dd, path, partitions)

    def summary() -> Any:
        log = ddf.assign(date=ddf["date"].astype("datetime64[s]"))
        per_day = log.groupby(["customer_id", "date"])["amount"].sum().reset_index()
        agg = per_day.groupby("customer_id").agg(
            first=("date", "min"),
            last=("date", "max"),
            n=("amount", "count"),
            total=("amount", "sum"),
        )
        firsts = per_day.merge(agg[["first"]].reset_index(), on="customer_id")
        first_amount = (
            firsts[firsts["date"] == firsts["first"]]
            .set_index("customer_id")["amount"]
            .rename("fa")
        )
        s = agg.join(first_amount)
        days = pd.Timedelta(days=1)
        s = s.assign(
            frequency=(s["n"] - 1).astype(float),
            recency=(s["last"] - s["first"]) / days,
            T=(pd.Timestamp(end) - s["first"]) / days,
            monetary_value=((s["total"] - s["fa"]) / (s["n"] - 1)).where(s["n"] > 1, 0.0),
        )[["frequency", "recency", "T", "monetary_value"]].persist()
        wait(s)
        return s

    t_sum, s = timed(summary)

    def fits() -> dict[str, float]:
        u = s.groupby(["frequency", "recency", "T"]).size().compute().rename("w").reset_index()
        rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)][
            ["frequency", "monetary_value"]
        ].compute()
        return scipy_fits(
            *(u[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "w")),
            rep["frequency"].to_numpy(),
            rep["monetary_value"].to_numpy(),
        )

    t_fit, k = timed(fits)
    positive = s[s["monetary_value"] >= 0]
    t_clv, total = timed(
        lambda: float(
            positive.map_partitions(lambda pdf: pd.Series(scipy_clv(pdf, k)), meta=(None, float))
            .sum()
            .compute()
        )
    )
    return {
        "read": t_read,
        "shuffle": float("nan"),
        "summary": t_sum,
        "fit": t_fit,
        "clv": t_clv,
        "total": t_read + t_sum + t_fit + t_clv,
        "customers": int(s.shape[0].compute()),
        "params": k,
        "clv_total": total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args()
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster, wait

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit="6GiB",
    )
    client = Client(cluster)
    print(f"load before: {os.getloadavg()}  (seconds; medians of {args.repeat})", flush=True)
    for name, fn in (
        ("ltvkit.dask", ltvkit_dask),
        ("dask group-bys", groupby_dask),
    ):
        runs = []
        for _ in range(args.repeat):
            runs.append(fn(dd, wait, args.path, args.partitions))
            client.cancel(list(client.futures))  # free what the run persisted
        report(name, runs, None)
    print(f"peak RSS client + workers: {tree_peak_rss() / 2**20:.0f} MiB", flush=True)
    client.close()
    cluster.close()
    print(f"load after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
