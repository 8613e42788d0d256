package vigil.rules.kms.policy_outside_org_test

import rego.v1

import data.vigil.rules.kms.policy_outside_org as rule

compliant := data.fixtures.kms.compliant

outside := data.fixtures.kms.outside_account

org := {"id": "o-a1b2c3d4e5", "management_account_id": "999988887777", "account_ids": {"111122223333": true, "999988887777": true, "222233334444": true}}

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

label := "key 0b7a6c2e-3f1d-4e8a-9c5b-2d4f6a8e1c3b (alias/payments-data)"

with_statements(statements) := object.union(compliant, {"supplementaryConfiguration": {"policy": {"Version": "2012-10-17", "Statement": statements}}})

allow(principal) := {"Sid": "s1", "Effect": "Allow", "Principal": principal, "Action": "kms:Decrypt", "Resource": "*"}

deny_of(statements) := result if {
	result := rule.deny with input as req(with_statements(statements)) with data.vigil.organization as org
}

test_own_account_policy_passes if {
	rule.deny == set() with input as req(compliant) with data.vigil.organization as org
}

test_outside_account_fails_member_account_does_not if {
	rule.deny == {"key 9d1f3b5e-7a2c-4e6f-8b0d-1f3a5c7e9b2d (alias/payments-exports): policy statement AuditorDecrypt lets account 444455556666 call kms:Decrypt, kms:DescribeKey"} with input as req(outside) with data.vigil.organization as org
}

test_trusted_account_passes if {
	rule.deny == set() with input as req(outside) with data.vigil.organization as org
		with data.vigil.params.trusted_accounts as ["444455556666"]
}

# Without the organization's member list every other account is outside.
test_unknown_organization_flags_every_other_account if {
	rule.deny == {"key 9d1f3b5e-7a2c-4e6f-8b0d-1f3a5c7e9b2d (alias/payments-exports): policy statement AuditorDecrypt lets account 222233334444, account 444455556666 call kms:Decrypt, kms:DescribeKey"} with input as req(outside)
		with data.vigil.organization as {}
}

# "*" is VGL-KMS-002's finding: one open statement, one finding.
test_open_star_is_left_to_kms_002 if {
	deny_of([allow("*")]) == set()
	deny_of([allow({"AWS": "*"})]) == set()
	rule.deny == set() with input as req(data.fixtures.kms.public_policy) with data.vigil.organization as org
}

test_star_narrowed_to_an_outside_account_fails if {
	st := object.union(allow("*"), {"Condition": {"StringEquals": {"kms:CallerAccount": ["111122223333", "777788889999"]}}})
	deny_of([st]) == {sprintf("%s: policy statement s1 lets account 777788889999 call kms:Decrypt", [label])}
}

test_star_pinned_to_the_organization_passes if {
	rule.deny == set() with input as req(data.fixtures.kms.org_shared) with data.vigil.organization as org
}

test_another_organization_fails if {
	st := object.union(allow({"AWS": "*"}), {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-partner0001"}}})
	deny_of([st]) == {sprintf("%s: policy statement s1 lets organization o-partner0001 call kms:Decrypt", [label])}
}

test_deny_and_service_statements_pass if {
	deny_of([object.union(allow({"AWS": "arn:aws:iam::444455556666:root"}), {"Effect": "Deny"}), allow({"Service": "logs.eu-west-1.amazonaws.com"})]) == set()
}

test_not_action_is_described if {
	st := object.union(object.remove(allow({"AWS": "444455556666"}), ["Action"]), {"NotAction": ["kms:ScheduleKeyDeletion"]})
	deny_of([st]) == {sprintf("%s: policy statement s1 lets account 444455556666 call every action except kms:ScheduleKeyDeletion", [label])}
}

test_aws_managed_key_without_policy_passes if {
	rule.deny == set() with input as req(data.fixtures.kms.aws_managed) with data.vigil.organization as org
	rule.error == set() with input as req(data.fixtures.kms.aws_managed) with data.vigil.organization as org
}

test_unreadable_policy_is_an_error if {
	doc := data.fixtures.kms.unreadable
	rule.deny == set() with input as req(doc) with data.vigil.organization as org
	count(rule.error) == 1 with input as req(doc) with data.vigil.organization as org
}

test_malformed_statement_is_an_error if {
	doc := with_statements([{"Sid": "bad", "Effect": "Allow", "Principal": {"AWS": 444455556666}, "Action": "kms:Decrypt", "Resource": "*"}])
	rule.error == {sprintf("%s: the key policy cannot be judged: statement bad: Principal is not \"*\" or an object of strings or lists of strings", [label])} with input as req(doc) with data.vigil.organization as org
	rule.deny == set() with input as req(doc) with data.vigil.organization as org
}
