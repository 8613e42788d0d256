#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every test.
#  - pinned Python tools (moto server, boto3 for seeding) into .venv
#  - Rust unit and integration tests (the end-to-end tests start and stop their own moto
#    servers on free 127.0.0.1 ports)
#  - the Rego unit tests of the policy library (`vigil rules test`)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/moto_server ] || ! cmp -s tests/requirements.txt .venv/.requirements; then
    echo "==> installing pinned Python test tools into .venv"
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
    cp tests/requirements.txt .venv/.requirements
fi
export VIGIL_VENV="$PWD/.venv"

echo "==> Rego policy tests (vigil rules test)"
cargo run --quiet --locked --bin vigil -- rules test

echo "==> Rust tests (unit + end-to-end against moto)"
cargo test --locked --workspace --no-fail-fast
