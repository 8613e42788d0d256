package vigil.rules.dynamodb.resource_policy_outside_org_test

import rego.v1

import data.vigil.rules.dynamodb.resource_policy_outside_org as rule

compliant := data.fixtures.dynamodb.compliant

shared := data.fixtures.dynamodb.shared_policy

org := {"id": "o-a1b2c3d4e5", "management_account_id": "999988887777", "account_ids": {"111122223333": true, "999988887777": true, "222233334444": true}}

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

table_arn := "arn:aws:dynamodb:eu-west-1:111122223333:table/payments-ledger"

with_statements(statements) := object.union(compliant, {"supplementaryConfiguration": {"resourcePolicy": {"Version": "2012-10-17", "Statement": statements}}})

allow(principal) := {"Sid": "s1", "Effect": "Allow", "Principal": principal, "Action": "dynamodb:GetItem", "Resource": table_arn}

deny_of(statements) := result if {
	result := rule.deny with input as req(with_statements(statements)) with data.vigil.organization as org
}

test_no_policy_passes if {
	compliant.supplementaryConfiguration.resourcePolicy == null
	rule.deny == set() with input as req(compliant) with data.vigil.organization as org
	rule.error == set() with input as req(compliant) with data.vigil.organization as org
}

test_outside_account_fails_and_org_pinned_star_passes if {
	rule.deny == {"table payments-ledger: resource policy statement PartnerRead lets account 444455556666 call dynamodb:GetItem, dynamodb:Query"} with input as req(shared) with data.vigil.organization as org
}

test_trusted_account_passes if {
	rule.deny == set() with input as req(shared) with data.vigil.organization as org
		with data.vigil.params.trusted_accounts as ["444455556666"]
}

test_any_principal_fails if {
	deny_of([allow("*")]) == {"table payments-ledger: resource policy statement s1 lets anyone (*) call dynamodb:GetItem"}
	deny_of([allow({"AWS": "*"})]) == {"table payments-ledger: resource policy statement s1 lets anyone (*) call dynamodb:GetItem"}
}

test_own_and_member_accounts_pass if {
	deny_of([allow({"AWS": ["arn:aws:iam::111122223333:role/app", "222233334444"]})]) == set()
}

test_member_and_outside_accounts_name_only_the_outside_one if {
	deny_of([allow({"AWS": ["arn:aws:iam::222233334444:root", "arn:aws:iam::444455556666:root", "555566667777"]})]) == {"table payments-ledger: resource policy statement s1 lets account 444455556666, account 555566667777 call dynamodb:GetItem"}
}

test_deny_and_service_statements_pass if {
	deny_of([object.union(allow("*"), {"Effect": "Deny"}), allow({"Service": "backup.amazonaws.com"})]) == set()
}

test_star_pinned_to_another_organization_fails if {
	st := object.union(allow("*"), {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-otherorg99"}}})
	deny_of([st]) == {"table payments-ledger: resource policy statement s1 lets organization o-otherorg99 call dynamodb:GetItem"}
}

test_statements_without_sid_are_named_by_position if {
	st := object.remove(allow("*"), ["Sid"])
	deny_of([allow({"AWS": "111122223333"}), st]) == {"table payments-ledger: resource policy statement #1 (no Sid) lets anyone (*) call dynamodb:GetItem"}
}

test_unreadable_policy_is_an_error if {
	doc := object.union(object.union(compliant, {"supplementaryConfiguration": {"resourcePolicy": null}}), {"collectionErrors": {"supplementaryConfiguration.resourcePolicy": {"operation": "GetResourcePolicy", "code": "AccessDeniedException", "message": "denied"}}})
	d := object.union(doc, {"supplementaryConfiguration": object.remove(doc.supplementaryConfiguration, ["resourcePolicy"])})
	rule.error == {"supplementaryConfiguration.resourcePolicy could not be read: GetResourcePolicy failed with AccessDeniedException: denied"} with input as req(d) with data.vigil.organization as org
	rule.deny == set() with input as req(d) with data.vigil.organization as org
}

test_malformed_statement_is_an_error if {
	bad := {"Sid": "bad", "Effect": "Allow", "Principal": "*", "Action": 7, "Resource": table_arn}
	doc := with_statements([bad])
	rule.error == {"table payments-ledger: the resource policy cannot be judged: statement bad: Action is not a string or a list of strings"} with input as req(doc) with data.vigil.organization as org
	rule.deny == set() with input as req(doc) with data.vigil.organization as org
}
