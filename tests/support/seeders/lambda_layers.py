"""Seeds `lambda_layers`: layer versions and their permissions.

Item fields: account, region, name, versions (how many versions to publish, default 1),
permissions ([{version, sid, principal, organization_id}]: add-layer-version-permission on
that version; principal "*" or an account id, organization_id with principal "*").

moto stores a permission's request fields as given (a bare account id as Principal, an
OrganizationId member) where AWS writes the policy form ({"AWS": "arn:aws:iam::ID:root"}, a
StringEquals aws:PrincipalOrgID condition): scenarios scanned directly against moto grant "*"
only; the other forms come from recorded responses (fixtures/recorded/lambda).
"""
from seedlib import fill
from seeders.lambda_functions import lambda_zip


def seed(sessions, layers, ctx):
    code = lambda_zip()
    for layer in layers:
        key, region = layer["account"], layer["region"]
        fctx = {"org_id": ctx["org_id"], "account": sessions.accounts[key], "region": region}
        lam = sessions.client("lambda", key, region)
        for _ in range(layer.get("versions", 1)):
            lam.publish_layer_version(
                LayerName=layer["name"],
                Content={"ZipFile": code},
                CompatibleRuntimes=["python3.12"],
                Description=layer.get("description", ""),
            )
        for p in layer.get("permissions", []):
            perm = {
                "LayerName": layer["name"],
                "VersionNumber": p["version"],
                "StatementId": p["sid"],
                "Action": "lambda:GetLayerVersion",
                "Principal": fill(p["principal"], fctx),
            }
            if p.get("organization_id"):
                perm["OrganizationId"] = fill(p["organization_id"], fctx)
            lam.add_layer_version_permission(**perm)
