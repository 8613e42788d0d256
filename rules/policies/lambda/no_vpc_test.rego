package vigil.rules.lambda.no_vpc_test

import rego.v1

import data.vigil.rules.lambda.no_vpc

compliant := data.fixtures.lambda.compliant

attached := data.fixtures.lambda.vpc_attached

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "r-ab12/ou-ab12-prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

attached_msg := "function orders-worker is attached to VPC vpc-0a1b2c3d4e5f67890 through 2 subnet(s): subnet-0a1b2c3d4e5f60718, subnet-0f1e2d3c4b5a69788"

test_default_policy_is_forbid if {
	data.vigil.params.lambda.vpc_policy == "forbid"
}

test_forbid_passes_without_vpc if {
	no_vpc.deny == set() with input as req(compliant)
}

test_forbid_fails_when_attached if {
	no_vpc.deny == {attached_msg} with input as req(attached)
}

test_forbid_fails_when_params_missing if {
	no_vpc.deny == {attached_msg} with input as req(attached)
		with data.vigil.params as {}
}

test_forbid_exempts_allowed_name if {
	no_vpc.deny == set() with input as req(attached)
		with data.vigil.params.lambda.vpc_allowed as ["other-fn", "orders-worker"]
}

test_forbid_exempts_allowed_arn if {
	no_vpc.deny == set() with input as req(attached)
		with data.vigil.params.lambda.vpc_allowed as [attached.arn]
}

test_forbid_other_allowed_name_does_not_exempt if {
	no_vpc.deny == {attached_msg} with input as req(attached)
		with data.vigil.params.lambda.vpc_allowed as ["orders-api"]
}

test_forbid_names_unknown_vpc_id if {
	doc := object.union(attached, {"configuration": {"vpcConfig": {"subnetIds": ["subnet-1"], "vpcId": null}}})
	no_vpc.deny == {"function orders-worker is attached to VPC (unknown VPC id) through 1 subnet(s): subnet-1"} with input as req(doc)
}

test_forbid_passes_with_null_subnets if {
	doc := object.union(compliant, {"configuration": {"vpcConfig": {"subnetIds": null}}})
	no_vpc.deny == set() with input as req(doc)
}

test_require_fails_without_vpc if {
	no_vpc.deny == {"function orders-api is not attached to a VPC (params.lambda.vpc_policy is require)"} with input as req(compliant)
		with data.vigil.params.lambda.vpc_policy as "require"
}

test_require_passes_when_attached if {
	no_vpc.deny == set() with input as req(attached)
		with data.vigil.params.lambda.vpc_policy as "require"
}

test_require_exempts_allowed_name if {
	no_vpc.deny == set() with input as req(compliant)
		with data.vigil.params.lambda.vpc_policy as "require"
		with data.vigil.params.lambda.vpc_allowed as ["orders-api"]
}

test_ignore_passes_attached_and_detached if {
	no_vpc.deny == set() with input as req(attached)
		with data.vigil.params.lambda.vpc_policy as "ignore"
	no_vpc.deny == set() with input as req(compliant)
		with data.vigil.params.lambda.vpc_policy as "ignore"
}

test_unknown_policy_fails_closed if {
	no_vpc.deny == {`params.lambda.vpc_policy is "forbidden"; expected forbid, require or ignore`} with input as req(compliant)
		with data.vigil.params.lambda.vpc_policy as "forbidden"
}
