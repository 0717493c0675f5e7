"""How long ``ltvkit report`` takes: wall time per step and in total, peak memory.

Each run is a fresh process (``python -c`` calling :func:`ltvkit.report.build_report` and
writing the HTML), so imports are excluded from the step times but the peak RSS is that of
the whole process. There is no peer that writes a comparable report, so none is run; the
steps are ltvkit calls whose peers are benchmarked in bench_rfm.py, bench_tables.py and
models_fit.py.

    python benchmarks/bench_report.py                       # the bundled CDNOW sample
    python benchmarks/bench_report.py /work/bench-data/log10m.parquet --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from ltvkit.report import build_report
t1 = time.perf_counter()
r = build_report(None if sys.argv[1] == "-" else sys.argv[1])
r.write(sys.argv[2])
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "total": t2 - t1, "build": r.seconds,
                  "steps": r.step_seconds, "customers": r.numbers["customers"],
                  "transactions": r.numbers["transactions"]}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default="-", help="CSV/Parquet log (default: CDNOW)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    runs, peaks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.html")
        for _ in range(args.repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            res = subprocess.run(
                [sys.executable, "-c", CHILD, args.file, out],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
            peaks.append(max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
        size = os.path.getsize(out)
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores; load: {os.getloadavg()}")
    print(
        f"log: {args.file if args.file != '-' else 'bundled CDNOW'}: "
        f"{runs[0]['transactions']:,} rows, {runs[0]['customers']:,} customers; "
        f"HTML {size / 1024:,.0f} KiB; {args.repeat} runs, medians"
    )
    for step in runs[0]["steps"]:
        med = statistics.median(r["steps"][step] for r in runs)
        print(f"  {step:<36} {med:8.2f} s")
    total = statistics.median(r["total"] for r in runs)
    print(f"  {'build_report + write (total)':<36} {total:8.2f} s")
    print(f"  {'import ltvkit.report':<36} {statistics.median(r['import'] for r in runs):8.2f} s")
    print(f"  peak RSS of a run (largest)          {max(peaks) / 1024:8.0f} MiB")


if __name__ == "__main__":
    main()
