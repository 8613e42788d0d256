package vigil.rules.organizations.scp_region_restriction_test

import rego.v1

import data.vigil.rules.organizations.scp_region_restriction as rule

# fixtures/documents/organizations/region_deny.json carries the region-deny SCP of
# aws-samples/service-control-policy-examples, Region-controls/
# Deny-access-to-AWS-based-on-the-requested-AWS-region-with-Bedrock-CRIS.json (the Organizations
# user guide's "Deny access to AWS based on the requested AWS Region" with a Bedrock cross-region
# inference statement), with eu-central-1 and eu-west-1 as the approved regions and a
# break-glass role as the exempted principal.
region_deny := data.fixtures.organizations.region_deny

compliant := data.fixtures.organizations.compliant

req(doc) := {
	"resource": doc,
	"account": {"id": doc.resourceId, "name": doc.configuration.name, "email": "", "ouPath": doc.configuration.ouPath, "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

deny_of(doc) := result if {
	result := rule.deny with input as req(doc)
}

deny_with(doc, allowed) := result if {
	result := rule.deny with input as req(doc) with data.vigil.params.organizations.allowed_regions as allowed
}

error_of(doc) := result if {
	result := rule.error with input as req(doc)
}

full_access := {"id": "p-FullAWSAccess", "name": "FullAWSAccess", "awsManaged": true, "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}

policy(name, statements) := {"id": sprintf("p-%s", [name]), "name": name, "awsManaged": false, "document": {"Version": "2012-10-17", "Statement": statements}}

level(name, policies) := {"targetId": name, "type": "ORGANIZATIONAL_UNIT", "name": name, "policies": policies}

with_chain(levels) := object.union(compliant, {"supplementaryConfiguration": {"scpChain": levels}})

region_deny_st(op, regions) := {"Effect": "Deny", "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*", "route53:*"], "Resource": "*", "Condition": {op: {"aws:RequestedRegion": regions}}}

only(statements) := with_chain([level("root", [full_access, policy("r", statements)])])

none_msg := "account 111122223333 (payments-prod): no SCP between the root and the account restricts regions (no Deny of every action, or every action but global-service exemptions, on aws:RequestedRegion)"

open_msg(regions) := sprintf("account 111122223333 (payments-prod): SCPs leave regions open beyond allowed_regions: %s", [regions])

test_published_region_deny_restricts_regions if {
	deny_of(region_deny) == set()
	deny_with(region_deny, ["eu-west-1", "eu-central-1"]) == set()
	deny_with(region_deny, ["eu-west-1", "eu-central-1", "us-east-1"]) == set()
}

test_published_region_deny_wider_than_allowed_fails if {
	deny_with(region_deny, ["eu-west-1"]) == {"account 131313131313 (payments-eu): SCPs leave regions open beyond allowed_regions: eu-central-1"}
}

test_no_region_restriction_fails_with_or_without_an_allowed_list if {
	deny_of(compliant) == {none_msg}
	deny_with(compliant, ["eu-west-1"]) == {none_msg}
	deny_of(data.fixtures.organizations.standalone) == {"account 555566667777 (555566667777): no SCP between the root and the account restricts regions (no Deny of every action, or every action but global-service exemptions, on aws:RequestedRegion)"}
}

test_deny_of_everything_with_action_star_counts if {
	st := {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}
	deny_with(only([st]), ["eu-west-1"]) == set()
	deny_with(only([object.union(st, {"Action": ["*:*"]})]), ["eu-west-1"]) == set()
}

test_deny_of_some_actions_only_does_not_count if {
	st := {"Effect": "Deny", "Action": ["ec2:*", "lambda:*"], "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}
	deny_of(only([st])) == {none_msg}
}

test_not_action_exempting_everything_does_not_count if {
	st := object.union(region_deny_st("StringNotEquals", ["eu-west-1"]), {"NotAction": ["*:*"]})
	deny_of(only([st])) == {none_msg}
}

test_other_conditions_do_not_count_principal_exemptions_do if {
	tagged := object.union(region_deny_st("StringNotEquals", ["eu-west-1"]), {"Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}}})
	deny_of(only([tagged])) == {none_msg}
	break_glass := object.union(region_deny_st("StringNotEquals", ["eu-west-1"]), {"Condition": {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/admin"]}}})
	deny_with(only([break_glass]), ["eu-west-1"]) == set()
	everyone := object.union(region_deny_st("StringNotEquals", ["eu-west-1"]), {"Condition": {"ArnNotLike": {"aws:PrincipalArn": "*"}}})
	deny_of(only([everyone])) == {none_msg}
}

test_allow_with_region_condition_is_not_a_restriction if {
	st := {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}
	deny_of(only([st])) == {none_msg}
}

test_operators_and_key_case if {
	deny_with(only([region_deny_st("StringNotEqualsIgnoreCase", ["EU-WEST-1"])]), ["eu-west-1"]) == set()
	deny_with(only([region_deny_st("StringNotEqualsIfExists", ["eu-west-1"])]), ["eu-west-1"]) == set()
	st := {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringNotEquals": {"AWS:requestedRegion": ["eu-west-1"]}}}
	deny_with(only([st]), ["eu-west-1"]) == set()
	deny_of(only([region_deny_st("StringEquals", ["us-east-1"])])) == {none_msg}
}

test_wildcards_are_expanded_over_the_known_regions if {
	deny_with(only([region_deny_st("StringNotLike", ["eu-west-*"])]), ["eu-west-1", "eu-west-2", "eu-west-3"]) == set()
	deny_with(only([region_deny_st("StringNotLike", ["eu-west-*"])]), ["eu-west-1"]) == {open_msg("eu-west-2, eu-west-3")}

	# StringNotEquals compares literally: "eu-*" leaves no real region open
	deny_with(only([region_deny_st("StringNotEquals", ["eu-*"])]), ["eu-west-1"]) == set()

	# a bare wildcard leaves every region open: not a restriction
	deny_of(only([region_deny_st("StringNotLike", ["*"])])) == {none_msg}
}

test_open_regions_are_those_every_restriction_leaves_open if {
	wide := policy("wide", [region_deny_st("StringNotEquals", ["eu-west-1", "us-east-1", "ap-south-1"])])
	narrow := policy("narrow", [region_deny_st("StringNotEquals", ["eu-west-1", "us-east-1"])])
	deny_with(with_chain([level("root", [full_access, wide])]), ["eu-west-1"]) == {open_msg("ap-south-1, us-east-1")}
	deny_with(with_chain([level("root", [full_access, wide]), level("ou", [full_access, narrow])]), ["eu-west-1"]) == {open_msg("us-east-1")}
	deny_with(with_chain([level("root", [full_access, wide]), level("ou", [full_access, narrow])]), ["eu-west-1", "us-east-1"]) == set()
}

test_two_region_entries_in_one_statement_leave_both_open if {
	st := {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}, "StringNotLike": {"aws:RequestedRegion": ["eu-*"]}}}
	deny_with(only([st]), ["us-east-1", "eu-west-1"]) == {open_msg("eu-central-1, eu-central-2, eu-north-1, eu-south-1, eu-south-2, eu-west-2, eu-west-3")}
}

test_management_account_is_exempt if {
	deny_of(data.fixtures.organizations.management) == set()
}

test_unreadable_or_malformed_chain_is_an_error if {
	deny_of(data.fixtures.organizations.scp_unparsable) == set()
	count(error_of(data.fixtures.organizations.scp_unparsable)) == 1
	bad := only([{"Effect": "Deny", "Action": 7, "Resource": "*"}])
	deny_of(bad) == set()
	count(error_of(bad)) > 0
}
