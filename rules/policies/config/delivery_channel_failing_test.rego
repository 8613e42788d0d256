package vigil.rules.config.delivery_channel_failing_test

import rego.v1

import data.vigil.rules.config.delivery_channel_failing as rule

req(doc) := {
	"resource": doc,
	"account": {"id": doc.awsAccountId, "name": "payments-prod", "email": "", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

deny_of(doc) := result if {
	result := rule.deny with input as req(doc)
}

error_of(doc) := result if {
	result := rule.error with input as req(doc)
}

compliant := data.fixtures.config.compliant

with_status(statuses) := object.union(compliant, {"configuration": {"deliveryChannelsStatus": statuses}})

failure(code, message) := {"lastStatus": "Failure", "lastErrorCode": code, "lastErrorMessage": message}

test_successful_or_not_applicable_deliveries_pass if {
	deny_of(compliant) == set()
	error_of(compliant) == set()
	deny_of(data.fixtures.config.management_aggregators) == set()
	deny_of(data.fixtures.config.inclusion_no_sns) == set()
}

test_failed_deliveries_fail_with_the_last_error if {
	deny_of(data.fixtures.config.delivery_failing) == {
		"111122223333/eu-west-1: delivery channel default failed its last configuration history delivery: NoSuchBucket: The specified bucket does not exist",
		"111122223333/eu-west-1: delivery channel default failed its last configuration snapshot delivery: NoSuchBucket: The specified bucket does not exist",
	}
}

test_stream_failure_and_missing_error_text if {
	st := {"name": "default", "configStreamDeliveryInfo": {"lastStatus": "Failure", "lastErrorCode": "AuthorizationError", "lastErrorMessage": "SNS topic policy denies config.amazonaws.com"}}
	deny_of(with_status([st])) == {"111122223333/us-east-1: delivery channel default failed its last configuration stream delivery: AuthorizationError: SNS topic policy denies config.amazonaws.com"}
	bare := {"name": "default", "configHistoryDeliveryInfo": {"lastStatus": "FAILURE", "lastErrorCode": null}}
	deny_of(with_status([bare])) == {"111122223333/us-east-1: delivery channel default failed its last configuration history delivery: (none): (none)"}
}

test_no_channel_is_left_to_config_003 if {
	deny_of(data.fixtures.config.empty_region) == set()
	error_of(data.fixtures.config.empty_region) == set()
	deny_of(data.fixtures.config.recorder_without_channel) == set()
}

test_unreadable_status_is_an_error if {
	doc := data.fixtures.config.delivery_status_unreadable
	deny_of(doc) == set()
	error_of(doc) == {"configuration.deliveryChannelsStatus could not be read: DescribeDeliveryChannelStatus failed with AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/VigilAuditRole/vigil is not authorized to perform: config:DescribeDeliveryChannelStatus"}
}

test_status_not_collected_is_an_error if {
	old := json.remove(compliant, ["configuration/deliveryChannelsStatus"])
	error_of(old) == {"111122223333/us-east-1: the delivery channels' status was not collected"}
	malformed := [with_status(null), with_status("Failure"), with_status([7, "x", {"name": "default", "configHistoryDeliveryInfo": "Failure"}])]
	every doc in malformed {
		deny_of(doc) == set()
	}
}
