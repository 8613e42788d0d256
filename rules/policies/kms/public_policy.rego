# METADATA
# title: KMS key policy allows any principal without a condition
# description: The key policy has an Allow statement that grants every principal (Principal "*", a "*" under a principal type such as AWS "*", or any NotPrincipal, which grants everyone it does not list) with no condition restricting the caller. Only a condition with a positive operator (StringEquals, StringEqualsIgnoreCase, StringLike, ArnEquals or ArnLike, plain or with ForAnyValue; not ...IfExists, negated operators, Null or ForAllValues, which hold for callers without the key or with another value) on a key naming the caller (aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:PrincipalAccount, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn, aws:SourceOwner, aws:SourceOrgID, aws:SourceOrgPaths or kms:CallerAccount, in any letter case) restricts it, and only when every value pins the caller - a string without wildcard (* or ?) or policy variable, an organization path whose organization id has none, or an ARN whose account field is set and has none. Conditions on other keys (aws:SecureTransport, kms:ViaService alone, ...) restrict nothing. A key policy that could not be read, or a statement without the IAM grammar's shape, gives an error instead of a verdict. Policies of AWS managed keys are not collected (AWS writes them, scoped by kms:CallerAccount).
# custom:
#   id: VGL-KMS-002
#   severity: critical
#   resource_types: [AWS::KMS::Key]
#   remediation: Replace the "*" principal with the accounts or roles that need the key, or add a condition on aws:PrincipalOrgID, aws:PrincipalAccount, kms:CallerAccount or aws:PrincipalArn (aws kms put-key-policy).
#   related:
#     fsbp: [KMS.5]
#     aws_config: [kms-key-policy-no-public-access]
#     prowler: [kms_key_not_publicly_accessible]
package vigil.rules.kms.public_policy

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

policy := object.get(input.resource, ["supplementaryConfiguration", "policy"], null)

# Restricted to the caller only by these keys (lower-cased; see iam.restricted).
restricting_keys := iam.caller_keys

# What the statement grants, for messages.
granted(st) := concat(", ", iam.strings(st.Action)) if {
	"Action" in object.keys(st)
} else := sprintf("every action except %s", [concat(", ", iam.strings(st.NotAction))]) if {
	"NotAction" in object.keys(st)
} else := "(no action)"

# A key policy that was not collected (GetKeyPolicy denied, or text that is not JSON) cannot
# be judged; nor can statements without the IAM grammar's shape.
error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.policy"})
}

error contains sprintf("key %s: the key policy cannot be judged: %s", [key_label, reason]) if {
	policy != null
	some reason in iam.malformed(policy)
}

deny contains msg if {
	some i, st in iam.statements(policy)
	iam.well_formed(st)
	st.Effect == "Allow"
	principal := iam.public_principal(st)

	# Stops here for a statement without a public principal (regorus' compiled VM goes on past
	# an undefined assignment).
	is_string(principal)
	not iam.restricted(st, restricting_keys)
	msg := sprintf("key %s: policy statement %s allows principal %s to call %s without a condition restricting the caller", [
		key_label, iam.statement_label(st, i), principal, granted(st),
	])
}
