#!/usr/bin/env python3
"""Seeds a synthetic AWS Organization into a running moto server, fast: boto3 in-process, one
thread per account at a time (a pool), every account reached through sts:AssumeRole exactly as
vigil and Prowler reach it.

The organization: management account + N members spread over three OUs (Workloads/Prod,
Workloads/Dev, Sandbox), service control policies at root, OU and account level, and in every
account × region the same mix of resources (compliant and non-compliant ones alike):

  per region: Lambda functions, REST APIs (resource + method + MOCK integration, deployment,
  stage), HTTP APIs (integration, routes, stage), DynamoDB tables, KMS keys (MultiRegion=False),
  one AWS Config recorder + delivery channel;  per account: the Organizations account itself.

Re-running with a larger --members against the same server adds accounts up to that number
(the scale curve grows one organization instead of seeding three).

Prints a JSON manifest on stdout: org id, management id, member ids, resources per kind and in
total, seeding time. Talks to --endpoint only (must be on 127.0.0.1).
"""
import argparse
import io
import json
import sys
import threading
import time
import urllib.parse
import zipfile
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

ROLE_NAME = "VigilAuditRole"
OUS = ["Workloads", "Workloads/Prod", "Workloads/Dev", "Sandbox"]
MEMBER_OUS = ["Workloads/Prod", "Workloads/Dev", "Sandbox"]

# Per region, per account. "lite" is the reduced mix for very large organizations (see --mix).
MIXES = {
    "full": {"functions": 8, "rest_apis": 3, "http_apis": 3, "tables": 6, "keys": 5, "config": 1},
    "lite": {"functions": 8, "rest_apis": 2, "http_apis": 2, "tables": 8, "keys": 5, "config": 1},
}

RUNTIMES = ["python3.12", "python3.13", "nodejs22.x", "python3.8", "python3.12", "nodejs20.x",
            "java21", "python3.11"]

SCPS = [
    ("deny-leave-org", ["root"], {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoLeaving", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}),
    ("platform-whitelist", ["ou:Workloads"], {"Version": "2012-10-17", "Statement": [
        {"Sid": "PlatformServices", "Effect": "Allow", "Resource": "*", "Action": [
            "lambda:*", "apigateway:*", "execute-api:*", "dynamodb:*", "kms:*", "sns:*", "sqs:*", "events:*",
            "states:*", "s3:*", "logs:*", "cloudwatch:*", "xray:*", "config:*", "cloudtrail:*", "iam:*", "sts:*",
            "organizations:*", "cloudformation:*", "ssm:*", "secretsmanager:*", "tag:*", "health:*", "support:*"]}]}),
    ("protect-config", ["ou:Workloads/Prod"], {"Version": "2012-10-17", "Statement": [
        {"Sid": "KeepRecording", "Effect": "Deny", "Resource": "*", "Action": [
            "config:StopConfigurationRecorder", "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel"]}]}),
    ("sandbox-guardrail", ["ou:Sandbox"], {"Version": "2012-10-17", "Statement": [
        {"Sid": "OnlyTheseServices", "Effect": "Deny", "Resource": "*", "NotAction": [
            "lambda:*", "apigateway:*", "execute-api:*", "dynamodb:*", "kms:*", "sns:*", "sqs:*", "events:*",
            "states:*", "s3:*", "logs:*", "cloudwatch:*", "xray:*", "config:*", "cloudtrail:*", "iam:*", "sts:*",
            "organizations:*", "cloudformation:*", "ssm:*", "secretsmanager:*", "tag:*", "health:*", "support:*",
            "ec2:*", "rds:*"]}]}),
]
# Every 5th member also gets an account-level SCP (each its own policy: distinct documents).
ACCOUNT_SCP_EVERY = 5

_local = threading.local()


def session():
    # boto3's default session is not thread-safe: one session per thread.
    if not hasattr(_local, "session"):
        _local.session = boto3.session.Session()
    return _local.session


CONFIG = Config(retries={"max_attempts": 8, "mode": "standard"}, max_pool_connections=32)


def client(service, endpoint, region, creds=None):
    creds = creds or {"AccessKeyId": "testing", "SecretAccessKey": "testing", "SessionToken": None}
    return session().client(
        service, endpoint_url=endpoint, region_name=region, config=CONFIG,
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
    )


def lambda_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buf.getvalue()


CODE = lambda_zip()
ACCESS_LOG_FORMAT = '{"requestId":"$context.requestId","status":"$context.status"}'


def ensure_org(org):
    """The organization, its OUs and SCPs (created on the first run, found on later ones)."""
    try:
        o = org.describe_organization()["Organization"]
        created = False
    except org.exceptions.AWSOrganizationsNotInUseException:
        o = org.create_organization(FeatureSet="ALL")["Organization"]
        created = True
    root = org.list_roots()["Roots"][0]["Id"]
    ou_ids = {"": root}
    if created:
        for path in OUS:
            parent, _, name = path.rpartition("/")
            ou_ids[path] = org.create_organizational_unit(
                ParentId=ou_ids[parent], Name=name)["OrganizationalUnit"]["Id"]
        org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        for name, targets, doc in SCPS:
            pid = org.create_policy(Name=name, Description=name, Type="SERVICE_CONTROL_POLICY",
                                    Content=json.dumps(doc))["Policy"]["PolicySummary"]["Id"]
            for t in targets:
                org.attach_policy(PolicyId=pid, TargetId=ou_ids[t[3:]] if t.startswith("ou:") else root)
        # The whitelist replaces FullAWSAccess on Workloads.
        org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ou_ids["Workloads"])
    else:
        todo = [("", root)]
        while todo:
            path, parent = todo.pop()
            for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent):
                for ou in page["OrganizationalUnits"]:
                    child = f"{path}/{ou['Name']}" if path else ou["Name"]
                    ou_ids[child] = ou["Id"]
                    todo.append((child, ou["Id"]))
    return o["Id"], o["MasterAccountId"], root, ou_ids


