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
# guardrails (leaving the org, stopping Config) a Deny counts when it is unconditional or its
# only conditions exempt named principals (the usual break-glass exception for an admin role).
# A Deny that applies only to some callers (`ArnLike aws:PrincipalArn arn:aws:iam::*:root`,
# the "deny the root user" SCP) leaves every other caller free and does not count.
#
# A chain whose SCP documents do not all have the IAM grammar's shape cannot be judged:
# problems(chain) names them and the rules report `error` instead of a verdict.
package vigil.lib.scp

import rego.v1

import data.vigil.lib.iam

# The chain of an account document; [] when the account is in no organization.
chain(resource) := c if {
	c := resource.supplementaryConfiguration.scpChain
	is_array(c)
} else := []

# --- shape ------------------------------------------------------------------------------

text(x) := x if is_string(x) else := "?"

level_label(level) := sprintf("%s %s", [text(level.type), text(level.name)]) if {
	is_object(level)
} else := "a level"

policy_label(p) := sprintf("%s (%s)", [text(p.name), text(p.id)]) if {
	is_object(p)
} else := "?"

# Why the chain of `resource` cannot be judged: a chain that is not a list, a level that is
# not an object or whose policies are not a list, an SCP document without the IAM grammar's
# shape (named by level, policy and statement). Empty when it can be judged.
problems(resource) := {"scpChain is not a list of levels"} if {
	c := object.get(resource, ["supplementaryConfiguration", "scpChain"], [])
	not is_array(c)
} else := {reason |
	some i, level in chain(resource)
	some reason in level_problems(level, i)
}

level_problems(level, i) := {sprintf("level #%d is not an object", [i])} if {
	not is_object(level)
} else := {sprintf("%s: policies is not a list", [level_label(level)])} if {
	not is_array(object.get(level, "policies", []))
} else := {sprintf("%s: SCP %s: %s", [level_label(level), policy_label(p), reason]) |
	some p in level_policies(level)
	some reason in policy_problems(p)
}

policy_problems(p) := {"is not an object"} if {
	not is_object(p)
} else := iam.malformed(object.get(p, "document", null))

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

# Condition keys naming the caller (aws:PrincipalArn, aws:PrincipalAccount,
# aws:PrincipalTag/..., aws:PrincipalOrgPaths, ...; aws:userid and aws:username too).
principal_key(key) if startswith(lower(key), "aws:principal")

principal_key(key) if lower(key) in {"aws:userid", "aws:username"}

# Negated operators: the Deny holds for every caller except those matching the values (with
# IfExists, also for callers without the key, as the plain negated operator does).
exempting_operators := {"ArnNotLike", "ArnNotEquals", "StringNotLike", "StringNotEquals", "StringNotEqualsIgnoreCase"}

exempting_operator(op) if op in exempting_operators

exempting_operator(op) if {
	endswith(op, "IfExists")
	trim_suffix(op, "IfExists") in exempting_operators
}

# A value made of wildcards only ("*") exempts every caller.
exempts_everyone(value) if {
	some v in iam.as_list(value)
	is_string(v)
	replace(replace(v, "*", ""), "?", "") == ""
}

# A condition entry that names principals to exempt, and no one else.
exemption(op, key, value) if {
	exempting_operator(op)
	principal_key(key)
	count(iam.as_list(value)) > 0
	not exempts_everyone(value)
}

# The condition entries that are not exemptions of named principals.
non_exemptions(st) := [key |
	some op, block in conditions(st)
	some key, value in block_entries(block)
	not exemption(op, key, value)
]

block_entries(block) := block if is_object(block) else := {"(not an object)": null}

# A Deny that holds for every caller except, at most, named principals.
guardrail_deny(st) if {
	st.Effect == "Deny"
	count(non_exemptions(st)) == 0
}

# --- IAM wildcard matching -----------------------------------------------------------------
# `pattern` (lower-case) matches `s`. Most patterns have no wildcard or a single trailing `*`:
# those are compared directly, which is much cheaper than glob.match (it builds a matcher on
# every call).

wild(p) if contains(p, "*")

wild(p) if contains(p, "?")

trailing_star(p) if {
	endswith(p, "*")
	not wild(trim_suffix(p, "*"))
}

