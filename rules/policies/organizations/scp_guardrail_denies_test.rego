package vigil.rules.organizations.scp_guardrail_denies_test

import rego.v1

import data.vigil.lib.scp
import data.vigil.rules.organizations.scp_guardrail_denies as rule

compliant := data.fixtures.organizations.compliant

req(doc) := {
	"resource": doc,
	"account": {"id": doc.resourceId, "name": doc.configuration.name, "email": "", "ouPath": doc.configuration.ouPath, "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

deny_of(doc) := result if {
	result := rule.deny with input as req(doc)
}

full_access := {"id": "p-FullAWSAccess", "name": "FullAWSAccess", "awsManaged": true, "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}

policy(name, statements) := {"id": sprintf("p-%s", [name]), "name": name, "awsManaged": false, "document": {"Version": "2012-10-17", "Statement": statements}}

allow(actions) := {"Effect": "Allow", "Action": actions, "Resource": "*"}

deny_actions(actions) := {"Effect": "Deny", "Action": actions, "Resource": "*"}

level(name, policies) := {"targetId": name, "type": "ORGANIZATIONAL_UNIT", "name": name, "policies": policies}

with_chain(levels) := object.union(compliant, {"supplementaryConfiguration": {"scpChain": levels}})

msg(actions) := sprintf("account 111122223333 (payments-prod): effective SCPs do not deny %s", [actions])

all_three := "organizations:LeaveOrganization, config:StopConfigurationRecorder, config:DeleteConfigurationRecorder"

config_two := "config:StopConfigurationRecorder, config:DeleteConfigurationRecorder"

guardrails := deny_actions(["organizations:LeaveOrganization", "config:StopConfigurationRecorder", "config:DeleteConfigurationRecorder"])

test_denies_at_root_and_ou_pass if {
	deny_of(compliant) == set()
	deny_of(data.fixtures.organizations.no_whitelist) == set()
}

test_missing_config_denies_fail if {
	deny_of(data.fixtures.organizations.missing_config_denies) == {sprintf("account 444455556666 (analytics-dev): effective SCPs do not deny %s", [config_two])}
	deny_of(data.fixtures.organizations.notaction_too_wide) == {sprintf("account 777788889999 (sandbox): effective SCPs do not deny %s", [config_two])}
}

test_account_in_no_organization_fails if {
	deny_of(data.fixtures.organizations.standalone) == {sprintf("account 555566667777 (555566667777): effective SCPs do not deny %s", [all_three])}
}

test_management_account_is_exempt if {
	mgmt := data.fixtures.organizations.management
	deny_of(mgmt) == set()
	member := object.union(mgmt, {"configuration": {"isManagementAccount": false}})
	deny_of(member) == {sprintf("account 999988887777 (org-management): effective SCPs do not deny %s", [config_two])}
}

test_full_access_only_fails_for_all_three if {
	deny_of(with_chain([level("root", [full_access]), level("ou", [full_access])])) == {msg(all_three)}
}

test_deny_at_any_level_counts if {
	deny_of(with_chain([level("root", [full_access]), level("ou", [full_access, policy("g", [guardrails])])])) == set()
	deny_of(with_chain([level("root", [full_access, policy("g", [guardrails])]), level("ou", [full_access])])) == set()
}

test_denies_spread_over_levels_add_up if {
	deny_of(with_chain([
		level("root", [full_access, policy("leave", [deny_actions("organizations:LeaveOrganization")])]),
		level("ou", [full_access, policy("stop", [deny_actions("config:StopConfigurationRecorder")])]),
		level("acct", [full_access, policy("delete", [deny_actions(["config:DeleteConfigurationRecorder"])])]),
	])) == set()
}

test_wildcard_denies if {
	deny_of(with_chain([level("root", [full_access, policy("g", [deny_actions(["organizations:Leave*", "config:Stop*", "config:Delete*"])])])])) == set()
	deny_of(with_chain([level("root", [full_access, policy("g", [deny_actions(["organizations:*", "config:*"])])])])) == set()
	deny_of(with_chain([level("root", [full_access, policy("g", [deny_actions(["organizations:Leave*", "config:*ConfigurationRecorder"])])])])) == set()

	# config:Delete?onfigRule matches neither recorder action
	deny_of(with_chain([level("root", [full_access, policy("g", [deny_actions(["organizations:Leave*", "config:Stop*", "config:Delete?onfigRule"])])])])) == {msg("config:DeleteConfigurationRecorder")}
}

test_actions_are_case_insensitive if {
	deny_of(with_chain([level("root", [full_access, policy("g", [deny_actions(["ORGANIZATIONS:leaveorganization", "Config:StopConfigurationRecorder", "config:deleteconfigurationrecorder"])])])])) == set()
}

test_not_action_deny_blocks_what_it_does_not_list if {
	guard := {"Effect": "Deny", "NotAction": ["lambda:*", "config:Describe*", "config:Put*"], "Resource": "*"}
	deny_of(with_chain([level("root", [full_access, policy("g", [guard])])])) == set()

	# a NotAction list that keeps config:* and organizations:* open blocks none of them
	open_guard := {"Effect": "Deny", "NotAction": ["lambda:*", "config:*", "organizations:*"], "Resource": "*"}
	deny_of(with_chain([level("root", [full_access, policy("g", [open_guard])])])) == {msg(all_three)}
}

test_intersection_blocks_what_a_level_does_not_allow if {
	# the OU whitelist has no organizations and no config: all three are implicitly denied
	deny_of(with_chain([level("root", [full_access]), level("ou", [policy("wl", [allow(["lambda:*", "dynamodb:*"])])])])) == set()

	# config allowed through, organizations not
	deny_of(with_chain([level("root", [full_access]), level("ou", [policy("wl", [allow(["lambda:*", "config:*"])])])])) == {msg(config_two)}
}

test_union_at_one_level_reopens if {
	# one policy of the level allows config, so the level allows it
	deny_of(with_chain([
		level("root", [full_access]),
		level("ou", [policy("a", [allow(["lambda:*"])]), policy("b", [allow(["config:*"])])]),
	])) == {msg(config_two)}
}

test_deny_with_principal_exception_counts if {
	st := object.union(guardrails, {"Condition": {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/OrgAdmin"]}}})
	deny_of(with_chain([level("root", [full_access, policy("g", [st])])])) == set()
	tagged := object.union(guardrails, {"Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "platform"}}})
	deny_of(with_chain([level("root", [full_access, policy("g", [tagged])])])) == set()
}

test_deny_with_other_conditions_does_not_count if {
	st := object.union(guardrails, {"Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}})
	deny_of(with_chain([level("root", [full_access, policy("g", [st])])])) == {msg(all_three)}
	mixed := object.union(guardrails, {"Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrgAdmin"}, "Bool": {"aws:MultiFactorAuthPresent": "false"}}})
	deny_of(with_chain([level("root", [full_access, policy("g", [mixed])])])) == {msg(all_three)}
}

test_allow_with_not_action_does_not_allow_what_it_lists if {
	no_config := {"Effect": "Allow", "NotAction": ["config:*"], "Resource": "*"}
	deny_of(with_chain([level("root", [policy("nc", [no_config])])])) == {msg("organizations:LeaveOrganization")}
}

test_level_with_no_policy_restricts_nothing if {
	deny_of(with_chain([level("root", []), level("ou", [policy("g", [deny_actions("organizations:LeaveOrganization")]), full_access])])) == {msg(config_two)}
}

# scp.action_allowed matches every kind of pattern, and actions that are patterns themselves.
test_action_patterns_of_every_kind if {
	levels := scp.action_levels([level("ou", [policy("p", [allow(["S3:Get*", "lambda:*", "sqs:SendMessage", "ec2:Describe?nstances", "dynamodb:*:x"])])])])
	scp.action_allowed(levels, "s3:GetObject")
	scp.action_allowed(levels, "LAMBDA:InvokeFunction")
	scp.action_allowed(levels, "sqs:sendmessage")
	scp.action_allowed(levels, "ec2:DescribeInstances")
	not scp.action_allowed(levels, "sqs:SendMessageBatch")
	not scp.action_allowed(levels, "s3:PutObject")
	not scp.action_allowed(levels, "dynamodb:GetItem")
	not scp.action_allowed(levels, "ec2")
	scp.action_allowed(levels, "s3:Get*")
	scp.action_allowed(levels, "lambda:Invoke?")
	not scp.action_allowed(levels, "s3:*")
	everything := scp.action_levels([level("ou", [policy("p", [allow(["s3:*", "*"])])])])
	scp.action_allowed(everything, "ec2:RunInstances")
	scp.action_allowed(everything, "ec2")
}

test_not_action_allows_what_it_does_not_list if {
	levels := scp.action_levels([level("ou", [policy("p", [{"Effect": "Allow", "NotAction": ["iam:*", "s3:Delete*"], "Resource": "*"}])])])
	scp.action_allowed(levels, "s3:GetObject")
	not scp.action_allowed(levels, "s3:DeleteBucket")
	not scp.action_allowed(levels, "iam:CreateUser")
	scp.action_allowed(levels, "organizations:LeaveOrganization")
}

error_of(doc) := result if {
	result := rule.error with input as req(doc)
}

# Published SCPs (see the `_source` of each policy in the fixtures).

# primeharbor/aws-service-control-policies Policies/Sec-RootUsage.md: `Deny *` for callers
# matching `StringLike aws:PrincipalArn arn:aws:iam::*:root`. Every other caller may still
# leave the organization or stop the recorder (issue 12, item 6).
test_root_user_deny_does_not_count if {
	doc := data.fixtures.organizations.root_user_deny_only
	deny_of(doc) == {sprintf("account 333344445555 (sandbox-root-guard): effective SCPs do not deny %s", [all_three])}
	error_of(doc) == set()
}

# primeharbor Sec-AccountTakeOverProtections.json (unconditional DenyLeaveOrganization) and
# aws-samples Deny-enabling-and-disabling-AWS-Config.json (Deny with an ArnNotLike
# aws:PrincipalARN exemption of a privileged role).
test_published_guardrails_pass if {
	doc := data.fixtures.organizations.published_guardrails
	deny_of(doc) == set()
	error_of(doc) == set()
}

# MechanicalRock's guardrail-deny-all (Quarantine/Deny-all OU): `Deny *`, no condition.
test_quarantine_deny_all_counts if {
	deny_of(data.fixtures.organizations.quarantine) == set()
}

# aws-samples/service-control-policy-examples
# Privileged-access-controls/Deny-the-root-user-from-performing-actions-except-S3-bucketpolicy-changes.json
# (commit 4a0774b8), verbatim: a NotAction Deny for the root user only.
root_user_except_s3 := {
	"Version": "2012-10-17",
	"Statement": [{
		"Effect": "Deny",
		"NotAction": ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
		"Resource": "*",
		"Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
	}],
}

# primeharbor/aws-service-control-policies Policies/Gov-PreSuspendedAccounts.md (commit
# 80bb73f3), verbatim: a NotAction Deny with an ArnNotLike exemption of named roles.
pre_suspended := {
	"Version": "2012-10-17",
	"Statement": [{
		"Sid": "PreventActionsInSuspendedOU",
		"Effect": "Deny",
		"NotAction": ["support:*", "ce:*", "aws-portal:ViewBilling", "budgets:*"],
		"Resource": ["*"],
		"Condition": {"ArnNotLike": {"aws:PrincipalArn": [
			"arn:aws:iam::*:role/security-audit",
			"arn:aws:iam::*:role/OrganizationAccountAccessRole",
			"arn:aws:iam::*:role/stacksets-exec-*",
			"arn:aws:iam::*:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
		]}},
	}],
}

scp_of(name, document) := {"id": sprintf("p-%s", [name]), "name": name, "awsManaged": false, "document": document}

test_published_root_user_not_action_deny_does_not_count if {
	deny_of(with_chain([level("root", [full_access, scp_of("root-except-s3", root_user_except_s3)])])) == {msg(all_three)}
}

test_published_exemption_of_named_roles_counts if {
	deny_of(with_chain([level("root", [full_access]), level("suspended", [full_access, scp_of("pre-suspended", pre_suspended)])])) == set()
}

# Only negated operators on keys naming the caller exempt; positive ones select the callers
# the Deny applies to and leave everyone else free.
test_exempting_operators_count if {
	every op in ["ArnNotLike", "ArnNotEquals", "StringNotLike", "StringNotEquals", "StringNotEqualsIgnoreCase", "ArnNotLikeIfExists", "StringNotEqualsIfExists"] {
		st := object.union(guardrails, {"Condition": {op: {"aws:PrincipalArn": "arn:aws:iam::*:role/OrgAdmin"}}})
		deny_of(with_chain([level("root", [full_access, policy("g", [st])])])) == set()
	}
	every key in ["aws:PrincipalAccount", "aws:PrincipalTag/team", "aws:PrincipalOrgPaths", "AWS:PRINCIPALARN", "aws:userid"] {
		st := object.union(guardrails, {"Condition": {"StringNotEquals": {key: "x"}}})
		deny_of(with_chain([level("root", [full_access, policy("g", [st])])])) == set()
	}
}

test_conditions_selecting_callers_do_not_count if {
	every condition in [
		{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
		{"StringLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}},
		{"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:root"}},
		{"StringEquals": {"aws:PrincipalAccount": "111122223333"}},
		{"Bool": {"aws:PrincipalIsAWSService": "false"}},
		{"Null": {"aws:PrincipalTag/team": "true"}},
		{"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
		{"ArnNotLike": {"aws:PrincipalArn": "*"}},
		{"StringNotLike": {"aws:PrincipalArn": []}},
	] {
		st := object.union(guardrails, {"Condition": condition})
		deny_of(with_chain([level("root", [full_access, policy("g", [st])])])) == {msg(all_three)}
	}
}

# Issue 12, item 1: a chain that could not be read (an SCP that is not JSON) is not "no SCP".
test_unreadable_chain_is_an_error if {
	doc := data.fixtures.organizations.scp_unparsable
	deny_of(doc) == set()
	error_of(doc) == {"supplementaryConfiguration.scpChain could not be read: DescribePolicy failed with UnparsablePolicy: SCP p-10broken: the policy document is not valid JSON: number out of range at line 1 column 92"}
}

test_management_account_has_no_error if {
	doc := object.union(data.fixtures.organizations.scp_unparsable, {"configuration": {"isManagementAccount": true}})
	error_of(doc) == set()
}

# Issue 12, item 2: an SCP without the IAM grammar's shape makes the chain unknown.
test_malformed_scp_is_an_error if {
	bad := deny_actions(["organizations:LeaveOrganization", 7])
	doc := with_chain([level("root", [full_access, policy("g", [bad])]), level("ou", [full_access])])
	deny_of(doc) == set()
	error_of(doc) == {"account 111122223333 (payments-prod): the SCP chain cannot be judged: ORGANIZATIONAL_UNIT root: SCP g (p-g): statement #0 (no Sid): Action is not a string or a list of strings"}
}

test_chain_of_the_wrong_shape_is_an_error if {
	error_of(with_chain("Root")) == {"account 111122223333 (payments-prod): the SCP chain cannot be judged: scpChain is not a list of levels"}
	error_of(with_chain([level("root", [full_access]), "ou"])) == {"account 111122223333 (payments-prod): the SCP chain cannot be judged: level #1 is not an object"}
	error_of(with_chain([{"type": "ROOT", "name": "Root", "policies": {"p": full_access}}])) == {"account 111122223333 (payments-prod): the SCP chain cannot be judged: ROOT Root: policies is not a list"}
	error_of(with_chain([level("root", [full_access, {"id": "p-x", "name": "x", "document": "{oops"}])])) == {"account 111122223333 (payments-prod): the SCP chain cannot be judged: ORGANIZATIONAL_UNIT root: SCP x (p-x): the policy document is \"{oops\", not a JSON object"}
}

test_every_fixture_chain_is_well_formed if {
	every name in ["compliant", "management", "missing_config_denies", "no_whitelist", "notaction_too_wide", "standalone", "root_user_deny_only", "quarantine", "published_guardrails"] {
		error_of(data.fixtures.organizations[name]) == set()
	}
}
