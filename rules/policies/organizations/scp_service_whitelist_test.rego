package vigil.rules.organizations.scp_service_whitelist_test

import rego.v1

import data.vigil.rules.organizations.scp_service_whitelist as rule

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

deny_all_but(actions) := {"Effect": "Deny", "NotAction": actions, "Resource": "*"}

level(name, policies) := {"targetId": name, "type": "ORGANIZATIONAL_UNIT", "name": name, "policies": policies}

# The compliant account (payments-prod, 111122223333) with another chain.
with_chain(levels) := object.union(compliant, {"supplementaryConfiguration": {"scpChain": levels}})

extra_msg(services) := sprintf("account 111122223333 (payments-prod): effective SCPs allow services outside allowed_services: %s", [services])

no_whitelist_msg := "account 111122223333 (payments-prod): no SCP whitelist between the root and the account: every service is allowed, not only the 24 allowed services"

platform := [
	"lambda:*", "apigateway:*", "execute-api:*", "dynamodb:*", "kms:*", "sns:*", "sqs:*", "events:*",
	"states:*", "s3:*", "logs:*", "cloudwatch:*", "xray:*", "config:*", "cloudtrail:*", "iam:*", "sts:*",
	"organizations:*", "cloudformation:*", "ssm:*", "secretsmanager:*", "tag:*", "health:*", "support:*",
]

test_fixture_chain_is_what_the_collector_builds if {
	[l.type | some l in compliant.supplementaryConfiguration.scpChain] == ["ROOT", "ORGANIZATIONAL_UNIT", "ORGANIZATIONAL_UNIT", "ACCOUNT"]
	[l.name | some l in compliant.supplementaryConfiguration.scpChain] == ["Root", "Workloads", "Prod", "payments-prod"]
}

test_whitelist_at_an_ou_passes if {
	deny_of(compliant) == set()
}

test_no_whitelist_fails if {
	deny_of(data.fixtures.organizations.no_whitelist) == {"account 222233334444 (legacy-app): no SCP whitelist between the root and the account: every service is allowed, not only the 24 allowed services"}
}

test_account_in_no_organization_fails if {
	deny_of(data.fixtures.organizations.standalone) == {"account 555566667777 (555566667777) is in no organization: no SCP limits it to the 24 allowed services"}
}

test_not_action_deny_whitelist_too_wide_fails if {
	deny_of(data.fixtures.organizations.notaction_too_wide) == {"account 777788889999 (sandbox): effective SCPs allow services outside allowed_services: ec2, rds"}
}

test_not_action_deny_whitelist_within_params_passes if {
	rule.deny == set() with input as req(data.fixtures.organizations.notaction_too_wide)
		with data.vigil.params.allowed_services as array.concat(data.vigil.params.allowed_services, ["ec2", "RDS"])
}

test_intersection_across_levels_drops_what_one_level_does_not_allow if {
	# analytics-data allows athena and glue at the account, the OU whitelist does not
	deny_of(data.fixtures.organizations.missing_config_denies) == set()
}

test_management_account_is_exempt if {
	mgmt := data.fixtures.organizations.management
	deny_of(mgmt) == set()

	# the same chain on a member account is no whitelist at all
	member := object.union(mgmt, {"configuration": {"isManagementAccount": false}})
	deny_of(member) == {"account 999988887777 (org-management): no SCP whitelist between the root and the account: every service is allowed, not only the 24 allowed services"}
}

test_union_of_policies_at_one_level if {
	deny_of(with_chain([
		level("root", [full_access]),
		level("ou", [policy("a", [allow(["lambda:*"])]), policy("b", [allow(["dynamodb:*", "ec2:*"])])]),
	])) == {extra_msg("ec2")}
}

test_union_of_statements_in_one_policy if {
	deny_of(with_chain([level("ou", [policy("a", [allow(["lambda:*"]), allow("glue:*")])])])) == {extra_msg("glue")}
}

test_intersection_across_levels if {
	# ec2 is allowed at one level only, rds at the other only: neither gets through
	deny_of(with_chain([
		level("root", [policy("a", [allow(["lambda:*", "ec2:*"])])]),
		level("ou", [policy("b", [allow(["lambda:*", "rds:*"])])]),
	])) == set()

	deny_of(with_chain([
		level("root", [policy("a", [allow(["lambda:*", "ec2:*"])])]),
		level("ou", [policy("b", [allow(["lambda:*", "ec2:RunInstances"])])]),
	])) == {extra_msg("ec2")}
}

