#!/usr/bin/env python3
"""Notification test helper for tests/e2e_notify.rs, against a moto server on 127.0.0.1.

Subcommands (each prints JSON on stdout):
  setup       an SNS topic, an SQS queue subscribed to it (raw delivery off: the SNS envelope
              carries Subject and MessageAttributes), a second queue subscribed with a filter
              policy (--filter-policy JSON), and the state table (String partition key `pk`)
  drain       every message of a queue, as the SNS envelopes' Subject, Message and attributes
  items       every item of the state table (values as strings)
  put-lock    writes the lock item (owner, acquired_at, expires_at = now + --expires-in seconds)
  steal-lock  waits until a lock item held by someone else appears, then overwrites its owner
  pitr        enables (--off: disables) point-in-time recovery on a table of a member account
  create-table  creates a provisioned, AWS-owned-key table without PITR in a member account
  securityhub-enable    enables Security Hub in a member account and region
  securityhub-findings  every Security Hub finding of a member account and region
  report-bucket         creates an S3 bucket and a KMS key (management account) for reports
  objects               every object of a bucket: key, content type, encryption, body

Credentials are moto's test ones (the management account); member accounts are reached through
sts:AssumeRole of the audit role, as the seeder does.
"""
import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seedlib import client  # noqa: E402

REGION = "us-east-1"
LOCK_KEY = "lock#scan"


def member(args, service):
    if not args.account_id:
        return client(service, args.endpoint, args.region)
    sts = client("sts", args.endpoint, REGION)
    arn = f"arn:aws:iam::{args.account_id}:role/VigilAuditRole"
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="vigil-notify-test")["Credentials"]
    return client(service, args.endpoint, args.region, creds)


def queue(sqs, sns, topic_arn, name, filter_policy=None):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attrs = {"RawMessageDelivery": "false"}
    if filter_policy:
        attrs["FilterPolicy"] = filter_policy
        attrs["FilterPolicyScope"] = "MessageAttributes"
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes=attrs)
    return url


