#!/usr/bin/env python3
"""Seeds a scenario (fixtures/scenarios/*.json) into a running moto server.

Creates the organization, OUs and member accounts, then every resource inside the account it
belongs to (through sts:AssumeRole, exactly as vigil reaches it), and finally closes accounts
marked "close". Prints {"org_id", "accounts": {key: id}} as JSON on stdout.
"""
import argparse
import importlib
import json
import os
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seedlib import client, MANAGEMENT  # noqa: E402

# Scenario keys that are not resource sections.
RESERVED = {"description", "ous", "accounts", "expected_failures", "expected_documents"}


def seed_org(endpoint, scenario):
    org = client("organizations", endpoint, "us-east-1")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = org.list_roots()["Roots"][0]["Id"]
    ou_ids = {"": root}
    for path in scenario.get("ous", []):
        parent, _, name = path.rpartition("/")
        ou_ids[path] = org.create_organizational_unit(ParentId=ou_ids[parent], Name=name)["OrganizationalUnit"]["Id"]
    accounts = {MANAGEMENT: org.describe_organization()["Organization"]["MasterAccountId"]}
    for a in scenario.get("accounts", []):
        status = org.create_account(Email=a["email"], AccountName=a["name"])["CreateAccountStatus"]
        acct = status["AccountId"]
        accounts[a["key"]] = acct
        if a.get("ou"):
            org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ou_ids[a["ou"]])
        if a.get("tags"):
            org.tag_resource(ResourceId=acct, Tags=[{"Key": k, "Value": v} for k, v in a["tags"].items()])
    return org, org_id, accounts


class Sessions:
    """Credentials per account: the caller's for the management account, AssumeRole for members."""

    def __init__(self, endpoint, accounts, role_name):
        self.endpoint, self.accounts, self.role_name = endpoint, accounts, role_name
        self.cache = {}

    def creds(self, key):
        if key == MANAGEMENT:
            return None
        if key not in self.cache:
            sts = client("sts", self.endpoint, "us-east-1")
            arn = f"arn:aws:iam::{self.accounts[key]}:role/{self.role_name}"
            self.cache[key] = sts.assume_role(RoleArn=arn, RoleSessionName="vigil-seed")["Credentials"]
        return self.cache[key]

    def client(self, service, key, region):
        return client(service, self.endpoint, region, self.creds(key))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--role-name", default="VigilAuditRole")
    ap.add_argument("scenario")
    a = ap.parse_args()
    with open(a.scenario) as fh:
        scenario = json.load(fh)
    org, org_id, accounts = seed_org(a.endpoint, scenario)
    sessions = Sessions(a.endpoint, accounts, a.role_name)
    ctx = {"org_id": org_id, "accounts": accounts}
    # Each resource section is seeded by tests/support/seeders/<section>.py: seed(sessions, items, ctx).
    for section, items in scenario.items():
        if section in RESERVED:
            continue
        importlib.import_module(f"seeders.{section}").seed(sessions, items, ctx)
    for acc in scenario.get("accounts", []):
        if acc.get("close"):
            org.close_account(AccountId=accounts[acc["key"]])
    json.dump({"org_id": org_id, "accounts": accounts}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
