#!/usr/bin/env bash
# HTML report benchmark (issue 16): file size and render time in headless Chromium of
# `--format html` for the demo and for a generated ~2,000-account organization, as ratios
# against the demo measured in the same run. Run by hand:
#
#   bash benches/html/run.sh                # 7 rounds, 2,000 accounts
#   REPS=15 ACCOUNTS=5000 bash benches/html/run.sh
#   VIGIL_BIN=target/debug/vigil bash benches/html/run.sh   # an existing binary (the page is
#                                                           # the same; only evaluate is slower)
#
# Needs chromium ($VIGIL_CHROMIUM, else /usr/bin/chromium: tests/run.sh installs it) and
# python3 (stdlib only). Results go to benches/html/results/<UTC timestamp>/ (summary.md,
# results.json, the two pages). Nothing leaves the machine: the pages are files.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../lib.sh
. "$ROOT/benches/lib.sh"
CHROMIUM="${VIGIL_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
    say "$CHROMIUM not found: run tests/run.sh once (it installs chromium), or set VIGIL_CHROMIUM"
    exit 2
fi
vigil_binary
results_dir "$HERE"
python3 "$HERE/bench.py" --vigil "$VIGIL" --chromium "$CHROMIUM" --out "$OUT" \
    --reps "${REPS:-7}" --accounts "${ACCOUNTS:-2000}" \
    --env-line "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --env-line "host: $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MB; uptime at the start: $(uptime)" \
    --env-line "chromium: $("$CHROMIUM" --version 2>/dev/null | head -1)" \
    --env-line "vigil: $("$VIGIL" --version 2>/dev/null || true) ($(cd "$ROOT" && git rev-parse --short HEAD))"
say "results: $OUT/summary.md"
