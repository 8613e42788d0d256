"""Seeds `dynamodb_tables`: tables with billing mode, encryption, PITR, deletion protection,
resource policy and auto scaling.

Item fields: account, region, name, billing ("PAY_PER_REQUEST" | "PROVISIONED"), kms_alias
(encrypt with that customer-managed key, seeded by `kms_keys` earlier in the scenario; absent:
the AWS-owned key), pitr (bool), deletion_protection (bool), tags, resource_policy (a JSON
object; "{account}", "{account_<key>}" (another scenario account's id), "{org_id}", "{region}"
and "{table_arn}" are filled in), autoscaling (a list of "read" / "write": Application Auto
Scaling targets on the table's read / write capacity).
"""
import json

from seeders.kms_keys import fill_all

DIMENSIONS = {"read": "dynamodb:table:ReadCapacityUnits", "write": "dynamodb:table:WriteCapacityUnits"}


def seed(sessions, tables, ctx):
    for t in tables:
        key, region = t["account"], t["region"]
        ddb = sessions.client("dynamodb", key, region)
        args = {
            "TableName": t["name"],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": t["billing"],
            "DeletionProtectionEnabled": t.get("deletion_protection", False),
        }
        if t["billing"] == "PROVISIONED":
            args["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        if t.get("kms_alias"):
            kms = sessions.client("kms", key, region)
            arn = kms.describe_key(KeyId=t["kms_alias"])["KeyMetadata"]["Arn"]
            args["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": arn}
        if t.get("tags"):
            args["Tags"] = [{"Key": k, "Value": v} for k, v in t["tags"].items()]
        table_arn = ddb.create_table(**args)["TableDescription"]["TableArn"]
        if t.get("resource_policy"):
            pctx = {"org_id": ctx["org_id"], "account": sessions.accounts[key], "region": region,
                    "table_arn": table_arn}
            pctx.update({f"account_{k}": v for k, v in sessions.accounts.items()})
            ddb.put_resource_policy(ResourceArn=table_arn, Policy=json.dumps(fill_all(t["resource_policy"], pctx)))
        for dim in t.get("autoscaling", []):
            sessions.client("application-autoscaling", key, region).register_scalable_target(
                ServiceNamespace="dynamodb", ResourceId=f"table/{t['name']}", ScalableDimension=DIMENSIONS[dim],
                MinCapacity=5, MaxCapacity=100,
            )
        if t.get("pitr"):
            ddb.update_continuous_backups(
                TableName=t["name"], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
