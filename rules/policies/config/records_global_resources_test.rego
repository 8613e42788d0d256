package vigil.rules.config.records_global_resources_test

import rego.v1

import data.vigil.rules.config.records_global_resources as rule

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

global := data.fixtures.config.account_global

no_global := data.fixtures.config.account_no_global

all_iam := "the global IAM resource types"

none_msg(acct, regions) := sprintf("account %s: no recording configuration recorder records %s in any region (regions scanned: %s)", [acct, all_iam, regions])

# One region whose one recorder has `group` and is recording (or not).
one_region(name, group, on) := object.union(no_global, {"configuration": {"regions": [{
	"region": name,
	"configurationRecorders": [{"name": "default", "recordingGroup": group, "servicePrincipal": null}],
	"configurationRecordersStatus": [{"name": "default", "recording": on}],
}]}})

test_one_region_recording_global_types_passes if {
	deny_of(global) == set()
	error_of(global) == set()
}

test_no_region_recording_global_types_fails if {
	deny_of(no_global) == {none_msg("111122223333", "eu-west-1, us-east-1")}
}

test_stopped_recorder_does_not_count if {
	group := {"allSupported": true, "includeGlobalResourceTypes": true}
	deny_of(one_region("us-east-1", group, true)) == set()
	deny_of(one_region("us-east-1", group, false)) == {none_msg("111122223333", "us-east-1")}
}

test_exclusion_strategy_records_iam_unless_excluded if {
	deny_of(data.fixtures.config.account_exclusion_global) == set()
	group := {"allSupported": false, "includeGlobalResourceTypes": false, "exclusionByResourceTypes": {"resourceTypes": ["AWS::IAM::User", "AWS::EC2::Instance"]}, "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}}
	deny_of(one_region("us-east-1", group, true)) == {"account 111122223333: no recording configuration recorder records the global IAM resource type(s) AWS::IAM::User in any region (regions scanned: us-east-1)"}
}

test_inclusion_strategy_needs_the_iam_types_listed if {
	all4 := {"allSupported": false, "resourceTypes": ["AWS::IAM::Group", "AWS::IAM::Policy", "AWS::IAM::Role", "AWS::IAM::User", "AWS::Lambda::Function"], "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}}
	deny_of(one_region("us-east-1", all4, true)) == set()
	two := object.union(all4, {"resourceTypes": ["AWS::IAM::Role", "AWS::IAM::Policy"]})
	deny_of(one_region("us-east-1", two, true)) == {"account 111122223333: no recording configuration recorder records the global IAM resource type(s) AWS::IAM::Group, AWS::IAM::User in any region (regions scanned: us-east-1)"}
}

test_types_recorded_in_different_regions_add_up if {
	role_policy := {"allSupported": false, "resourceTypes": ["AWS::IAM::Role", "AWS::IAM::Policy"]}
	user_group := {"allSupported": false, "resourceTypes": ["AWS::IAM::User", "AWS::IAM::Group"]}
	doc := object.union(no_global, {"configuration": {"regions": [
		{"region": "eu-west-1", "configurationRecorders": [{"name": "a", "recordingGroup": role_policy}], "configurationRecordersStatus": [{"name": "a", "recording": true}]},
		{"region": "us-east-1", "configurationRecorders": [{"name": "b", "recordingGroup": user_group}], "configurationRecordersStatus": [{"name": "b", "recording": true}]},
	]}})
	deny_of(doc) == set()
}

test_default_group_and_all_supported_without_flag_leave_iam_out if {
	deny_of(one_region("us-east-1", null, true)) == {none_msg("111122223333", "us-east-1")}
	deny_of(one_region("us-east-1", {"allSupported": true, "includeGlobalResourceTypes": false}, true)) == {none_msg("111122223333", "us-east-1")}
}

test_late_regions_cannot_record_iam if {
	group := {"allSupported": true, "includeGlobalResourceTypes": true}
	deny_of(one_region("eu-central-2", group, true)) == {none_msg("111122223333", "eu-central-2")}
}

test_service_linked_recorder_does_not_count if {
	doc := object.union(no_global, {"configuration": {"regions": [{
		"region": "us-east-1",
		"configurationRecorders": [{"name": "AWSConfigurationRecorderForSecurityHub", "servicePrincipal": "securityhub.amazonaws.com", "recordingGroup": {"allSupported": true, "includeGlobalResourceTypes": true}}],
		"configurationRecordersStatus": [{"name": "AWSConfigurationRecorderForSecurityHub", "recording": true}],
	}]}})
	deny_of(doc) == {none_msg("111122223333", "us-east-1")}
}

test_unreadable_region_is_an_error_unless_another_records if {
	doc := data.fixtures.config.account_region_unreadable
	deny_of(doc) == set()
	error_of(doc) == {"account 111122223333: region eu-west-1 could not be read (DescribeConfigurationRecorderStatus: AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/VigilAuditRole/vigil is not authorized to perform: config:DescribeConfigurationRecorderStatus), and no other region records the global IAM resource types"}
	recorded_elsewhere := object.union(global, {"configuration": {"unreadableRegions": doc.configuration.unreadableRegions}})
	deny_of(recorded_elsewhere) == set()
	error_of(recorded_elsewhere) == set()
}

test_no_region_list_is_an_error if {
	old := json.remove(no_global, ["configuration/regions"])
	deny_of(old) == set()
	error_of(old) == {"account 111122223333: the AWS Config roll-up has no list of regions (not collected)"}
	deny_of(object.union(no_global, {"configuration": {"regions": [7, {"region": 1}]}})) == {"account 111122223333: no recording configuration recorder records the global IAM resource types in any region (regions scanned: )"}
}
