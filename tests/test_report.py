"""ltvkit report: the numbers against ltvkit's API, and the page rendered by headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import ltvkit
from ltvkit.cli import main
from ltvkit.report import build_report


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", "-o", str(out), "--quiet"]) == 0
    return out


def _key(html: str, key: str) -> str:
    m = re.search(rf'data-key="{key}">([^<]*)<', html)
    assert m, key
    return m.group(1)


def test_report_numbers_equal_the_api():
    r = build_report()
    n = r.numbers
    log = ltvkit.datasets.load_cdnow()
    summary = ltvkit.rfm_summary(log, amount="amount", period="7D")
    # the CDNOW sample: 6,919 purchases of 2,357 customers (datasets docstring, Fader & Hardie)
    assert (n["customers"], n["transactions"]) == (2357, 6919)
    assert n["revenue"] == pytest.approx(float(log["amount"].sum()), rel=1e-12)
    bg = ltvkit.BetaGeoModel.fit(summary)
    for k, v in bg.params.items():
        assert n[f"bg_{k}"] == pytest.approx(v, rel=1e-9)
    repeat = summary[summary.frequency > 0]
    gg = ltvkit.GammaGammaModel.fit(repeat)
    for k, v in gg.params.items():
        assert n[f"gg_{k}"] == pytest.approx(v, rel=1e-9)
    clv = ltvkit.customer_lifetime_value(
        bg, gg, summary, horizon=12, unit="month", discount_rate=0.01
    )
    assert n["clv_total"] == pytest.approx(float(clv["clv"].sum()), rel=1e-9)
    assert n["top_customer"] == int(clv["clv"].idxmax())
    p_alive = np.asarray(bg.p_alive(data=summary)["p_alive"])
    assert n["expected_active"] == pytest.approx(p_alive.sum(), rel=1e-9)
    assert n["repeat_share"] == pytest.approx((summary.frequency > 0).mean())
    html = r.html()
    assert _key(html, "customers") == "2,357"
    assert _key(html, "clv_total") == f"{clv['clv'].sum():,.2f}"
    # the top-customers table lists the 20 best, best first, with their CLV
    rows = re.findall(r"<tr><td>(\d+)</td>", html)
    assert [int(c) for c in rows] == clv["clv"].nlargest(20).index.tolist()


def test_cli_writes_one_self_contained_file(page, capsys):
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html.lower()  # no JavaScript at all
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from the network
    assert html.count("<svg") == 5
    for section in ("cohorts", "model", "clv", "p-alive"):
        assert f'id="{section}"' in html
    assert "value-by-type" not in html  # CDNOW has no value-type column


def test_cli_prints_progress_on_stderr(tmp_path, capsys):
    assert main(["report", "-o", str(tmp_path / "r.html")]) == 0
    out, err = capsys.readouterr()
    assert "[1/8] reading the log" in err
    assert "[8/8] rendering" in err
    assert out.startswith(f"wrote {tmp_path / 'r.html'}")
    assert "2,357 customers, 6,919 transactions" in out


def test_value_by_type_from_a_parquet_log_with_custom_column_names(tmp_path):
    log = pd.DataFrame(
        {
            "cust": [1, 1, 2, 2, 3, 3, 3],
            "day": pd.to_datetime(
                [
                    "2024-01-03",
                    "2024-02-10",
                    "2024-01-20",
                    "2024-03-05",
                    "2024-02-01",
                    "2024-02-20",
                    "2024-03-28",
                ]
            ),
            "paid": [10.0, 15.0, 20.0, 5.0, 30.0, 12.5, 7.5],
            "value_type": [
                "initial",
                "upsell",
                "initial",
                "renewal",
                "initial",
                "cross_sell",
                "upsell",
            ],
        }
    )
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    out = tmp_path / "r.html"
    argv = [
        "report",
        str(path),
        "-o",
        str(out),
        "--customer-id",
        "cust",
        "--date",
        "day",
        "--amount",
        "paid",
        "--period",
        "D",
        "--quiet",
    ]
    assert main(argv) == 0
    html = out.read_text(encoding="utf-8")
    assert 'id="value-by-type"' in html
    assert html.count("<svg") == 6
    r = build_report(path, customer_id="cust", date="day", amount="paid", period="D")
    by_type = {k: float(v) for k, v in r.numbers["revenue_by_type"].items() if float(v)}
    # by hand from the rows above
    assert by_type == {"initial": 60.0, "upsell": 22.5, "renewal": 5.0, "cross_sell": 12.5}
    assert _key(html, "customers") == "3"


def test_a_missing_column_is_a_typed_error_naming_it(tmp_path, capsys):
    path = tmp_path / "log.csv"
    path.write_text("id,date,amount\n1,2024-01-01,5\n", encoding="utf-8")
    with pytest.raises(ltvkit.InvalidInputError, match="no column 'customer_id'"):
        build_report(path)
    assert main(["report", str(path), "-o", str(tmp_path / "r.html")]) == 1
    assert "--customer-id" in capsys.readouterr().err


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is installed by scripts/system-deps.sh"
    return exe


def _run_chromium(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


def test_chromium_renders_the_charts(page):
    res = _run_chromium("--dump-dom", page.as_uri())
    dom = res.stdout
    # the parsed page holds the five charts as SVG with their axes text, and the fits
    assert dom.count("<svg") == 5
    for title in ("Cohort retention", "LTV curves by cohort", "How many customers"):
        assert title in dom
    assert "BetaGeoModel" in dom
    assert "GammaGammaModel" in dom
    # no JavaScript ran or failed (there is none): the console has no errors from the page
    assert "Uncaught" not in res.stderr
    assert "CONSOLE" not in res.stderr


def test_chromium_screenshot_is_not_blank(page, tmp_path):
    import matplotlib.image as mpimg

    png = tmp_path / "shot.png"
    _run_chromium("--window-size=1100,2400", f"--screenshot={png}", page.as_uri())
    img = mpimg.imread(png)[..., :3]
    assert img.shape[:2] == (2400, 1100)
    # the header band is the report's dark blue (#1f4e79), the charts add many colours
    assert np.allclose(img[20, 20], [0x1F / 255, 0x4E / 255, 0x79 / 255], atol=0.02)
    colours = np.unique((img[200:2400:4, ::4] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 200
    background = np.all(np.abs(img - img[-1, -1]) < 0.01, axis=-1).mean()
    assert background < 0.9