test_whitelist_at_the_account_level_bounds_the_chain if {
	deny_of(with_chain([
		level("root", [full_access]),
		level("ou", [full_access]),
		{"targetId": "111122223333", "type": "ACCOUNT", "name": "payments-prod", "policies": [policy("acct", [allow(platform)])]},
	])) == set()
}

test_deny_of_a_whole_service_removes_it if {
	deny_of(with_chain([
		level("root", [full_access, policy("no-ec2", [deny_actions(["ec2:*", "RDS:*"])])]),
		level("ou", [policy("wl", [allow(array.concat(platform, ["ec2:*", "rds:*"]))])]),
	])) == set()
}

test_deny_of_some_actions_leaves_the_service_allowed if {
	deny_of(with_chain([
		level("root", [full_access, policy("no-ec2-run", [deny_actions(["ec2:RunInstances", "ec2:Describe*"])])]),
		level("ou", [policy("wl", [allow(array.concat(platform, ["ec2:*"]))])]),
	])) == {extra_msg("ec2")}
}

test_deny_star_removes_everything if {
	deny_of(with_chain([
		level("root", [full_access, policy("frozen", [deny_actions("*")])]),
		level("ou", [policy("wl", [allow(["ec2:*"])])]),
	])) == set()
}

test_conditional_deny_does_not_remove_a_service if {
	st := object.union(deny_actions("ec2:*"), {"Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}})
	deny_of(with_chain([
		level("root", [full_access, policy("ec2-region", [st])]),
		level("ou", [policy("wl", [allow(array.concat(platform, ["ec2:*"]))])]),
	])) == {extra_msg("ec2")}
}

test_not_action_deny_is_a_whitelist if {
	deny_of(with_chain([
		level("root", [full_access]),
		level("ou", [full_access, policy("guard", [deny_all_but(array.concat(platform, ["athena:*", "glue:Get*"]))])]),
	])) == {extra_msg("athena, glue")}
}

test_not_action_deny_within_the_whitelist_passes if {
	deny_of(with_chain([
		level("root", [full_access, policy("guard", [deny_all_but(["lambda:*", "dynamodb:*", "s3:GetObject"])])]),
		level("ou", [full_access]),
	])) == set()
}

test_conditional_not_action_deny_is_no_whitelist if {
	# the usual region guardrail: it limits where, not which services
	st := object.union(deny_all_but(["iam:*", "organizations:*", "sts:*"]), {"Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}})
	deny_of(with_chain([level("root", [full_access, policy("regions", [st])])])) == {no_whitelist_msg}
}

test_not_action_deny_with_service_wildcard_is_no_whitelist if {
	deny_of(with_chain([level("root", [full_access, policy("guard", [deny_all_but(["*:Describe*", "lambda:*"])])])])) == {no_whitelist_msg}
}

test_wildcard_allows if {
	# an action wildcard still names its service
	deny_of(with_chain([level("ou", [policy("wl", [allow(["dynamodb:Describe*", "ec2:Describe*", "lambda:Get?unction"])])])])) == {extra_msg("ec2")}

	# a service wildcard names no service: the level bounds nothing
	deny_of(with_chain([level("ou", [policy("wl", [allow(["*:Describe*"])])])])) == {no_whitelist_msg}
	deny_of(with_chain([level("ou", [policy("wl", [allow(["ec*:*"])])])])) == {no_whitelist_msg}
	deny_of(with_chain([level("ou", [policy("wl", [allow(["*"])])])])) == {no_whitelist_msg}
}

test_service_wildcard_allow_is_bounded_by_another_level if {
	deny_of(with_chain([
		level("root", [policy("any-describe", [allow(["*:Describe*"])])]),
		level("ou", [policy("wl", [allow(["ec2:Describe*", "lambda:*"])])]),
	])) == {extra_msg("ec2")}
}

test_allow_with_not_action_is_no_whitelist_at_its_level if {
	everything_but_iam := {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}
	deny_of(with_chain([level("root", [policy("no-iam", [everything_but_iam])])])) == {no_whitelist_msg}

	# and at service level it lets through what it does not list
	deny_of(with_chain([
		level("root", [policy("no-iam", [everything_but_iam])]),
		level("ou", [policy("wl", [allow(["iam:*", "ec2:*", "lambda:*"])])]),
	])) == {extra_msg("ec2")}
}

test_actions_are_case_insensitive if {
	deny_of(with_chain([level("ou", [policy("wl", [allow(["Lambda:*", "EC2:Describe*"])])])])) == {extra_msg("ec2")}
}

test_single_statement_object_and_single_action_string if {
	p := {"id": "p-one", "name": "one", "awsManaged": false, "document": {"Statement": {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}}}
	deny_of(with_chain([level("ou", [p])])) == {extra_msg("sagemaker")}
}

test_level_with_no_policy_restricts_nothing if {
	deny_of(with_chain([level("root", []), level("ou", [policy("wl", [allow(["lambda:*", "ec2:*"])])])])) == {extra_msg("ec2")}
	deny_of(with_chain([level("root", [])])) == {no_whitelist_msg}
}

test_level_with_only_a_deny_allows_nothing if {
	deny_of(with_chain([
		level("root", [full_access]),
		level("ou", [policy("only-deny", [deny_actions("ec2:*")])]),
	])) == set()
}

error_of(doc) := result if {
	result := rule.error with input as req(doc)
}

# Issue 12, item 6: a quarantined account (MechanicalRock's guardrail-deny-all, `Deny *` with
# no condition, attached to the account) is allowed no service at all.
test_quarantine_at_the_account_passes if {
	doc := data.fixtures.organizations.quarantine
	deny_of(doc) == set()
	error_of(doc) == set()
}

test_unconditional_deny_of_everything_at_any_level_passes if {
	every deny_all in [deny_actions("*"), deny_actions(["*"]), deny_actions("*:*"), deny_actions(["lambda:*", "*"])] {
		deny_of(with_chain([level("root", [full_access]), level("ou", [full_access, policy("q", [deny_all])])])) == set()
		deny_of(with_chain([level("root", [full_access, policy("q", [deny_all])]), level("ou", [full_access])])) == set()
	}
}

# A Deny of everything that spares some callers (the Secure Environment Accelerator's
# quarantine SCP exempts its own roles) still lets those callers use every service.
test_deny_of_everything_with_exemptions_is_no_whitelist if {
	st := object.union(deny_actions("*"), {"Condition": {"ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/AWSCloudFormationStackSetExecutionRole"]}}})
	deny_of(with_chain([level("root", [full_access]), level("ou", [full_access, policy("q", [st])])])) == {no_whitelist_msg}
}

test_published_guardrails_with_a_whitelist_pass if {
	deny_of(data.fixtures.organizations.published_guardrails) == set()
	deny_of(data.fixtures.organizations.root_user_deny_only) == set()
}

# Issue 12, item 1: a chain that could not be read is not "in no organization".
test_unreadable_chain_is_an_error if {
	doc := data.fixtures.organizations.scp_unparsable
	deny_of(doc) == set()
	error_of(doc) == {"supplementaryConfiguration.scpChain could not be read: DescribePolicy failed with UnparsablePolicy: SCP p-10broken: the policy document is not valid JSON: number out of range at line 1 column 92"}
}

# Issue 12, item 2: an Allow whose Action list holds a number must not narrow the whitelist
# silently.
test_malformed_scp_is_an_error if {
	doc := with_chain([level("root", [full_access]), level("ou", [policy("wl", [allow(["lambda:*", 7]), {"Effect": "Allow", "Action": "ec2:*"}])])])
	deny_of(doc) == set()
	error_of(doc) == {
		"account 111122223333 (payments-prod): the SCP chain cannot be judged: ORGANIZATIONAL_UNIT ou: SCP wl (p-wl): statement #0 (no Sid): Action is not a string or a list of strings",
	}
}

test_every_fixture_chain_is_well_formed if {
	every name in ["compliant", "management", "missing_config_denies", "no_whitelist", "notaction_too_wide", "standalone", "root_user_deny_only", "quarantine", "published_guardrails"] {
		error_of(data.fixtures.organizations[name]) == set()
	}
}
