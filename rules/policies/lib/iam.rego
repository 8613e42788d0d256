# IAM-style policy documents: KMS key policies, Lambda and API Gateway resource policies, SCPs.
#
# The collectors hand these over parsed, as AWS stored them, but nothing guarantees that a
# document has the IAM grammar's shape (a hand-written snapshot, a service that stores what it
# is given). A rule that reads a policy judges only the statements that have that shape and
# reports the others through malformed(policy) as `error`: a statement whose Action list holds a
# number must not pass silently because a string function skipped it.
#
# Everything here is guarded by type checks (is_string, is_object, ...) rather than relying on
# the engine treating a type error as undefined: regorus raises some of them, OPA does not.
package vigil.lib.iam

import rego.v1

# A string or a list of strings, as a list; anything else as [].
as_list(x) := x if {
	is_array(x)
} else := [x] if {
	is_string(x)
} else := []

# The string members of as_list(x) (message building never meets a non-string).
strings(x) := [s | some s in as_list(x); is_string(s)]

# IAM allows Statement to be one object or a list. Items are returned as they are, objects or
# not, so that positions match the document (statement_label names a statement by position);
# malformed(policy) reports the items that are not objects, and rules skip them.
statements(policy) := s if {
	is_object(policy)
	s := policy.Statement
	is_array(s)
} else := [s] if {
	is_object(policy)
	s := policy.Statement
	is_object(s)
} else := []

# Statements are named by Sid, or by their position when they have none.
statement_label(st, i) := st.Sid if {
	is_object(st)
	is_string(st.Sid)
	st.Sid != ""
} else := sprintf("#%d (no Sid)", [i])

# --- grammar ---------------------------------------------------------------------------

# A string, or a non-empty list of strings.
string_or_strings(x) if is_string(x)

string_or_strings(x) if {
	is_array(x)
	count(x) > 0
	every v in x {
		is_string(v)
	}
}

# "*", or an object whose values are string_or_strings ({"AWS": [...], "Service": "..."}).
principal_shape(p) if p == "*"

principal_shape(p) if {
	is_object(p)
	count(p) > 0
	every _, v in p {
		string_or_strings(v)
	}
}

# An object of objects ({"StringEquals": {"aws:PrincipalOrgID": "o-..."}}).
condition_shape(c) if {
	is_object(c)
	every _, block in c {
		is_object(block)
	}
}

list_elements := ["Action", "NotAction", "Resource", "NotResource"]

principal_elements := ["Principal", "NotPrincipal"]

# What is wrong with the shape of one statement (an object); empty when nothing is.
statement_problems(st) := (((effect_problems(st) | list_problems(st)) | principal_problems(st)) | condition_problems(st)) | presence_problems(st)

effect_problems(st) := {"Effect is missing"} if {
	not "Effect" in object.keys(st)
} else := {sprintf("Effect is %s, not \"Allow\" or \"Deny\"", [shown(st.Effect)])} if {
	not st.Effect in {"Allow", "Deny"}
} else := set()

list_problems(st) := {sprintf("%s is not a string or a list of strings", [name]) |
	some name in list_elements
	name in object.keys(st)
	not string_or_strings(st[name])
}

principal_problems(st) := {sprintf("%s is not \"*\" or an object of strings or lists of strings", [name]) |
	some name in principal_elements
	name in object.keys(st)
	not principal_shape(st[name])
}

condition_problems(st) := {"Condition is not an object of objects" |
	"Condition" in object.keys(st)
	not condition_shape(st.Condition)
}

presence_problems(st) := (both_actions | no_action) | both_principals if {
	keys := object.keys(st)
	both_actions := {"has both Action and NotAction" | "Action" in keys; "NotAction" in keys}
	no_action := {"has neither Action nor NotAction" | not "Action" in keys; not "NotAction" in keys}
	both_principals := {"has both Principal and NotPrincipal" | "Principal" in keys; "NotPrincipal" in keys}
}

# A value in a message: strings quoted, other JSON types named (never the value itself, whose
# rendering differs between engines).
shown(x) := sprintf("\"%s\"", [x]) if is_string(x) else := sprintf("a %s", [type_name(x)])

# Why `policy` does not have the shape of an IAM policy document, one reason per problem; empty
# when it has. Statements are named by Sid or position.
malformed(policy) := {sprintf("the policy document is %s, not a JSON object", [shown(policy)])} if {
	not is_object(policy)
} else := {"the policy document has no Statement"} if {
	not "Statement" in object.keys(policy)
} else := {sprintf("Statement is %s, not an object or a list of objects", [shown(policy.Statement)])} if {
	s := policy.Statement
	not is_object(s)
	not is_array(s)
} else := {reason |
	some i, st in statements(policy)
	some reason in statement_reasons(st, i)
}

