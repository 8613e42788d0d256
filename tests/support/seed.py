#!/usr/bin/env python3
"""Seeds a scenario (fixtures/scenarios/*.json) into a running moto server.

Creates the organization, OUs and member accounts, then every resource inside the account it
belongs to (through sts:AssumeRole, exactly as vigil reaches it), and finally closes accounts
marked "close". Prints {"org_id", "accounts": {key: id}} as JSON on stdout.
"""
import argparse
import io
import json
import sys
import zipfile

import boto3

MANAGEMENT = "management"


def client(service, endpoint, region, creds=None):
    creds = creds or {"AccessKeyId": "testing", "SecretAccessKey": "testing", "SessionToken": None}
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
    )


def fill(value, ctx):
    if isinstance(value, str):
        return value.format(**ctx)
    return value


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


def lambda_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buf.getvalue()


def seed_lambda(sessions, fns, ctx):
    roles = {}
    code = lambda_zip()
    for f in fns:
        key, region = f["account"], f["region"]
        account_id = sessions.accounts[key]
        fctx = dict(ctx, account=account_id, region=region)
        if key not in roles:
            iam = sessions.client("iam", key, "us-east-1")
            roles[key] = iam.create_role(
                RoleName="lambda-exec",
                AssumeRolePolicyDocument=json.dumps({
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
                }),
            )["Role"]["Arn"]
        lam = sessions.client("lambda", key, region)
        args = {"FunctionName": f["name"], "Role": roles[key], "Tags": f.get("tags", {})}
        if f.get("package_type") == "Image":
            args.update(PackageType="Image", Code={"ImageUri": f"{account_id}.dkr.ecr.{region}.amazonaws.com/app:latest"})
        else:
            args.update(Runtime=f["runtime"], Handler="app.handler", Code={"ZipFile": code})
        if f.get("environment"):
            args["Environment"] = {"Variables": f["environment"]}
        if f.get("kms"):
            args["KMSKeyArn"] = f"arn:aws:kms:{region}:{account_id}:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
        if f.get("vpc"):
            args["VpcConfig"] = {"SubnetIds": f["vpc"]["subnets"], "SecurityGroupIds": f["vpc"]["security_groups"]}
        lam.create_function(**args)
        for p in f.get("permissions", []):
            perm = {"FunctionName": f["name"], "StatementId": p["sid"], "Action": p.get("action", "lambda:InvokeFunction"), "Principal": p["principal"]}
            if p.get("source_arn"):
                perm["SourceArn"] = fill(p["source_arn"], fctx)
            if p.get("source_account"):
                perm["SourceAccount"] = fill(p["source_account"], fctx)
            if p.get("principal_org_id"):
                perm["PrincipalOrgID"] = fill(p["principal_org_id"], fctx)
            lam.add_permission(**perm)
        if f.get("url"):
            lam.create_function_url_config(FunctionName=f["name"], AuthType=f["url"]["auth"])


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
    ctx = {"org_id": org_id}
    seed_lambda(sessions, scenario.get("lambda_functions", []), ctx)
    for acc in scenario.get("accounts", []):
        if acc.get("close"):
            org.close_account(AccountId=accounts[acc["key"]])
    json.dump({"org_id": org_id, "accounts": accounts}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
