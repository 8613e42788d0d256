package vigil.rules.kms.public_policy_test

import rego.v1

import data.vigil.rules.kms.public_policy

compliant := data.fixtures.kms.compliant

public := data.fixtures.kms.public_policy

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "analytics-dev", "email": "aws+analytics@example.com", "ouPath": "Root/Workloads/Dev", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

label := "key 0b7a6c2e-3f1d-4e8a-9c5b-2d4f6a8e1c3b (alias/payments-data)"

# compliant with its key policy statements replaced
with_statements(statements) := object.union(compliant, {"supplementaryConfiguration": {"policy": {"Version": "2012-10-17", "Statement": statements}}})

allow(principal, action) := {"Sid": "s1", "Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}

deny_of(statements) := result if {
	result := public_policy.deny with input as req(with_statements(statements))
}

msg(sid, principal, actions) := sprintf("%s: policy statement %s allows principal %s to call %s without a condition restricting the caller", [label, sid, principal, actions])

test_account_root_policy_passes if {
	compliant.supplementaryConfiguration.policy.Statement[0].Principal.AWS == "arn:aws:iam::111122223333:root"
	public_policy.deny == set() with input as req(compliant)
}

test_star_principal_without_condition_fails if {
	public_policy.deny == {"key 8c0e2a4b-6d8f-4a1c-93e5-b7d9f1a3c5e7 (alias/analytics-shared): policy statement AllowEveryone allows principal * to call kms:Encrypt, kms:Decrypt, kms:GenerateDataKey* without a condition restricting the caller"} with input as req(public)
}

test_org_condition_passes if {
	data.fixtures.kms.org_shared.supplementaryConfiguration.policy.Statement[1].Principal.AWS == "*"
	public_policy.deny == set() with input as req(data.fixtures.kms.org_shared)
}

test_aws_star_principal_fails if {
	deny_of([allow({"AWS": "*"}, "kms:Decrypt")]) == {msg("s1", "AWS:*", "kms:Decrypt")}
}

test_aws_star_in_principal_list_fails if {
	deny_of([allow({"AWS": ["arn:aws:iam::444455556666:root", "*"]}, ["kms:Decrypt"])]) == {msg("s1", "AWS:*", "kms:Decrypt")}
}

test_specific_principals_pass if {
	deny_of([allow({"AWS": "arn:aws:iam::444455556666:root"}, "kms:*")]) == set()
	deny_of([allow({"Service": "logs.eu-west-1.amazonaws.com"}, "kms:Encrypt*")]) == set()
}

test_deny_statement_passes if {
	st := object.union(allow("*", "kms:*"), {"Effect": "Deny"})
	deny_of([st]) == set()
}

test_not_action_fails if {
	st := object.union(object.remove(allow("*", ""), ["Action"]), {"NotAction": ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"]})
	deny_of([st]) == {msg("s1", "*", "every action except kms:ScheduleKeyDeletion, kms:PutKeyPolicy")}
}

test_every_restricting_condition_key_exempts if {
	every key in ["aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:SourceOrgID", "aws:SourceOrgPaths", "kms:CallerAccount"] {
		st := object.union(allow("*", "kms:Decrypt"), {"Condition": {"StringEquals": {key: "111122223333"}}})
		deny_of([st]) == set()
	}
}

test_condition_key_case_insensitive if {
	st := object.union(allow("*", "kms:Decrypt"), {"Condition": {"StringEquals": {"KMS:CALLERACCOUNT": "111122223333"}}})
	deny_of([st]) == set()
}

# The AWS managed key policy shape: a "*" principal scoped by caller account and service.
test_caller_account_with_via_service_passes if {
	st := object.union(allow({"AWS": "*"}, ["kms:Encrypt", "kms:Decrypt"]), {"Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "dynamodb.eu-west-1.amazonaws.com"}}})
	deny_of([st]) == set()
}

test_condition_not_restricting_the_caller_fails if {
	st := object.union(allow("*", "kms:Decrypt"), {"Condition": {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}})
	deny_of([st]) == {msg("s1", "*", "kms:Decrypt")}
}

test_empty_condition_fails if {
	st := object.union(allow("*", "kms:Decrypt"), {"Condition": {}})
	deny_of([st]) == {msg("s1", "*", "kms:Decrypt")}
}

test_single_statement_object_fails if {
	doc := object.union(compliant, {"supplementaryConfiguration": {"policy": {"Statement": allow("*", "kms:*")}}})
	public_policy.deny == {msg("s1", "*", "kms:*")} with input as req(doc)
}

test_statement_without_sid_is_named_by_position if {
	root := allow({"AWS": "arn:aws:iam::111122223333:root"}, "kms:*")
	anonymous := object.remove(allow("*", "kms:Decrypt"), ["Sid"])
	deny_of([root, anonymous]) == {msg("#1 (no Sid)", "*", "kms:Decrypt")}
}

test_each_public_statement_is_one_finding if {
	a := object.union(allow("*", "kms:Decrypt"), {"Sid": "a"})
	b := object.union(allow({"AWS": "*"}, "kms:Encrypt"), {"Sid": "b"})
	deny_of([a, b]) == {msg("a", "*", "kms:Decrypt"), msg("b", "AWS:*", "kms:Encrypt")}
}

test_policy_not_collected_passes if {
	public_policy.deny == set() with input as req(data.fixtures.kms.aws_managed)
	doc := object.union(compliant, {"supplementaryConfiguration": {"policy": null}})
	public_policy.deny == set() with input as req(doc)
}

error_of(statements) := result if {
	result := public_policy.error with input as req(with_statements(statements))
}

# Issue 12, item 5: conditions on a caller key that still let anyone in.
test_conditions_that_restrict_nothing_fail if {
	every condition in [
		{"StringLike": {"kms:CallerAccount": "*"}},
		{"StringNotEquals": {"aws:PrincipalAccount": "000000000000"}},
		{"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}},
		{"Null": {"aws:PrincipalArn": "false"}},
		{"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
		{"StringEquals": {"kms:CallerAccount": "${aws:PrincipalAccount}"}},
		{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin"}},
	] {
		st := object.union(allow("*", "kms:Decrypt"), {"Condition": condition})
		deny_of([st]) == {msg("s1", "*", "kms:Decrypt")}
	}
}

test_conditions_pinning_the_caller_pass if {
	every condition in [
		{"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"]}},
		{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}},
		{"StringEquals": {"kms:CallerAccount": ["111122223333", "444455556666"]}},
		{"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
	] {
		st := object.union(allow("*", "kms:Decrypt"), {"Condition": condition})
		deny_of([st]) == set()
	}
}

test_not_principal_allow_fails if {
	st := object.union(object.remove(allow("*", "kms:Decrypt"), ["Principal"]), {"NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/blocked"}})
	deny_of([st]) == {msg("s1", "* (NotPrincipal)", "kms:Decrypt")}
}

# Issue 12, item 2: a statement without the IAM grammar's shape is an error, not a silent pass.
test_action_list_holding_a_number_is_an_error if {
	st := allow("*", ["kms:Decrypt", 5])
	deny_of([st]) == set()
	error_of([st]) == {sprintf("%s: the key policy cannot be judged: statement s1: Action is not a string or a list of strings", [label])}
}

test_malformed_statements_are_errors_and_the_others_still_judged if {
	bad := object.union(allow({"AWS": ["*", 7]}, "kms:*"), {"Sid": "bad"})
	public := object.union(allow("*", "kms:Encrypt"), {"Sid": "open"})
	deny_of([bad, public, "junk"]) == {msg("open", "*", "kms:Encrypt")}
	error_of([bad, public, "junk"]) == {
		sprintf("%s: the key policy cannot be judged: statement bad: Principal is not \"*\" or an object of strings or lists of strings", [label]),
		sprintf("%s: the key policy cannot be judged: statement #2 is \"junk\", not a JSON object", [label]),
	}
}

test_policy_document_of_the_wrong_type_is_an_error if {
	doc := object.union(compliant, {"supplementaryConfiguration": {"policy": "Version 2012-10-17"}})
	public_policy.deny == set() with input as req(doc)
	public_policy.error == {sprintf("%s: the key policy cannot be judged: the policy document is \"Version 2012-10-17\", not a JSON object", [label])} with input as req(doc)
}

test_well_formed_policies_have_no_error if {
	public_policy.error == set() with input as req(compliant)
	public_policy.error == set() with input as req(public)
	public_policy.error == set() with input as req(data.fixtures.kms.org_shared)
	public_policy.error == set() with input as req(data.fixtures.kms.aws_managed)
}

# Issue 12, item 1: a key policy that could not be read (here: text that is not JSON) is not an
# empty policy.
test_unreadable_policy_is_an_error if {
	doc := data.fixtures.kms.unreadable
	not "policy" in object.keys(doc.supplementaryConfiguration)
	public_policy.deny == set() with input as req(doc)
	public_policy.error == {"supplementaryConfiguration.policy could not be read: GetKeyPolicy failed with UnparsablePolicy: the policy document is not valid JSON: unexpected end of hex escape at line 1 column 61"} with input as req(doc)
}

test_aliases_that_are_not_strings_do_not_break_the_message if {
	doc := object.union(public, {"supplementaryConfiguration": {"aliases": ["alias/analytics-shared", 3]}})
	public_policy.deny == {"key 8c0e2a4b-6d8f-4a1c-93e5-b7d9f1a3c5e7 (alias/analytics-shared): policy statement AllowEveryone allows principal * to call kms:Encrypt, kms:Decrypt, kms:GenerateDataKey* without a condition restricting the caller"} with input as req(doc)
}
