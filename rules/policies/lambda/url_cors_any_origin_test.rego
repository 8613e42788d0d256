package vigil.rules.lambda.url_cors_any_origin_test

import rego.v1

import data.vigil.rules.lambda.url_cors_any_origin

compliant := data.fixtures.lambda.compliant

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_urls(configs) := object.union(compliant, {"supplementaryConfiguration": {"functionUrlConfigs": configs}})

cors(origins) := {"allowOrigins": origins, "allowMethods": ["GET"], "allowHeaders": [], "allowCredentials": false}

url(auth, qualifier, c) := {
	"functionUrl": "https://abc.lambda-url.eu-west-1.on.aws/",
	"authType": auth,
	"invokeMode": "BUFFERED",
	"qualifier": qualifier,
	"cors": c,
}

test_public_url_with_any_origin_fails if {
	url_cors_any_origin.deny == {"function status-widget has function URL https://v3c9x1b7n5m2k8j4h6g0f2d4s6a8q1w3.lambda-url.eu-west-1.on.aws/ (qualifier live) with AuthType NONE and CORS allowing any origin (*)"} with input as req(data.fixtures.lambda.url_cors_any_origin)
}

test_iam_url_with_any_origin_passes if {
	url_cors_any_origin.deny == set() with input as req(with_urls([url("AWS_IAM", null, cors(["*"]))]))
}

test_public_url_without_cors_passes if {
	# VGL-LAMBDA-005 flags it; browsers cannot read it from another origin.
	url_cors_any_origin.deny == set() with input as req(data.fixtures.lambda.url_public)
	url_cors_any_origin.deny == set() with input as req(with_urls([url("NONE", null, null)]))
}

test_public_url_with_listed_origins_passes if {
	url_cors_any_origin.deny == set() with input as req(with_urls([url("NONE", null, cors(["https://app.example.com"]))]))
	url_cors_any_origin.deny == set() with input as req(with_urls([url("NONE", null, cors([]))]))
}

test_star_among_other_origins_fails if {
	url_cors_any_origin.deny == {"function orders-api has function URL https://abc.lambda-url.eu-west-1.on.aws/ with AuthType NONE and CORS allowing any origin (*)"} with input as req(with_urls([url("NONE", null, cors(["https://app.example.com", "*"]))]))
}

test_one_finding_per_url if {
	configs := [url("NONE", "live", cors(["*"])), url("NONE", "beta", cors(["https://a.example.com"])), url("NONE", null, cors(["*"]))]
	url_cors_any_origin.deny == {
		"function orders-api has function URL https://abc.lambda-url.eu-west-1.on.aws/ (qualifier live) with AuthType NONE and CORS allowing any origin (*)",
		"function orders-api has function URL https://abc.lambda-url.eu-west-1.on.aws/ with AuthType NONE and CORS allowing any origin (*)",
	} with input as req(with_urls(configs))
}

test_no_url_passes if {
	url_cors_any_origin.deny == set() with input as req(with_urls([]))
	url_cors_any_origin.deny == set() with input as req(with_urls(null))
}

test_unreadable_url_configs_are_an_error if {
	e := {"operation": "ListFunctionUrlConfigs", "code": "AccessDeniedException", "message": "denied"}
	doc := object.union(object.remove(compliant, ["supplementaryConfiguration"]), {
		"supplementaryConfiguration": object.remove(compliant.supplementaryConfiguration, ["functionUrlConfigs"]),
		"collectionErrors": {"supplementaryConfiguration.functionUrlConfigs": e},
	})
	url_cors_any_origin.deny == set() with input as req(doc)
	url_cors_any_origin.error == {"supplementaryConfiguration.functionUrlConfigs could not be read: ListFunctionUrlConfigs failed with AccessDeniedException: denied"} with input as req(doc)
}

test_other_unreadable_fields_are_not_this_rules_business if {
	url_cors_any_origin.error == set() with input as req(data.fixtures.lambda.policy_unreadable)
}

test_malformed_cors_is_not_any_origin if {
	url_cors_any_origin.deny == set() with input as req(with_urls([url("NONE", null, {"allowOrigins": "*"})]))
	url_cors_any_origin.deny == set() with input as req(with_urls([url("NONE", null, ["*"])]))
	url_cors_any_origin.deny == set() with input as req(with_urls(["NONE"]))
}
