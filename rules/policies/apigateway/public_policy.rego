# METADATA
# title: REST API resource policy lets anyone invoke the API
# description: The API's resource policy has an Allow statement that grants every principal (Principal "*", a "*" under a principal type such as AWS "*", or any NotPrincipal, which grants everyone it does not list) execute-api:Invoke (execute-api:*, *, other wildcards and NotAction included) with no condition restricting where the call comes from or who makes it. A condition restricts when it uses a positive operator (StringEquals, StringEqualsIgnoreCase, StringLike, ArnEquals or ArnLike, plain or with ForAnyValue) on aws:SourceVpc, aws:SourceVpce, aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:PrincipalAccount, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn (and the other caller keys of VGL-KMS-002) with values that pin the caller (no wildcard or policy variable), or IpAddress on aws:SourceIp or aws:VpcSourceIp with no /0 range. The pattern AWS documents for private and IP-restricted APIs also passes - an unconditioned Allow together with a Deny of execute-api:Invoke to every principal on the same resources (or wider) unless the request comes from the listed VPC endpoints, VPCs, IP ranges or organization (StringNotEquals, StringNotLike, ArnNotEquals, ArnNotLike, with or without IfExists, or NotIpAddress, on those keys, and no other condition in the Deny). So does a private API whose policy pins aws:SourceVpce either way. A policy that could not be read, or a statement without the IAM grammar's shape, gives an error instead of a verdict.
# custom:
#   id: VGL-APIGW-009
#   severity: critical
#   resource_types: [AWS::ApiGateway::RestApi]
#   remediation: Add a condition to the Allow statement (aws:SourceVpce for a private API, aws:PrincipalOrgID, aws:SourceIp), or add a Deny of execute-api:Invoke for every principal unless the request comes from your VPC endpoints or IP ranges; then redeploy the API (aws apigateway update-rest-api --patch-operations op=replace,path=/policy,value=...).
package vigil.rules.apigateway.public_policy

import rego.v1

import data.vigil.lib.document
import data.vigil.lib.iam

api_label := sprintf("%s (%s)", [name, input.resource.resourceId]) if {
	name := input.resource.configuration.name
	is_string(name)
	name != ""
} else := object.get(input.resource, "resourceId", "(unnamed API)")

policy := object.get(input.resource, ["supplementaryConfiguration", "policy"], null)

# Condition keys that tie a call to known networks or callers (lower-cased; see iam.restricted).
network_keys := {"aws:sourcevpc", "aws:sourcevpce"}

ip_keys := {"aws:sourceip", "aws:vpcsourceip"}

restricting_keys := iam.caller_keys | network_keys

invoke := "execute-api:invoke"

# --- actions -----------------------------------------------------------------------------

matches_any(patterns, action) if {
	some pattern in iam.strings(patterns)
	pattern_matches(lower(pattern), action)
}

# `action` has no glob metacharacter: see lambda/public_invoke.rego.
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

grants_invoke(st) if matches_any(object.get(st, "Action", []), invoke)

grants_invoke(st) if {
	"NotAction" in object.keys(st)
	not matches_any(st.NotAction, invoke)
}

# --- resources ---------------------------------------------------------------------------

# The API's own execute-api ARN, which "execute-api:/..." (the short form API Gateway accepts
# in resource policies) stands for.
api_arn := sprintf("arn:%s:execute-api:%s:%s:%s", [partition, input.resource.awsRegion, input.resource.awsAccountId, input.resource.resourceId])

partition := p if {
	parts := split(input.resource.arn, ":")
	count(parts) > 1
	p := parts[1]
	p != ""
} else := "aws"

normalized(r) := concat("", [api_arn, "/", trim_prefix(r, "execute-api:/")]) if {
	startswith(r, "execute-api:/")
} else := r

# The resources a statement applies to; NotResource stands for the whole API.
resources(st) := [normalized(r) | some r in iam.strings(st.Resource)] if {
	"Resource" in object.keys(st)
} else := [concat("", [api_arn, "/*"])]

# IAM resource patterns know only * and ? as wildcards; `glob.quote_meta` keeps the rest
# (API paths may hold { } or [ ]) literal. A ? is taken literally, which can only make a Deny
# cover less.
covers(pattern, _) if pattern == "*"

covers(pattern, r) if pattern == r

covers(pattern, r) if {
	contains(pattern, "*")
	glob.match(concat("*", [glob.quote_meta(part) | some part in split(pattern, "*")]), null, r)
}

# --- conditions --------------------------------------------------------------------------

# IpAddress on a source IP key with ranges that are not the whole address space.
ip_restricted(st) if {
	conditions := st.Condition
	is_object(conditions)
	some op, block in conditions
	op in {"IpAddress", "ForAnyValue:IpAddress"}
	is_object(block)
	some key, value in block
	lower(key) in ip_keys
	ranges_pin(value)
}

ranges_pin(value) if {
	ranges := iam.as_list(value)
	count(ranges) > 0
	every r in ranges {
		is_string(r)
		not endswith(r, "/0")
	}
}

restricted(st) if iam.restricted(st, restricting_keys)

restricted(st) if ip_restricted(st)

negated_string_operators := {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"}

# One condition entry of a Deny that spares only pinned callers: a negated operator (true
# when the key is absent too) on a restricting key, every value pinning.
sparing(op, key, value) if {
	trim_suffix(op, "IfExists") in negated_string_operators
	lower(key) in restricting_keys
	iam.pins_all("StringEquals", lower(key), value)
}

sparing(op, key, value) if {
	trim_suffix(op, "IfExists") == "NotIpAddress"
	lower(key) in ip_keys
	ranges_pin(value)
}

# A Deny of invoke to everyone, conditioned only on sparing entries (conditions are ANDed:
# the Deny then hits every caller outside all the pinned sets).
guard(st) if {
	iam.well_formed(st)
	st.Effect == "Deny"
	iam.public_principal(st) in {"*", "AWS:*"}
	grants_invoke(st)
	"Resource" in object.keys(st)
	conditions := st.Condition
	is_object(conditions)
	entries := [[op, key, value] | some op, block in conditions; some key, value in block]
	count(entries) > 0
	every e in entries {
		sparing(e[0], e[1], e[2])
	}
}

guards := [st | some st in iam.statements(policy); guard(st)]

# Every resource the Allow grants is covered by one Deny guard's resources.
guarded(allow) if {
	some g in guards
	every r in resources(allow) {
		some pattern in resources(g)
		covers(pattern, r)
	}
}

# --- verdict -----------------------------------------------------------------------------

# A policy that was not collected, or statements without the IAM grammar's shape, cannot be
# judged.
error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.policy"})
}

error contains sprintf("REST API %s: the resource policy cannot be judged: %s", [api_label, reason]) if {
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
	grants_invoke(st)
	not restricted(st)
	not guarded(st)
	msg := sprintf("REST API %s: policy statement %s lets principal %s invoke the API without a source VPC, VPC endpoint, IP or organization condition", [
		api_label, iam.statement_label(st, i), principal,
	])
}
