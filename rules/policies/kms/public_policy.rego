# METADATA
# title: KMS key policy allows any principal without a condition
# description: The key policy has an Allow statement whose principal is "*" (or AWS "*") and no condition restricting the caller (by account, organization, principal ARN or source). Conditions on other keys (aws:SecureTransport, kms:ViaService alone, ...) do not restrict who the caller is and do not exempt the statement. Policies of AWS managed keys are not collected (AWS writes them, scoped by kms:CallerAccount).
# custom:
#   id: VGL-KMS-002
#   severity: critical
#   resource_types: [AWS::KMS::Key]
#   remediation: Replace the "*" principal with the accounts or roles that need the key, or add a condition on aws:PrincipalOrgID, aws:PrincipalAccount, kms:CallerAccount or aws:PrincipalArn (aws kms put-key-policy).
package vigil.rules.kms.public_policy

import rego.v1

key_id := id if {
	id := input.resource.configuration.keyId
	is_string(id)
} else := object.get(input.resource, "resourceId", "(unknown key)")

aliases := a if {
	a := input.resource.supplementaryConfiguration.aliases
	is_array(a)
	count(a) > 0
}

key_label := sprintf("%s (%s)", [key_id, concat(", ", sort(aliases))]) if {
	aliases
} else := key_id

# IAM allows Statement to be a single object or an array.
statements := s if {
	s := input.resource.supplementaryConfiguration.policy.Statement
	is_array(s)
} else := [s] if {
	s := input.resource.supplementaryConfiguration.policy.Statement
	is_object(s)
} else := []

# Condition keys that tie a "*" principal to known callers; compared lower-cased.
restricting_condition_keys := {
	"aws:principalorgid",
	"aws:principalorgpaths",
	"aws:principalaccount",
	"aws:principalarn",
	"aws:sourceaccount",
	"aws:sourcearn",
	"aws:sourceowner",
	"aws:sourceorgid",
	"aws:sourceorgpaths",
	"kms:calleraccount",
}

as_list(x) := x if {
	is_array(x)
} else := [x] if {
	is_string(x)
} else := []

# Statements are named by Sid, or by their position when they have none.
statement_label(st, i) := st.Sid if {
	is_string(st.Sid)
	st.Sid != ""
} else := sprintf("#%d (no Sid)", [i])

public_principal(p) := "*" if {
	p == "*"
}

public_principal(p) := "AWS:*" if {
	is_object(p)
	some aws in as_list(object.get(p, "AWS", []))
	aws == "*"
}

restricted(st) if {
	some _, block in st.Condition
	some key, _ in block
	lower(key) in restricting_condition_keys
}

granted(st) := concat(", ", as_list(st.Action)) if {
	"Action" in object.keys(st)
} else := sprintf("every action except %s", [concat(", ", as_list(st.NotAction))]) if {
	"NotAction" in object.keys(st)
} else := "(no action)"

deny contains msg if {
	some i, st in statements
	st.Effect == "Allow"
	principal := public_principal(object.get(st, "Principal", null))
	# Stops here for a statement without a public principal (regorus' compiled VM goes on past
	# an undefined assignment).
	is_string(principal)
	not restricted(st)
	msg := sprintf("key %s: policy statement %s allows principal %s to call %s without a condition restricting the caller", [
		key_label, statement_label(st, i), principal, granted(st),
	])
}
