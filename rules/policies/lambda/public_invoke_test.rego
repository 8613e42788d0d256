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
