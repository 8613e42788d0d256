# METADATA
# title: Lambda function runtime is deprecated or not allowed
# description: The function's runtime must be in params.lambda.allowed_runtimes and must not be past its deprecation date in params.lambda.deprecated_runtimes. Container-image functions have no runtime and are skipped. Unlike Security Hub Lambda.2 and Prowler awslambda_function_using_supported_runtimes, which judge against AWS's or Prowler's own runtime list, the allowed and deprecated runtimes come from params.
# custom:
#   id: VGL-LAMBDA-003
#   severity: medium
#   resource_types: [AWS::Lambda::Function]
#   remediation: Upgrade the function to a supported runtime listed in params.lambda.allowed_runtimes.
#   related:
#     fsbp: [Lambda.2]
#     aws_config: [lambda-function-settings-check]
#     prowler: [awslambda_function_using_supported_runtimes]
package vigil.rules.lambda.runtime_supported

import rego.v1

cfg := input.resource.configuration

function_name := name if {
	name := cfg.functionName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed function)")

allowed_runtimes := object.get(data.vigil.params, ["lambda", "allowed_runtimes"], [])

deprecated_runtimes := object.get(data.vigil.params, ["lambda", "deprecated_runtimes"], {})

# Undefined for container images (runtime absent or null).
runtime := rt if {
	rt := cfg.runtime
	is_string(rt)
}

# The deprecation date, when the runtime has one that is today or earlier.
deprecated_on := date if {
	date := deprecated_runtimes[runtime]
	time.parse_ns("2006-01-02", date) <= time.now_ns()
}

deny contains msg if {
	msg := sprintf("function %s: runtime %s was deprecated on %s", [function_name, runtime, deprecated_on])
}

deny contains msg if {
	is_string(runtime)
	not deprecated_on
	not runtime in allowed_runtimes
	msg := sprintf("function %s: runtime %s is not in params.lambda.allowed_runtimes", [function_name, runtime])
}