def members(org, management):
    out = []
    for page in org.get_paginator("list_accounts").paginate():
        out += [a for a in page["Accounts"] if a["Id"] != management]
    return sorted(out, key=lambda a: a["Name"])


def add_members(org, root, ou_ids, have, want):
    """Creates members number have..want-1; returns their ids in order."""
    created = []
    for i in range(have, want):
        name = f"member-{i:04d}"
        acct = org.create_account(Email=f"aws+{name}@example.com", AccountName=name)["CreateAccountStatus"]["AccountId"]
        ou = MEMBER_OUS[i % len(MEMBER_OUS)]
        org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ou_ids[ou])
        org.tag_resource(ResourceId=acct, Tags=[{"Key": "owner", "Value": f"team-{i % 7}"},
                                                {"Key": "env", "Value": ou.rpartition("/")[2].lower()}])
        if i % ACCOUNT_SCP_EVERY == 0:
            doc = {"Version": "2012-10-17", "Statement": [
                {"Sid": "Compute", "Effect": "Allow", "Resource": "*", "Action": ["lambda:*", "states:*", "config:*"]},
                {"Sid": "Data", "Effect": "Allow", "Resource": "*",
                 "Action": ["dynamodb:*", "s3:*", "athena:*", "kms:Decrypt", "logs:*", "sts:*"]}]}
            pid = org.create_policy(Name=f"account-{name}", Description=name, Type="SERVICE_CONTROL_POLICY",
                                    Content=json.dumps(doc))["Policy"]["PolicySummary"]["Id"]
            org.attach_policy(PolicyId=pid, TargetId=acct)
        created.append(acct)
    return created


