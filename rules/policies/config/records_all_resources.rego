# METADATA
# title: AWS Config does not record all supported resource types
# description: The region's configuration recorder records a list of resource types, or all but some, instead of every supported type, so changes to the others go unseen. Global resource types (IAM) are not required here, as they are recorded in one region only. A region with no recorder is VGL-CONFIG-001's finding, not this rule's. Security Hub Config.1 requires only the resource types its enabled controls evaluate; CIS 3.3 and this rule require all of them.
# custom:
#   id: VGL-CONFIG-002
#   severity: medium
#   resource_types: [AWS::Config::Region]
#   remediation: Set the recorder's recording group to allSupported=true (recordingStrategy ALL_SUPPORTED_RESOURCE_TYPES) with put-configuration-recorder.
#   related:
#     fsbp: [Config.1]
#     cis: ["3.3"]
package vigil.rules.config.records_all_resources

import rego.v1

cfg := object.get(input.resource, "configuration", {})

scope_label := object.get(input.resource, "resourceId", "?")

as_list(x) := x if {
	is_array(x)
} else := []

# Customer-managed recorders (service-linked ones record for one service by design).
recorders := [r |
	some r in as_list(object.get(cfg, "configurationRecorders", []))
	is_object(r)
	object.get(r, "servicePrincipal", null) == null
]

# A recorder without a recording group records all supported types (the AWS default).
records_all(r) if object.get(r, "recordingGroup", null) == null

records_all(r) if r.recordingGroup.allSupported == true

included(group) := sort(ts) if {
	ts := group.resourceTypes
	is_array(ts)
} else := []

excluded(group) := sort(ts) if {
	ts := group.exclusionByResourceTypes.resourceTypes
	is_array(ts)
} else := []

what(group) := sprintf("records only %d resource type(s): %s", [count(ts), concat(", ", ts)]) if {
	ts := included(group)
	count(ts) > 0
} else := sprintf("excludes %d resource type(s): %s", [count(ts), concat(", ", ts)]) if {
	ts := excluded(group)
	count(ts) > 0
} else := "does not record all supported resource types"

deny contains msg if {
	some r in recorders
	not records_all(r)
	msg := sprintf("%s: configuration recorder %s %s", [scope_label, r.name, what(r.recordingGroup)])
}
