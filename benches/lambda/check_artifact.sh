#!/usr/bin/env bash
# Keeps the deployed Lambda artifact lean without a release build of vigil (tests/run.sh runs
# this; the real artifact takes ~15 minutes to build on 2 cores). Two checks:
#
#  1. The profile, always (~1 minute): a one-line probe crate gets this workspace's
#     [profile.release] and goes through `cargo lambda build --release` (the same tool, flags
#     and profile as the real artifact). Its bootstrap must carry no DWARF: the debug info that
#     made vigil's bootstrap 126 MB (34 MB zipped) came from the profile, not from the code
#     (cargo lambda does not strip a binary whose profile asks for debug info).
#  2. The size, when a real artifact exists: target/lambda/vigil/bootstrap, or
#     $VIGIL_LAMBDA_ARTIFACT (its zip too when `--output-format zip` made one). It must stay
#     under the bounds below. A fresh clone (CI) has none: this part then says it was skipped.
#     It catches growth from code and dependencies wherever an artifact is built (benches/lambda,
#     a release job, a developer's `cargo lambda build`).
#
# Bounds: the x86_64 bootstrap measured 2026-12-04 (benches/README.md, Lambda section) plus
# ~30 % headroom. Raise them deliberately, with the measurement, when vigil grows.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MAX_BOOTSTRAP_MB=${MAX_BOOTSTRAP_MB:-56}
MAX_ZIP_MB=${MAX_ZIP_MB:-20}
VENV="${VIGIL_VENV:-$ROOT/.venv}"

say() { printf '[check_artifact] %s\n' "$*"; }
fail() {
    say "FAIL: $*"
    exit 1
}

# Section names of an ELF file (python: readelf is not everywhere).
debug_sections() {
    "$VENV/bin/python" - "$1" <<'EOF'
import struct, sys
with open(sys.argv[1], "rb") as fh:
    data = fh.read()
if data[:4] != b"\x7fELF" or data[4] != 2:
    sys.exit(f"{sys.argv[1]}: not a 64-bit ELF file")
end = "<" if data[5] == 1 else ">"
shoff, = struct.unpack_from(end + "Q", data, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3A)
def section(i):
    return struct.unpack_from(end + "IIQQQQ", data, shoff + i * shentsize)
names_off = section(shstrndx)[4]
for i in range(shnum):
    name_off, _, flags, _, _, size = section(i)
    name = data[names_off + name_off:data.index(b"\0", names_off + name_off)].decode()
    # .debug_gdb_scripts is loaded data (gdb's pretty-printer hook), not debug info.
    if (name.startswith(".debug_") or name.startswith(".zdebug_")) and name != ".debug_gdb_scripts":
        print(f"{name} {size}")
EOF
}

# 1. The profile, through a probe crate.
PROBE="$(mktemp -d)"
trap 'rm -rf "$PROBE"' EXIT
mkdir -p "$PROBE/src"
echo 'fn main() { println!("probe"); }' >"$PROBE/src/main.rs"
{
    printf '[package]\nname = "probe"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n\n'
    "$VENV/bin/python" - "$ROOT/Cargo.toml" <<'EOF'
import sys, tomllib
profiles = tomllib.load(open(sys.argv[1], "rb")).get("profile", {})
def value(v):
    return f'"{v}"' if isinstance(v, str) else str(v).lower()
def section(header, table):
    print(header)
    for k, v in table.items():
        if not isinstance(v, dict):
            print(f"{k} = {value(v)}")
    print()
for name, table in profiles.items():
    section(f"[profile.{name}]", table)
    # Per-package tables (`[profile.dev.package."*"]`) and `build-override`, one level deep.
    for pkg, t in table.get("package", {}).items():
        section(f'[profile.{name}.package."{pkg}"]', t)
    if "build-override" in table:
        section(f"[profile.{name}.build-override]", table["build-override"])
    unknown = [k for k, v in table.items() if isinstance(v, dict) and k not in ("package", "build-override")]
    if unknown:
        sys.exit(f"[profile.{name}] has tables {unknown}: teach benches/lambda/check_artifact.sh about them")
EOF
} >"$PROBE/Cargo.toml"
say "profile: cargo lambda build --release of a probe crate with this [profile.release]"
if ! (cd "$PROBE" && PATH="$VENV/bin:$PATH" CARGO_TARGET_DIR="$PROBE/target" \
    cargo lambda build --release >"$PROBE/build.log" 2>&1); then
    cat "$PROBE/build.log"
    fail "cargo lambda build of the probe crate failed"
fi
left="$(debug_sections "$PROBE/target/lambda/probe/bootstrap")"
if [ -n "$left" ]; then
    say "debug sections (name, bytes) in the probe's bootstrap:"
    printf '%s\n' "$left"
    fail "[profile.release] ships debug info in the Lambda bootstrap (see benches/README.md, Lambda section)"
fi
say "profile: ok, the probe's bootstrap carries no debug info"

# 2. The size of a real artifact, when there is one.
ART="${VIGIL_LAMBDA_ARTIFACT:-$ROOT/target/lambda/vigil/bootstrap}"
if [ ! -f "$ART" ]; then
    say "size: skipped, no artifact at $ART (cargo lambda build --release --bin vigil makes one)"
    exit 0
fi
mb() { "$VENV/bin/python" -c 'import os, sys; print(f"{os.path.getsize(sys.argv[1]) / 1e6:.1f}")' "$1"; }
over() { "$VENV/bin/python" -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$1" "$2"; }
size="$(mb "$ART")"
say "size: $ART is $size MB (bound $MAX_BOOTSTRAP_MB MB), built $(date -u -r "$ART" +%Y-%m-%dT%H:%MZ)"
over "$size" "$MAX_BOOTSTRAP_MB" && fail "the Lambda bootstrap grew past $MAX_BOOTSTRAP_MB MB: $size MB"
for zip in "$ART.zip" "$(dirname "$ART")/bootstrap.zip"; do
    if [ -f "$zip" ]; then
        zsize="$(mb "$zip")"
        say "size: $zip is $zsize MB (bound $MAX_ZIP_MB MB)"
        over "$zsize" "$MAX_ZIP_MB" && fail "the Lambda zip grew past $MAX_ZIP_MB MB: $zsize MB"
        break
    fi
done
say "size: ok"
