# METADATA
# title: AWS Config changes notify no one
# description: No delivery channel of the region sends to an SNS topic, so account owners and the security team are not notified of configuration changes.
# custom:
#   id: VGL-CONFIG-003
#   severity: low
#   resource_types: [AWS::Config::Region]
#   remediation: Set snsTopicARN on the region's delivery channel (aws configservice put-delivery-channel) to the topic account owners and the CISO subscribe to.
#   related:
#     cis: ["3.3"]
package vigil.rules.config.sns_notification

import rego.v1

cfg := object.get(input.resource, "configuration", {})

scope_label := object.get(input.resource, "resourceId", "?")

as_list(x) := x if {
	is_array(x)
} else := []

channels := [c |
	some c in as_list(object.get(cfg, "deliveryChannels", []))
	is_object(c)
]

notifies(c) if {
	arn := c.snsTopicArn
	is_string(arn)
	arn != ""
}

deny contains msg if {
	count(channels) == 0
	msg := sprintf("%s: no delivery channel, so no SNS notification", [scope_label])
}

deny contains msg if {
	count(channels) > 0
	not any_notifies
	names := sort([object.get(c, "name", "?") | some c in channels])
	msg := sprintf("%s: %s no SNS topic", [scope_label, which(names)])
}

which(names) := sprintf("delivery channel %s has", names) if {
	count(names) == 1
} else := sprintf("delivery channels %s have", [concat(", ", names)])

any_notifies if {
	some c in channels
	notifies(c)
}
