package vigil.rules.lambda.public_invoke_test

import rego.v1

import data.vigil.rules.lambda.public_invoke

compliant := data.fixtures.lambda.compliant

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "r-ab12/ou-ab12-prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

# compliant with its resource policy statements replaced
with_statements(statements) := object.union(compliant, {"supplementaryConfiguration": {"policy": {"Statement": statements}}})

allow(principal, action) := {
	"Sid": "s1",
	"Effect": "Allow",
	"Principal": principal,
	"Action": action,
	"Resource": compliant.arn,
}

deny_of(statements) := result if {
	result := public_invoke.deny with input as req(with_statements(statements))
}

msg(sid, principal, actions) := sprintf("function orders-api: statement %s lets principal %s call %s without a source account, source ARN or organization condition", [sid, principal, actions])

test_service_principal_with_source_arn_passes if {
	public_invoke.deny == set() with input as req(compliant)
}

test_service_principal_without_condition_is_not_flagged if {
	deny_of([allow({"Service": "s3.amazonaws.com"}, "lambda:InvokeFunction")]) == set()
}

test_no_policy_passes if {
	doc := object.union(compliant, {"supplementaryConfiguration": {"policy": null}})
	public_invoke.deny == set() with input as req(doc)
}

test_star_principal_single_statement_object_fails if {
	is_object(data.fixtures.lambda.public_invoke.supplementaryConfiguration.policy.Statement)
	public_invoke.deny == {"function public-webhook: statement public-invoke lets principal * call lambda:InvokeFunction without a source account, source ARN or organization condition"} with input as req(data.fixtures.lambda.public_invoke)
}

test_aws_star_principal_fails if {
	deny_of([allow({"AWS": "*"}, "lambda:InvokeFunction")]) == {msg("s1", "AWS:*", "lambda:InvokeFunction")}
}

test_aws_star_in_principal_list_fails if {
	deny_of([allow({"AWS": ["arn:aws:iam::444455556666:root", "*"]}, "lambda:InvokeFunction")]) == {msg("s1", "AWS:*", "lambda:InvokeFunction")}
}

test_specific_account_principal_passes if {
	deny_of([allow({"AWS": "arn:aws:iam::444455556666:root"}, "lambda:InvokeFunction")]) == set()
	deny_of([allow({"AWS": ["arn:aws:iam::444455556666:root"]}, "lambda:InvokeFunction")]) == set()
}

test_deny_statement_passes if {
	st := object.union(allow("*", "lambda:InvokeFunction"), {"Effect": "Deny"})
	deny_of([st]) == set()
}

test_non_invoke_action_passes if {
	deny_of([allow("*", "lambda:GetFunction")]) == set()
	deny_of([allow("*", ["lambda:GetFunction", "lambda:GetPolicy"])]) == set()
	deny_of([allow("*", "lambda:Get*")]) == set()
}

test_function_url_action_fails if {
	deny_of([allow("*", "lambda:InvokeFunctionUrl")]) == {msg("s1", "*", "lambda:InvokeFunctionUrl")}
}

test_action_wildcards_fail if {
	both := "lambda:InvokeFunction, lambda:InvokeFunctionUrl"
	deny_of([allow("*", "*")]) == {msg("s1", "*", both)}
	deny_of([allow("*", "lambda:*")]) == {msg("s1", "*", both)}
	deny_of([allow("*", "lambda:Invoke*")]) == {msg("s1", "*", both)}
	deny_of([allow("*", "lambda:InvokeFunction?rl")]) == {msg("s1", "*", "lambda:InvokeFunctionUrl")}
	deny_of([allow("*", "lambda:*Url")]) == {msg("s1", "*", "lambda:InvokeFunctionUrl")}
	deny_of([allow("*", "lambda:InvokeFunction[U]rl")]) == {msg("s1", "*", "lambda:InvokeFunctionUrl")}
	deny_of([allow("*", "lambda:Invoke{Function,X}")]) == {msg("s1", "*", "lambda:InvokeFunction")}
}

test_action_prefixes_and_near_misses_pass if {
	deny_of([allow("*", "lambda:InvokeFunctio")]) == set()
	deny_of([allow("*", "lambda:InvokeFunctionUrl2")]) == set()
	deny_of([allow("*", "lambda:Invoke")]) == set()
	deny_of([allow("*", "lambda:Invoke**x")]) == set()
	deny_of([allow("*", "lambda:Invoke[X]*")]) == set()
	deny_of([allow("*", "*lambda:InvokeFunction")]) == {msg("s1", "*", "lambda:InvokeFunction")}
}

