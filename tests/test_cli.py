"""The ltvkit command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from ltvkit.cli import main


def test_simple_ltv(capsys):
    assert main(["simple-ltv", "--aov", "50", "--frequency", "4", "--lifespan", "3"]) == 0
    assert capsys.readouterr().out.strip() == "600"  # 50 x 4 x 3, exact


def test_json_output_is_exact(capsys):
    assert (
        main(["simple-ltv", "--aov", "19.99", "--frequency", "3", "--lifespan", "2", "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out) == {"function": "simple_ltv", "result": 119.94}


def test_keyword_options(capsys):
    args = ["subscription-ltv", "--arpa", "100", "--gross-margin", "0.8", "--churn", "0.05"]
    assert main([*args, "--periods", "2"]) == 0
    assert capsys.readouterr().out.strip() == "156"  # 80 + 80 x 0.95
    assert main(["project-base", "--new", "20", "--lost", "10", "--periods", "6"]) == 0
    assert capsys.readouterr().out.split() == ["10", "20", "30", "40", "50", "60"]


def test_channels_report(capsys, tmp_path):
    assert main(["channels"]) == 0
    out = capsys.readouterr().out
    assert "marketplace_ads" in out
    assert "channels losing money: display, marketplace_ads" in out
    f = tmp_path / "ch.csv"
    f.write_text("channel,spend,new_customers,ltv\nsearch,55000,100,500\n", encoding="utf-8")
    assert main(["channels", str(f), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["cac"] == 550
    assert rows[0]["profit_per_customer"] == -50
    assert rows[0]["loses_money"] is True


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["cac", "--spend", "100", "--new-customers", "0"], "new_customers is 0"),
        (["churn-rate", "--start", "abc", "--lost", "1"], 'customers_at_start is "abc"'),
        (["channels", "/nonexistent.csv"], "no such channel file"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line(argv, message, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_console_script_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "ltvkit.cli", "cac", "--spend", "55000", "--new-customers", "100"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == "550"
    usage = subprocess.run(
        [sys.executable, "-m", "ltvkit.cli", "cac"], capture_output=True, check=False
    )
    assert usage.returncode == 2
