package vigil.rules.apigateway.public_policy_test

import rego.v1

import data.vigil.rules.apigateway.public_policy

compliant := data.fixtures.apigateway.compliant

private_vpce := data.fixtures.apigateway.private_vpce

public := data.fixtures.apigateway.public_policy

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_policy(doc, statements) := object.union(doc, {"supplementaryConfiguration": {"policy": {"Version": "2012-10-17", "Statement": statements}}})

allow := {"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}

allow_with(extra) := object.union(allow, extra)

deny_unless(condition) := {"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*", "Condition": condition}

open_msg := "REST API orders-rest (k1drhlrj5u): policy statement open lets principal * invoke the API without a source VPC, VPC endpoint, IP or organization condition"

test_org_condition_passes if {
	compliant.supplementaryConfiguration.policy.Statement[0].Condition.StringEquals["aws:PrincipalOrgID"] == "o-a1b2c3d4e5"
	public_policy.deny == set() with input as req(compliant)
	public_policy.error == set() with input as req(compliant)
}

test_no_policy_passes if {
	data.fixtures.apigateway.open_method.supplementaryConfiguration.policy == null
	public_policy.deny == set() with input as req(data.fixtures.apigateway.open_method)
	public_policy.error == set() with input as req(data.fixtures.apigateway.open_method)
}

test_public_policy_fails if {
	public_policy.deny == {"REST API reports-rest (7fpcwabfdc): policy statement anyone lets principal * invoke the API without a source VPC, VPC endpoint, IP or organization condition"} with input as req(public)
}

test_private_api_with_deny_unless_vpc_endpoint_passes if {
	private_vpce.configuration.endpointConfiguration.types == ["PRIVATE"]
	public_policy.deny == set() with input as req(private_vpce)
	public_policy.error == set() with input as req(private_vpce)
}

test_allow_pinned_to_vpc_endpoint_or_vpc_passes if {
	every c in [
		{"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}},
		{"StringEquals": {"aws:sourcevpc": ["vpc-0123456789abcdef0", "vpc-0fedcba9876543210"]}},
		{"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
		{"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}},
		{"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/caller"}},
	] {
		public_policy.deny == set() with input as req(with_policy(compliant, [allow_with({"Condition": c})]))
	}
}

test_conditions_that_pin_nothing_fail if {
	every c in [
		{"StringLike": {"aws:SourceVpce": "vpce-*"}},
		{"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}},
		{"StringEqualsIfExists": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}},
		{"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
		{"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "::/0"]}},
		{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
		{"Bool": {"aws:SecureTransport": "true"}},
		{"IpAddress": {"aws:SourceIp": []}},
	] {
		public_policy.deny == {open_msg} with input as req(with_policy(compliant, [allow_with({"Condition": c})]))
	}
}

test_every_invoke_granting_action_and_public_principal_fails if {
	every extra in [
		{"Action": "execute-api:*"},
		{"Action": "*"},
		{"Action": ["execute-api:InvalidateCache", "EXECUTE-API:INVOKE"]},
		{"Action": "execute-api:Inv*"},
		{"Principal": {"AWS": "*"}},
	] {
		count(public_policy.deny) == 1 with input as req(with_policy(compliant, [allow_with(extra)]))
	}
	public_policy.deny == {"REST API orders-rest (k1drhlrj5u): policy statement open lets principal AWS:* invoke the API without a source VPC, VPC endpoint, IP or organization condition"} with input as req(with_policy(compliant, [allow_with({"Principal": {"AWS": ["*"]}})]))
	not_action := object.union(object.remove(allow, ["Action"]), {"NotAction": "execute-api:InvalidateCache"})
	public_policy.deny == {open_msg} with input as req(with_policy(compliant, [not_action]))
}

test_statements_that_grant_no_public_invoke_pass if {
	every st in [
		allow_with({"Action": "execute-api:InvalidateCache"}),
		allow_with({"Principal": {"AWS": "arn:aws:iam::444455556666:root"}}),
		object.union(object.remove(allow, ["Action"]), {"NotAction": "execute-api:*"}),
		allow_with({"Effect": "Deny"}),
	] {
		public_policy.deny == set() with input as req(with_policy(compliant, [st]))
	}
}

test_deny_guards_of_the_documented_patterns_pass if {
	every g in [
		deny_unless({"StringNotEquals": {"aws:SourceVpce": ["vpce-0a1b2c3d4e5f60718", "vpce-0123"]}}),
		deny_unless({"StringNotEqualsIfExists": {"aws:SourceVpc": "vpc-0123456789abcdef0"}}),
		deny_unless({"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}),
		deny_unless({"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
		deny_unless({"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}, "NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
		object.union(deny_unless({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}), {"Action": "execute-api:*", "Resource": "*"}),
		object.union(deny_unless({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}), {"Resource": "arn:aws:execute-api:eu-west-1:111122223333:k1drhlrj5u/*"}),
		object.union(deny_unless({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}), {"Resource": "arn:aws:execute-api:*:*:*"}),
	] {
		public_policy.deny == set() with input as req(with_policy(compliant, [allow, g]))
	}
}

test_deny_guards_that_leave_a_way_in_fail if {
	every g in [
		# covers only part of the API
		object.union(deny_unless({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}), {"Resource": "execute-api:/prod/GET/admin"}),
		# another API
		object.union(deny_unless({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}), {"Resource": "arn:aws:execute-api:eu-west-1:111122223333:zzzzzzzzzz/*"}),
		# a further condition narrows who is denied
		deny_unless({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}, "Bool": {"aws:SecureTransport": "false"}}),
		# a wildcard value spares everyone
		deny_unless({"StringNotLike": {"aws:SourceVpce": "vpce-*"}}),
		deny_unless({"NotIpAddress": {"aws:SourceIp": "0.0.0.0/0"}}),
		# not every principal, or not invoke, or no condition restricting anything
		object.union(deny_unless({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}), {"Principal": {"AWS": "arn:aws:iam::444455556666:root"}}),
		object.union(deny_unless({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}), {"Action": "execute-api:InvalidateCache"}),
		deny_unless({"StringNotEquals": {"aws:UserAgent": "curl"}}),
		deny_unless({}),
		object.union(object.remove(deny_unless({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}), ["Resource"]), {"NotResource": "execute-api:/prod/GET/admin"}),
	] {
		public_policy.deny == {open_msg} with input as req(with_policy(compliant, [allow, g]))
	}
}

test_deny_covering_a_narrow_allow_passes if {
	narrow := allow_with({"Resource": ["execute-api:/prod/GET/orders", "arn:aws:execute-api:eu-west-1:111122223333:k1drhlrj5u/prod/POST/{proxy+}"]})
	g := object.union(deny_unless({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}), {"Resource": "execute-api:/prod/*"})
	public_policy.deny == set() with input as req(with_policy(compliant, [narrow, g]))
	broad := allow_with({"Resource": ["execute-api:/prod/GET/orders", "execute-api:/dev/GET/orders"]})
	public_policy.deny == {open_msg} with input as req(with_policy(compliant, [broad, g]))
}

test_one_finding_per_open_statement if {
	doc := with_policy(compliant, [
		allow_with({"Sid": "a"}),
		object.remove(allow_with({"Principal": {"AWS": "*"}}), ["Sid"]),
		allow_with({"Sid": "c", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}),
	])
	public_policy.deny == {
		"REST API orders-rest (k1drhlrj5u): policy statement a lets principal * invoke the API without a source VPC, VPC endpoint, IP or organization condition",
		"REST API orders-rest (k1drhlrj5u): policy statement #1 (no Sid) lets principal AWS:* invoke the API without a source VPC, VPC endpoint, IP or organization condition",
	} with input as req(doc)
}

test_not_principal_allow_fails if {
	st := object.union(object.remove(allow, ["Principal"]), {"NotPrincipal": {"AWS": "arn:aws:iam::444455556666:root"}})
	public_policy.deny == {"REST API orders-rest (k1drhlrj5u): policy statement open lets principal * (NotPrincipal) invoke the API without a source VPC, VPC endpoint, IP or organization condition"} with input as req(with_policy(compliant, [st]))
}

test_unreadable_policy_is_an_error if {
	e := {"operation": "GetRestApis", "code": "UnparsablePolicy", "message": "the policy document is not valid JSON"}
	doc := object.union(object.remove(compliant, ["supplementaryConfiguration"]), {
		"supplementaryConfiguration": object.remove(compliant.supplementaryConfiguration, ["policy"]),
		"collectionErrors": {"supplementaryConfiguration.policy": e},
	})
	public_policy.deny == set() with input as req(doc)
	public_policy.error == {"supplementaryConfiguration.policy could not be read: GetRestApis failed with UnparsablePolicy: the policy document is not valid JSON"} with input as req(doc)
}

test_malformed_statement_is_an_error_and_others_still_judged if {
	bad := allow_with({"Sid": "bad", "Action": ["execute-api:Invoke", 5]})
	doc := with_policy(compliant, [bad, allow])
	public_policy.error == {"REST API orders-rest (k1drhlrj5u): the resource policy cannot be judged: statement bad: Action is not a string or a list of strings"} with input as req(doc)
	public_policy.deny == {open_msg} with input as req(doc)
}