test_action_case_insensitive_in_list_fails if {
	deny_of([allow("*", ["s3:GetObject", "LAMBDA:INVOKEFUNCTION"])]) == {msg("s1", "*", "lambda:InvokeFunction")}
}

test_not_action_fails_when_invoke_not_excluded if {
	st := object.union(object.remove(allow("*", ""), ["Action"]), {"NotAction": ["lambda:GetFunction"]})
	deny_of([st]) == {msg("s1", "*", "lambda:InvokeFunction, lambda:InvokeFunctionUrl")}
}

test_not_action_excluding_invoke_passes if {
	st := object.union(object.remove(allow("*", ""), ["Action"]), {"NotAction": "lambda:Invoke*"})
	deny_of([st]) == set()
}

test_every_restricting_condition_key_exempts if {
	every key in ["aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn"] {
		st := object.union(allow("*", "lambda:InvokeFunction"), {"Condition": {"StringEquals": {key: "111122223333"}}})
		deny_of([st]) == set()
	}
}

test_condition_key_case_insensitive if {
	st := object.union(allow("*", "lambda:InvokeFunction"), {"Condition": {"ArnLike": {"AWS:SOURCEARN": "arn:aws:s3:::orders-bucket"}}})
	deny_of([st]) == set()
}

test_restricting_key_under_second_operator_exempts if {
	st := object.union(allow("*", "lambda:InvokeFunction"), {"Condition": {
		"Bool": {"aws:SecureTransport": "true"},
		"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
	}})
	deny_of([st]) == set()
}

test_unrelated_condition_does_not_exempt if {
	is_object(data.fixtures.lambda.url_public.supplementaryConfiguration.policy.Statement[0].Condition)
	public_invoke.deny == {"function status-page: statement FunctionURLAllowPublicAccess lets principal * call lambda:InvokeFunctionUrl without a source account, source ARN or organization condition"} with input as req(data.fixtures.lambda.url_public)
}

test_statement_without_sid_is_named_by_position if {
	service := allow({"Service": "apigateway.amazonaws.com"}, "lambda:InvokeFunction")
	anonymous := object.remove(allow("*", "lambda:InvokeFunction"), ["Sid"])
	deny_of([service, anonymous]) == {msg("#1 (no Sid)", "*", "lambda:InvokeFunction")}
}

test_each_public_statement_is_one_finding if {
	a := object.union(allow("*", "lambda:InvokeFunction"), {"Sid": "a"})
	b := object.union(allow({"AWS": "*"}, "lambda:InvokeFunctionUrl"), {"Sid": "b"})
	deny_of([a, b]) == {msg("a", "*", "lambda:InvokeFunction"), msg("b", "AWS:*", "lambda:InvokeFunctionUrl")}
}

error_of(statements) := result if {
	result := public_invoke.error with input as req(with_statements(statements))
}

# Issue 12, item 5: conditions on a caller key that still let anyone invoke.
test_conditions_that_restrict_nothing_fail if {
	every condition in [
		{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}},
		{"StringNotEquals": {"aws:PrincipalAccount": "000000000000"}},
		{"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}},
		{"Null": {"aws:PrincipalArn": "false"}},
		{"StringLike": {"aws:SourceAccount": "*"}},
		{"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
		{"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:eu-west-1:*:a1b2c3d4e5/*"}},
	] {
		st := object.union(allow("*", "lambda:InvokeFunction"), {"Condition": condition})
		deny_of([st]) == {msg("s1", "*", "lambda:InvokeFunction")}
	}
}

# An S3 source ARN names a bucket, and bucket names carry no account: with a source account the
# statement is restricted, without one a wildcard bucket is anyone's.
test_s3_source_arn_wildcard_needs_a_source_account if {
	wildcard := {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}
	deny_of([object.union(allow("*", "lambda:InvokeFunction"), {"Condition": wildcard})]) == {msg("s1", "*", "lambda:InvokeFunction")}
	with_account := object.union(wildcard, {"StringEquals": {"aws:SourceAccount": "111122223333"}})
	deny_of([object.union(allow("*", "lambda:InvokeFunction"), {"Condition": with_account})]) == set()
}

