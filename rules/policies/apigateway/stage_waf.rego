# METADATA
# title: REST API stage is not protected by AWS WAF
# description: A stage without an AWS WAF web ACL (webAclArn) takes every request to its backends, with no rate-based rule, IP reputation list or managed rule set in front of it. Private APIs are flagged too (AWS WAF protects them as well). An API with no stages is not flagged; stages that could not be read give an error instead of a verdict.
# custom:
#   id: VGL-APIGW-006
#   severity: medium
#   resource_types: [AWS::ApiGateway::RestApi]
#   remediation: Associate a regional AWS WAF web ACL with the stage (aws wafv2 associate-web-acl --web-acl-arn ARN --resource-arn arn:aws:apigateway:REGION::/restapis/ID/stages/NAME).
#   related:
#     fsbp: [APIGateway.4]
#     aws_config: [api-gw-associated-with-waf]
#     prowler: [apigateway_restapi_waf_acl_attached]
package vigil.rules.apigateway.stage_waf

import rego.v1

import data.vigil.lib.document

api_label := sprintf("%s (%s)", [name, input.resource.resourceId]) if {
	name := input.resource.configuration.name
	is_string(name)
	name != ""
} else := object.get(input.resource, "resourceId", "(unnamed API)")

as_array(x) := x if {
	is_array(x)
} else := []

stage_name(stage) := stage.stageName if is_string(stage.stageName) else := "?"

protected(stage) if {
	arn := stage.webAclArn
	is_string(arn)
	arn != ""
}

# GetStages failed: the stages are unknown, not "none".
error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.stages"})
}

deny contains msg if {
	some stage in as_array(input.resource.supplementaryConfiguration.stages)
	not protected(stage)
	msg := sprintf("REST API %s: stage %s is not associated with an AWS WAF web ACL", [api_label, stage_name(stage)])
}
