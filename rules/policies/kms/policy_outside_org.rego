# METADATA
# title: KMS key policy grants accounts outside the organization
# description: The key policy has an Allow statement for an account that is neither the key's own, a member of the organization nor listed in params.trusted_accounts - named as principal (an account id or an ARN in it), or by a condition that narrows a "*" principal to accounts, principal ARNs or another organization. A "*" principal that nothing pins to known accounts is VGL-KMS-002's finding (critical) and is not reported here as well, so that one open statement gives one finding. Statements pinned by aws:PrincipalOrgID (or aws:PrincipalOrgPaths) to this organization, Deny statements and service principals grant nothing outside. A key policy that could not be read, or a statement without the IAM grammar's shape, gives an error instead of a verdict. Policies of AWS managed keys are not collected (AWS writes them, scoped by kms:CallerAccount).
# custom:
#   id: VGL-KMS-004
#   severity: high
#   resource_types: [AWS::KMS::Key]
#   remediation: Remove the outside account from the key policy (aws kms put-key-policy), grant it through a key grant with an end date instead, or add a trusted partner account to params.trusted_accounts.
#   related:
#     prowler: [kms_key_policy_cross_account_access]
package vigil.rules.kms.policy_outside_org

import rego.v1

import data.vigil.lib.document
import data.vigil.lib.iam

key_id := id if {
	id := input.resource.configuration.keyId
	is_string(id)
} else := object.get(input.resource, "resourceId", "(unknown key)")

aliases := [a | some a in input.resource.supplementaryConfiguration.aliases; is_string(a)] if {
	is_array(input.resource.supplementaryConfiguration.aliases)
}

key_label := sprintf("%s (%s)", [key_id, concat(", ", sort(aliases))]) if {
	count(aliases) > 0
} else := key_id

own_account := id if {
	id := input.resource.awsAccountId
	is_string(id)
} else := ""

policy := object.get(input.resource, ["supplementaryConfiguration", "policy"], null)

granted(st) := concat(", ", iam.strings(st.Action)) if {
	"Action" in object.keys(st)
} else := sprintf("every action except %s", [concat(", ", iam.strings(st.NotAction))]) if {
	"NotAction" in object.keys(st)
} else := "(no action)"

error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.policy"})
}

error contains sprintf("key %s: the key policy cannot be judged: %s", [key_label, reason]) if {
	policy != null
	some reason in iam.malformed(policy)
}

deny contains msg if {
	some i, st in iam.statements(policy)
	grants := {g | some g in iam.outside_grants(st, own_account); g != "*"}
	count(grants) > 0
	msg := sprintf("key %s: policy statement %s lets %s call %s", [
		key_label, iam.statement_label(st, i), concat(", ", sort(grants)), granted(st),
	])
}
