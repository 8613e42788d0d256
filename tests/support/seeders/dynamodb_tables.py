"""Seeds `dynamodb_tables`: tables with billing mode, encryption, PITR, deletion protection.

Item fields: account, region, name, billing ("PAY_PER_REQUEST" | "PROVISIONED"), kms_alias
(encrypt with that customer-managed key, seeded by `kms_keys` earlier in the scenario; absent:
the AWS-owned key), pitr (bool), deletion_protection (bool), tags.
"""


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
        ddb.create_table(**args)
        if t.get("pitr"):
            ddb.update_continuous_backups(
                TableName=t["name"], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