def seed_account(endpoint, account_id, management, regions, mix, index):
    """Every resource of one account; returns {kind: count}."""
    creds = None
    if account_id != management:
        sts = client("sts", endpoint, "us-east-1")
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE_NAME}",
                                RoleSessionName="vigil-bench-seed")["Credentials"]
    counts = {k: 0 for k in MIXES[mix]}
    iam = client("iam", endpoint, "us-east-1", creds)
    role = iam.create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    m = MIXES[mix]
    for region in regions:
        kms = client("kms", endpoint, region, creds)
        key_arns = []
        for k in range(m["keys"]):
            args = {"Description": f"bench key {k}", "KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT",
                    "MultiRegion": False, "Tags": [{"TagKey": "owner", "TagValue": f"team-{k}"}]}
            if k == 4:  # one key per region whose policy lets anyone use it
                args["Policy"] = json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                     "Action": "kms:*", "Resource": "*"},
                    {"Sid": "AnyoneCanUse", "Effect": "Allow", "Principal": "*",
                     "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]})
            meta = kms.create_key(**args)["KeyMetadata"]
            key_arns.append(meta["Arn"])
            kms.create_alias(AliasName=f"alias/bench-{k}", TargetKeyId=meta["KeyId"])
            if k % 2 == 0:
                kms.enable_key_rotation(KeyId=meta["KeyId"])
            counts["keys"] += 1

        lam = client("lambda", endpoint, region, creds)
        for f in range(m["functions"]):
            name = f"fn-{f:02d}"
            args = {"FunctionName": name, "Role": role, "Runtime": RUNTIMES[f % len(RUNTIMES)],
                    "Handler": "app.handler", "Code": {"ZipFile": CODE}, "Tags": {"owner": f"team-{f % 3}"}}
            if f % 3 == 0:
                args["Environment"] = {"Variables": {"TABLE_NAME": f"table-{f}", "LOG_LEVEL": "info"}}
                if f % 2 == 0:
                    args["KMSKeyArn"] = key_arns[0]
            if f == 5:
                args["VpcConfig"] = {"SubnetIds": ["subnet-0a1b2c3d"], "SecurityGroupIds": ["sg-0a1b2c3d"]}
            lam.create_function(**args)
            if f == 1:
                lam.add_permission(FunctionName=name, StatementId="public", Action="lambda:InvokeFunction",
                                   Principal="*")
            elif f == 2:
                lam.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                                   Principal="apigateway.amazonaws.com",
                                   SourceArn=f"arn:aws:execute-api:{region}:{account_id}:abc123/*")
            if f == 3:
                lam.create_function_url_config(FunctionName=name, AuthType="NONE")
            elif f == 4:
                lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")
            counts["functions"] += 1

        ag = client("apigateway", endpoint, region, creds)
        for a in range(m["rest_apis"]):
            api = ag.create_rest_api(name=f"rest-{a}", tags={"owner": "api"})["id"]
            root_id = next(r["id"] for r in ag.get_resources(restApiId=api)["items"] if r["path"] == "/")
            res = ag.create_resource(restApiId=api, parentId=root_id, pathPart="items")["id"]
            for method, auth in (("GET", "NONE" if a == 0 else "AWS_IAM"), ("POST", "AWS_IAM")):
                ag.put_method(restApiId=api, resourceId=res, httpMethod=method, authorizationType=auth)
                ag.put_integration(restApiId=api, resourceId=res, httpMethod=method, type="MOCK")
            dep = ag.create_deployment(restApiId=api)["id"]
            ag.create_stage(restApiId=api, stageName="prod", deploymentId=dep)
            if a != 1:
                ag.update_stage(restApiId=api, stageName="prod", patchOperations=[
                    {"op": "replace", "path": "/accessLogSettings/destinationArn",
                     "value": f"arn:aws:logs:{region}:{account_id}:log-group:/aws/apigateway/rest-{a}"},
                    {"op": "replace", "path": "/accessLogSettings/format", "value": ACCESS_LOG_FORMAT}])
            counts["rest_apis"] += 1

        v2 = client("apigatewayv2", endpoint, region, creds)
        for a in range(m["http_apis"]):
            api = v2.create_api(Name=f"http-{a}", ProtocolType="HTTP", Tags={"owner": "api"})["ApiId"]
            integ = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0",
                                          IntegrationUri=f"arn:aws:lambda:{region}:{account_id}:function:fn-00")["IntegrationId"]
            for key, auth in (("GET /items", "NONE" if a == 0 else "AWS_IAM"), ("POST /items", "AWS_IAM")):
                v2.create_route(ApiId=api, RouteKey=key, AuthorizationType=auth, Target=f"integrations/{integ}")
            v2.create_stage(ApiId=api, StageName="prod")
            counts["http_apis"] += 1

        ddb = client("dynamodb", endpoint, region, creds)
        for t in range(m["tables"]):
            args = {"TableName": f"table-{t:02d}", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "BillingMode": "PROVISIONED" if t % 4 == 3 else "PAY_PER_REQUEST",
                    "DeletionProtectionEnabled": t % 2 == 0, "Tags": [{"Key": "owner", "Value": "data"}]}
            if args["BillingMode"] == "PROVISIONED":
                args["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
            if t % 3 != 2:
                args["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arns[1]}
            ddb.create_table(**args)
            if t % 2 == 0:
                ddb.update_continuous_backups(TableName=args["TableName"],
                                              PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
            counts["tables"] += 1

        cfg = client("config", endpoint, region, creds)
        # Regions differ: the second region of every third account records only two types and
        # has no SNS topic; every seventh account has stopped recording.
        partial = region != regions[0] and index % 3 == 0
        cfg.put_configuration_recorder(ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{account_id}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
            "recordingGroup": ({"allSupported": False, "includeGlobalResourceTypes": False,
                                "resourceTypes": ["AWS::Lambda::Function", "AWS::DynamoDB::Table"],
                                "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}} if partial else
                               {"allSupported": True, "includeGlobalResourceTypes": region == regions[0],
                                "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}})})
        dc = {"name": "default", "s3BucketName": f"org-config-{account_id}"}
        if not partial:
            dc["snsTopicARN"] = f"arn:aws:sns:{region}:{account_id}:config-notify"
        cfg.put_delivery_channel(DeliveryChannel=dc)
        if index % 7 != 6:
            cfg.start_configuration_recorder(ConfigurationRecorderName="default")
        counts["config"] += 1
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--members", type=int, required=True, help="member accounts the org should have")
    ap.add_argument("--regions", default="us-east-1,eu-west-1")
    ap.add_argument("--mix", choices=sorted(MIXES), default="full")
    ap.add_argument("--threads", type=int, default=8)
    a = ap.parse_args()
    if urllib.parse.urlsplit(a.endpoint).hostname not in ("127.0.0.1", "localhost"):
        ap.error("--endpoint must be on 127.0.0.1")
    regions = a.regions.split(",")
    started = time.monotonic()
    org = client("organizations", a.endpoint, "us-east-1")
    org_id, management, root, ou_ids = ensure_org(org)
    existing = members(org, management)
    first_run = not existing
    new_ids = add_members(org, root, ou_ids, len(existing), a.members)
    todo = ([management] if first_run else []) + new_ids
    base = len(existing)
    # index: the management account is 0, member i (in creation order) is i + 1.
    index = {acct: base + n + 1 for n, acct in enumerate(new_ids)}
    index[management] = 0
    totals = {}
    with ThreadPoolExecutor(max_workers=a.threads) as pool:
        for counts in pool.map(lambda acct: seed_account(a.endpoint, acct, management, regions, a.mix, index[acct]), todo):
            for k, v in counts.items():
                totals[k] = totals.get(k, 0) + v
    all_members = [m["Id"] for m in members(org, management)]
    accounts = 1 + len(all_members)
    per_account = {k: v * len(regions) for k, v in MIXES[a.mix].items()}
    per_account["accounts"] = 1
    json.dump({
        "org_id": org_id, "management": management, "members": all_members, "accounts": accounts,
        "regions": regions, "mix": a.mix,
        "resources_per_account": per_account,
        "resources_per_account_total": sum(per_account.values()),
        "resources_total": accounts * sum(per_account.values()),
        "seeded_now": {"accounts": len(todo), **totals},
        "seconds": round(time.monotonic() - started, 2),
    }, sys.stdout)
    print()


if __name__ == "__main__":
    main()
