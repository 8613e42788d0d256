package vigil.rules.config.sns_notification_test

import rego.v1

import data.vigil.rules.config.sns_notification as rule

req(doc) := {
	"resource": doc,
	"account": {"id": doc.awsAccountId, "name": "payments-prod", "email": "", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

deny_of(doc) := result if {
	result := rule.deny with input as req(doc)
}

compliant := data.fixtures.config.compliant

with_channels(channels) := object.union(compliant, {"configuration": {"deliveryChannels": channels}})

test_channel_with_sns_topic_passes if {
	deny_of(compliant) == set()
	deny_of(data.fixtures.config.not_recording) == set()
	deny_of(data.fixtures.config.exclusion) == set()
}

test_channel_without_sns_topic_fails if {
	data.fixtures.config.inclusion_no_sns.configuration.deliveryChannels[0].snsTopicArn == null
	deny_of(data.fixtures.config.inclusion_no_sns) == {"111122223333/eu-west-1: delivery channel default has no SNS topic"}
}

test_no_channel_fails if {
	deny_of(data.fixtures.config.empty_region) == {"444455556666/eu-west-1: no delivery channel, so no SNS notification"}
	deny_of(data.fixtures.config.recorder_without_channel) == {"777788889999/eu-west-1: no delivery channel, so no SNS notification"}
}

test_empty_topic_is_no_topic if {
	ch := object.union(compliant.configuration.deliveryChannels[0], {"snsTopicArn": ""})
	deny_of(with_channels([ch])) == {"111122223333/us-east-1: delivery channel default has no SNS topic"}
}

test_one_notifying_channel_is_enough if {
	quiet := object.union(compliant.configuration.deliveryChannels[0], {"name": "archive", "snsTopicArn": null})
	deny_of(with_channels([quiet, compliant.configuration.deliveryChannels[0]])) == set()
	deny_of(with_channels([quiet, object.union(quiet, {"name": "backup"})])) == {"111122223333/us-east-1: delivery channels archive, backup have no SNS topic"}
}
