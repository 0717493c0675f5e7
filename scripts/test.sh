#!/usr/bin/env bash
# Installs what the tests need (a virtualenv with the package built from source and its test
# extras) and runs every test: the Rust core's, then the Python suite (with the docstring and
# README.md examples). Usage: bash scripts/test.sh   (LTVKIT_VENV=path to choose the venv)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${LTVKIT_VENV:-.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
bash scripts/system-deps.sh
"$venv/bin/python" -m pip install -q -U pip
"$venv/bin/python" -m pip install -q "maturin>=1.9.4,<2"
VIRTUAL_ENV="$PWD/$venv" PATH="$PWD/$venv/bin:$PATH" "$venv/bin/maturin" develop --release --extras test -q
cargo test --quiet
"$venv/bin/python" -m pytest -q
