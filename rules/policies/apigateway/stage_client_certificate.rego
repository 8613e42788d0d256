# METADATA
# title: REST API stage has no client certificate for its backend
# description: With a client certificate (clientCertificateId) API Gateway presents a certificate to HTTP backends, which can then refuse requests that do not come from API Gateway. Only backends reached over HTTP can check it; Lambda and AWS service integrations cannot, and this platform's backends are Lambda functions, so the rule is off by default - it passes every stage and says nothing - and is turned on with params.apigateway.client_certificate_required = true, when it flags every stage without a client certificate. An API with no stages is not flagged; stages that could not be read give an error instead of a verdict (only when the rule is on).
# custom:
#   id: VGL-APIGW-008
#   severity: low
#   resource_types: [AWS::ApiGateway::RestApi]
#   remediation: Generate a client certificate (aws apigateway generate-client-certificate), set it on the stage (update-stage op=replace,path=/clientCertificateId,value=ID) and have the HTTP backend verify it; or leave params.apigateway.client_certificate_required false when the backends are Lambda functions.
#   related:
#     fsbp: [APIGateway.2]
#     aws_config: [api-gw-ssl-enabled]
#     prowler: [apigateway_restapi_client_certificate_enabled]
package vigil.rules.apigateway.stage_client_certificate

import rego.v1

import data.vigil.lib.document

required if data.vigil.params.apigateway.client_certificate_required == true

api_label := sprintf("%s (%s)", [name, input.resource.resourceId]) if {
	name := input.resource.configuration.name
	is_string(name)
	name != ""
} else := object.get(input.resource, "resourceId", "(unnamed API)")

as_array(x) := x if {
	is_array(x)
} else := []

stage_name(stage) := stage.stageName if is_string(stage.stageName) else := "?"

has_certificate(stage) if {
	id := stage.clientCertificateId
	is_string(id)
	id != ""
}

# GetStages failed: the stages are unknown, not "none".
error contains reason if {
	required
	some reason in document.unreadable({"supplementaryConfiguration.stages"})
}

deny contains msg if {
	required
	some stage in as_array(input.resource.supplementaryConfiguration.stages)
	not has_certificate(stage)
	msg := sprintf("REST API %s: stage %s has no client certificate for backend authentication", [api_label, stage_name(stage)])
}
