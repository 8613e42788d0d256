"""Seeds `lambda_functions`: functions, resource-policy statements, function URLs.

Item fields: account, region, name, runtime (or package_type "Image"), environment, kms, vpc,
tags, publish (how many versions to publish), aliases ([{name, version}]), permissions
([{sid, principal, action, source_arn, source_account, principal_org_id, qualifier}]: a
qualifier adds the statement to that alias's or version's policy), url ({auth, cors: {allow_origins}}),
tracing ("Active" or "PassThrough", moto's default), event_invoke ({on_failure: destination ARN,
retries, max_age}: the unqualified function's event invoke config), code_signing_config_arn
(attached as given; moto does not check that the config exists).
"""
import io
import json
import zipfile

from seedlib import fill


def lambda_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buf.getvalue()


def seed(sessions, fns, ctx):
    roles = {}
    code = lambda_zip()
    for f in fns:
        key, region = f["account"], f["region"]
        account_id = sessions.accounts[key]
        fctx = {"org_id": ctx["org_id"], "account": account_id, "region": region}
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
        if f.get("tracing"):
            args["TracingConfig"] = {"Mode": f["tracing"]}
        if f.get("code_signing_config_arn"):
            args["CodeSigningConfigArn"] = fill(f["code_signing_config_arn"], fctx)
        lam.create_function(**args)
        for _ in range(f.get("publish", 0)):
            lam.publish_version(FunctionName=f["name"])
        for a in f.get("aliases", []):
            lam.create_alias(FunctionName=f["name"], Name=a["name"], FunctionVersion=a["version"])
        for p in f.get("permissions", []):
            perm = {"FunctionName": f["name"], "StatementId": p["sid"], "Action": p.get("action", "lambda:InvokeFunction"), "Principal": p["principal"]}
            if p.get("source_arn"):
                perm["SourceArn"] = fill(p["source_arn"], fctx)
            if p.get("source_account"):
                perm["SourceAccount"] = fill(p["source_account"], fctx)
            if p.get("principal_org_id"):
                perm["PrincipalOrgID"] = fill(p["principal_org_id"], fctx)
            if p.get("qualifier"):
                perm["Qualifier"] = p["qualifier"]
            lam.add_permission(**perm)
        if f.get("url"):
            url = {"FunctionName": f["name"], "AuthType": f["url"]["auth"]}
            if f["url"].get("cors"):
                url["Cors"] = {"AllowOrigins": f["url"]["cors"]["allow_origins"]}
            lam.create_function_url_config(**url)
        if f.get("event_invoke"):
            e = f["event_invoke"]
            config = {"FunctionName": f["name"]}
            if "retries" in e:
                config["MaximumRetryAttempts"] = e["retries"]
            if "max_age" in e:
                config["MaximumEventAgeInSeconds"] = e["max_age"]
            if e.get("on_failure"):
                config["DestinationConfig"] = {"OnFailure": {"Destination": fill(e["on_failure"], fctx)}}
            lam.put_function_event_invoke_config(**config)