pattern_match(p, s) if {
	not wild(p)
	p == s
}

pattern_match(p, s) if {
	trailing_star(p)
	startswith(s, trim_suffix(p, "*"))
}

pattern_match(p, s) if {
	wild(p)
	not trailing_star(p)
	glob.match(p, null, s)
}

# --- prepared chain --------------------------------------------------------------------
# Checking each service or action against the raw chain would re-read the levels and re-split
# every pattern of every statement each time (function results are not cached). The rules
# prepare the chain once per evaluation instead, as a rule value (service_levels(chain) or
# action_levels(chain)), and pass it to the checks below, which work on sets of lower-cased
# patterns and service names. A statement with Action applies to what any of its patterns
# matches, so per level the Action patterns of all its Allows (and of all its Denies that count)
# are checked as one list; each NotAction is kept apart.

# The members of a set of strings that have a wildcard; cheap when none has.
wild_members(strings) := {s | some s in strings; wild(s)} if wild(concat(",", strings)) else := set()

# The Action patterns of statements, as one list.
action_patterns(statements) := [p |
	some st in statements
	some p in as_list(object.get(st, "Action", []))
]

# The NotAction lists of the statements that have one.
not_action_lists(statements) := [as_list(st.NotAction) | some st in statements; has_not_action(st)]

has_policies_flag(level) := true if has_policies(level) else := false

# --- action level ----------------------------------------------------------------------

# Patterns indexed for matching one action: the set of the lower-cased patterns. Exact names,
# "s:*" and "*" are looked up in it (see matches_any); the other wildcard patterns are matched
# one by one, only when no lookup matched. (Classifying every pattern up front cost more than
# the lookups for the few actions checked.)
action_index(patterns) := {lower(p) | some p in patterns; is_string(p)}

# The chain prepared for action_allowed. Per level: the Action patterns of its Allows, the
# NotAction lists of its Allows, and the same for its guardrail Denies.
action_levels(chain) := [{
	"restricts": has_policies_flag(level),
	"allow": action_index(action_patterns(allows)),
	"allow_not": [action_index(ps) | some ps in not_action_lists(allows)],
	"guard": action_index(action_patterns(guards)),
	"guard_not": [action_index(ps) | some ps in not_action_lists(guards)],
} |
	some level in chain
	statements := level_statements(level)
	allows := [st | some st in statements; st.Effect == "Allow"]
	guards := [st | some st in statements; guardrail_deny(st)]
]

# `a` (lower-cased; `star` is "s:*" for its service s, null when it has no ":";
# `plain` is true when `a` has no wildcard) matches some pattern of the index:
# pattern_match(p, a) for some p. For a plain `a`, a pattern without wildcard matches when it
# is `a`, and "s:*" and "*" always match: set lookups. Other patterns are matched one by one,
# and only when no lookup matched.
matches_any(ix, a, _, true) if a in ix

matches_any(ix, _, star, true) if star in ix

matches_any(ix, _, _, _) if "*" in ix

matches_any(ix, a, star, true) if {
	not a in ix
	not star in ix
	not "*" in ix
	some p in ix
	wild(p)
	pattern_match(p, a)
}

matches_any(ix, a, _, false) if {
	some p in ix
	pattern_match(p, a)
}

# Some statement applies to `a`: `ix` indexes the Action patterns of the statements, `nots`
# their NotAction lists.
applies(ix, _, a, star, plain) if matches_any(ix, a, star, plain)

applies(_, nots, a, star, plain) if {
	some nx in nots
	not matches_any(nx, a, star, plain)
}

level_allows_action(level, _, _, _) if not level.restricts

level_allows_action(level, a, star, plain) if {
	applies(level.allow, level.allow_not, a, star, plain)
}

guardrail_denies(levels, a, star, plain) if {
	some level in levels
	applies(level.guard, level.guard_not, a, star, plain)
}

service_star(a) := concat("", [split(a, ":")[0], ":*"]) if contains(a, ":") else := null

no_wildcard(a) := false if wild(a) else := true

# The effective SCPs let `action` through (case-insensitive). `levels` is action_levels(chain).
action_allowed(levels, action) if {
	a := lower(action)
	star := service_star(a)
	p := no_wildcard(a)
	count([level | some level in levels; not level_allows_action(level, a, star, p)]) == 0
	not guardrail_denies(levels, a, star, p)
}

