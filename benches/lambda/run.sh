#!/usr/bin/env bash
# Lambda mode benchmark: cold-start init time, cold/warm invocation time and peak memory of the
# `vigil` binary serving the Lambda Runtime API, against baselines measured in the same run
# (`vigil --version` process start, the CLI `vigil scan` of the same organization). Run by hand
# (not by tests/run.sh), from anywhere:
#
#   bash benches/lambda/run.sh            # 5 rounds
#   REPS=10 bash benches/lambda/run.sh
#
# Needs the test virtualenv /work/main/.venv (tests/run.sh creates it: moto server, boto3 and
# the cargo-lambda Runtime API emulator). Builds `cargo build --release --bin vigil` (shared
# target dir), then benches/lambda/bench.py starts moto on a free 127.0.0.1 port, seeds the
# scenario, creates the notification topic/queue/state table, and runs one warm-up round plus
# REPS measured rounds (see bench.py's docstring for what is measured and how). Everything binds
# and talks to 127.0.0.1 only; every process started is stopped on exit. Results (results.json,
# summary.md, logs) go to benches/lambda/results/<UTC timestamp>/.
#
# Settings (environment):
#   REPS           measured rounds (cold starts)            (default 5)
#   INVOCATIONS    invocations per cold start, >= 2         (default 2: cold, warm; more shows
#                  memory growth over invocations)
#   SCENARIO       scenario seeded                          (default fixtures/scenarios/demo-org.json)
#   MEMBERS        instead of SCENARIO: a synthetic org of this many member accounts, seeded
#                  by benches/compare/seed_org.py (full mix: ~52 resources per account), to
#                  see how memory grows with the organization
#   REGIONS        regions seeded-in and scanned            (default eu-west-1,us-east-1)
#   VIGIL_VENV     the virtualenv                           (default <repo>/.venv)
#   VIGIL_BIN      use this vigil binary instead of building one
#   ARTIFACTS      artifact mode: "LABEL=PATH LABEL=PATH ..." (two or more bootstraps, e.g. of
#                  `cargo lambda build --release`): compares their size, zip size, unpacking
#                  time and cold start round by round (no CLI baseline, nothing built), e.g.
#                    ARTIFACTS="stripped=target/lambda/vigil/bootstrap full=/tmp/full/bootstrap" \
#                    bash benches/lambda/run.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${VIGIL_VENV:-$ROOT/.venv}"

# shellcheck source=../lib.sh
. "$ROOT/benches/lib.sh"

require_venv

ARTIFACT_ARGS=()
if [ -n "${ARTIFACTS:-}" ]; then
    for spec in $ARTIFACTS; do
        path="${spec#*=}"
        case "$path" in /*) ;; *) path="$PWD/$path" ;; esac
        ARTIFACT_ARGS+=(--artifact "${spec%%=*}=$path")
    done
    # The first artifact answers `scan --help` in the set-up; the others are the same code.
    VIGIL_BIN="${ARTIFACT_ARGS[1]#*=}"
fi
vigil_binary
results_dir "$HERE"
# A private link to the binary: a build by someone else during the run (same target dir)
# replaces target/release/vigil, not this inode. Removed at the end (it is ~300 MB once the
# target dir has moved on).
ln -f "$VIGIL" "$OUT/vigil" 2>/dev/null || cp "$VIGIL" "$OUT/vigil"
VIGIL="$OUT/vigil"

# bench.py stops its own children on exit; this trap stops bench.py itself (and so them) if
# run.sh is interrupted.
BENCH_PID=""
cleanup() {
    if [ -n "$BENCH_PID" ] && kill -0 "$BENCH_PID" 2>/dev/null; then
        kill -TERM "$BENCH_PID" 2>/dev/null || true
        wait "$BENCH_PID" 2>/dev/null || true
    fi
    rm -f "$OUT/vigil"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$VENV/bin/python" "$HERE/bench.py" \
    --vigil "$VIGIL" \
    --venv "$VENV" \
    --out "$OUT" \
    --reps "${REPS:-5}" \
    --invocations "${INVOCATIONS:-2}" \
    --scenario "${SCENARIO:-fixtures/scenarios/demo-org.json}" \
    --members "${MEMBERS:-0}" \
    --regions "${REGIONS:-eu-west-1,us-east-1}" \
    ${ARTIFACT_ARGS[@]+"${ARTIFACT_ARGS[@]}"} \
    --env-line "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --env-line "host: $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MB" \
    --env-line "uptime at the start: $(uptime)" \
    --env-line "vigil: $("$VIGIL" --version 2>/dev/null || true) ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && git diff --quiet HEAD -- scanner src rules reports 2>/dev/null || echo ', with local changes')${VIGIL_BIN:+; VIGIL_BIN=$VIGIL_BIN, built from another tree state maybe})" \
    --env-line "moto: $("$VENV/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null || echo '?'), cargo-lambda: $("$VENV/bin/pip" show cargo-lambda 2>/dev/null | awk '/^Version/ {print $2}')" \
    --env-line "command: REPS=${REPS:-5} INVOCATIONS=${INVOCATIONS:-2}${MEMBERS:+ MEMBERS=$MEMBERS}${ARTIFACTS:+ ARTIFACTS=\"$ARTIFACTS\"} bash benches/lambda/run.sh" &
BENCH_PID=$!
wait "$BENCH_PID"
BENCH_PID=""

say "results: $OUT/summary.md"
