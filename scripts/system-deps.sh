#!/usr/bin/env bash
# Installs the Debian packages that some tests need (LibreOffice for workbook recalculation,
# Chromium for the HTML report, a JRE for Spark, ...), only those that are missing, so that
# `bash scripts/test.sh` works on a fresh machine. Needs root (or sudo) and apt-get; elsewhere
# it says what to install and exits non-zero. Add one package per line to PACKAGES, with why.
set -euo pipefail
PACKAGES=(
    libreoffice-calc-nogui  # tests/test_workbook.py: recalculates the workbook, renders it to PDF
    poppler-utils           # tests/test_workbook.py: pdftoppm, PDF pages to PNG
    chromium            # tests/test_report.py renders the HTML report headless (DOM, screenshot)
    fonts-dejavu-core   # the report's font, so charts and screenshots look the same everywhere
)
# tests/test_spark.py runs PySpark 4 (jars built for Java 17): add a headless JRE 17 only when
# no java >= 17 is on PATH ("1.8.0_x" reads as 1)
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1 || true)
[ "${java_major:-0}" -ge 17 ] || PACKAGES+=(openjdk-17-jre-headless)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
    echo "scripts/system-deps.sh: please install: ${missing[*]}" >&2
    exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing system packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