# --- service level ---------------------------------------------------------------------
# "lambda:Get*" has service part "lambda" and action part "get*"; a pattern without ":" is a
# service part with action part "*". A pattern touches a service (matches some of its actions)
# when its service part matches it, and covers it (matches all its actions) when moreover its
# action part is "*". A pattern names a service when it has a ":" and no wildcard in its
# service part.

# Patterns indexed for service checks:
# - "named": the service parts of the patterns with a ":";
# - "bare": the patterns without ":" (each its own service part);
# - "covering": the service parts of the patterns with action part "*" (and, for the others,
#   strings with a ":", which match no service name).
service_index(patterns) := {
	"size": count(patterns),
	"strings": count(ls),
	"named": {split(l, ":")[0] | some l in ls; contains(l, ":")},
	"bare": {l | some l in ls; not contains(l, ":")},
	"covering": {trim_suffix(l, ":*") | some l in ls},
} if {
	count(patterns) > 0
	ls := [lower(p) | some p in patterns; is_string(p)]
} else := {
	"size": 0,
	"strings": 0,
	"named": set(),
	"bare": set(),
	"covering": set(),
}

# The chain prepared for bounded and allowed_services. Per level: the Action patterns of its
# Allows, the NotAction lists of its Allows, and the same for its unconditional Denies.
service_levels(chain) := [{
	"restricts": has_policies_flag(level),
	"allow": service_index(action_patterns(allows)),
	"allow_not": [service_index(ps) | some ps in not_action_lists(allows)],
	"deny": service_index(action_patterns(denies)),
	"deny_not": [service_index(ps) | some ps in not_action_lists(denies)],
} |
	some level in chain
	statements := level_statements(level)
	allows := [st | some st in statements; st.Effect == "Allow"]
	denies := [st | some st in statements; st.Effect == "Deny"; unconditional(st)]
]

# Every pattern names a service.
explicit(ix) if {
	ix.strings == ix.size
	count(ix.bare) == 0
	count(wild_members(ix.named)) == 0
}

# Of `names` (service names: no wildcard, no ":"), those some service part matches.
matched(service_parts, names) := names if {
	"*" in service_parts
} else := (names & service_parts) | {s |
	some w in wild_members(service_parts)
	not contains(w, ":")
	some s in names
	pattern_match(w, s)
}

touched(ix, names) := matched(ix.named | ix.bare, names)

covered(ix, names) := matched(ix.covering, names)

# Of `names`, the services the level allows some action of.
level_allows_services(level, names) := names if {
	not level.restricts
} else := touched(level.allow, names) | union({rest |
	some ix in level.allow_not
	rest := names - covered(ix, names)
})

# Of `names`, the services an unconditional Deny of the level denies every action of.
level_denies_services(level, names) := covered(level.deny, names) | union({rest |
	some ix in level.deny_not
	rest := names - touched(ix, names)
})

# A level whose Allows name every service they allow.
finite_level(level) if {
	level.restricts
	count(level.allow_not) == 0
	explicit(level.allow)
}

# Some level or Deny limits the chain to services it names: the allowed services are finite.
# `levels` is service_levels(chain).
bounded(levels) if {
	some level in levels
	finite_level(level)
}

# (an unconditional Deny of everything but named services)
bounded(levels) if {
	some level in levels
	some ix in level.deny_not
	explicit(ix)
}

# An unconditional Deny of every action (a quarantine SCP, `Deny *`): nothing gets through, so
# the chain allows no service at all.
bounded(levels) if {
	some level in levels
	"*" in level.deny.covering
}

# The services named by the Allows and unconditional Denies of the chain (in a bounded chain,
# every allowed service is named by one of them).
named_services(levels) := candidates - wild_members(candidates) if {
	candidates := {s |
		some level in levels
		some ix in array.concat([level.allow, level.deny], array.concat(level.allow_not, level.deny_not))
		some s in ix.named
	}
}

# Services the effective SCPs allow (some action of the service gets through); meaningful only
# for a bounded chain (otherwise every service is allowed, named or not). `levels` is
# service_levels(chain).
allowed_services(levels) := (names - blocked) - removed if {
	names := named_services(levels)
	blocked := union({missing |
		some level in levels
		missing := names - level_allows_services(level, names)
	})
	removed := union({level_denies_services(level, names) | some level in levels})
}

