"""Seeds `config_recorders`: an AWS Config recorder, delivery channel and aggregators per
account × region, inside the account they belong to.

Each item: {"account", "region", "recorder": {"all_supported" | "resource_types" | "exclude",
"include_global"}, "recording": bool, "channel": {"bucket", "sns_topic", "frequency"} (optional),
"aggregators": [{"name", "organization": true | "accounts": [keys], "regions"}] (optional)}.
"""
from seedlib import fill


def recording_group(spec):
    if spec.get("resource_types"):
        return {"allSupported": False, "includeGlobalResourceTypes": False,
                "resourceTypes": spec["resource_types"],
                "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}}
    if spec.get("exclude"):
        return {"allSupported": False, "includeGlobalResourceTypes": False,
                "exclusionByResourceTypes": {"resourceTypes": spec["exclude"]},
                "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}}
    return {"allSupported": True, "includeGlobalResourceTypes": bool(spec.get("include_global")),
            "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}}


def seed(sessions, items, ctx):
    for item in items:
        key, region = item["account"], item["region"]
        account_id = sessions.accounts[key]
        ictx = {"org_id": ctx["org_id"], "account": account_id, "region": region}
        cfg = sessions.client("config", key, region)
        name = item.get("name", "default")
        cfg.put_configuration_recorder(ConfigurationRecorder={
            "name": name,
            "roleARN": f"arn:aws:iam::{account_id}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
            "recordingGroup": recording_group(item["recorder"]),
        })
        channel = item.get("channel")
        if channel:
            dc = {"name": "default", "s3BucketName": fill(channel["bucket"], ictx)}
            if channel.get("sns_topic"):
                sns = sessions.client("sns", key, region)
                dc["snsTopicARN"] = sns.create_topic(Name=channel["sns_topic"])["TopicArn"]
            if channel.get("frequency"):
                dc["configSnapshotDeliveryProperties"] = {"deliveryFrequency": channel["frequency"]}
            cfg.put_delivery_channel(DeliveryChannel=dc)
        if item.get("recording"):
            cfg.start_configuration_recorder(ConfigurationRecorderName=name)
        for agg in item.get("aggregators", []):
            args = {"ConfigurationAggregatorName": agg["name"]}
            if agg.get("organization"):
                args["OrganizationAggregationSource"] = {
                    "RoleArn": f"arn:aws:iam::{account_id}:role/config-aggregator",
                    "AllAwsRegions": True,
                }
            else:
                args["AccountAggregationSources"] = [{
                    "AccountIds": [sessions.accounts[k] for k in agg["accounts"]],
                    "AwsRegions": agg["regions"],
                }]
            cfg.put_configuration_aggregator(**args)
