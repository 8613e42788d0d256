"""Seeds `kms_keys`: customer-managed keys with an alias, key policy, rotation and state.

Item fields: account, region, alias (the key's identity in the scenario), description,
key_spec (default SYMMETRIC_DEFAULT), key_usage (default ENCRYPT_DECRYPT), policy (a JSON
object; "{account}", "{account_<key>}" (another scenario account's id), "{org_id}",
"{region}" are filled in; default: KMS's default policy),
policy_text (the policy's exact text, as a string: for texts that are not valid JSON),
rotation (bool), state ("Enabled" | "Disabled" | "PendingDeletion"), tags.
"""
import json

from seedlib import fill


def fill_all(value, ctx):
    if isinstance(value, dict):
        return {k: fill_all(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_all(v, ctx) for v in value]
    return fill(value, ctx)


def seed(sessions, keys, ctx):
    for k in keys:
        key, region = k["account"], k["region"]
        kctx = {"org_id": ctx["org_id"], "account": sessions.accounts[key], "region": region}
        kctx.update({f"account_{k}": v for k, v in sessions.accounts.items()})
        kms = sessions.client("kms", key, region)
        args = {
            "Description": k["description"],
            "KeySpec": k.get("key_spec", "SYMMETRIC_DEFAULT"),
            "KeyUsage": k.get("key_usage", "ENCRYPT_DECRYPT"),
            "MultiRegion": False,
            "Tags": [{"TagKey": tk, "TagValue": tv} for tk, tv in k.get("tags", {}).items()],
        }
        if k.get("policy"):
            args["Policy"] = json.dumps(fill_all(k["policy"], kctx))
        if k.get("policy_text"):
            args["Policy"] = k["policy_text"]
        key_id = kms.create_key(**args)["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=k["alias"], TargetKeyId=key_id)
        if k.get("rotation"):
            kms.enable_key_rotation(KeyId=key_id)
        state = k.get("state", "Enabled")
        if state == "Disabled":
            kms.disable_key(KeyId=key_id)
        elif state == "PendingDeletion":
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        elif state != "Enabled":
            raise ValueError(f"{k['alias']}: unknown state {state}")
