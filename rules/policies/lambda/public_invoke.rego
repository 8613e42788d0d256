# METADATA
# title: Lambda function can be invoked by anyone
# description: The function's resource policy has an Allow statement whose principal is "*" (or AWS "*") for lambda:InvokeFunction or lambda:InvokeFunctionUrl (wildcards and NotAction included) with no condition on a source account, source ARN or organization key. Service principals (for example s3.amazonaws.com) without a SourceArn or SourceAccount condition are not flagged by this rule.
# custom:
#   id: VGL-LAMBDA-004
#   severity: critical
#   resource_types: [AWS::Lambda::Function]
#   remediation: Remove the public statement (lambda remove-permission) or add a condition on aws:SourceAccount, aws:SourceArn or aws:PrincipalOrgID.
package vigil.rules.lambda.public_invoke

import rego.v1

function_name := name if {
	name := input.resource.configuration.functionName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed function)")

# IAM allows Statement to be a single object or an array.
statements := s if {
	s := input.resource.supplementaryConfiguration.policy.Statement
	is_array(s)
} else := [s] if {
	s := input.resource.supplementaryConfiguration.policy.Statement
	is_object(s)
} else := []

# lower-cased action -> the name used in messages
invoke_actions := {
	"lambda:invokefunction": "lambda:InvokeFunction",
	"lambda:invokefunctionurl": "lambda:InvokeFunctionUrl",
}

# Condition keys that tie a public principal to a caller; compared lower-cased.
restricting_condition_keys := {
	"aws:sourceaccount",
	"aws:sourcearn",
	"aws:sourceowner",
	"aws:principalorgid",
	"aws:principalorgpaths",
	"aws:sourceorgid",
	"aws:sourceorgpaths",
	"aws:principalaccount",
	"aws:principalarn",
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

matches_any(patterns, action) if {
	some pattern in as_list(patterns)
	pattern_matches(lower(pattern), action)
}

# glob.match(p, null, action), without building a glob matcher for the usual patterns (it
# builds one on every call): `action` has no glob metacharacter, so a pattern equal to it
# matches, a pattern "<prefix>*" matches when `action` starts with the prefix, and only a
# pattern with a metacharacter can match in any other way.
pattern_matches(p, action) if p == action

pattern_matches(p, action) if {
	endswith(p, "*")
	startswith(action, trim_suffix(p, "*"))
}

pattern_matches(p, action) if {
	has_glob_metacharacter(p)
	glob.match(p, null, action)
}

has_glob_metacharacter(p) if {
	some c in {"*", "?", "[", "]", "{", "}", "\\"}
	contains(p, c)
}

grants(st, action) if matches_any(object.get(st, "Action", []), action)

# Allow + NotAction grants every action the list does not match.
grants(st, action) if {
	"NotAction" in object.keys(st)
	not matches_any(st.NotAction, action)
}

restricted(st) if {
	some _, block in st.Condition
	some key, _ in block
	lower(key) in restricting_condition_keys
}

deny contains msg if {
	some i, st in statements
	st.Effect == "Allow"
	principal := public_principal(object.get(st, "Principal", null))
	# Stops here for a statement without a public principal (regorus' compiled VM goes on past
	# an undefined assignment and would match every action pattern first).
	is_string(principal)
	granted := sort([name | some action, name in invoke_actions; grants(st, action)])
	count(granted) > 0
	not restricted(st)
	msg := sprintf("function %s: statement %s lets principal %s call %s without a source account, source ARN or organization condition", [
		function_name, statement_label(st, i), principal, concat(", ", granted),
	])
}
