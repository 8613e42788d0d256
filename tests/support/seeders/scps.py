"""Seeds `scps`: service control policies attached at root, OU and account level.

"policy_types" lists other policy types to enable at the root (TAG_POLICY, BACKUP_POLICY:
moto enables both, but creates policies of TAG_POLICY only); a policy with "type" is of
that type (default SERVICE_CONTROL_POLICY).

Targets are "root", "ou:<path>" (as in the scenario's "ous") or "account:<key>". The AWS-managed
FullAWSAccess policy is detached from the targets in "detach_full_access" after the custom
policies are attached (AWS refuses to leave a target with no SCP at all).
"""
import json

from seedlib import MANAGEMENT, client

FULL_AWS_ACCESS = "p-FullAWSAccess"


def ou_ids(org):
    """OU path (as the scenario writes it) -> id, walking down from the root."""
    root = org.list_roots()["Roots"][0]["Id"]
    ids, todo = {"": root}, [("", root)]
    while todo:
        path, parent = todo.pop()
        pages = org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent)
        for page in pages:
            for ou in page["OrganizationalUnits"]:
                child = f"{path}/{ou['Name']}" if path else ou["Name"]
                ids[child] = ou["Id"]
                todo.append((child, ou["Id"]))
    return ids


def seed(sessions, scps, ctx):
    org = client("organizations", sessions.endpoint, "us-east-1", sessions.creds(MANAGEMENT))
    ous = ou_ids(org)
    root = ous[""]
    enabled = {t["Type"] for t in org.list_roots()["Roots"][0].get("PolicyTypes", []) if t["Status"] == "ENABLED"}
    for policy_type in ["SERVICE_CONTROL_POLICY"] + scps.get("policy_types", []):
        if policy_type not in enabled:
            org.enable_policy_type(RootId=root, PolicyType=policy_type)

    def target(spec):
        kind, _, name = spec.partition(":")
        if kind == "root":
            return root
        if kind == "ou":
            return ous[name]
        if kind == "account":
            return ctx["accounts"][name]
        raise ValueError(f"unknown SCP target {spec!r}")

    for p in scps.get("policies", []):
        policy_id = org.create_policy(
            Name=p["name"],
            Description=p.get("description", p["name"]),
            Type=p.get("type", "SERVICE_CONTROL_POLICY"),
            Content=json.dumps(p["document"]),
        )["Policy"]["PolicySummary"]["Id"]
        for t in p["targets"]:
            org.attach_policy(PolicyId=policy_id, TargetId=target(t))
    for t in scps.get("detach_full_access", []):
        org.detach_policy(PolicyId=FULL_AWS_ACCESS, TargetId=target(t))
