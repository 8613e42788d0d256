package vigil.rules.lambda.user_no_tracing_x_test

import rego.v1

import data.vigil.rules.lambda.user_no_tracing_x

traced := {"resource": {"resourceId": "traced-fn", "configuration": {"tracingConfig": {"mode": "Active"}}}}

untraced := {"resource": {"resourceId": "plain-fn", "configuration": {}}}

test_active_tracing_passes if {
	user_no_tracing_x.deny == set() with input as traced
}

test_untraced_fails if {
	user_no_tracing_x.deny == {"function plain-fn has no active tracing"} with input as untraced
}

# Deliberately wrong expectation: this test must be reported as FAIL.
test_deliberately_wrong_expectation if {
	user_no_tracing_x.deny == set() with input as untraced
}
