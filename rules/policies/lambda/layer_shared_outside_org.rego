# METADATA
# title: Lambda layer version is shared publicly or outside the organization
# description: The layer version's policy lets someone outside the organization fetch it (lambda:GetLayerVersion, and with it the layer's code) - anyone (Principal "*" with no condition pinning the caller to this organization or to known accounts, what add-layer-version-permission --principal "*" without --organization-id produces), another organization, or an account that is neither the layer's own, a member of the organization nor listed in params.trusted_accounts. A grant to "*" pinned by aws:PrincipalOrgID to this organization (--organization-id) is not flagged. Every version that exists is judged on its own, not only the newest, since each version has its own policy and can be fetched by its ARN for as long as it exists. A policy that could not be read, or a statement without the IAM grammar's shape, gives an error instead of a verdict; a version without a policy is private.
# custom:
#   id: VGL-LAMBDA-010
#   severity: high
#   resource_types: [AWS::Lambda::LayerVersion]
#   remediation: Remove the statement (aws lambda remove-layer-version-permission --layer-name NAME --version-number N --statement-id SID) and share with the organization instead (add-layer-version-permission --principal '*' --organization-id o-...), add a partner account to params.trusted_accounts, or delete the version (aws lambda delete-layer-version).
package vigil.rules.lambda.layer_shared_outside_org

import rego.v1

import data.vigil.lib.document
import data.vigil.lib.iam

layer_label := sprintf("%s version %v", [name, version]) if {
	name := input.resource.configuration.layerName
	is_string(name)
	version := input.resource.configuration.version
	is_number(version)
} else := object.get(input.resource, "resourceId", "(unnamed layer version)")

own_account := id if {
	id := input.resource.awsAccountId
	is_string(id)
} else := ""

policy := object.get(input.resource, ["supplementaryConfiguration", "policy"], null)

# Granting lambda:GetLayerVersion: the action, a wildcard matching it, or a NotAction that
# leaves it out.
get_layer_version := "lambda:getlayerversion"

matches(patterns) if {
	some p in iam.strings(patterns)
	glob.match(lower(p), [], get_layer_version)
}

grants_fetch(st) if matches(object.get(st, "Action", []))

grants_fetch(st) if {
	"NotAction" in object.keys(st)
	not matches(st.NotAction)
}

shown(g) := "anyone (*)" if g == "*" else := g

error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.policy"})
}

error contains sprintf("layer %s: the layer version policy cannot be judged: %s", [layer_label, reason]) if {
	policy != null
	some reason in iam.malformed(policy)
}

deny contains msg if {
	some i, st in iam.statements(policy)
	grants := iam.outside_grants(st, own_account)
	count(grants) > 0
	grants_fetch(st)
	msg := sprintf("layer %s: policy statement %s lets %s fetch it (lambda:GetLayerVersion)", [
		layer_label, iam.statement_label(st, i), concat(", ", sort([shown(g) | some g in grants])),
	])
}