statement_reasons(st, i) := {sprintf("statement #%d is %s, not a JSON object", [i, shown(st)])} if {
	not is_object(st)
} else := {sprintf("statement %s: %s", [statement_label(st, i), problem]) | some problem in statement_problems(st)}

# The statement has the IAM grammar's shape: rules judge only these.
well_formed(st) if {
	is_object(st)
	count(statement_problems(st)) == 0
}

# --- principals and conditions ---------------------------------------------------------

# How an Allow statement names every principal, for messages; undefined when it names specific
# principals only. "*", or "<type>:*" for a "*" under a principal type ({"AWS": "*"}); an Allow
# with NotPrincipal grants everyone but the principals it lists.
public_principal(st) := "*" if {
	st.Principal == "*"
} else := sprintf("%s:*", [types[0]]) if {
	p := st.Principal
	is_object(p)
	types := sort([t | some t, v in p; "*" in strings(v)])
	count(types) > 0
} else := "* (NotPrincipal)" if {
	"NotPrincipal" in object.keys(st)
}

# Condition keys that say who the caller is, or on whose behalf a service calls; lower-cased.
caller_keys := {
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

# Operators that hold only when the key is present and matches a value. Negated operators
# (StringNotEquals: everyone but), ...IfExists (true when the key is absent), Null and
# ForAllValues: (true when the key is absent) restrict nothing.
positive_operators := {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"}

# Operators are case-sensitive, as IAM compares them.
positive_operator(op) if op in positive_operators

# ForAnyValue: is false when the key is absent and true when one of its values matches: on a
# single-valued key it restricts as the plain operator does, and it is the documented form for
# the multivalued aws:PrincipalOrgPaths.
positive_operator(op) if {
	startswith(op, "ForAnyValue:")
	trim_prefix(op, "ForAnyValue:") in positive_operators
}

arn_operator(op) if trim_prefix(op, "ForAnyValue:") in {"ArnEquals", "ArnLike"}

wildcard(s) if contains(s, "*")

wildcard(s) if contains(s, "?")

# A policy variable (${aws:PrincipalAccount}) takes the caller's own value: it pins nothing.
wildcard(s) if contains(s, "${")

org_path_keys := {"aws:principalorgpaths", "aws:sourceorgpaths"}

arn_keys := {"aws:principalarn", "aws:sourcearn"}

# A value without wildcard names one caller.
pins(_, _, v) if not wildcard(v)

# An organization path pinned to one organization ("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"):
# the organization id before the first "/" has no wildcard.
pins(_, key, v) if {
	key in org_path_keys
	contains(v, "/")
	not wildcard(split(v, "/")[0])
}

# An ARN pattern pinned to one account ("arn:aws:iam::111122223333:role/*"): its account
# field is set and has no wildcard. Arn operators match each ":"-separated field on its own;
# with a String operator a wildcard before the account field could stand for anything, so
# nothing before it may have one. ARNs without an account field (S3 buckets) pin nothing.
pins(op, key, v) if {
	key in arn_keys
	fields := split(v, ":")
	count(fields) >= 6
	fields[4] != ""
	not wildcard(fields[4])
	arn_operator(op)
}

pins(op, key, v) if {
	key in arn_keys
	fields := split(v, ":")
	count(fields) >= 6
	fields[4] != ""
	not arn_operator(op)
	not wildcard(concat(":", array.slice(fields, 0, 5)))
}

# Every value of a condition entry pins the caller (a list matches any of its values).
pins_all(op, key, value) if {
	values := as_list(value)
	count(values) > 0
	every v in values {
		is_string(v)
		pins(op, key, v)
	}
}

# Some condition of the statement ties the caller to known accounts, organizations or
# resources: a positive operator on one of `keys` (lower-cased condition keys) whose every
# value pins the caller. Condition keys are compared case-insensitively, as IAM does.
restricted(st, keys) if {
	conditions := st.Condition
	is_object(conditions)
	some op, block in conditions
	positive_operator(op)
	is_object(block)
	some key, value in block
	lower(key) in keys
	pins_all(op, lower(key), value)
}

# --- the organization's boundary --------------------------------------------------------
#
# data.vigil.organization is set by vigil for each run: the organization's id, its management
# account and every member account id (`account_ids`, an object id -> true), scanned or not.
# params.trusted_accounts adds accounts outside the organization that are trusted anyway (a
# partner's log archive, a vendor's scanner).

organization_id := id if {
	id := data.vigil.organization.id
	is_string(id)
	id != ""
} else := ""

# The account is the resource's own, a member of the organization, or trusted by params.
known_account(id, own) if id == own

known_account(id, _) if data.vigil.organization.account_ids[id] == true

known_account(id, _) if {
	trusted := data.vigil.params.trusted_accounts
	is_array(trusted)
	id in trusted
}

# The account id a principal names: a bare id ("111122223333") or the account field of an ARN
# ("arn:aws:iam::111122223333:role/x", ":root"); undefined for anything else (unique ids of
# deleted principals, "*").
principal_account(p) := p if {
	is_string(p)
	regex.match(`^[0-9]{12}$`, p)
} else := fields[4] if {
	is_string(p)
	startswith(p, "arn:")
	fields := split(p, ":")
	count(fields) >= 6
	regex.match(`^[0-9]{12}$`, fields[4])
}

# Who an Allow statement's "*"-principal is narrowed to by its condition: some positive
# condition on `keys` whose every value pins the caller (as restricted/2 decides), as that
# condition's values; one set of values per narrowing condition.
pinned_values(st, keys) := {values |
	conditions := st.Condition
	is_object(conditions)
	some op, block in conditions
	positive_operator(op)
	is_object(block)
	some key, value in block
	lower(key) in keys
	pins_all(op, lower(key), value)
	values := {v | some v in as_list(value)}
}

org_id_keys := {"aws:principalorgid", "aws:sourceorgid"}

account_keys := {"aws:principalaccount", "aws:sourceaccount", "aws:sourceowner", "kms:calleraccount"}

# The statement only lets callers of this organization in: a condition pins the caller's
# organization id, or its organization path, to this organization.
pinned_to_organization(st) if {
	organization_id != ""
	some values in pinned_values(st, org_id_keys)
	every v in values {
		v == organization_id
	}
}

pinned_to_organization(st) if {
	organization_id != ""
	some values in pinned_values(st, org_path_keys)
	every v in values {
		split(v, "/")[0] == organization_id
	}
}

# Everyone a condition narrows the caller to, when it narrows them to accounts or ARNs: the
# accounts those name, or "organization <id>" for another organization's id or path.
pinned_grantees(st) := {g |
	some values in pinned_values(st, account_keys)
	some v in values
	g := account_grantee(v)
} | {g |
	some values in pinned_values(st, arn_keys)
	some v in values
	g := account_grantee(principal_account(v))
} | {sprintf("organization %s", [v]) |
	some values in pinned_values(st, org_id_keys)
	some v in values
	v != organization_id
} | {sprintf("organization %s", [o]) |
	some values in pinned_values(st, org_path_keys)
	some v in values
	o := split(v, "/")[0]
	o != organization_id
}

account_grantee(id) := sprintf("account %s", [id])

# The statement's condition narrows the caller to accounts, ARNs or organizations.
narrowed(st) if count(pinned_values(st, ((account_keys | arn_keys) | org_id_keys) | org_path_keys)) > 0

# The AWS principals an Allow statement names: "*" for Principal "*", {"AWS": "*"} or a
# NotPrincipal (everyone but), else its AWS principal strings.
aws_principals(st) := ["*"] if {
	st.Principal == "*"
} else := ["*"] if {
	"NotPrincipal" in object.keys(st)
} else := strings(st.Principal.AWS) if {
	is_object(st.Principal)
} else := []

# Who a statement grants access to outside the organization (`own`: the resource's account):
# "*" for anyone, "account <id>" for an account that is neither `own`, a member nor trusted,
# "organization <id>" for another organization. Empty for Deny statements, statements that are
# not well formed (malformed/1 reports those), service and federated principals, and
# statements whose condition pins the caller to this organization.
outside_grants(st, own) := set() if {
	not well_formed(st)
} else := set() if {
	st.Effect != "Allow"
} else := set() if {
	pinned_to_organization(st)
} else := {g |
	# A condition that narrows the caller decides who is let in, whatever the principal.
	narrowed(st)
	some g in pinned_grantees(st)
	not known(g, own)
} if {
	narrowed(st)
} else := {g |
	some p in aws_principals(st)
	g := principal_grantee(p)
	not known(g, own)
}

principal_grantee(p) := "*" if p == "*" else := account_grantee(principal_account(p))

known(g, own) if {
	startswith(g, "account ")
	known_account(trim_prefix(g, "account "), own)
}
