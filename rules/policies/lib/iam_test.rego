package vigil.lib.iam_test

import rego.v1

import data.vigil.lib.iam

allow_star := {"Sid": "s1", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}

doc(statements) := {"Version": "2012-10-17", "Statement": statements}

with_condition(condition) := object.union(allow_star, {"Condition": condition})

# --- statements and labels ----------------------------------------------------------------

test_statement_object_or_list if {
	iam.statements(doc(allow_star)) == [allow_star]
	iam.statements(doc([allow_star, allow_star])) == [allow_star, allow_star]
	iam.statements(doc("nope")) == []
	iam.statements("nope") == []
	iam.statements(null) == []
}

test_statement_label_by_sid_or_position if {
	iam.statement_label(allow_star, 3) == "s1"
	iam.statement_label(object.remove(allow_star, ["Sid"]), 3) == "#3 (no Sid)"
	iam.statement_label(object.union(allow_star, {"Sid": ""}), 0) == "#0 (no Sid)"
	iam.statement_label(object.union(allow_star, {"Sid": 7}), 1) == "#1 (no Sid)"
	iam.statement_label("not a statement", 2) == "#2 (no Sid)"
}

test_strings_keeps_strings_only if {
	iam.strings(["a", 1, null, "b"]) == ["a", "b"]
	iam.strings("a") == ["a"]
	iam.strings(5) == []
}

# --- grammar -------------------------------------------------------------------------------

