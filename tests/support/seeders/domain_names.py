"""Seeds `domain_names`: API Gateway custom domain names (edge-optimized or regional) with a
TLS security policy, each inside the account and region it belongs to."""


def seed(sessions, domains, ctx):
    for d in domains:
        key, region = d["account"], d["region"]
        account_id = sessions.accounts[key]
        ag = sessions.client("apigateway", key, region)
        endpoint = d.get("endpoint", "REGIONAL")
        cert = f"arn:aws:acm:{'us-east-1' if endpoint == 'EDGE' else region}:{account_id}:certificate/{d['name'].replace('.', '-')}"
        args = {
            "domainName": d["name"],
            "endpointConfiguration": {"types": [endpoint]},
            "securityPolicy": d["security_policy"],
            "tags": d.get("tags", {}),
        }
        if endpoint == "EDGE":
            args["certificateArn"] = cert
        else:
            args["regionalCertificateArn"] = cert
        ag.create_domain_name(**args)
