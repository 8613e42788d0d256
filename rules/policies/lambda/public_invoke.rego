# METADATA
# title: Lambda function can be invoked by anyone
# description: A resource policy of the function (the unqualified one or that of an alias or version) has an Allow statement that grants every principal (Principal "*", a "*" under a principal type such as AWS "*", or any NotPrincipal, which grants everyone it does not list) lambda:InvokeFunction or lambda:InvokeFunctionUrl (wildcards and NotAction included) with no condition restricting the caller. Only a condition with a positive operator (StringEquals, StringEqualsIgnoreCase, StringLike, ArnEquals or ArnLike, plain or with ForAnyValue; not ...IfExists, negated operators, Null or ForAllValues, which hold for callers without the key or with another value) on a source account, source ARN or organization key (aws:SourceAccount, aws:SourceArn, aws:SourceOwner, aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:SourceOrgID, aws:SourceOrgPaths, aws:PrincipalAccount or aws:PrincipalArn, in any letter case) restricts it, and only when every value pins the caller - a string without wildcard (* or ?) or policy variable, an organization path whose organization id has none, or an ARN whose account field is set and has none (so aws:SourceArn arn:aws:s3:::* without a source account restricts nothing). Service principals (for example s3.amazonaws.com) are not flagged by this rule. A policy that could not be read, or a statement without the IAM grammar's shape, gives an error instead of a verdict. Unlike Security Hub Lambda.1, which also fails an S3-invoked function whose policy has no AWS:SourceAccount condition, grants to service principals are left alone here.
# custom:
#   id: VGL-LAMBDA-004
#   severity: critical
#   resource_types: [AWS::Lambda::Function]
#   remediation: Remove the public statement (lambda remove-permission) or add a condition on aws:SourceAccount, aws:SourceArn or aws:PrincipalOrgID.
#   related:
#     fsbp: [Lambda.1]
#     aws_config: [lambda-function-public-access-prohibited]
#     prowler: [awslambda_function_not_publicly_accessible]
package vigil.rules.lambda.public_invoke

import rego.v1

import data.vigil.lib.document
import data.vigil.lib.iam

function_name := name if {
	name := input.resource.configuration.functionName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed function)")

supplementary := object.get(input.resource, "supplementaryConfiguration", {})

qualifier_policies := q if {
	q := supplementary.qualifierPolicies
	is_object(q)
} else := {}

# The function's resource policies: the unqualified one, then one per alias or version that
# has its own (a permission added with --qualifier shows only there). `note` names the
# qualifier in messages.
policies := array.concat(
	[{"note": "", "policy": p} | p := object.get(supplementary, "policy", null); p != null],
	[{"note": sprintf(" (qualifier %s)", [q]), "policy": p} | some q, p in qualifier_policies; p != null],
)

# lower-cased action -> the name used in messages
invoke_actions := {
	"lambda:invokefunction": "lambda:InvokeFunction",
	"lambda:invokefunctionurl": "lambda:InvokeFunctionUrl",
}

# Condition keys that tie a public principal to a caller (lower-cased; see iam.restricted).
restricting_keys := {
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

matches_any(patterns, action) if {
	some pattern in iam.strings(patterns)
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

# A policy that could not be read (GetPolicy denied, text that is not JSON, aliases and
# versions that could not be listed) cannot be judged; nor can statements without the IAM
# grammar's shape.
error contains reason if {
	some reason in document.unreadable({
		"supplementaryConfiguration.policy",
		"supplementaryConfiguration.qualifierPolicies",
	})
}

error contains sprintf("function %s%s: the resource policy cannot be judged: %s", [function_name, p.note, reason]) if {
	some p in policies
	some reason in iam.malformed(p.policy)
}

deny contains msg if {
	some p in policies
	some i, st in iam.statements(p.policy)
	iam.well_formed(st)
	st.Effect == "Allow"
	principal := iam.public_principal(st)

	# Stops here for a statement without a public principal (regorus' compiled VM goes on past
	# an undefined assignment and would match every action pattern first).
	is_string(principal)
	granted := sort([name | some action, name in invoke_actions; grants(st, action)])
	count(granted) > 0
	not iam.restricted(st, restricting_keys)
	msg := sprintf("function %s%s: statement %s lets principal %s call %s without a source account, source ARN or organization condition", [
		function_name, p.note, iam.statement_label(st, i), principal, concat(", ", granted),
	])
}