test_well_formed_policy_has_no_problem if {
	iam.malformed(doc([allow_star, with_condition({"StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}})])) == set()
	iam.malformed(doc(allow_star)) == set()
	iam.malformed(doc([{"Effect": "Deny", "NotAction": ["s3:*"], "NotResource": "arn:aws:s3:::b", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:root"]}}])) == set()
}

test_document_shape if {
	iam.malformed("{oops") == {"the policy document is \"{oops\", not a JSON object"}
	iam.malformed([allow_star]) == {"the policy document is a array, not a JSON object"}
	iam.malformed({"Version": "2012-10-17"}) == {"the policy document has no Statement"}
	iam.malformed(doc(42)) == {"Statement is a number, not an object or a list of objects"}
	iam.malformed(doc([allow_star, "Allow"])) == {"statement #1 is \"Allow\", not a JSON object"}
}

test_action_list_holding_a_number_is_malformed if {
	st := object.union(allow_star, {"Action": ["kms:Decrypt", 5]})
	iam.malformed(doc([st])) == {"statement s1: Action is not a string or a list of strings"}
	not iam.well_formed(st)
}

test_every_element_shape_is_checked if {
	iam.malformed(doc([object.union(allow_star, {"Effect": "allow"})])) == {"statement s1: Effect is \"allow\", not \"Allow\" or \"Deny\""}
	iam.malformed(doc([object.union(allow_star, {"Effect": true})])) == {"statement s1: Effect is a boolean, not \"Allow\" or \"Deny\""}
	iam.malformed(doc([object.remove(allow_star, ["Effect"])])) == {"statement s1: Effect is missing"}
	iam.malformed(doc([object.union(allow_star, {"Resource": {"arn": "x"}})])) == {"statement s1: Resource is not a string or a list of strings"}
	iam.malformed(doc([object.union(allow_star, {"Resource": []})])) == {"statement s1: Resource is not a string or a list of strings"}
	iam.malformed(doc([object.union(object.remove(allow_star, ["Action"]), {"NotAction": null})])) == {"statement s1: NotAction is not a string or a list of strings"}
	iam.malformed(doc([object.union(allow_star, {"NotResource": [true]})])) == {"statement s1: NotResource is not a string or a list of strings"}
	iam.malformed(doc([object.union(allow_star, {"Principal": "arn:aws:iam::111122223333:root"})])) == {"statement s1: Principal is not \"*\" or an object of strings or lists of strings"}
	iam.malformed(doc([object.union(allow_star, {"Principal": {"AWS": [1]}})])) == {"statement s1: Principal is not \"*\" or an object of strings or lists of strings"}
	iam.malformed(doc([object.union(object.remove(allow_star, ["Principal"]), {"NotPrincipal": ["*"]})])) == {"statement s1: NotPrincipal is not \"*\" or an object of strings or lists of strings"}
	iam.malformed(doc([with_condition({"StringEquals": "aws:PrincipalOrgID"})])) == {"statement s1: Condition is not an object of objects"}
	iam.malformed(doc([with_condition(["StringEquals"])])) == {"statement s1: Condition is not an object of objects"}
}

test_action_and_principal_elements_exclude_each_other if {
	iam.malformed(doc([object.union(allow_star, {"NotAction": "s3:*"})])) == {"statement s1: has both Action and NotAction"}
	iam.malformed(doc([object.remove(allow_star, ["Action"])])) == {"statement s1: has neither Action nor NotAction"}
	iam.malformed(doc([object.union(allow_star, {"NotPrincipal": {"AWS": "arn:aws:iam::1:root"}})])) == {"statement s1: has both Principal and NotPrincipal"}
}

test_each_problem_of_each_statement_is_one_reason if {
	a := object.union(allow_star, {"Effect": "Permit", "Action": [1]})
	b := object.remove(object.union(allow_star, {"Sid": "b"}), ["Action"])
	iam.malformed(doc([a, b, allow_star])) == {
		"statement s1: Effect is \"Permit\", not \"Allow\" or \"Deny\"",
		"statement s1: Action is not a string or a list of strings",
		"statement b: has neither Action nor NotAction",
	}
}

# --- principals ------------------------------------------------------------------------------

test_public_principals if {
	iam.public_principal(allow_star) == "*"
	iam.public_principal(object.union(allow_star, {"Principal": {"AWS": "*"}})) == "AWS:*"
	iam.public_principal(object.union(allow_star, {"Principal": {"AWS": ["arn:aws:iam::444455556666:root", "*"]}})) == "AWS:*"
	iam.public_principal(object.union(allow_star, {"Principal": {"CanonicalUser": "*"}})) == "CanonicalUser:*"
	not iam.public_principal(object.union(allow_star, {"Principal": {"AWS": "arn:aws:iam::444455556666:root"}}))
	not iam.public_principal(object.union(allow_star, {"Principal": {"Service": "logs.amazonaws.com"}}))
}

# Allow + NotPrincipal grants every principal it does not list, whatever it lists.
test_not_principal_allow_is_public if {
	st := object.union(object.remove(allow_star, ["Principal"]), {"NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}})
	iam.public_principal(st) == "* (NotPrincipal)"
	st2 := object.union(object.remove(allow_star, ["Principal"]), {"NotPrincipal": "*"})
	iam.public_principal(st2) == "* (NotPrincipal)"
}

# --- conditions ------------------------------------------------------------------------------

restricts(condition) if iam.restricted(with_condition(condition), iam.caller_keys)

test_exact_caller_conditions_restrict if {
	restricts({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
	restricts({"StringEquals": {"aws:PrincipalAccount": ["111122223333", "444455556666"]}})
	restricts({"StringEqualsIgnoreCase": {"aws:SourceAccount": "111122223333"}})
	restricts({"StringLike": {"kms:CallerAccount": "111122223333"}})
	restricts({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/app"}})
	restricts({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::orders-bucket"}})
	restricts({"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
	restricts({"StringEquals": {"AWS:PRINCIPALORGID": "o-a1b2c3d4e5"}})
}

# The cases of issue 12, item 5: each of these leaves the key to anyone.
test_conditions_that_restrict_nothing if {
	not restricts({"StringLike": {"kms:CallerAccount": "*"}})
	not restricts({"StringNotEquals": {"aws:PrincipalAccount": "000000000000"}})
	not restricts({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}})
	not restricts({"Null": {"aws:PrincipalArn": "false"}})
	not restricts({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}})
	not restricts({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
	not restricts({"ForAnyValue:StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
	not restricts({"StringLike": {"aws:PrincipalOrgID": "o-*"}})
	not restricts({"StringEquals": {"aws:PrincipalAccount": "11112222333?"}})
	not restricts({"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}})
	not restricts({"StringEquals": {"aws:PrincipalAccount": ["111122223333", "*"]}})
	not restricts({"StringEquals": {"aws:PrincipalAccount": []}})
	not restricts({"StringEquals": {"aws:PrincipalAccount": 111122223333}})
	not restricts({"Bool": {"aws:SecureTransport": "true"}})
	not restricts({"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}})
	not restricts({})
}

# Operators are case-sensitive in IAM: a misspelt operator is not the restricting one.
test_operator_names_are_case_sensitive if {
	not restricts({"stringequals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
	not restricts({"forAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
}

test_organization_paths_pinned_to_one_organization_restrict if {
	restricts({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"]}})
	restricts({"ForAnyValue:StringLike": {"aws:SourceOrgPaths": "o-a1b2c3d4e5/*"}})
	not restricts({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-*/*"}})
	not restricts({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "*/r-ab12/*"}})
	not restricts({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5*"}})
}

test_arn_patterns_pinned_to_one_account_restrict if {
	restricts({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}})
	restricts({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}})
	restricts({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/app-*"}})
	not restricts({"StringLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}})
	not restricts({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin"}})
	not restricts({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::orders-*"}})
	not restricts({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::1111*:root"}})
	not restricts({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:root"}})
}

test_one_restricting_entry_among_others_restricts if {
	restricts({"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"kms:ViaService": "x", "kms:CallerAccount": "111122223333"}})
}

test_keys_are_the_callers_keys_given if {
	st := with_condition({"StringEquals": {"kms:CallerAccount": "111122223333"}})
	iam.restricted(st, iam.caller_keys)
	not iam.restricted(st, {"aws:sourceaccount"})
}


# --- the organization's boundary -----------------------------------------------------------

org := {"id": "o-a1b2c3d4e5", "management_account_id": "111111111111", "account_ids": {"111111111111": true, "222222222222": true}}

grant(principal) := {"Effect": "Allow", "Principal": principal, "Action": "kms:Decrypt", "Resource": "*"}

outside(st) := grants if {
	grants := iam.outside_grants(st, "333333333333") with data.vigil.organization as org
		with data.vigil.params.trusted_accounts as ["444444444444"]
}

test_outside_grants_names_accounts_outside_the_organization if {
	outside(grant({"AWS": ["arn:aws:iam::222222222222:root", "arn:aws:iam::999988887777:role/x", "555566667777"]})) == {"account 999988887777", "account 555566667777"}
	outside(grant({"AWS": "arn:aws:iam::333333333333:root"})) == set()
	outside(grant({"AWS": "444444444444"})) == set()
	outside(grant({"AWS": "AIDAJQABLZS4A3QDU576Q"})) == set()
	outside(grant({"Service": "logs.amazonaws.com"})) == set()
}

test_outside_grants_public_unless_pinned_to_the_organization if {
	outside(grant("*")) == {"*"}
	outside(grant({"AWS": "*"})) == {"*"}
	outside(object.union(grant("*"), {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}})) == set()
	outside(object.union(grant("*"), {"Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/r-ab12/*"]}}})) == set()
	outside(object.union(grant("*"), {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}}})) == {"organization o-zzzzzzzzzz"}
	outside(object.union(grant("*"), {"Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}})) == {"*"}
	outside(object.union(grant("*"), {"Condition": {"StringLike": {"aws:PrincipalOrgID": "o-*"}}})) == {"*"}
	outside({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"}) == {"*"}
}

test_outside_grants_follows_conditions_that_pin_accounts if {
	outside(object.union(grant("*"), {"Condition": {"StringEquals": {"kms:CallerAccount": ["222222222222", "777777777777"]}}})) == {"account 777777777777"}
	outside(object.union(grant("*"), {"Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/*"}}})) == set()
	outside(object.union(grant("*"), {"Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}}})) == set()
}

test_outside_grants_ignores_deny_and_malformed if {
	outside(object.union(grant("*"), {"Effect": "Deny"})) == set()
	outside(object.union(grant("*"), {"Action": 7})) == set()
	outside("not a statement") == set()
}

test_outside_grants_without_organization_data_trusts_only_own_and_trusted if {
	iam.outside_grants(grant({"AWS": "222222222222"}), "333333333333") == {"account 222222222222"}
	iam.outside_grants(object.union(grant("*"), {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}), "333333333333") == {"organization o-a1b2c3d4e5"}
}
