#!/usr/bin/env bash
# Derives tests/data/schemas/ocsf-1.1.0-compliance_finding.schema.json, the JSON Schema that
# tests/report_ocsf.rs validates `vigil ... --format ocsf` against, from OCSF's own schema
# repository with OCSF's own tooling. Not run by CI or tests/run.sh: the derived file is
# committed, so the tests stay offline. Run it by hand to regenerate (needs git, python3 and
# the network); the result must be byte-identical to the committed file unless a pin changed.
#
#   tests/data/schemas/derive-ocsf.sh [PATH-TO-ocsf-schema-CHECKOUT]
#
# Without an argument it clones the repository at the pinned tag into a temporary directory.
# Steps:
#  1. the ocsf/ocsf-schema repository at tag v1.1.0 (commit checked below): OCSF 1.1.0 is the
#     version Amazon Security Lake documents for its sources (see README.md here);
#  2. ocsf-lib's compiler (`python -m ocsf.compile`) compiles the repository, core schema only
#     (the linux and windows extensions are left out: vigil emits none of their attributes,
#     and leaving them out keeps the schema strict);
#  3. ocsf-json-schema turns the compiled schema into the JSON Schema (draft 2020-12, objects
#     embedded under $defs) of the compliance_finding class (class_uid 2003) with the `cloud`
#     profile, the one profile vigil's events declare.
# Between 2 and 3 the compiled schema is put in the shape of the OCSF server's export, which is
# what ocsf-json-schema reads: ocsf-lib 0.10.4 writes absent properties as null (the generator
# would read `"@deprecated": null` as deprecated) and names an object-typed attribute's object
# in `type` (its `--set-object-types` step never fires: it tests `type[:-2] == "_t"`), where the
# server writes `"type": "object_t", "object_type": <object>`.
set -euo pipefail

OCSF_REPO=https://github.com/ocsf/ocsf-schema
OCSF_TAG=v1.1.0
OCSF_COMMIT=8ea34523a316c4bad7e360e870a23a8e5cb29bd5
OCSF_LIB=ocsf-lib==0.10.4
OCSF_JSON_SCHEMA=ocsf-json-schema==1.2.0
# ocsf-lib's own dependencies, pinned too so that a rerun installs what made the committed file.
OCSF_LIB_DEPS=(dacite==1.9.2 semver==3.1.2 termcolor==2.5.0)
CLASS=compliance_finding
PROFILES=cloud

here="$(cd "$(dirname "$0")" && pwd)"
out="$here/ocsf-${OCSF_TAG#v}-$CLASS.schema.json"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ $# -ge 1 ]; then
    src="$(cd "$1" && pwd)"
else
    src="$work/ocsf-schema"
    git clone --quiet --depth 1 --branch "$OCSF_TAG" "$OCSF_REPO" "$src"
fi
# A checkout must be the pinned commit; an exported tree (git archive) has no .git and must
# at least say it is the pinned version.
if [ -e "$src/.git" ]; then
    commit="$(git -C "$src" rev-parse HEAD)"
    [ "$commit" = "$OCSF_COMMIT" ] || { echo "expected $OCSF_COMMIT, $src is at $commit" >&2; exit 1; }
fi
grep -q "\"version\": \"${OCSF_TAG#v}\"" "$src/version.json" ||
    { echo "$src/version.json is not ${OCSF_TAG#v}" >&2; exit 1; }

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check \
    "$OCSF_LIB" "${OCSF_LIB_DEPS[@]}" "$OCSF_JSON_SCHEMA"

"$work/venv/bin/python" -m ocsf.compile --ignore-extension linux windows -- "$src" >"$work/compiled.json"

"$work/venv/bin/python" - "$work/compiled.json" "$out" "$CLASS" "$PROFILES" \
    "$OCSF_REPO" "$OCSF_TAG" "$OCSF_COMMIT" "$OCSF_LIB" "$OCSF_JSON_SCHEMA" <<'PY'
import json, sys
from ocsf_json_schema import OcsfJsonSchemaEmbedded

compiled_path, out, cls, profiles, repo, tag, commit, lib, gen = sys.argv[1:]
compiled = json.load(open(compiled_path))


def drop_nulls(v):
    if isinstance(v, dict):
        return {k: drop_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [drop_nulls(x) for x in v]
    return v


schema = drop_nulls(compiled)
objects = schema["objects"]
for holder in list(schema["classes"].values()) + list(objects.values()):
    for attr in holder.get("attributes", {}).values():
        if attr.get("type") in objects:
            attr["object_type"] = attr["type"]
            attr["type"] = "object_t"

class_schema = OcsfJsonSchemaEmbedded(schema).get_class_schema(cls, profiles.split(","))
# The generator fills $defs from a set: sort it so that a rerun writes the same bytes.
class_schema["$defs"] = dict(sorted(class_schema["$defs"].items()))
derived = {
    "$comment": (
        f"Derived, do not edit: OCSF {schema['version']} class {cls} with profiles [{profiles}], "
        f"from {repo} tag {tag} (commit {commit}), compiled with {lib} and emitted with {gen} by "
        "tests/data/schemas/derive-ocsf.sh (see README.md there)."
    ),
    **class_schema,
}
with open(out, "w") as f:
    json.dump(derived, f, indent=2)
    f.write("\n")
print(f"wrote {out}")
PY
