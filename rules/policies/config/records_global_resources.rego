# METADATA
# title: AWS Config records the global IAM resource types in no region
# description: No configuration recorder of the account that is recording, in any scanned region, records the global IAM resource types (AWS::IAM::User, Group, Role, Policy), so changes to users, roles and policies go unseen. A recorder records them with allSupported and includeGlobalResourceTypes (strategy ALL_SUPPORTED_RESOURCE_TYPES), with the EXCLUSION_BY_RESOURCE_TYPES strategy unless it excludes them, or with INCLUSION_BY_RESOURCE_TYPES when it lists them; without a recording group it follows the AWS default, which leaves them out. In regions where AWS Config arrived after February 2022 the IAM types cannot be recorded, so recorders there do not count. The rule reads the account roll-up of every scanned region; when a region could not be read and no other region records the types, it reports an error instead of a verdict. Recording them in one region is enough (CIS recommends exactly one, to avoid duplicate items).
# custom:
#   id: VGL-CONFIG-005
#   severity: medium
#   resource_types: [AWS::Config::Account]
#   remediation: In one region (the home region of the account), set the recorder's recording group to allSupported=true with includeGlobalResourceTypes=true (aws configservice put-configuration-recorder), and leave it off elsewhere.
#   related:
#     cis: ["3.3"]
package vigil.rules.config.records_global_resources

import rego.v1

cfg := object.get(input.resource, "configuration", {})

label := sprintf("account %s", [object.get(input.resource, "resourceId", "?")])

as_list(x) := x if {
	is_array(x)
} else := []

iam_types := {"AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role", "AWS::IAM::Policy"}

# Regions where AWS Config arrived after February 2022: the IAM types cannot be recorded there.
late_regions := {
	"ap-east-2", "ap-south-2", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-west-1", "eu-central-2", "eu-south-2", "il-central-1", "me-central-1", "mx-central-1",
}

regions := [r | some r in as_list(object.get(cfg, "regions", null)); is_object(r); is_string(r.region)]

unreadable_regions := [r | some r in as_list(object.get(cfg, "unreadableRegions", [])); is_object(r)]

recording(region, name) if {
	some s in as_list(object.get(region, "configurationRecordersStatus", []))
	is_object(s)
	s.name == name
	s.recording == true
}

# Customer-managed recorders that are recording, in the regions that can record IAM types.
recorders := [[region.region, r] |
	some region in regions
	not region.region in late_regions
	some r in as_list(object.get(region, "configurationRecorders", []))
	is_object(r)
	object.get(r, "servicePrincipal", null) == null
	recording(region, r.name)
]

strings(x) := {s | some s in as_list(x); is_string(s)}

# The IAM types a recording group records.
iam_recorded(g) := iam_types if {
	is_object(g)
	g.allSupported == true
	g.includeGlobalResourceTypes == true
} else := set() if {
	is_object(g)
	g.allSupported == true
} else := iam_types - strings(object.get(g, ["exclusionByResourceTypes", "resourceTypes"], [])) if {
	is_object(g)
	object.get(g, ["recordingStrategy", "useOnly"], null) == "EXCLUSION_BY_RESOURCE_TYPES"
} else := iam_types & strings(object.get(g, "resourceTypes", [])) if {
	is_object(g)
} else := set()

recorded := union({iam_recorded(object.get(r[1], "recordingGroup", null)) | some r in recorders})

missing := sort([t | some t in iam_types; not t in recorded])

what(types) := "the global IAM resource types" if {
	count(types) == count(iam_types)
} else := sprintf("the global IAM resource type(s) %s", [concat(", ", types)])

error contains sprintf("%s: the AWS Config roll-up has no list of regions (not collected)", [label]) if {
	not is_array(object.get(cfg, "regions", null))
}

error contains msg if {
	count(missing) > 0
	some u in unreadable_regions
	msg := sprintf("%s: region %s could not be read (%s: %s: %s), and no other region records %s", [
		label, object.get(u, "region", "?"), object.get(u, "operation", "?"), object.get(u, "code", "?"),
		object.get(u, "message", ""), what(missing),
	])
}

deny contains msg if {
	is_array(object.get(cfg, "regions", null))
	count(unreadable_regions) == 0
	count(missing) > 0
	read := sort([r.region | some r in regions])
	msg := sprintf("%s: no recording configuration recorder records %s in any region (regions scanned: %s)", [label, what(missing), concat(", ", read)])
}
