"""Seeds `http_apis`: API Gateway v2 APIs (HTTP and WebSocket) with an integration, JWT
authorizers, routes (each with the integration as target, unless "target": false) and stages,
each inside the account and region it belongs to."""
from seeders.rest_apis import ACCESS_LOG_FORMAT, log_group_arn


def seed(sessions, apis, ctx):
    for a in apis:
        key, region = a["account"], a["region"]
        account_id = sessions.accounts[key]
        v2 = sessions.client("apigatewayv2", key, region)
        protocol = a.get("protocol", "HTTP")
        args = {"Name": a["name"], "ProtocolType": protocol, "Tags": a.get("tags", {})}
        if protocol == "WEBSOCKET":
            args["RouteSelectionExpression"] = "$request.body.action"
        api_id = v2.create_api(**args)["ApiId"]

        integration = v2.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=f"arn:aws:lambda:{region}:{account_id}:function:{a['name']}-handler",
            **({"PayloadFormatVersion": "2.0"} if protocol == "HTTP" else {}),
        )["IntegrationId"]

        authorizers = {}
        for au in a.get("authorizers", []):
            authorizers[au["name"]] = v2.create_authorizer(
                ApiId=api_id,
                Name=au["name"],
                AuthorizerType=au["type"],
                IdentitySource=["$request.header.Authorization"],
                JwtConfiguration={"Audience": ["vigil-test"], "Issuer": f"https://cognito-idp.{region}.amazonaws.com/{region}_example"},
            )["AuthorizerId"]

        for r in a.get("routes", []):
            route = {"ApiId": api_id, "RouteKey": r["key"], "AuthorizationType": r["auth"]}
            # A route with "target": false has no integration: API Gateway answers a CORS
            # preflight (OPTIONS) itself.
            if r.get("target", True):
                route["Target"] = f"integrations/{integration}"
            if r.get("authorizer"):
                route["AuthorizerId"] = authorizers[r["authorizer"]]
            if r.get("scopes"):
                route["AuthorizationScopes"] = r["scopes"]
            v2.create_route(**route)

        for s in a.get("stages", []):
            stage = {"ApiId": api_id, "StageName": s["name"], "StageVariables": s.get("variables", {})}
            if s.get("access_log"):
                stage["AccessLogSettings"] = {"DestinationArn": log_group_arn(region, account_id, a["name"]), "Format": ACCESS_LOG_FORMAT}
            v2.create_stage(**stage)
