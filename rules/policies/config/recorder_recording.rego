# METADATA
# title: AWS Config is not recording in this region
# description: The region has no configuration recorder, or its recorder is not recording. Service-linked recorders (those with a servicePrincipal) record for one AWS service only and do not count. Unlike Security Hub Config.1, the recorder's IAM role is not checked, and a service-linked recorder (such as Security Hub's own, which makes Config.1 pass) does not count.
# custom:
#   id: VGL-CONFIG-001
#   severity: high
#   resource_types: [AWS::Config::Region]
#   remediation: Create a configuration recorder and a delivery channel in the region (aws configservice put-configuration-recorder / put-delivery-channel) and start it (start-configuration-recorder); deploy it to every account and region with a StackSet or the Config conformance set-up.
#   related:
#     fsbp: [Config.1]
#     cis: ["3.3"]
#     prowler: [config_recorder_all_regions_enabled]
package vigil.rules.config.recorder_recording

import rego.v1

cfg := object.get(input.resource, "configuration", {})

scope_label := object.get(input.resource, "resourceId", "?")

as_list(x) := x if {
	is_array(x)
} else := []

# Customer-managed recorders.
recorders := [r |
	some r in as_list(object.get(cfg, "configurationRecorders", []))
	is_object(r)
	object.get(r, "servicePrincipal", null) == null
]

recording(name) if {
	some s in as_list(object.get(cfg, "configurationRecordersStatus", []))
	is_object(s)
	s.name == name
	s.recording == true
}

deny contains msg if {
	count(recorders) == 0
	msg := sprintf("%s: no configuration recorder", [scope_label])
}

deny contains msg if {
	some r in recorders
	not recording(r.name)
	msg := sprintf("%s: configuration recorder %s is not recording", [scope_label, r.name])
}
