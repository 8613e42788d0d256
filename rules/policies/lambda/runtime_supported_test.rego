package vigil.rules.lambda.runtime_supported_test

import rego.v1

import data.vigil.rules.lambda.runtime_supported

compliant := data.fixtures.lambda.compliant

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "r-ab12/ou-ab12-prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_runtime(rt) := object.union(compliant, {"configuration": {"runtime": rt}})

defaults := data.vigil.params.lambda

past_due(date) if time.parse_ns("2006-01-02", date) <= time.now_ns()

test_allowed_runtime_passes if {
	runtime_supported.deny == set() with input as req(compliant)
}

test_deprecated_fixture_fails if {
	runtime_supported.deny == {"function legacy-export: runtime python3.7 was deprecated on 2023-12-04"} with input as req(data.fixtures.lambda.runtime_deprecated)
}

test_container_image_without_runtime_passes if {
	data.fixtures.lambda.container_image.configuration.runtime == null
	runtime_supported.deny == set() with input as req(data.fixtures.lambda.container_image)
}

test_absent_runtime_passes if {
	doc := object.union(object.remove(compliant, ["configuration"]), {"configuration": object.remove(compliant.configuration, ["runtime"])})
	not "runtime" in object.keys(doc.configuration)
	runtime_supported.deny == set() with input as req(doc)
}

test_unknown_runtime_fails_as_not_allowed if {
	runtime_supported.deny == {"function orders-api: runtime cobol85 is not in params.lambda.allowed_runtimes"} with input as req(with_runtime("cobol85"))
}

test_past_deprecation_fails_even_when_allowed if {
	runtime_supported.deny == {"function orders-api: runtime python3.12 was deprecated on 2000-01-01"} with input as req(compliant)
		with data.vigil.params.lambda as {"allowed_runtimes": ["python3.12"], "deprecated_runtimes": {"python3.12": "2000-01-01"}}
}

test_past_deprecation_not_allowed_gives_one_message if {
	runtime_supported.deny == {"function orders-api: runtime python3.12 was deprecated on 2000-01-01"} with input as req(compliant)
		with data.vigil.params.lambda as {"allowed_runtimes": [], "deprecated_runtimes": {"python3.12": "2000-01-01"}}
}

test_deprecated_today_fails if {
	today := sprintf("%d-%02d-%02d", time.date(time.now_ns()))
	runtime_supported.deny == {sprintf("function orders-api: runtime python3.12 was deprecated on %s", [today])} with input as req(compliant)
		with data.vigil.params.lambda as {"allowed_runtimes": ["python3.12"], "deprecated_runtimes": {"python3.12": today}}
}

test_future_deprecation_allowed_passes if {
	runtime_supported.deny == set() with input as req(compliant)
		with data.vigil.params.lambda as {"allowed_runtimes": ["python3.12"], "deprecated_runtimes": {"python3.12": "2099-12-31"}}
}

test_future_deprecation_not_allowed_fails_once if {
	runtime_supported.deny == {"function orders-api: runtime python3.12 is not in params.lambda.allowed_runtimes"} with input as req(compliant)
		with data.vigil.params.lambda as {"allowed_runtimes": ["python3.13"], "deprecated_runtimes": {"python3.12": "2099-12-31"}}
}

test_missing_params_fail_as_not_allowed if {
	runtime_supported.deny == {"function orders-api: runtime python3.12 is not in params.lambda.allowed_runtimes"} with input as req(compliant)
		with data.vigil.params as {}
}

# Guards on rules/params.default.json itself.
test_default_deprecation_dates_parse if {
	every rt, date in defaults.deprecated_runtimes {
		is_string(rt)
		time.parse_ns("2006-01-02", date) > 0
	}
}

test_default_allowed_runtimes_are_not_past_deprecation if {
	count([rt | some rt in defaults.allowed_runtimes; past_due(defaults.deprecated_runtimes[rt])]) == 0
}

test_every_default_allowed_runtime_passes if {
	every rt in defaults.allowed_runtimes {
		runtime_supported.deny == set() with input as req(with_runtime(rt))
	}
}

test_every_past_default_deprecation_fails_once if {
	past := {rt: date | some rt, date in defaults.deprecated_runtimes; past_due(date)}
	count(past) > 0
	every rt, date in past {
		runtime_supported.deny == {sprintf("function orders-api: runtime %s was deprecated on %s", [rt, date])} with input as req(with_runtime(rt))
	}
}