test_source_arn_pinned_to_one_account_passes if {
	st := object.union(allow("*", "lambda:InvokeFunction"), {"Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/*/POST/orders"}}})
	deny_of([st]) == set()
}

test_not_principal_allow_fails if {
	st := object.union(object.remove(allow("*", "lambda:InvokeFunction"), ["Principal"]), {"NotPrincipal": {"AWS": "arn:aws:iam::444455556666:root"}})
	deny_of([st]) == {msg("s1", "* (NotPrincipal)", "lambda:InvokeFunction")}
}

# Issue 12, item 3: a permission added to an alias or version shows only in that qualifier's
# policy.
test_public_alias_policy_fails if {
	doc := data.fixtures.lambda.alias_public
	public_invoke.deny == {"function checkout (qualifier live): statement alias-public lets principal * call lambda:InvokeFunction without a source account, source ARN or organization condition"} with input as req(doc)
	public_invoke.error == set() with input as req(doc)
}

test_qualifier_policies_are_judged_like_the_function_policy if {
	qualified := {"Statement": [object.union(allow("*", "lambda:InvokeFunctionUrl"), {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}})]}
	public := {"Statement": [allow({"AWS": "*"}, "lambda:*")]}
	doc := object.union(compliant, {"supplementaryConfiguration": {"qualifierPolicies": {"blue": qualified, "7": public, "green": null}}})
	public_invoke.deny == {"function orders-api (qualifier 7): statement s1 lets principal AWS:* call lambda:InvokeFunction, lambda:InvokeFunctionUrl without a source account, source ARN or organization condition"} with input as req(doc)
}

# Issue 12, item 2: a statement without the IAM grammar's shape is an error, not a silent pass.
test_action_list_holding_a_number_is_an_error if {
	st := allow("*", ["lambda:InvokeFunction", 5])
	deny_of([st]) == set()
	error_of([st]) == {"function orders-api: the resource policy cannot be judged: statement s1: Action is not a string or a list of strings"}
}

test_malformed_qualifier_policy_is_an_error if {
	doc := object.union(compliant, {"supplementaryConfiguration": {"qualifierPolicies": {"live": {"Statement": [object.union(allow("*", "lambda:InvokeFunction"), {"Effect": "allow"})]}}}})
	public_invoke.deny == set() with input as req(doc)
	public_invoke.error == {"function orders-api (qualifier live): the resource policy cannot be judged: statement s1: Effect is \"allow\", not \"Allow\" or \"Deny\""} with input as req(doc)
}

test_well_formed_policies_have_no_error if {
	every name in ["compliant", "public_invoke", "url_public", "container_image", "vpc_attached", "env_no_kms", "runtime_deprecated"] {
		public_invoke.error == set() with input as req(data.fixtures.lambda[name])
	}
}

# Issue 12, item 1: a policy that could not be read is not "no policy".
test_unreadable_policy_is_an_error if {
	doc := data.fixtures.lambda.policy_unreadable
	public_invoke.deny == set() with input as req(doc)
	public_invoke.error == {"supplementaryConfiguration.policy could not be read: GetPolicy failed with AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/VigilAuditRole/vigil is not authorized to perform: lambda:GetPolicy on resource: arn:aws:lambda:eu-west-1:111122223333:function:ledger-sync with an explicit deny in a resource-based policy"} with input as req(doc)
}

test_unreadable_qualifier_policy_is_an_error if {
	e := {"operation": "GetPolicy", "code": "ThrottlingException", "message": "Rate exceeded"}
	doc := object.union(compliant, {"collectionErrors": {"supplementaryConfiguration.qualifierPolicies.live": e}})
	public_invoke.error == {"supplementaryConfiguration.qualifierPolicies.live could not be read: GetPolicy failed with ThrottlingException: Rate exceeded"} with input as req(doc)
	listing := object.union(compliant, {"collectionErrors": {"supplementaryConfiguration.qualifierPolicies": object.union(e, {"operation": "ListAliases"})}})
	public_invoke.error == {"supplementaryConfiguration.qualifierPolicies could not be read: ListAliases failed with ThrottlingException: Rate exceeded"} with input as req(listing)
}

test_errors_of_other_fields_are_not_this_rules_business if {
	e := {"operation": "ListTags", "code": "AccessDeniedException", "message": "denied"}
	doc := object.union(compliant, {"collectionErrors": {"tags": e, "supplementaryConfiguration.functionUrlConfigs": e}})
	public_invoke.error == set() with input as req(doc)
}
