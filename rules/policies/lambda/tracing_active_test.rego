package vigil.rules.lambda.tracing_active_test

import rego.v1

import data.vigil.rules.lambda.tracing_active

compliant := data.fixtures.lambda.compliant

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_tracing(t) := object.union(compliant, {"configuration": {"tracingConfig": t}})

test_active_tracing_passes if {
	compliant.configuration.tracingConfig.mode == "Active"
	tracing_active.deny == set() with input as req(compliant)
}

test_pass_through_fails if {
	tracing_active.deny == {"function audit-ingest has no active X-Ray tracing (tracing mode: PassThrough)"} with input as req(data.fixtures.lambda.untraced_async)
}

test_mode_not_reported_fails if {
	tracing_active.deny == {"function orders-api has no active X-Ray tracing (tracing mode: not reported)"} with input as req(with_tracing({"mode": null}))
	tracing_active.deny == {"function orders-api has no active X-Ray tracing (tracing mode: not reported)"} with input as req(with_tracing(null))
	tracing_active.deny == {"function orders-api has no active X-Ray tracing (tracing mode: not reported)"} with input as req(object.remove(compliant, ["configuration"]))
}

test_mode_that_is_not_a_string_is_not_active if {
	tracing_active.deny == {"function orders-api has no active X-Ray tracing (tracing mode: not reported)"} with input as req(with_tracing({"mode": ["Active"]}))
}

test_mode_is_case_sensitive_as_the_api_returns_it if {
	tracing_active.deny == {"function orders-api has no active X-Ray tracing (tracing mode: active)"} with input as req(with_tracing({"mode": "active"}))
}
