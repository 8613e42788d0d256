"""Seeds `rest_apis`: API Gateway REST APIs with resources, methods, authorizers, stages and
resource policies, each inside the account and region it belongs to."""
import json

from seedlib import fill

ACCESS_LOG_FORMAT = '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","status":"$context.status"}'


def fill_all(value, ctx):
    """`fill` through nested lists and objects (policy documents)."""
    if isinstance(value, dict):
        return {k: fill_all(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_all(v, ctx) for v in value]
    return fill(value, ctx)


def log_group_arn(region, account_id, api_name):
    return f"arn:aws:logs:{region}:{account_id}:log-group:/aws/apigateway/{api_name}"


def seed(sessions, apis, ctx):
    for a in apis:
        key, region = a["account"], a["region"]
        account_id = sessions.accounts[key]
        actx = {"org_id": ctx["org_id"], "account": account_id, "region": region}
        ag = sessions.client("apigateway", key, region)
        args = {"name": a["name"], "tags": a.get("tags", {})}
        if a.get("endpoint"):
            args["endpointConfiguration"] = {"types": [a["endpoint"]]}
        if a.get("policy"):
            policy = json.dumps(fill_all(a["policy"], actx))
            # API Gateway itself hands policies back with escaped quotes: seed that form too.
            args["policy"] = policy.replace('"', '\\"') if a.get("policy_escaped") else policy
        api_id = ag.create_rest_api(**args)["id"]

        authorizers = {}
        for au in a.get("authorizers", []):
            authorizers[au["name"]] = ag.create_authorizer(
                restApiId=api_id,
                name=au["name"],
                type=au["type"],
                authorizerUri=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/arn:aws:lambda:{region}:{account_id}:function:{au['name']}/invocations",
                identitySource="method.request.header.Authorization",
            )["id"]

        ids = {"/": next(r["id"] for r in ag.get_resources(restApiId=api_id)["items"] if r["path"] == "/")}
        for r in a.get("resources", []):
            path = r["path"]
            if path not in ids:
                parent, _, part = path.rpartition("/")
                ids[path] = ag.create_resource(restApiId=api_id, parentId=ids[parent or "/"], pathPart=part)["id"]
            for m in r.get("methods", []):
                put = {
                    "restApiId": api_id,
                    "resourceId": ids[path],
                    "httpMethod": m["method"],
                    "authorizationType": m["auth"],
                    "apiKeyRequired": m.get("api_key", False),
                }
                if m.get("authorizer"):
                    put["authorizerId"] = authorizers[m["authorizer"]]
                ag.put_method(**put)
                ag.put_integration(restApiId=api_id, resourceId=ids[path], httpMethod=m["method"], type="MOCK")

        stages = a.get("stages", [])
        if not stages:
            continue
        deployment = ag.create_deployment(restApiId=api_id)["id"]
        for s in stages:
            stage_args = {}
            if s.get("cache_cluster"):
                stage_args = {"cacheClusterEnabled": True, "cacheClusterSize": "0.5"}
            ag.create_stage(
                restApiId=api_id,
                stageName=s["name"],
                deploymentId=deployment,
                tracingEnabled=s.get("tracing", False),
                variables=s.get("variables", {}),
                **stage_args,
            )
            if s.get("waf"):
                # A regional AWS WAF web ACL of the API's account and region, associated with the stage.
                waf = sessions.client("wafv2", key, region)
                acl = waf.create_web_acl(
                    Name=f"{a['name']}-{s['name']}",
                    Scope="REGIONAL",
                    DefaultAction={"Allow": {}},
                    VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": f"{a['name']}-{s['name']}"},
                    Rules=[],
                )["Summary"]["ARN"]
                waf.associate_web_acl(WebACLArn=acl, ResourceArn=f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{s['name']}")
            ops = []
            if s.get("access_log"):
                ops += [
                    {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": log_group_arn(region, account_id, a["name"])},
                    {"op": "replace", "path": "/accessLogSettings/format", "value": ACCESS_LOG_FORMAT},
                ]
            if s.get("logging_level"):
                ops += [
                    {"op": "replace", "path": "/*/*/logging/loglevel", "value": s["logging_level"]},
                    {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
                ]
            # "method_settings": {"*/*" or "<~1escaped path>/<METHOD>": {"logging/loglevel": "OFF",
            # "caching/enabled": "true", "caching/dataEncrypted": "false", ...}}, in update-stage's paths.
            for target, settings in s.get("method_settings", {}).items():
                ops += [{"op": "replace", "path": f"/{target}/{k}", "value": v} for k, v in settings.items()]
            if ops:
                ag.update_stage(restApiId=api_id, stageName=s["name"], patchOperations=ops)
