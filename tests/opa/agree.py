#!/usr/bin/env python3
"""A real OPA agrees with vigil: every Rego unit test, and every (rule, resource) verdict on a
snapshot.

vigil evaluates its policies with regorus. Users who run the same policies in OPA (conftest,
an OPA server, their own tooling) must get the same answers, so this check loads the policy
library into OPA itself (the Go library `github.com/open-policy-agent/opa/v1/rego`, embedded by
the PyPI package opa-golib-python-bindings, which tests/run.sh installs pinned into .venv/opa)
and compares:

1. every `test_*` rule of every `*_test.rego`: OPA must find it true, as `vigil rules test` does;
2. every (rule, document) pair of a snapshot: OPA's `deny` and `error` sets, turned into
   findings the way vigil does (one `fail` per deny message, one `error` per error message,
   one `pass` when both are empty), must equal the findings of `vigil evaluate SNAPSHOT`.

Usage: agree.py --vigil target/debug/vigil --snapshot fixtures/snapshots/demo-org.json
(the OPA bindings are imported from $VIGIL_OPA_PATH, default .venv/opa).
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load_opa():
    sys.path.insert(0, os.environ.get("VIGIL_OPA_PATH", str(ROOT / ".venv" / "opa")))
    from opa_bindings import OpaEngine  # noqa: E402

    return OpaEngine


def rego_files():
    return sorted((ROOT / "rules" / "policies").rglob("*.rego"))


def package_of(text):
    m = re.search(r"^package\s+([\w.]+)", text, re.M)
    return m.group(1) if m else None


def test_names(text):
    """`test_*` rule heads at column 0, in order, once each (as vigil's runner finds them)."""
    names = []
    for line in text.splitlines():
        m = re.match(r"test_(\w+)", line)
        if m and f"test_{m.group(1)}" not in names:
            names.append(f"test_{m.group(1)}")
    return names


def rule_meta(text):
    """(id, resource types) from a rule's METADATA block; None for libraries and tests."""
    m_id = re.search(r"^#\s+id:\s*(\S+)", text, re.M)
    m_types = re.search(r"^#\s+resource_types:\s*\[([^\]]*)\]", text, re.M)
    if not m_id or not m_types:
        return None
    return m_id.group(1), [t.strip() for t in m_types.group(1).split(",") if t.strip()]


def fixtures():
    out = {}
    for f in sorted((ROOT / "fixtures" / "documents").glob("*/*.json")):
        out.setdefault(f.parent.name, {})[f.stem] = json.loads(f.read_text())
    return out


def organization(org=None, account_ids=()):
    org = org or {}
    return {
        "id": org.get("id", ""),
        "management_account_id": org.get("managementAccountId", ""),
        "account_ids": {a: True for a in account_ids},
    }


def engine(OpaEngine, params, org, with_fixtures):
    e = OpaEngine()
    for f in rego_files():
        if f.name.endswith("_test.rego") and not with_fixtures:
            continue
        e.add_policy(str(f.relative_to(ROOT)), f.read_text())
    data = {"vigil": {"params": params, "organization": org}}
    if with_fixtures:
        data["fixtures"] = fixtures()
    e.add_data(data)
    return e


def unit_tests(OpaEngine, params):
    e = engine(OpaEngine, params, organization(), with_fixtures=True)
    results = {}
    for f in rego_files():
        if not f.name.endswith("_test.rego"):
            continue
        text = f.read_text()
        pkg = package_of(text)
        for t in test_names(text):
            name = f"data.{pkg}.{t}"
            try:
                results[name] = e.eval_document(f"{pkg}.{t}", None) is True
            except Exception as ex:  # undefined, or an evaluation error
                results[name] = f"{type(ex).__name__}: {ex}"
    return results


def vigil_unit_tests(vigil):
    out = subprocess.run([vigil, "rules", "test"], capture_output=True, text=True)
    if out.stderr.strip():
        print(out.stderr.strip(), file=sys.stderr)
    passed = {}
    for line in out.stdout.splitlines():
        m = re.match(r"(PASS|FAIL) (\S+)", line)
        if m:
            passed[m.group(2)] = m.group(1) == "PASS"
    return passed


def as_set(value):
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise ValueError(f"not a set: {value!r}")


def opa_findings(OpaEngine, params, snapshot):
    accounts = {a["id"]: a for a in snapshot.get("accounts", [])}
    ids = list(accounts) + [a["id"] for a in snapshot.get("skipped_accounts", [])]
    org = snapshot.get("org", {})
    e = engine(OpaEngine, params, organization(org, ids), with_fixtures=False)
    rules = []
    for f in rego_files():
        text = f.read_text()
        meta = None if f.name.endswith("_test.rego") else rule_meta(text)
        if meta and package_of(text).startswith("vigil.rules."):
            rules.append((meta[0], meta[1], package_of(text)))
    out = {}
    for doc in snapshot["documents"]:
        a = accounts.get(doc["awsAccountId"], {"id": doc["awsAccountId"]})
        account = {
            "id": a.get("id", ""),
            "name": a.get("name", ""),
            "email": a.get("email", ""),
            "ouPath": a.get("ou_path", a.get("ouPath", "")),
            "tags": a.get("tags", {}),
        }
        resource = {k: v for k, v in doc.items() if not (k == "collectionErrors" and not v)}
        inp = {"resource": resource, "account": account, "org": org}
        for rule_id, types, pkg in rules:
            if doc["resourceType"] not in types:
                continue
            verdicts = []
            for part, status in (("deny", "fail"), ("error", "error")):
                try:
                    msgs = as_set(e.eval_document(f"{pkg}.{part}", inp))
                except Exception as ex:
                    if "undefined" in str(ex):
                        msgs = []
                    else:
                        msgs = [f"OPA error: {ex}"]
                        status = "opa-error"
                verdicts += [(status, m) for m in msgs]
            if not verdicts:
                verdicts = [("pass", "")]
            key = (rule_id, doc["awsAccountId"], doc["awsRegion"], doc["arn"])
            out[key] = sorted(verdicts)
    return out


def vigil_findings(vigil, snapshot_path):
    with tempfile.TemporaryDirectory() as tmp:
        report = pathlib.Path(tmp) / "report.json"
        out = subprocess.run(
            [vigil, "evaluate", str(snapshot_path), "--format", "json", "--output", str(report),
             "--fail-on", "none", "--quiet"],
            capture_output=True, text=True, cwd=tmp,
        )
        if out.returncode not in (0, 3):
            sys.exit(f"vigil evaluate failed ({out.returncode}): {out.stderr}")
        findings = json.loads(report.read_text())["findings"]
    got = {}
    for f in findings:
        if not f["resource_arn"]:
            continue  # a scope that could not be assessed: no document, nothing for OPA
        key = (f["rule_id"], f["account_id"], f["region"], f["resource_arn"])
        got.setdefault(key, []).append((f["status"], f["message"]))
    return {k: sorted(v) for k, v in got.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--snapshot", action="append", default=[])
    args = ap.parse_args()
    args.vigil = os.path.abspath(args.vigil)
    args.snapshot = [os.path.abspath(s) for s in args.snapshot]
    OpaEngine = load_opa()
    params = json.loads((ROOT / "rules" / "params.default.json").read_text())
    problems = []
    agreed = 0

    opa_tests = unit_tests(OpaEngine, params)
    vigil_tests = vigil_unit_tests(args.vigil)
    for name in sorted(set(opa_tests) | set(vigil_tests)):
        o, v = opa_tests.get(name, "not run"), vigil_tests.get(name, "not run")
        if o is not True or v is not True:
            problems.append(f"{name}: OPA {o}, vigil {'PASS' if v is True else v}")
    if not vigil_tests:
        problems.append("vigil rules test ran no test (did the policies load?)")
    n = sum(1 for t in opa_tests if opa_tests[t] is True and vigil_tests.get(t) is True)
    agreed += n
    print(f"OPA and vigil on {len(opa_tests)} Rego tests: {n} agree")

    for snap in args.snapshot:
        snapshot = json.loads(pathlib.Path(snap).read_text())
        expected = opa_findings(OpaEngine, params, snapshot)
        got = vigil_findings(args.vigil, snap)
        for key in sorted(set(expected) | set(got)):
            if expected.get(key) != got.get(key):
                problems.append(f"{snap}: {key}: OPA {expected.get(key)}, vigil {got.get(key)}")
        agree = sum(1 for k in expected if expected[k] == got.get(k))
        agreed += agree
        print(f"OPA and vigil on {snap}: {agree} of {len(expected)} (rule, resource) pairs agree")

    for p in problems:
        print(f"DISAGREE {p}")
    # The closing line tests/run.sh adds up with the other runners' counts.
    print(f"{agreed} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
