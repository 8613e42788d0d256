# METADATA
# title: DynamoDB table resource policy grants access outside the organization
# description: The table's resource-based policy has an Allow statement for any principal (Principal "*", a "*" under AWS, or a NotPrincipal) that no condition pins to this organization or to known accounts, or for an account that is neither the table's own, a member of the organization nor listed in params.trusted_accounts (an account id or an ARN in it; a condition naming accounts or another organization counts as granting those). Statements pinned by aws:PrincipalOrgID (or aws:PrincipalOrgPaths) to this organization, Deny statements and service principals grant nothing outside. A policy that could not be read, or a statement without the IAM grammar's shape, gives an error instead of a verdict. A table without a resource policy passes. Unlike Prowler's dynamodb_table_cross_account_access, which fails a grant to any other account, grants to members of the organization pass.
# custom:
#   id: VGL-DDB-006
#   severity: critical
#   resource_types: [AWS::DynamoDB::Table]
#   remediation: Remove the statement or narrow its principal to accounts of the organization (aws dynamodb put-resource-policy, or delete-resource-policy), or add a trusted partner account to params.trusted_accounts.
#   related:
#     prowler: [dynamodb_table_cross_account_access]
package vigil.rules.dynamodb.resource_policy_outside_org

import rego.v1

import data.vigil.lib.document
import data.vigil.lib.iam

table_name := name if {
	name := input.resource.configuration.tableName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed table)")

own_account := id if {
	id := input.resource.awsAccountId
	is_string(id)
} else := ""

policy := object.get(input.resource, ["supplementaryConfiguration", "resourcePolicy"], null)

granted(st) := concat(", ", iam.strings(st.Action)) if {
	"Action" in object.keys(st)
} else := sprintf("every action except %s", [concat(", ", iam.strings(st.NotAction))]) if {
	"NotAction" in object.keys(st)
} else := "(no action)"

shown(g) := "anyone (*)" if g == "*" else := g

error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.resourcePolicy"})
}

error contains sprintf("table %s: the resource policy cannot be judged: %s", [table_name, reason]) if {
	policy != null
	some reason in iam.malformed(policy)
}

deny contains msg if {
	some i, st in iam.statements(policy)
	grants := iam.outside_grants(st, own_account)
	count(grants) > 0
	msg := sprintf("table %s: resource policy statement %s lets %s call %s", [
		table_name, iam.statement_label(st, i), concat(", ", sort([shown(g) | some g in grants])), granted(st),
	])
}
