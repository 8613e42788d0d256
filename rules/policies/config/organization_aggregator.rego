# METADATA
# title: No AWS Config aggregator covers the whole organization
# description: The organization's management account has no configuration aggregator with an organization source (every account of the organization) covering every region - AllAwsRegions, or, when params.config.aggregator_regions is set, AwsRegions listing each of those regions - so no one sees the organization's configuration and compliance in one place. An aggregator that names its source accounts does not count. The rule is evaluated once per organization, on the management account's roll-up of the aggregators of every scanned region (vigil reads aggregators there only); an aggregator in a delegated administrator account is not seen, which is a known limit (Prowler's config_delegated_admin_and_org_aggregator_all_regions also asks for a delegated administrator). When a region could not be read and no other region has a covering aggregator, it reports an error instead of a verdict.
# custom:
#   id: VGL-CONFIG-004
#   severity: medium
#   resource_types: [AWS::Config::Organization]
#   remediation: In the management account (home region), create an aggregator with an organization source covering all regions (aws configservice put-configuration-aggregator --organization-aggregation-source RoleArn=...,AllAwsRegions=true).
#   related:
#     prowler: [config_delegated_admin_and_org_aggregator_all_regions]
package vigil.rules.config.organization_aggregator

import rego.v1

cfg := object.get(input.resource, "configuration", {})

label := sprintf("organization %s", [object.get(input.resource, "resourceId", "?")])

as_list(x) := x if {
	is_array(x)
} else := []

wanted := {r | some r in as_list(object.get(object.get(data.vigil.params, "config", {}), "aggregator_regions", [])); is_string(r)}

regions := [r | some r in as_list(object.get(cfg, "regions", null)); is_object(r); is_string(r.region)]

unreadable_regions := [r | some r in as_list(object.get(cfg, "unreadableRegions", [])); is_object(r)]

# Aggregators with an organization source, with the region they live in.
org_aggregators := [[region.region, a] |
	some region in regions
	some a in as_list(object.get(region, "configurationAggregators", []))
	is_object(a)
	is_object(object.get(a, "organizationAggregationSource", null))
]

source_regions(a) := {r | some r in as_list(object.get(a.organizationAggregationSource, "awsRegions", [])); is_string(r)}

covers(a) if a.organizationAggregationSource.allAwsRegions == true

covers(a) if {
	count(wanted) > 0
	count(wanted - source_regions(a)) == 0
}

covered if {
	some x in org_aggregators
	covers(x[1])
}

name(a) := n if {
	n := a.configurationAggregatorName
	is_string(n)
} else := "?"

why := sprintf("no configuration aggregator with an organization source in the management account (regions scanned: %s)", [concat(", ", sort([r.region | some r in regions]))]) if {
	count(org_aggregators) == 0
} else := sprintf("no organization aggregator covers every region: %s", [concat("; ", sort([d |
	some x in org_aggregators
	d := gap(x[0], x[1])
]))])

gap(region, a) := sprintf("%s (%s) covers only %s, not AllAwsRegions", [name(a), region, listed(sort(source_regions(a)))]) if {
	count(wanted) == 0
} else := sprintf("%s (%s) lacks %s", [name(a), region, concat(", ", sort(wanted - source_regions(a)))])

listed(rs) := concat(", ", rs) if count(rs) > 0 else := "no region"

error contains sprintf("%s: the AWS Config roll-up has no list of regions (not collected)", [label]) if {
	not is_array(object.get(cfg, "regions", null))
}

error contains msg if {
	not covered
	some u in unreadable_regions
	msg := sprintf("%s: region %s of the management account could not be read (%s: %s: %s), and no other region has an aggregator covering the organization", [
		label, object.get(u, "region", "?"), object.get(u, "operation", "?"), object.get(u, "code", "?"), object.get(u, "message", ""),
	])
}

deny contains msg if {
	is_array(object.get(cfg, "regions", null))
	count(unreadable_regions) == 0
	not covered
	msg := sprintf("%s: %s", [label, why])
}
