# METADATA
# title: AWS Config delivery channel is failing
# description: The last delivery of a delivery channel of the region failed (DescribeDeliveryChannelStatus lastStatus Failure for the configuration history, the configuration snapshot or the configuration stream), so configuration items stop reaching the S3 bucket or the SNS topic; the finding quotes the last error code and message. A status that could not be read gives an error instead of a verdict. A region without a delivery channel is VGL-CONFIG-003's finding, not this rule's.
# custom:
#   id: VGL-CONFIG-006
#   severity: medium
#   resource_types: [AWS::Config::Region]
#   remediation: Fix what the last error names (a deleted or renamed S3 bucket, a bucket or KMS key policy that does not let AWS Config write, a deleted SNS topic or a topic policy that does not let AWS Config publish), then check with aws configservice describe-delivery-channel-status.
package vigil.rules.config.delivery_channel_failing

import rego.v1

import data.vigil.lib.document

cfg := object.get(input.resource, "configuration", {})

scope_label := object.get(input.resource, "resourceId", "?")

as_list(x) := x if {
	is_array(x)
} else := []

channels := [c | some c in as_list(object.get(cfg, "deliveryChannels", [])); is_object(c)]

unreadable := document.unreadable({"configuration.deliveryChannelsStatus"})

error contains reason if {
	some reason in unreadable
}

# A snapshot from before the status was collected: the channels cannot be judged.
error contains sprintf("%s: the delivery channels' status was not collected", [scope_label]) if {
	count(unreadable) == 0
	count(channels) > 0
	not is_array(object.get(cfg, "deliveryChannelsStatus", null))
}

# In this order in messages.
deliveries := [
	["configHistoryDeliveryInfo", "configuration history"],
	["configSnapshotDeliveryInfo", "configuration snapshot"],
	["configStreamDeliveryInfo", "configuration stream"],
]

text(x) := x if {
	is_string(x)
	x != ""
} else := "(none)"

deny contains msg if {
	some s in as_list(object.get(cfg, "deliveryChannelsStatus", []))
	is_object(s)
	some d in deliveries
	info := object.get(s, d[0], null)
	is_object(info)
	is_string(info.lastStatus)
	lower(info.lastStatus) == "failure"
	msg := sprintf("%s: delivery channel %s failed its last %s delivery: %s: %s", [
		scope_label,
		text(object.get(s, "name", null)),
		d[1],
		text(object.get(info, "lastErrorCode", null)),
		text(object.get(info, "lastErrorMessage", null)),
	])
}
