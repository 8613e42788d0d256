package vigil.rules.apigateway.stage_client_certificate_test

import rego.v1

import data.vigil.rules.apigateway.stage_client_certificate

compliant := data.fixtures.apigateway.compliant

stage_unlogged := data.fixtures.apigateway.stage_unlogged

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_stages(doc, stages) := object.union(doc, {"supplementaryConfiguration": {"stages": stages}})

stage(name, cert) := object.union(compliant.supplementaryConfiguration.stages[0], {"stageName": name, "clientCertificateId": cert})

unreadable := object.union(object.remove(compliant, ["supplementaryConfiguration"]), {
	"supplementaryConfiguration": object.remove(compliant.supplementaryConfiguration, ["stages"]),
	"collectionErrors": {"supplementaryConfiguration.stages": {"operation": "GetStages", "code": "AccessDeniedException", "message": "denied"}},
})

test_off_by_default_passes_everything if {
	data.vigil.params.apigateway.client_certificate_required == false
	compliant.supplementaryConfiguration.stages[0].clientCertificateId == null
	stage_client_certificate.deny == set() with input as req(compliant)
	stage_client_certificate.deny == set() with input as req(stage_unlogged)
	stage_client_certificate.error == set() with input as req(unreadable)
	stage_client_certificate.deny == set() with input as req(stage_unlogged) with data.vigil.params as {}
	stage_client_certificate.deny == set() with input as req(stage_unlogged) with data.vigil.params.apigateway.client_certificate_required as "true"
}

test_when_required_stages_without_certificate_fail if {
	stage_client_certificate.deny == {
		"REST API reports-rest (7fpcwabfdc): stage dev has no client certificate for backend authentication",
		"REST API reports-rest (7fpcwabfdc): stage prod has no client certificate for backend authentication",
	} with input as req(stage_unlogged) with data.vigil.params.apigateway.client_certificate_required as true
}

test_when_required_stage_with_certificate_passes if {
	doc := with_stages(compliant, [stage("prod", "q1w2e3"), stage("beta", ""), object.remove(stage("dev", null), ["clientCertificateId"])])
	stage_client_certificate.deny == {
		"REST API orders-rest (k1drhlrj5u): stage beta has no client certificate for backend authentication",
		"REST API orders-rest (k1drhlrj5u): stage dev has no client certificate for backend authentication",
	} with input as req(doc) with data.vigil.params.apigateway.client_certificate_required as true
}

test_when_required_unreadable_stages_are_an_error if {
	stage_client_certificate.deny == set() with input as req(unreadable) with data.vigil.params.apigateway.client_certificate_required as true
	stage_client_certificate.error == {"supplementaryConfiguration.stages could not be read: GetStages failed with AccessDeniedException: denied"} with input as req(unreadable) with data.vigil.params.apigateway.client_certificate_required as true
}

test_api_without_stages_passes if {
	stage_client_certificate.deny == set() with input as req(data.fixtures.apigateway.custom_authorizer) with data.vigil.params.apigateway.client_certificate_required as true
}
