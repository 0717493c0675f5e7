"""ltvkit.to_excel: the live-formula workbook, recalculated by two independent engines.

The workbook's formula cells carry ltvkit's results as cached values. The `formulas` package
and LibreOffice (headless, with a profile that forces a full recalculation on load) recompute
every formula; the tests assert they agree with ltvkit, and that changing an input gives the
LTV ltvkit computes on the new input. Then the workbook is rendered to PDF and PNG.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

import ltvkit
from ltvkit import cli
from ltvkit.exceptions import InvalidDataError, InvalidInputError

REL = 1e-9

_RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workbook")


@pytest.fixture(scope="module")
def book(workdir: Path) -> Path:
    return ltvkit.to_excel(workdir / "model.xlsx")


def _soffice(workdir: Path, src: Path, fmt: str, outdir: Path) -> Path:
    """Convert with LibreOffice headless in its own user installation (recalc on load)."""
    profile = workdir / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_PROFILE)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is installed by scripts/system-deps.sh"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            fmt,
            "--outdir",
            str(outdir),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    out = outdir / (src.stem + "." + fmt)
    assert out.exists()
    return out


def _formula_cells(path: Path) -> dict[tuple[str, str], str]:
    wb = openpyxl.load_workbook(path)
    return {
        (ws.title, c.coordinate): c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    }


def _values(path: Path) -> dict[tuple[str, str], object]:
    wb = openpyxl.load_workbook(path, data_only=True)
    return {
        (ws.title, c.coordinate): c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    }


def _same(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return a == b
    return a == pytest.approx(b, rel=REL, abs=1e-9)


@pytest.fixture(scope="module")
def log():
    return ltvkit.datasets.load_cdnow()


@pytest.fixture(scope="module")
def facts(log):
    """The inputs derived from the log, computed here by hand from the raw data."""
    years = ((log["date"].max() - log["date"].min()).days + 1) / 365.25
    orders, customers = len(log), log["customer_id"].nunique()
    return {
        "aov": log["amount"].sum() / orders,
        "frequency": orders / customers / years,
        "new": customers / (12 * years),
    }


def test_inputs_come_from_the_log_and_results_are_ltvkits(book, facts):
    v = _values(book)
    inp = {
        k: v[("Inputs", f"B{r}")]
        for k, r in (
            ("aov", 5),
            ("frequency", 6),
            ("lifespan", 7),
            ("margin", 8),
            ("churn", 9),
            ("discount", 10),
            ("new", 11),
        )
    }
    assert inp["aov"] == pytest.approx(facts["aov"], rel=REL)
    assert inp["frequency"] == pytest.approx(facts["frequency"], rel=REL)
    assert inp["new"] == pytest.approx(facts["new"], rel=REL)
    assert (inp["lifespan"], inp["margin"], inp["discount"]) == (3.0, 0.3, 0.01)
    assert inp["churn"] == pytest.approx(1 / 36)
    # cached results: LTV = AOV x f x 3 (hand) and the subscription LTV ltvkit computes
    ltv = facts["aov"] * facts["frequency"] * 3
    assert v[("Inputs", "B15")] == pytest.approx(ltv, rel=REL)
    assert v[("Inputs", "B16")] == pytest.approx(0.3 * ltv, rel=REL)
    monthly = facts["aov"] * facts["frequency"] / 12
    assert v[("Inputs", "B18")] == pytest.approx(
        ltvkit.subscription_ltv(monthly, 0.3, 1 / 36, discount_rate=0.01), rel=REL
    )
    # blended CAC of the bundled channels: total spend / total new customers
    ch = ltvkit.datasets.load_channels("pandas")
    assert v[("Inputs", "B20")] == pytest.approx(ch.spend.sum() / ch.new_customers.sum(), rel=REL)
    # the projection: base_k = base_{k-1} x (1 - churn) + new, from 0
    base = 0.0
    for k in range(12):
        base = base * (1 - 1 / 36) + facts["new"]
        assert v[("Inputs", f"H{5 + k}")] == pytest.approx(base, rel=REL)


def test_every_formula_recomputed_by_the_formulas_package_equals_ltvkit(book, workdir):
    import formulas  # the test extra installs it

    cells = _formula_cells(book)
    cached = _values(book)
    assert len(cells) >= 9 + 12 + 7 * 7  # results, projection, channel economics
    solution = formulas.ExcelModel().loads(str(book)).finish().calculate()
    recomputed = {}
    for key, value in solution.items():
        # keys look like "'[model.xlsx]INPUTS'!B15"
        if "!" not in key or ":" in key:
            continue
        sheet, coord = key.rsplit("!", 1)
        recomputed[(sheet.split("]")[1].rstrip("'").upper(), coord)] = value.value[0][0]
    for (sheet, coord), formula in cells.items():
        got = recomputed[(sheet.upper(), coord)]
        assert _same(got, cached[(sheet, coord)]), (sheet, coord, formula, got)


def test_every_formula_recomputed_by_libreoffice_equals_ltvkit(book, workdir):
    out = _soffice(workdir, book, "xlsx", workdir / "lo")
    cells = _formula_cells(book)
    cached, recomputed = _values(book), _values(out)
    for key, formula in cells.items():
        assert _same(recomputed[key], cached[key]), (key, formula, recomputed[key])


def test_changing_an_input_recomputes_ltv_in_libreoffice(book, workdir, facts):
    wb = openpyxl.load_workbook(book)
    ws = wb["Inputs"]
    ws["B5"] = 50.0  # AOV
    ws["B8"] = 0.5  # gross margin
    ws["B9"] = 0.05  # monthly churn
    ws["C27"] = 90.0  # organic_search (row 27): new customers 400 -> 90
    ws["D27"] = 90.0  # and order value 45 -> 90
    changed = workdir / "changed.xlsx"
    wb.save(changed)
    v = _values(_soffice(workdir, changed, "xlsx", workdir / "lo-changed"))
    f = facts["frequency"]
    assert v[("Inputs", "B15")] == pytest.approx(ltvkit.simple_ltv(50.0, f, 3.0), rel=REL)
    ltv = ltvkit.simple_ltv(50.0, f, 3.0) * 0.5
    assert v[("Inputs", "B16")] == pytest.approx(ltv, rel=REL)
    assert v[("Inputs", "B18")] == pytest.approx(
        ltvkit.subscription_ltv(50.0 * f / 12, 0.5, 0.05, discount_rate=0.01), rel=REL
    )
    assert v[("Inputs", "B19")] == pytest.approx(ltvkit.expected_lifetime(0.05))
    row = ltvkit.channel_economics(
        [
            {
                "channel": "organic_search",
                "spend": 12000,
                "new_customers": 90,
                "aov": 90,
                "frequency": 3,
                "lifespan": 2.5,
                "gross_margin": 0.6,
            }
        ]
    )[0]
    for col, key in (
        ("H", "cac"),
        ("I", "ltv"),
        ("J", "ltv_cac"),
        ("K", "payback_periods"),
        ("L", "profit_per_customer"),
        ("M", "total_profit"),
    ):
        assert v[("Inputs", f"{col}27")] == pytest.approx(row[key], rel=REL)
    cac = v[("Inputs", "B20")]
    assert v[("Inputs", "B21")] == pytest.approx(ltvkit.ltv_cac_ratio(ltv, cac), rel=REL)
    assert v[("Inputs", "B22")] == pytest.approx(
        ltvkit.cac_payback_periods(cac, 50.0 * f / 12 * 0.5), rel=REL
    )
    assert v[("Inputs", "H16")] == pytest.approx(
        ltvkit.project_customer_base(facts["new"], periods=12, churn_rate=0.05)[-1], rel=REL
    )


def test_sheets_hold_ltvkits_tables(book, log):
    v = _values(book)
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["Inputs", "Cohorts", "Channels", "Customers", "Model", "Charts"]
    # cohorts: retention triangle, conditional formatting on it
    tri = ltvkit.cohort_table(log)
    for i, (cohort, row) in enumerate(tri.iterrows()):
        r = 3 + i
        assert v[("Cohorts", f"A{r}")].date() == cohort.date()
        assert v[("Cohorts", f"B{r}")] == row["customers"]
        assert v[("Cohorts", f"C{r}")] == pytest.approx(row[0])
        assert v[("Cohorts", f"D{r}")] == pytest.approx(row[1])
    assert any(
        rule.colorScale is not None
        for rng in wb["Cohorts"].conditional_formatting
        for rule in rng.rules
    )
    # channels: ltvkit.channel_economics of the bundled table
    expected = ltvkit.channel_economics(ltvkit.datasets.load_channels("records"))
    for i, e in enumerate(expected):
        assert v[("Channels", f"A{3 + i}")] == e["channel"]
        assert v[("Channels", f"D{3 + i}")] == pytest.approx(float(e["cac"]))
        assert v[("Channels", f"I{3 + i}")] == pytest.approx(float(e["total_profit"]))
    # customers: the Python API's CLV per customer, most valuable first
    summary = ltvkit.rfm_summary(log, amount="amount", period="7D")
    bg = ltvkit.BetaGeoModel.fit(summary)
    gg = ltvkit.GammaGammaModel.fit(summary[summary.frequency > 0])
    clv = ltvkit.customer_lifetime_value(
        bg, gg, summary, horizon=12, unit="month", discount_rate=0.01
    )["clv"]
    alive = bg.p_alive(data=summary)["p_alive"]
    ws = wb["Customers"]
    got = {r[0]: r for r in ws.iter_rows(min_row=3, values_only=True)}
    assert len(got) == len(summary) == 2357
    top = clv.sort_values(ascending=False).index[:5].tolist()
    assert [ws.cell(3 + i, 1).value for i in range(5)] == top
    for cid in (1, 2, 3, top[0]):
        assert got[cid][7] == pytest.approx(clv[cid], rel=1e-6)
        assert got[cid][5] == pytest.approx(float(alive[cid]), rel=1e-6)
    # model: the fitted parameters
    params = {r[0]: r[1] for r in wb["Model"].iter_rows(min_row=5, max_row=8, values_only=True)}
    assert params == pytest.approx(bg.params, rel=1e-6)


def test_charts_reference_the_right_ranges(book, log):
    wb = openpyxl.load_workbook(book)
    charts = wb["Charts"]._charts
    assert len(charts) == 3
    v = _values(book)
    retention, ltv_curve, projection = charts
    tri = ltvkit.cohort_table(log)
    assert len(retention.series) == len(tri) == 3
    for i, series in enumerate(retention.series):
        ref = series.val.numRef.f  # e.g. Cohorts!$C$3:$T$3
        sheet, rng = ref.split("!")
        assert sheet.strip("'") == "Cohorts"
        first, last = (c.replace("$", "") for c in rng.split(":"))
        assert first == f"C{3 + i}"
        assert last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == str(3 + i)  # the same row
        row = wb["Cohorts"][f"{first}:{last}"][0]
        want = [x for x in tri.iloc[i].drop("customers").tolist() if x == x]
        assert [c.value for c in row if c.value is not None] == pytest.approx(want)
        assert series.tx.strRef.f.endswith(f"$A${3 + i}")
    ltv_tri = ltvkit.cohort_table(log, metric="ltv", amount="amount")
    first_row = ltv_curve.series[0].val.numRef.f.split("!")[1].split(":")[0].replace("$", "")
    assert v[("Cohorts", first_row)] == pytest.approx(ltv_tri.iloc[0][0])
    assert projection.series[0].val.numRef.f.replace("'", "") == "Inputs!$H$5:$H$16"


def test_renders_to_pdf_and_png_pages_that_are_not_blank(book, workdir):
    pdf = _soffice(workdir, book, "pdf", workdir / "pdf")
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "30", str(pdf), str(workdir / "pdf" / "page")],
        check=True,
        timeout=120,
    )
    pages = sorted((workdir / "pdf").glob("page*.pgm"))
    assert len(pages) >= 6  # one or more per sheet
    for page in pages:
        data = page.read_bytes()
        # binary PGM: "P5\n<w> <h>\n<max>\n" then one byte per pixel
        header = data.split(b"\n", 3)
        pixels = header[3]
        dark = sum(1 for b in pixels if b < 160)
        assert dark / len(pixels) > 0.002, page.name


def test_bad_options_raise_typed_errors(workdir):
    with pytest.raises(InvalidInputError, match="horizon"):
        ltvkit.to_excel(workdir / "x.xlsx", horizon=0)
    with pytest.raises(InvalidInputError, match="lifespan"):
        ltvkit.to_excel(
            workdir / "x.xlsx",
            channels=[{"channel": "a", "spend": 1, "new_customers": 1, "aov": 1, "frequency": 1}],
        )


def test_a_log_without_amounts_is_named(workdir, log):
    with pytest.raises(InvalidDataError, match="'amount'"):
        ltvkit.to_excel(workdir / "x.xlsx", log.drop(columns="amount"))


def test_the_same_workbook_from_pandas_polars_and_pyarrow(workdir, book, log):
    want = _values(book)
    for kind, data in (("pandas", log), ("polars", ltvkit.datasets.load_cdnow("polars"))):
        got = _values(ltvkit.to_excel(workdir / f"{kind}.xlsx", transactions=data))
        assert got.keys() == want.keys()
        assert all(_same(got[k], want[k]) for k in want)


def test_cli_workbook_from_a_csv(workdir, capsys):
    out = workdir / "cli.xlsx"
    src = Path(__file__).parent / "data" / "cdnow_transactions.csv"
    assert cli.main(["workbook", str(src), "-o", str(out), "--horizon", "6"]) == 0
    assert "wrote" in capsys.readouterr().out
    v = _values(out)
    assert v[("Inputs", "G10")] == 6  # six months projected
    assert ("Inputs", "G11") not in v
    assert v[("Customers", "G2")] == "Expected purchases, 6 months"
    channels = workdir / "channels.csv"
    channels.write_text("channel,spend,new_customers,aov,frequency,lifespan\nads,1000,10,50,2,3\n")
    assert cli.main(["workbook", "--channels", str(channels), "-o", str(out)]) == 0
    v = _values(out)
    # ads: CAC 1000 / 10 = 100; LTV 50 x 2 x 3 x 1 (no gross_margin column) = 300
    assert (v[("Inputs", "H27")], v[("Inputs", "I27")]) == (100.0, 300.0)
    assert ("Inputs", "A28") not in v
    assert cli.main(["workbook", str(workdir / "missing.csv"), "-o", str(out)]) == 1
    assert "no such file" in capsys.readouterr().err


def test_cli_report_xlsx_writes_the_same_workbook_as_to_excel(workdir, book, capsys):
    # `ltvkit report --xlsx OUT` is the workbook of the report's log (the bundled CDNOW here)
    out = workdir / "from-report.xlsx"
    html = workdir / "report.html"
    assert cli.main(["report", "-o", str(html), "--xlsx", str(out), "--quiet"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert html.stat().st_size > 0
    got, want = _values(out), _values(book)
    assert got.keys() == want.keys()
    assert all(_same(got[k], want[k]) for k in want)
