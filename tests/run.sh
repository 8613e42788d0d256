#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every test.
#  - pinned Python tools (moto server, boto3 for seeding) into .venv
#  - the pinned SARIF multitool (npm) into .npm-tools, to validate vigil's SARIF output
#  - Debian's chromium (apt, when missing), to render the HTML report headless
#  - Rust unit and integration tests (the end-to-end tests start and stop their own moto
#    servers on free 127.0.0.1 ports)
#  - the Rego unit tests of the policy library (`vigil rules test`)
#  - a real OPA against vigil on every Rego test and every demo (rule, resource) pair
#  - the Lambda artifact's leanness (benches/lambda/check_artifact.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/moto_server ] || ! cmp -s tests/requirements.txt .venv/.requirements; then
    echo "==> installing pinned Python test tools into .venv"
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
    cp tests/requirements.txt .venv/.requirements
fi
export VIGIL_VENV="$PWD/.venv"

# Headless Chromium renders the HTML report (tests/report_html.rs): Debian's `chromium`.
if ! command -v chromium >/dev/null 2>&1; then
    echo "==> installing chromium (Debian package) for the HTML report tests"
    if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends chromium
fi
VIGIL_CHROMIUM="$(command -v chromium)"
export VIGIL_CHROMIUM

# The SARIF validator (Microsoft's SARIF multitool, pinned) into .npm-tools. The npm package
# carries a self-contained .NET executable per platform, so npm is all it needs; the
# overrides pin that platform package too (the main package asks for ^version).
SARIF_MULTITOOL_VERSION=5.7.0
if [ ! -f .npm-tools/node_modules/@microsoft/sarif-multitool/package.json ] ||
    [ "$(cat .npm-tools/.version 2>/dev/null)" != "$SARIF_MULTITOOL_VERSION" ]; then
    echo "==> installing @microsoft/sarif-multitool $SARIF_MULTITOOL_VERSION into .npm-tools"
    rm -rf .npm-tools
    mkdir -p .npm-tools
    v=$SARIF_MULTITOOL_VERSION
    cat >.npm-tools/package.json <<EOF
{"private": true,
 "dependencies": {"@microsoft/sarif-multitool": "$v"},
 "overrides": {"@microsoft/sarif-multitool-linux": "$v", "@microsoft/sarif-multitool-darwin": "$v",
               "@microsoft/sarif-multitool-win32": "$v"}}
EOF
    npm install --prefix .npm-tools --no-audit --no-fund --loglevel=error
    echo "$SARIF_MULTITOOL_VERSION" >.npm-tools/.version
fi
# The platform executable itself: npm's wrapper script passes arguments through a shell.
VIGIL_SARIF_MULTITOOL="$(cd .npm-tools && node -p "require('@microsoft/sarif-multitool')")"
chmod u+x "$VIGIL_SARIF_MULTITOOL"
export VIGIL_SARIF_MULTITOOL

# A real OPA (v1, the Go library embedded by PyPI's opa-golib-python-bindings, pinned by hash)
# to check that OPA and vigil's regorus agree on the policy library. The wheel declares Python
# >= 3.14 but is a ctypes wrapper around a Go shared library, so it is unpacked into .venv/opa
# and imported from there by tests/opa/agree.py rather than installed.
OPA_BINDINGS=opa-golib-python-bindings==0.4.4
OPA_WHEEL_SHA256=d411c901e14b8c7c3023e23e4a944f4cf429c1d31baf80e959e57d11efbfd24a
if [ "$(cat .venv/opa/.version 2>/dev/null)" != "$OPA_BINDINGS" ]; then
    echo "==> installing $OPA_BINDINGS (OPA v1.20.2) into .venv/opa"
    rm -rf .venv/opa .venv/opa-wheel
    .venv/bin/pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        --python-version 3.14 --platform manylinux_2_34_x86_64 -d .venv/opa-wheel "$OPA_BINDINGS"
    wheel=$(ls .venv/opa-wheel/*.whl)
    echo "$OPA_WHEEL_SHA256  $wheel" | sha256sum --check --quiet
    .venv/bin/python -m zipfile -e "$wheel" .venv/opa
    echo "$OPA_BINDINGS" >.venv/opa/.version
    rm -rf .venv/opa-wheel
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "==> Rego policy tests (vigil rules test)"
rego_status=0
cargo run --quiet --locked --bin vigil -- rules test | tee "$log" || rego_status=$?

echo "==> OPA agrees with vigil (tests/opa/agree.py: every Rego test, every demo pair)"
opa_status=0
cargo build --quiet --locked --bin vigil
.venv/bin/python tests/opa/agree.py --vigil "${CARGO_TARGET_DIR:-target}/debug/vigil" \
    --snapshot fixtures/snapshots/demo-org.json | tee -a "$log" || opa_status=$?

echo "==> Rust tests (unit + end-to-end against moto)"
rust_status=0
cargo test --locked --workspace --no-fail-fast 2>&1 | tee -a "$log" || rust_status=$?

# The deployed Lambda artifact stays lean: the release profile must not ship debug info (a probe
# crate through `cargo lambda build --release`, ~1 minute, no release build of vigil), and an
# existing target/lambda/vigil/bootstrap must stay under the documented bound.
echo "==> Lambda artifact (benches/lambda/check_artifact.sh)"
artifact_status=0
bash benches/lambda/check_artifact.sh || artifact_status=$?

# One closing line over both runners: Rego "N passed, M failed" and cargo's "test result" lines.
awk '
  /^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3 }
  /^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
  END { printf "vigil: %d passed, %d failed\n", p, f }
' "$log"
[ "$rego_status" -eq 0 ] && [ "$rust_status" -eq 0 ] && [ "$artifact_status" -eq 0 ] && [ "$opa_status" -eq 0 ]
