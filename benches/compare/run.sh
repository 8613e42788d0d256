#!/usr/bin/env bash
# Whole-organization benchmark: vigil against Prowler on the same seeded organization, and
# vigil's scale curve. Run by hand from anywhere:
#
#   bash benches/compare/run.sh
#
# It installs what it needs (pinned) into its own virtualenvs, benches/compare/.venv-moto
# (moto server + boto3, from tests/requirements.txt) and benches/compare/.venv-prowler
# (PyPI prowler==$PROWLER_VERSION), builds vigil (cargo build --release --bin vigil), then runs
# benches/compare/bench.py. Everything binds and talks to 127.0.0.1 only. Results (JSON per run,
# the tools' outputs and summary.md) go to benches/compare/results/<UTC timestamp>/.
#
# Settings (environment):
#   REGIONS           regions seeded and scanned            (default us-east-1,eu-west-1)
#   COMPARE_MEMBERS   member accounts of the compared org    (default 8, + the management account)
#   PROWLER_MODES     Prowler runs: seq, seq-noretry, par, par-noretry (default all four)
#   PROWLER_PARALLEL  accounts at a time in the par modes    (default 16 = vigil's --concurrency,
#                     capped at the number of accounts)
#   SCALE_ACCOUNTS    org sizes (accounts incl. management)  (default "10 50 200")
#   SCALE_MIX         full | lite resource mix per account   (default full)
#   SEED_THREADS      seeding threads                        (default 8)
#   PHASES            compare,scale,builds                   (default compare,scale)
#   BASELINE_VIGIL_BIN builds phase: an earlier vigil binary; both run alternately on one org
#   BUILDS_ACCOUNTS   builds phase: accounts incl. management (default 50)
#   BUILDS_ROUNDS     builds phase: alternating rounds         (default 3)
#   VIGIL_BIN         use this vigil binary instead of building one
#   PROWLER_VERSION   (default 5.46.0)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PROWLER_VERSION="${PROWLER_VERSION:-5.46.0}"
PYTHON="${PYTHON:-python3}"

# shellcheck source=../lib.sh
. "$ROOT/benches/lib.sh"

# /usr/bin/time -v measures peak RSS (Debian package `time`).
if [ ! -x /usr/bin/time ]; then
    say "installing Debian package 'time' (/usr/bin/time)"
    apt-get update -qq && apt-get install -y -qq time >/dev/null
fi

# A virtualenv whose requirements are installed once per requirement set.
venv() {
    local dir="$1" stamp="$2"; shift 2
    if [ ! -f "$dir/.installed" ] || [ "$(cat "$dir/.installed")" != "$stamp" ]; then
        say "creating $dir"
        rm -rf "$dir"
        "$PYTHON" -m venv "$dir"
        "$dir/bin/pip" install -q --upgrade pip >/dev/null
        "$dir/bin/pip" install -q "$@"
        echo "$stamp" > "$dir/.installed"
    fi
}
venv "$HERE/.venv-moto" "$(sha256sum "$ROOT/tests/requirements.txt" | cut -c1-16)" -r "$ROOT/tests/requirements.txt"
case "${PHASES:-compare,scale}" in
    *compare*) venv "$HERE/.venv-prowler" "prowler==$PROWLER_VERSION" "prowler==$PROWLER_VERSION" ;;
esac

vigil_binary
results_dir "$HERE"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MB"
    echo "uptime: $(uptime)"
    echo "vigil: $("$VIGIL" --version 2>/dev/null || true) ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && git diff --quiet HEAD -- scanner src 2>/dev/null || echo ', with local changes'))"
    echo "moto: $("$HERE/.venv-moto/bin/pip" show moto 2>/dev/null | awk '/^Version/ {print $2}')"
    echo "prowler: $PROWLER_VERSION"
} > "$OUT/environment.txt"
cat "$OUT/environment.txt" >&2

"$HERE/.venv-moto/bin/python" "$HERE/bench.py" \
    --out "$OUT" \
    --vigil "$VIGIL" \
    --moto-venv "$HERE/.venv-moto" \
    --prowler-venv "$HERE/.venv-prowler" \
    --regions "${REGIONS:-us-east-1,eu-west-1}" \
    --compare-members "${COMPARE_MEMBERS:-8}" \
    --prowler-modes "${PROWLER_MODES:-seq,seq-noretry,par,par-noretry}" \
    --prowler-parallel "${PROWLER_PARALLEL:-16}" \
    --scale-accounts "${SCALE_ACCOUNTS:-10 50 200}" \
    --scale-mix "${SCALE_MIX:-full}" \
    --seed-threads "${SEED_THREADS:-8}" \
    --phases "${PHASES:-compare,scale}" \
    ${BASELINE_VIGIL_BIN:+--baseline-vigil "$BASELINE_VIGIL_BIN"} \
    --builds-accounts "${BUILDS_ACCOUNTS:-50}" \
    --builds-rounds "${BUILDS_ROUNDS:-3}"

say "results: $OUT"
