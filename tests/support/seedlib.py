"""Helpers shared by seed.py and the per-section seeders."""
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
    """Formats "{account}", "{org_id}", "{region}" placeholders in scenario strings."""
    if isinstance(value, str):
        return value.format(**ctx)
    return value
