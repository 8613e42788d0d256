package vigil.rules.lambda.url_auth_none_test

import rego.v1

import data.vigil.rules.lambda.url_auth_none

compliant := data.fixtures.lambda.compliant

public := data.fixtures.lambda.url_public

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "r-ab12/ou-ab12-prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_urls(configs) := object.union(compliant, {"supplementaryConfiguration": {"functionUrlConfigs": configs}})

url(auth, qualifier) := {
	"functionUrl": "https://abc.lambda-url.eu-west-1.on.aws/",
	"authType": auth,
	"invokeMode": "BUFFERED",
	"qualifier": qualifier,
}

test_iam_auth_url_passes if {
	compliant.supplementaryConfiguration.functionUrlConfigs[0].authType == "AWS_IAM"
	url_auth_none.deny == set() with input as req(compliant)
}

test_no_url_passes if {
	url_auth_none.deny == set() with input as req(with_urls([]))
	url_auth_none.deny == set() with input as req(with_urls(null))
}

test_public_url_with_qualifier_fails if {
	url_auth_none.deny == {"function status-page has function URL https://q8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3.lambda-url.eu-west-1.on.aws/ (qualifier live) with AuthType NONE"} with input as req(public)
}

test_public_url_without_qualifier_fails if {
	url_auth_none.deny == {"function orders-api has function URL https://abc.lambda-url.eu-west-1.on.aws/ with AuthType NONE"} with input as req(with_urls([url("NONE", null)]))
}

test_one_finding_per_public_url if {
	configs := [url("NONE", "live"), url("AWS_IAM", "beta"), url("NONE", "canary")]
	url_auth_none.deny == {
		"function orders-api has function URL https://abc.lambda-url.eu-west-1.on.aws/ (qualifier live) with AuthType NONE",
		"function orders-api has function URL https://abc.lambda-url.eu-west-1.on.aws/ (qualifier canary) with AuthType NONE",
	} with input as req(with_urls(configs))
}
