package vigil.rules.config.records_all_resources_test

import rego.v1

import data.vigil.rules.config.records_all_resources as rule

req(doc) := {
	"resource": doc,
	"account": {"id": doc.awsAccountId, "name": "payments-prod", "email": "", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

deny_of(doc) := result if {
	result := rule.deny with input as req(doc)
}

compliant := data.fixtures.config.compliant

with_group(group) := object.union(compliant, {"configuration": {"configurationRecorders": [object.union(compliant.configuration.configurationRecorders[0], {"recordingGroup": group})]}})

test_all_supported_passes if {
	compliant.configuration.configurationRecorders[0].recordingGroup.allSupported == true
	compliant.configuration.configurationRecorders[0].recordingGroup.includeGlobalResourceTypes == false
	deny_of(compliant) == set()
	deny_of(data.fixtures.config.management_aggregators) == set()
}

test_listed_types_only_fails if {
	deny_of(data.fixtures.config.inclusion_no_sns) == {"111122223333/eu-west-1: configuration recorder default records only 2 resource type(s): AWS::DynamoDB::Table, AWS::Lambda::Function"}
}

test_excluded_types_fail if {
	deny_of(data.fixtures.config.exclusion) == {"777788889999/us-east-1: configuration recorder default excludes 1 resource type(s): AWS::EC2::Instance"}
}

test_not_all_supported_without_lists_fails if {
	deny_of(with_group({"allSupported": false, "includeGlobalResourceTypes": false, "resourceTypes": [], "exclusionByResourceTypes": null, "recordingStrategy": null})) == {"111122223333/us-east-1: configuration recorder default does not record all supported resource types"}
}

test_missing_recording_group_is_the_aws_default_all_supported if {
	deny_of(with_group(null)) == set()
}

test_no_recorder_is_left_to_config_001 if {
	deny_of(data.fixtures.config.empty_region) == set()
}

test_service_linked_recorder_is_not_judged if {
	linked := object.union(data.fixtures.config.inclusion_no_sns.configuration.configurationRecorders[0], {"servicePrincipal": "securityhub.amazonaws.com"})
	deny_of(object.union(compliant, {"configuration": {"configurationRecorders": [compliant.configuration.configurationRecorders[0], linked]}})) == set()
}