def setup(args):
    sns = client("sns", args.endpoint, REGION)
    sqs = client("sqs", args.endpoint, REGION)
    ddb = client("dynamodb", args.endpoint, REGION)
    topic_arn = sns.create_topic(Name=args.topic)["TopicArn"]
    out = {"topic_arn": topic_arn, "queue_url": queue(sqs, sns, topic_arn, args.topic + "-all")}
    if args.filter_policy:
        out["filtered_queue_url"] = queue(sqs, sns, topic_arn, args.topic + "-filtered", args.filter_policy)
    ddb.create_table(
        TableName=args.table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    out["table"] = args.table
    return out


def drain(args):
    sqs = client("sqs", args.endpoint, REGION)
    out = []
    while True:
        got = sqs.receive_message(QueueUrl=args.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        msgs = got.get("Messages", [])
        if not msgs:
            break
        for m in msgs:
            env = json.loads(m["Body"])
            out.append({
                "subject": env.get("Subject"),
                "message": env["Message"],
                "attributes": {k: {"type": v["Type"], "value": v["Value"]}
                               for k, v in env.get("MessageAttributes", {}).items()},
            })
            sqs.delete_message(QueueUrl=args.queue_url, ReceiptHandle=m["ReceiptHandle"])
    return out


def plain(item):
    return {k: next(iter(v.values())) for k, v in item.items()}


def items(args):
    ddb = client("dynamodb", args.endpoint, REGION)
    out, start = [], None
    while True:
        kw = {"TableName": args.table, "ConsistentRead": True}
        if start:
            kw["ExclusiveStartKey"] = start
        page = ddb.scan(**kw)
        out.extend(plain(i) for i in page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(out, key=lambda i: i["pk"])


def put_lock(args):
    ddb = client("dynamodb", args.endpoint, REGION)
    now = int(time.time())
    item = {
        "pk": {"S": LOCK_KEY},
        "owner": {"S": args.owner},
        "acquired_at": {"S": datetime.fromtimestamp(now - 60, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")},
        "expires_at": {"N": str(now + args.expires_in)},
    }
    ddb.put_item(TableName=args.table, Item=item)
    return plain(item)


def steal_lock(args):
    ddb = client("dynamodb", args.endpoint, REGION)
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        got = ddb.get_item(TableName=args.table, Key={"pk": {"S": LOCK_KEY}}, ConsistentRead=True).get("Item")
        if got and got["owner"]["S"] != args.owner:
            now = int(time.time())
            ddb.put_item(TableName=args.table, Item={
                "pk": {"S": LOCK_KEY},
                "owner": {"S": args.owner},
                "acquired_at": {"S": datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")},
                "expires_at": {"N": str(now + 3600)},
            })
            return {"stolen_from": got["owner"]["S"]}
        time.sleep(0.01)
    return {"stolen_from": None}


def pitr(args):
    ddb = member(args, "dynamodb")
    ddb.update_continuous_backups(
        TableName=args.table_name,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": not args.off},
    )
    return {"ok": True}


def create_table(args):
    ddb = member(args, "dynamodb")
    ddb.create_table(
        TableName=args.table_name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        # Deletion protection on: the table is new for VGL-DDB-001/002/003 only.
        DeletionProtectionEnabled=True,
    )
    return {"ok": True}


def securityhub_enable(args):
    member(args, "securityhub").enable_security_hub(EnableDefaultStandards=False)
    return {"ok": True}


def securityhub_findings(args):
    hub = member(args, "securityhub")
    out, token = [], None
    while True:
        page = hub.get_findings(**({"NextToken": token} if token else {}), MaxResults=100)
        out.extend(page["Findings"])
        token = page.get("NextToken")
        if not token:
            return out


def report_bucket(args):
    client("s3", args.endpoint, REGION).create_bucket(Bucket=args.bucket)
    key = client("kms", args.endpoint, REGION).create_key(Description="vigil reports")
    return {"bucket": args.bucket, "key_arn": key["KeyMetadata"]["Arn"]}


def objects(args):
    s3 = client("s3", args.endpoint, REGION)
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket):
        for o in page.get("Contents", []):
            got = s3.get_object(Bucket=args.bucket, Key=o["Key"])
            out.append({
                "key": o["Key"],
                "content_type": got.get("ContentType"),
                "sse": got.get("ServerSideEncryption"),
                "sse_kms_key_id": got.get("SSEKMSKeyId"),
                "body": got["Body"].read().decode("utf-8"),
            })
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", required=True)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("setup")
    p.add_argument("--topic", default="vigil-findings")
    p.add_argument("--table", default="vigil-state")
    p.add_argument("--filter-policy")
    p = sub.add_parser("drain")
    p.add_argument("--queue-url", required=True)
    p = sub.add_parser("items")
    p.add_argument("--table", default="vigil-state")
    p = sub.add_parser("put-lock")
    p.add_argument("--table", default="vigil-state")
    p.add_argument("--owner", required=True)
    p.add_argument("--expires-in", type=int, required=True)
    p = sub.add_parser("steal-lock")
    p.add_argument("--table", default="vigil-state")
    p.add_argument("--owner", required=True)
    p.add_argument("--timeout", type=float, default=60)
    for name in ("pitr", "create-table"):
        p = sub.add_parser(name)
        p.add_argument("--account-id")
        p.add_argument("--region", default=REGION)
        p.add_argument("--table-name", required=True)
        if name == "pitr":
            p.add_argument("--off", action="store_true", help="disable point-in-time recovery")
    for name in ("securityhub-enable", "securityhub-findings"):
        p = sub.add_parser(name)
        p.add_argument("--account-id", help="a member account (default: the management account)")
        p.add_argument("--region", default=REGION)
    for name in ("report-bucket", "objects"):
        p = sub.add_parser(name)
        p.add_argument("--bucket", required=True)
    args = ap.parse_args()
    if not args.endpoint.startswith(("http://127.0.0.1:", "http://localhost:")):
        ap.error("--endpoint must be on 127.0.0.1")
    fn = {"setup": setup, "drain": drain, "items": items, "put-lock": put_lock,
          "steal-lock": steal_lock, "pitr": pitr, "create-table": create_table,
          "securityhub-enable": securityhub_enable,
          "securityhub-findings": securityhub_findings,
          "report-bucket": report_bucket, "objects": objects}[args.cmd]
    json.dump(fn(args), sys.stdout)
    print()


if __name__ == "__main__":
    main()
