package vigil.rules.apigateway.domain_tls_test

import rego.v1

import data.vigil.rules.apigateway.domain_tls

tls10 := data.fixtures.apigateway.domain_tls10

regional := data.fixtures.apigateway.domain_regional

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_policy(doc, p) := object.union(doc, {"configuration": {"securityPolicy": p}})

test_tls_1_0_fails if {
	tls10.configuration.securityPolicy == "TLS_1_0"
	domain_tls.deny == {"custom domain name legacy.payments.example.com (EDGE) uses security policy TLS_1_0, which accepts TLS 1.0 and 1.1"} with input as req(tls10)
	domain_tls.error == set() with input as req(tls10)
}

test_enhanced_tls13_policy_passes if {
	regional.configuration.securityPolicy == "SecurityPolicy_TLS13_1_2_2021_06"
	domain_tls.deny == set() with input as req(regional)
	domain_tls.error == set() with input as req(regional)
}

test_every_tls12_or_newer_policy_passes if {
	every p in [
		"TLS_1_2",
		"SecurityPolicy_TLS12_2018_EDGE",
		"SecurityPolicy_TLS12_PFS_2025_EDGE",
		"SecurityPolicy_TLS13_2025_EDGE",
		"SecurityPolicy_TLS13_1_3_2025_09",
		"SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09",
		"SecurityPolicy_TLS13_1_3_FIPS_2025_09",
	] {
		domain_tls.deny == set() with input as req(with_policy(tls10, p))
		domain_tls.error == set() with input as req(with_policy(tls10, p))
	}
}

test_unknown_policy_is_an_error if {
	domain_tls.deny == set() with input as req(with_policy(regional, "TLS_1_1"))
	domain_tls.error == {"custom domain name api.payments.example.com (REGIONAL): security policy TLS_1_1 is not one vigil knows, so the TLS versions it accepts are unknown"} with input as req(with_policy(regional, "TLS_1_1"))
	domain_tls.error == {"custom domain name api.payments.example.com (REGIONAL): security policy tls_1_0 is not one vigil knows, so the TLS versions it accepts are unknown"} with input as req(with_policy(regional, "tls_1_0"))
}

test_missing_policy_is_an_error if {
	doc := object.union(object.remove(regional, ["configuration"]), {"configuration": object.remove(regional.configuration, ["securityPolicy"])})
	domain_tls.deny == set() with input as req(doc)
	domain_tls.error == {"custom domain name api.payments.example.com (REGIONAL): its security policy is not reported, so the TLS versions it accepts are unknown"} with input as req(doc)
	domain_tls.error == {"custom domain name api.payments.example.com (REGIONAL): its security policy is not reported, so the TLS versions it accepts are unknown"} with input as req(with_policy(regional, null))
	domain_tls.error == {"custom domain name api.payments.example.com (REGIONAL): its security policy is not reported, so the TLS versions it accepts are unknown"} with input as req(with_policy(regional, 12))
}

test_domain_without_endpoint_types_is_named_alone if {
	doc := object.union(tls10, {"configuration": {"endpointConfiguration": null}})
	domain_tls.deny == {"custom domain name legacy.payments.example.com uses security policy TLS_1_0, which accepts TLS 1.0 and 1.1"} with input as req(doc)
}
