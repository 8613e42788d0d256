# METADATA
# title: Lambda function has no active X-Ray tracing
# description: Without active tracing (TracingConfig mode Active) the function starts no X-Ray trace of its own, so a slow or failing request through it cannot be followed across services. PassThrough (the default) traces only requests that arrive with a sampled trace header, and is flagged. A function whose tracing mode is not reported is flagged too, with the mode shown as not reported.
# custom:
#   id: VGL-LAMBDA-006
#   severity: low
#   resource_types: [AWS::Lambda::Function]
#   remediation: Turn on active tracing (aws lambda update-function-configuration --function-name NAME --tracing-config Mode=Active) and allow xray:PutTraceSegments and xray:PutTelemetryRecords in the execution role (AWSXRayDaemonWriteAccess).
#   related:
#     fsbp: [Lambda.7]
#     aws_config: [lambda-function-xray-enabled]
package vigil.rules.lambda.tracing_active

import rego.v1

function_name := name if {
	name := input.resource.configuration.functionName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed function)")

mode := m if {
	m := input.resource.configuration.tracingConfig.mode
	is_string(m)
} else := "not reported"

deny contains msg if {
	mode != "Active"
	msg := sprintf("function %s has no active X-Ray tracing (tracing mode: %s)", [function_name, mode])
}