# --- region restriction ----------------------------------------------------------------
# The usual region-deny SCP (AWS's "Deny access to AWS based on the requested AWS Region"): a
# Deny of every action, or of every action but those its NotAction exempts (the global
# services: iam, organizations, sts, support, cloudfront, route53, ...), on the condition that
# aws:RequestedRegion is not one of the regions it leaves open. The exemptions are accepted as
# they are: the statement restricts the regions of everything else. At most, named principals
# may be exempted too (a break-glass role, through aws:PrincipalArn); a statement with any
# other condition, or that denies only some actions, is not a region restriction. A region is
# open when every restricting statement of the chain leaves it open (each one denies the
# others, at whatever level it is attached).

region_operators := {"StringNotEquals", "StringNotLike", "StringNotEqualsIgnoreCase"}

region_operator(op) if op in region_operators

region_operator(op) if {
	endswith(op, "IfExists")
	trim_suffix(op, "IfExists") in region_operators
}

region_key(key) if lower(key) == "aws:requestedregion"

region_entry(op, key) if {
	region_operator(op)
	region_key(key)
}

# An action pattern that matches every action ("*", "*:*").
matches_every_action(p) if replace(p, "*", "") in {"", ":"}

# The statement denies every action, or every action but a list of exemptions.
denies_everything_but_exemptions(st) if {
	some a in as_list(object.get(st, "Action", []))
	is_string(a)
	matches_every_action(a)
}

denies_everything_but_exemptions(st) if {
	has_not_action(st)
	not "Action" in object.keys(st)
	exempted := as_list(st.NotAction)
	count(exempted) > 0
	not exempts_every_action(exempted)
}

exempts_every_action(patterns) if {
	some a in patterns
	is_string(a)
	matches_every_action(a)
}

# The open-region patterns of one condition entry: lower-cased, with whether they are glob
# patterns (StringNotLike) or literal names.
region_patterns(op, value) := [{"value": lower(v), "like": startswith(op, "StringNotLike")} |
	some v in iam.as_list(value)
	is_string(v)
]

# The patterns of the regions a Deny leaves open when it is a region restriction, else null
# (total, so that a caller's comprehension never binds an undefined value: with the undefined
# binding, regorus' compiled VM judged a chain without restrictions differently from the interpreter).
region_restriction(st) := patterns if {
	st.Effect == "Deny"
	denies_everything_but_exemptions(st)
	entries := [[op, key, value] |
		some op, block in conditions(st)
		some key, value in block_entries(block)
	]
	regional := [e | some e in entries; region_entry(e[0], e[1])]
	count(regional) > 0
	every e in entries {
		region_or_exemption(e)
	}
	every e in regional {
		count(iam.as_list(e[2])) > 0
		not exempts_everyone(e[2])
	}
	patterns := [p | some e in regional; some p in region_patterns(e[0], e[2])]
} else := null

region_or_exemption(e) if region_entry(e[0], e[1])

region_or_exemption(e) if exemption(e[0], e[1], e[2])

# The region restrictions of the chain: one list of open-region patterns per restricting
# statement, at any level.
region_restrictions(chain) := [patterns |
	some level in chain
	some st in level_statements(level)
	patterns := region_restriction(st)
	patterns != null
]

region_open_by(pattern, region) if {
	not pattern.like
	pattern.value == region
}

region_open_by(pattern, region) if {
	pattern.like
	pattern_match(pattern.value, region)
}

# The commercial regions (aws partition) a wildcard pattern is checked against.
known_regions := {
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1",
	"ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
	"mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

# The regions left open by `restrictions` (region_restrictions(chain), non-empty): of the
# known regions, the names the statements list and `extra` (more names to check, e.g. the
# allowed ones), those every statement leaves open.
open_regions(restrictions, extra) := {r |
	named := {p.value | some ps in restrictions; some p in ps; not wild(p.value)}
	some r in (known_regions | named) | {lower(x) | some x in extra; is_string(x)}
	every ps in restrictions {
		some p in ps
		region_open_by(p, r)
	}
}
