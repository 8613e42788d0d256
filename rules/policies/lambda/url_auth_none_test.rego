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

# Issue 12, item 1: URL configs that could not be listed are not "no URL".
test_unreadable_url_configs_are_an_error if {
	e := {"operation": "ListFunctionUrlConfigs", "code": "AccessDeniedException", "message": "denied"}
	doc := object.union(object.remove(compliant, ["supplementaryConfiguration"]), {
		"supplementaryConfiguration": object.remove(compliant.supplementaryConfiguration, ["functionUrlConfigs"]),
		"collectionErrors": {"supplementaryConfiguration.functionUrlConfigs": e},
	})
	url_auth_none.deny == set() with input as req(doc)
	url_auth_none.error == {"supplementaryConfiguration.functionUrlConfigs could not be read: ListFunctionUrlConfigs failed with AccessDeniedException: denied"} with input as req(doc)
}

test_other_unreadable_fields_are_not_this_rules_business if {
	url_auth_none.error == set() with input as req(data.fixtures.lambda.policy_unreadable)
	url_auth_none.error == set() with input as req(compliant)
}

test_url_that_is_not_a_string_does_not_break_the_message if {
	url_auth_none.deny == {"function orders-api has function URL (unknown URL) with AuthType NONE"} with input as req(with_urls([{"functionUrl": 42, "authType": "NONE"}]))
}
