# METADATA
# title: Lambda asynchronous invocations have no failure destination
# description: An event that still fails after Lambda's asynchronous retries (or that ages out) is dropped unless the function has a dead-letter queue (DeadLetterConfig) or an on-failure destination in the event invoke config of the unqualified function. Only the unqualified function's own config counts; a destination set on an alias or a version covers invocations through that qualifier only, and its absence is reported in the message. Unlike AWS Config's lambda-dlq-check, an on-failure destination is accepted in place of a dead-letter queue (AWS recommends destinations). Event invoke configs that could not be listed give an error instead of a verdict unless a dead-letter queue already settles it; a document without them (collected before vigil read them) is judged on the dead-letter queue alone.
# custom:
#   id: VGL-LAMBDA-008
#   severity: low
#   resource_types: [AWS::Lambda::Function]
#   remediation: Add an on-failure destination (aws lambda put-function-event-invoke-config --function-name NAME --destination-config '{"OnFailure":{"Destination":"QUEUE_OR_TOPIC_ARN"}}') or a dead-letter queue (aws lambda update-function-configuration --function-name NAME --dead-letter-config TargetArn=QUEUE_OR_TOPIC_ARN).
#   related:
#     aws_config: [lambda-dlq-check]
#     prowler: [awslambda_function_no_dead_letter_queue]
package vigil.rules.lambda.async_failure_destination

import rego.v1

import data.vigil.lib.document

function_name := name if {
	name := input.resource.configuration.functionName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed function)")

supplementary := s if {
	s := input.resource.supplementaryConfiguration
	is_object(s)
} else := {}

non_empty_string(x) if {
	is_string(x)
	x != ""
}

has_dead_letter_queue if non_empty_string(input.resource.configuration.deadLetterConfig.targetArn)

configs_field := "supplementaryConfiguration.eventInvokeConfigs"

configs_unreadable := document.unreadable({configs_field})

configs := c if {
	c := supplementary.eventInvokeConfigs
	is_array(c)
} else := []

# null, "" or "$LATEST": the config of the unqualified function.
unqualified(c) if not "qualifier" in object.keys(c)

unqualified(c) if c.qualifier == null

unqualified(c) if c.qualifier in {"", "$LATEST"}

on_failure(c) := c.destinationConfig.onFailure.destination

has_on_failure_destination if {
	some c in configs
	is_object(c)
	unqualified(c)
	non_empty_string(on_failure(c))
}

# Qualifiers (aliases, versions) that have an on-failure destination of their own.
qualified_destinations := sort([c.qualifier |
	some c in configs
	is_object(c)
	not unqualified(c)
	is_string(c.qualifier)
	non_empty_string(on_failure(c))
])

qualifier_note := sprintf(" (an on-failure destination is set on %s only)", [concat(", ", qualified_destinations)]) if {
	count(qualified_destinations) > 0
} else := ""

# Without a dead-letter queue the verdict needs the event invoke configs.
error contains reason if {
	not has_dead_letter_queue
	some reason in configs_unreadable
}

deny contains msg if {
	not has_dead_letter_queue
	count(configs_unreadable) == 0
	not has_on_failure_destination
	msg := sprintf("function %s has neither a dead-letter queue nor an on-failure destination for asynchronous invocations%s", [function_name, qualifier_note])
}
