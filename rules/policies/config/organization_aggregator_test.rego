package vigil.rules.config.organization_aggregator_test

import rego.v1

import data.vigil.rules.config.organization_aggregator as rule

req(doc) := {
	"resource": doc,
	"account": {"id": doc.awsAccountId, "name": "org-management", "email": "", "ouPath": "Root", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

deny_of(doc) := result if {
	result := rule.deny with input as req(doc)
}

deny_with(doc, regions) := result if {
	result := rule.deny with input as req(doc) with data.vigil.params.config.aggregator_regions as regions
}

error_of(doc) := result if {
	result := rule.error with input as req(doc)
}

covered := data.fixtures.config.organization_covered

regions_only := data.fixtures.config.organization_regions_only

none := data.fixtures.config.organization_none

test_organization_aggregator_of_all_regions_passes if {
	deny_of(covered) == set()
	error_of(covered) == set()
	deny_with(covered, ["eu-west-1", "ap-south-1"]) == set()
}

test_no_organization_aggregator_fails if {
	deny_of(none) == {"organization o-a1b2c3d4e5: no configuration aggregator with an organization source in the management account (regions scanned: eu-west-1, us-east-1)"}
}

test_account_source_aggregator_does_not_count if {
	only_accounts := object.union(none, {"configuration": {"regions": [{"region": "us-east-1", "configurationAggregators": [covered.configuration.regions[1].configurationAggregators[1]]}]}})
	deny_of(only_accounts) == {"organization o-a1b2c3d4e5: no configuration aggregator with an organization source in the management account (regions scanned: us-east-1)"}
}

test_listed_regions_need_aggregator_regions_param if {
	deny_of(regions_only) == {"organization o-a1b2c3d4e5: no organization aggregator covers every region: eu-aggregator (eu-west-1) covers only eu-central-1, eu-west-1, not AllAwsRegions"}
	deny_with(regions_only, ["eu-west-1", "eu-central-1"]) == set()
	deny_with(regions_only, ["eu-west-1", "us-east-1", "ap-south-1"]) == {"organization o-a1b2c3d4e5: no organization aggregator covers every region: eu-aggregator (eu-west-1) lacks ap-south-1, us-east-1"}
}

test_unreadable_region_is_an_error_unless_another_covers if {
	unread := [{"region": "eu-west-1", "operation": "DescribeConfigurationAggregators", "code": "AccessDeniedException", "message": "denied"}]
	partial := object.union(none, {"configuration": {"regions": [{"region": "us-east-1", "configurationAggregators": []}], "unreadableRegions": unread}})
	deny_of(partial) == set()
	error_of(partial) == {"organization o-a1b2c3d4e5: region eu-west-1 of the management account could not be read (DescribeConfigurationAggregators: AccessDeniedException: denied), and no other region has an aggregator covering the organization"}
	seen := object.union(covered, {"configuration": {"unreadableRegions": unread}})
	deny_of(seen) == set()
	error_of(seen) == set()
}

test_no_region_list_is_an_error if {
	old := json.remove(none, ["configuration/regions"])
	deny_of(old) == set()
	error_of(old) == {"organization o-a1b2c3d4e5: the AWS Config roll-up has no list of regions (not collected)"}
	malformed := object.union(none, {"configuration": {"regions": [{"region": "us-east-1", "configurationAggregators": [{"organizationAggregationSource": "yes"}, 3]}]}})
	deny_of(malformed) == {"organization o-a1b2c3d4e5: no configuration aggregator with an organization source in the management account (regions scanned: us-east-1)"}
}
