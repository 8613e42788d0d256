package vigil.rules.lambda.async_failure_destination_test

import rego.v1

import data.vigil.rules.lambda.async_failure_destination as rule

compliant := data.fixtures.lambda.compliant

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_configs(c) := object.union(compliant, {"supplementaryConfiguration": {"eventInvokeConfigs": c}})

with_dlq(doc, target) := object.union(doc, {"configuration": {"deadLetterConfig": {"targetArn": target}}})

config(qualifier, destination) := {
	"qualifier": qualifier,
	"functionArn": "arn:aws:lambda:eu-west-1:111122223333:function:orders-api",
	"maximumRetryAttempts": 2,
	"maximumEventAgeInSeconds": 3600,
	"destinationConfig": {"onSuccess": null, "onFailure": {"destination": destination}},
}

fails := {"function orders-api has neither a dead-letter queue nor an on-failure destination for asynchronous invocations"}

test_on_failure_destination_passes if {
	compliant.supplementaryConfiguration.eventInvokeConfigs[0].destinationConfig.onFailure.destination != ""
	rule.deny == set() with input as req(compliant)
	rule.error == set() with input as req(compliant)
}

test_dead_letter_queue_passes if {
	rule.deny == set() with input as req(data.fixtures.lambda.dlq_configured)
}

test_neither_fails if {
	rule.deny == {"function audit-ingest has neither a dead-letter queue nor an on-failure destination for asynchronous invocations"} with input as req(data.fixtures.lambda.untraced_async)
	rule.deny == fails with input as req(with_configs([]))
}

test_empty_or_missing_destination_fails if {
	rule.deny == fails with input as req(with_configs([config(null, "")]))
	rule.deny == fails with input as req(with_configs([config(null, null)]))
	rule.deny == fails with input as req(with_configs([{"qualifier": null, "destinationConfig": null}]))
	rule.deny == fails with input as req(with_dlq(with_configs([]), ""))
	rule.deny == fails with input as req(with_dlq(with_configs([]), null))
}

test_latest_qualifier_is_the_function if {
	rule.deny == set() with input as req(with_configs([config("$LATEST", "arn:aws:sns:eu-west-1:111122223333:failures")]))
}

test_destination_on_an_alias_only_fails_and_says_so if {
	c := [config("live", "arn:aws:sqs:eu-west-1:111122223333:live-failures"), config("2", "arn:aws:sqs:eu-west-1:111122223333:v2-failures"), config("beta", "")]
	rule.deny == {"function orders-api has neither a dead-letter queue nor an on-failure destination for asynchronous invocations (an on-failure destination is set on 2, live only)"} with input as req(with_configs(c))
}

test_unreadable_configs_are_an_error if {
	doc := data.fixtures.lambda.event_invoke_unreadable
	rule.deny == set() with input as req(doc)
	rule.error == {"supplementaryConfiguration.eventInvokeConfigs could not be read: ListFunctionEventInvokeConfigs failed with AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/VigilAuditRole/vigil is not authorized to perform: lambda:ListFunctionEventInvokeConfigs on resource: arn:aws:lambda:eu-west-1:111122223333:function:orders-events because no identity-based policy allows the lambda:ListFunctionEventInvokeConfigs action"} with input as req(doc)
}

test_unreadable_configs_with_a_dead_letter_queue_pass if {
	doc := with_dlq(data.fixtures.lambda.event_invoke_unreadable, "arn:aws:sqs:eu-west-1:111122223333:orders-dlq")
	rule.deny == set() with input as req(doc)
	rule.error == set() with input as req(doc)
}

test_configs_not_collected_are_judged_on_the_dead_letter_queue if {
	doc := object.union(object.remove(compliant, ["supplementaryConfiguration"]), {"supplementaryConfiguration": object.remove(compliant.supplementaryConfiguration, ["eventInvokeConfigs"])})
	rule.deny == fails with input as req(doc)
	rule.deny == set() with input as req(with_dlq(doc, "arn:aws:sqs:eu-west-1:111122223333:orders-dlq"))
}

test_other_unreadable_fields_are_not_this_rules_business if {
	rule.error == set() with input as req(data.fixtures.lambda.policy_unreadable)
	rule.deny == set() with input as req(data.fixtures.lambda.policy_unreadable)
}

test_malformed_configs_are_skipped if {
	rule.deny == fails with input as req(with_configs(["arn:aws:sqs:eu-west-1:111122223333:q", 42]))
	rule.deny == fails with input as req(with_configs({"qualifier": null}))
}
