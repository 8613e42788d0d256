package vigil.rules.config.recorder_recording_test

import rego.v1

import data.vigil.rules.config.recorder_recording as rule

req(doc) := {
	"resource": doc,
	"account": {"id": doc.awsAccountId, "name": "payments-prod", "email": "", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

deny_of(doc) := result if {
	result := rule.deny with input as req(doc)
}

compliant := data.fixtures.config.compliant

with_configuration(doc, patch) := object.union(doc, {"configuration": patch})

test_recording_recorder_passes if {
	deny_of(compliant) == set()
	deny_of(data.fixtures.config.management_aggregators) == set()
	deny_of(data.fixtures.config.inclusion_no_sns) == set()
	deny_of(data.fixtures.config.exclusion) == set()
}

test_region_with_nothing_configured_fails if {
	deny_of(data.fixtures.config.empty_region) == {"444455556666/eu-west-1: no configuration recorder"}
}

test_stopped_recorder_fails if {
	data.fixtures.config.not_recording.configuration.configurationRecordersStatus[0].recording == false
	deny_of(data.fixtures.config.not_recording) == {"444455556666/us-east-1: configuration recorder default is not recording"}
}

test_recorder_never_started_without_channel_fails if {
	deny_of(data.fixtures.config.recorder_without_channel) == {"777788889999/eu-west-1: configuration recorder default is not recording"}
}

test_recorder_without_status_is_not_recording if {
	deny_of(with_configuration(compliant, {"configurationRecordersStatus": []})) == {"111122223333/us-east-1: configuration recorder default is not recording"}
}

test_status_of_another_recorder_does_not_count if {
	status := object.union(compliant.configuration.configurationRecordersStatus[0], {"name": "other"})
	deny_of(with_configuration(compliant, {"configurationRecordersStatus": [status]})) == {"111122223333/us-east-1: configuration recorder default is not recording"}
}

test_service_linked_recorder_alone_does_not_count if {
	linked := object.union(compliant.configuration.configurationRecorders[0], {"name": "AWSConfigurationRecorderForSecurityHub", "servicePrincipal": "securityhub.amazonaws.com"})
	linked_status := object.union(compliant.configuration.configurationRecordersStatus[0], {"name": "AWSConfigurationRecorderForSecurityHub", "servicePrincipal": "securityhub.amazonaws.com"})
	deny_of(with_configuration(compliant, {"configurationRecorders": [linked], "configurationRecordersStatus": [linked_status]})) == {"111122223333/us-east-1: no configuration recorder"}

	# beside a customer-managed recorder that records, it changes nothing
	both := with_configuration(compliant, {
		"configurationRecorders": array.concat(compliant.configuration.configurationRecorders, [linked]),
		"configurationRecordersStatus": array.concat(compliant.configuration.configurationRecordersStatus, [linked_status]),
	})
	deny_of(both) == set()
}

test_null_lists_are_no_recorder if {
	deny_of(with_configuration(compliant, {"configurationRecorders": null})) == {"111122223333/us-east-1: no configuration recorder"}
}
