# Service control policy evaluation over the `scpChain` of an AWS::Organizations::Account
# document (root first, the account last; each level lists the SCPs attached there), as AWS
# evaluates SCPs:
# - at each level the Allows of the attached policies are unioned;
# - the effective Allow is the intersection of the levels;
# - a Deny at any level removes what it matches; a Deny with NotAction denies everything it
#   does not list, so it is a whitelist too;
# - Action patterns use IAM wildcards (`*`, `?`) and are case-insensitive.
# A level with no SCP attached at all does not restrict anything (that only happens when the
# SCP policy type is disabled). Allow conditions and Resource elements are not evaluated: an
# Allow counts as allowing. A Deny with a Condition does not count as removing a service; for
# guardrails (leaving the org, stopping Config) a Deny counts when its only conditions are on
# the calling principal (the usual break-glass exception for an admin role).
package vigil.lib.scp

import rego.v1

# The chain of an account document; [] when the account is in no organization.
chain(resource) := c if {
	c := resource.supplementaryConfiguration.scpChain
	is_array(c)
} else := []

as_list(x) := x if {
	is_array(x)
} else := [x] if {
	is_string(x)
} else := []

# IAM allows Statement to be one object or a list.
policy_statements(p) := s if {
	s := p.document.Statement
	is_array(s)
} else := [s] if {
	s := p.document.Statement
	is_object(s)
} else := []

level_policies(level) := ps if {
	ps := level.policies
	is_array(ps)
} else := []

level_statements(level) := [st |
	some p in level_policies(level)
	some st in policy_statements(p)
	is_object(st)
]

has_policies(level) if count(level_policies(level)) > 0

has_not_action(st) if "NotAction" in object.keys(st)

conditions(st) := c if {
	c := st.Condition
	is_object(c)
} else := {}

unconditional(st) if count(conditions(st)) == 0

# Condition keys about who calls, not about what or where.
principal_key(key) if startswith(lower(key), "aws:principal")

principal_key(key) if lower(key) in {"aws:userid", "aws:username"}

non_principal_keys(st) := [key |
	some _, block in conditions(st)
	is_object(block)
	some key, _ in block
	not principal_key(key)
]

# A Deny that holds for everyone except, at most, named principals.
guardrail_deny(st) if {
	st.Effect == "Deny"
	count(non_principal_keys(st)) == 0
}

# --- action level ----------------------------------------------------------------------

matches_any(patterns, action) if {
	some p in as_list(patterns)
	glob.match(lower(p), null, action)
}

# The statement applies to `action` (lower-cased).
statement_matches(st, action) if matches_any(object.get(st, "Action", []), action)

statement_matches(st, action) if {
	has_not_action(st)
	not matches_any(st.NotAction, action)
}

level_allows_action(level, _) if not has_policies(level)

level_allows_action(level, action) if {
	some st in level_statements(level)
	st.Effect == "Allow"
	statement_matches(st, action)
}

guardrail_denies(chain, action) if {
	some level in chain
	some st in level_statements(level)
	guardrail_deny(st)
	statement_matches(st, action)
}

# The effective SCPs let `action` through (case-insensitive).
action_allowed(chain, action) if {
	a := lower(action)
	count([level | some level in chain; not level_allows_action(level, a)]) == 0
	not guardrail_denies(chain, a)
}

# --- service level ---------------------------------------------------------------------

# "lambda:Get*" -> ["lambda", "get*"]; "*" -> ["*", "*"].
split_pattern(p) := [parts[0], concat(":", array.slice(parts, 1, count(parts)))] if {
	parts := split(lower(p), ":")
	count(parts) > 1
} else := [lower(p), "*"]

# The pattern matches some action of the service.
touches(p, service) if glob.match(split_pattern(p)[0], null, service)

# The pattern matches every action of the service.
covers(p, service) if {
	parts := split_pattern(p)
	parts[1] == "*"
	glob.match(parts[0], null, service)
}

# The pattern names one service, without wildcards in the service part.
explicit(p) if {
	is_string(p)
	contains(p, ":")
	service := split_pattern(p)[0]
	not contains(service, "*")
	not contains(service, "?")
}

any_touches(patterns, service) if {
	some p in as_list(patterns)
	touches(p, service)
}

any_covers(patterns, service) if {
	some p in as_list(patterns)
	covers(p, service)
}

allows_some_of(st, service) if any_touches(object.get(st, "Action", []), service)

allows_some_of(st, service) if {
	has_not_action(st)
	not any_covers(st.NotAction, service)
}

denies_all_of(st, service) if any_covers(object.get(st, "Action", []), service)

denies_all_of(st, service) if {
	has_not_action(st)
	not any_touches(st.NotAction, service)
}

level_allows_service(level, _) if not has_policies(level)

level_allows_service(level, service) if {
	some st in level_statements(level)
	st.Effect == "Allow"
	allows_some_of(st, service)
}

service_denied(chain, service) if {
	some level in chain
	some st in level_statements(level)
	st.Effect == "Deny"
	unconditional(st)
	denies_all_of(st, service)
}

# Some action of the service gets through the effective SCPs.
service_allowed(chain, service) if {
	count([level | some level in chain; not level_allows_service(level, service)]) == 0
	not service_denied(chain, service)
}

explicit_allow(st) if {
	not has_not_action(st)
	count([p | some p in as_list(object.get(st, "Action", [])); not explicit(p)]) == 0
}

# A level whose Allows name every service they allow.
finite_level(level) if {
	has_policies(level)
	count([st | some st in level_statements(level); st.Effect == "Allow"; not explicit_allow(st)]) == 0
}

# An unconditional Deny of everything but named services.
whitelist_deny(st) if {
	st.Effect == "Deny"
	unconditional(st)
	has_not_action(st)
	count([p | some p in as_list(st.NotAction); not explicit(p)]) == 0
}

# Some level or Deny limits the chain to services it names: the allowed services are finite.
bounded(chain) if {
	some level in chain
	finite_level(level)
}

bounded(chain) if {
	some level in chain
	some st in level_statements(level)
	whitelist_deny(st)
}

named_services(chain) := {service |
	some level in chain
	some st in level_statements(level)
	some key in ["Action", "NotAction"]
	some p in as_list(object.get(st, key, []))
	explicit(p)
	service := split_pattern(p)[0]
}

# Services the effective SCPs allow; meaningful only for a bounded chain (otherwise every
# service is allowed, named or not).
allowed_services(chain) := {service |
	some service in named_services(chain)
	service_allowed(chain, service)
}
