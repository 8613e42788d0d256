#!/usr/bin/env python3
"""A large organization for the HTML report benchmark, made from the demo snapshot.

  python3 benches/html/gen_snapshot.py --accounts 2000 --out big.json

The demo's management account is kept once; every other account is a copy of one of the
demo's five member accounts (in turn), with a distinct 12-digit id (replaced everywhere in its
documents: ARNs, resource ids, the account document), a numbered name and, for workload
accounts, one of 40 team OUs below its OU (a deeper tree than the demo's). Gaps like a real
organization's: every 100th copy is suspended (skipped, no documents), every 50th could not be
entered (an account-wide AccessDenied, no documents), every 37th has KMS denied in eu-west-1
(its KMS documents there dropped). Deterministic: the same arguments give the same file.
"""
import argparse
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=2000, help="accounts in all (management included)")
    ap.add_argument("--demo", default=os.path.join(ROOT, "fixtures/snapshots/demo-org.json"))
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.demo) as fh:
        demo = json.load(fh)
    mgmt = demo["org"]["managementAccountId"]
    members = [acc for acc in demo["accounts"] if acc["id"] != mgmt]
    docs_of = {}
    for d in demo["documents"]:
        docs_of.setdefault(d["awsAccountId"], []).append(d)

    accounts = [acc for acc in demo["accounts"] if acc["id"] == mgmt]
    documents = list(docs_of.get(mgmt, []))
    skipped = list(demo.get("skipped_accounts", []))
    errors = []
    for i in range(1, a.accounts):
        tpl = members[(i - 1) % len(members)]
        new_id = f"{200000000000 + i:012d}"
        ou = tpl["ouPath"]
        if ou.startswith("Root/Workloads"):
            ou = f"{ou}/Team-{i % 40:02d}"
        acc = dict(tpl, id=new_id, name=f"{tpl['name']}-{i:04d}", ouPath=ou,
                   email=f"aws+{tpl['name']}-{i:04d}@bank.example")
        if i % 100 == 0:
            skipped.append(dict(acc, status="SUSPENDED"))
            continue
        accounts.append(acc)
        if i % 50 == 0:
            errors.append({"account_id": new_id, "region": "*", "service": "sts", "operation": "AssumeRole",
                           "code": "AccessDenied", "message": f"not authorized to assume the audit role in {new_id}"})
            continue
        kms_denied = i % 37 == 0
        if kms_denied:
            errors.append({"account_id": new_id, "region": "eu-west-1", "service": "kms", "operation": "ListKeys",
                           "code": "AccessDenied", "message": "not authorized to perform kms:ListKeys"})
        for d in docs_of.get(tpl["id"], []):
            if kms_denied and d["resourceType"] == "AWS::KMS::Key" and d["awsRegion"] == "eu-west-1":
                continue
            documents.append(json.loads(json.dumps(d).replace(tpl["id"], new_id)))

    snap = dict(demo)
    snap.update(accounts=accounts, skipped_accounts=skipped, documents=documents, errors=errors,
                organization_account_ids=sorted([x["id"] for x in accounts] + [x["id"] for x in skipped]))
    with open(a.out, "w") as fh:
        json.dump(snap, fh)
    print(f"{len(accounts)} accounts, {len(skipped)} skipped, {len(documents)} documents, {len(errors)} errors")


if __name__ == "__main__":
    main()
