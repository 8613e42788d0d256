# What the benchmark scripts (benches/*/run.sh) share. Sourced, with ROOT set to the repository.

say() { printf '[run.sh %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# Sets VIGIL: $VIGIL_BIN when given (made absolute: the benchmarks run vigil from their
# results directories), else a release build of this tree.
vigil_binary() {
    if [ -n "${VIGIL_BIN:-}" ]; then
        case "$VIGIL_BIN" in
            /*) VIGIL="$VIGIL_BIN" ;;
            *) VIGIL="$PWD/$VIGIL_BIN" ;;
        esac
    else
        say "cargo build --release --bin vigil"
        (cd "$ROOT" && cargo build --release --bin vigil)
        VIGIL="$ROOT/target/release/vigil"
    fi
}

# Sets OUT to a new results directory under $1, named by the UTC time.
results_dir() {
    OUT="$1/results/$(date -u +%Y%m%dT%H%M%SZ)"
    mkdir -p "$OUT"
}

# Exits unless the test virtualenv ($VENV) has moto, python and the Runtime API emulator.
require_venv() {
    local f
    for f in bin/python bin/moto_server bin/cargo-lambda; do
        if [ ! -x "$VENV/$f" ]; then
            say "$VENV/$f not found: run tests/run.sh once (it creates the venv), or set VIGIL_VENV"
            exit 2
        fi
    done
}
