package vigil.rules.dynamodb.backup_plan_test

import rego.v1

import data.vigil.rules.dynamodb.backup_plan

compliant := data.fixtures.dynamodb.compliant

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

no_conditions := {"stringEquals": [], "stringNotEquals": [], "stringLike": [], "stringNotLike": []}

sel(fields) := object.union(
	{
		"backupPlanId": "8a1f5c2e-0d3b-4e6f-9a7c-1b2d3e4f5a6b", "backupPlanName": "daily-35d",
		"selectionId": "sel-1", "selectionName": "s1",
		"resources": [], "notResources": [], "listOfTags": [], "conditions": no_conditions,
	},
	fields,
)

# compliant (payments-ledger, tags owner=payments, data=confidential) with other selections
with_selections(doc, selections) := object.union(doc, {"supplementaryConfiguration": {"backupSelections": selections}})

with_tags(doc, t) := object.union(object.remove(doc, ["tags"]), {"tags": t})

deny_of(selections) := result if {
	result := backup_plan.deny with input as req(with_selections(compliant, selections))
}

ledger_fails(detail) := {sprintf("table payments-ledger is not in any AWS Backup plan (%s)", [detail])}

test_selected_by_arn_wildcard_passes if {
	compliant.supplementaryConfiguration.backupSelections[0].resources == ["arn:aws:dynamodb:eu-west-1:111122223333:table/payments-*"]
	backup_plan.deny == set() with input as req(compliant)
	backup_plan.error == set() with input as req(compliant)
}

test_excluded_by_not_resources_fails if {
	backup_plan.deny == {"table payments-sessions is not in any AWS Backup plan (none of the 2 backup selections in eu-west-1 selects it; excluded by the NotResources of payments-tables (plan daily-35d))"} with input as req(data.fixtures.dynamodb.legacy_unprotected)
}

test_not_matching_any_selection_fails if {
	backup_plan.deny == {"table analytics-events is not in any AWS Backup plan (none of the 2 backup selections in eu-west-1 selects it)"} with input as req(data.fixtures.dynamodb.pitr_disabled)
}

test_no_selections_in_region_fails if {
	backup_plan.deny == {"table payments-rates is not in any AWS Backup plan (no backup plan in us-east-1 has a resource selection)"} with input as req(data.fixtures.dynamodb.provisioned)
}

test_selected_by_list_of_tags_passes if {
	doc := with_tags(data.fixtures.dynamodb.pitr_disabled, {"backup": "daily"})
	backup_plan.deny == set() with input as req(doc)
}

test_list_of_tags_key_with_resource_tag_prefix_passes if {
	s := sel({"listOfTags": [{"conditionType": "STRINGEQUALS", "conditionKey": "aws:ResourceTag/data", "conditionValue": "confidential"}]})
	deny_of([s]) == set()
}

test_list_of_tags_value_is_case_sensitive if {
	s := sel({"listOfTags": [{"conditionType": "STRINGEQUALS", "conditionKey": "data", "conditionValue": "Confidential"}]})
	deny_of([s]) == ledger_fails("none of the 1 backup selections in eu-west-1 selects it")
}

test_star_resource_selects_every_table if {
	deny_of([sel({"resources": ["*"]})]) == set()
}

test_no_resources_and_no_tags_selects_every_table if {
	deny_of([sel({})]) == set()
}

test_wildcard_across_fields_and_accounts if {
	deny_of([sel({"resources": ["arn:aws:dynamodb:*:*:table/*"]})]) == set()
	deny_of([sel({"resources": ["arn:aws:dynamodb:*"]})]) == set()
}

test_other_region_or_table_pattern_does_not_select if {
	deny_of([sel({"resources": ["arn:aws:dynamodb:us-east-1:111122223333:table/*", "arn:aws:dynamodb:eu-west-1:111122223333:table/payments-ledger-*"]})]) == ledger_fails("none of the 1 backup selections in eu-west-1 selects it")
}

# A dot in an ARN pattern is a dot, not any character.
test_pattern_characters_are_literal if {
	doc := object.union(compliant, {"arn": "arn:aws:dynamodb:eu-west-1:111122223333:table/payments.ledger"})
	backup_plan.deny == set() with input as req(with_selections(doc, [sel({"resources": ["arn:aws:dynamodb:eu-west-1:111122223333:table/payments.ledger"]})]))
	deny_of([sel({"resources": ["arn:aws:dynamodb:eu-west-1:111122223333:table/payments.ledger"]})]) == ledger_fails("none of the 1 backup selections in eu-west-1 selects it")
}

test_resources_and_conditions_are_and if {
	cond_ok := object.union(no_conditions, {"stringEquals": [{"conditionKey": "aws:ResourceTag/owner", "conditionValue": "payments"}], "stringLike": [{"conditionKey": "aws:ResourceTag/data", "conditionValue": "conf*"}]})
	deny_of([sel({"resources": ["arn:aws:dynamodb:*:*:table/*"], "conditions": cond_ok})]) == set()
	cond_bad := object.union(cond_ok, {"stringNotEquals": [{"conditionKey": "aws:ResourceTag/data", "conditionValue": "confidential"}]})
	deny_of([sel({"resources": ["arn:aws:dynamodb:*:*:table/*"], "conditions": cond_bad})]) == ledger_fails("none of the 1 backup selections in eu-west-1 selects it")
}

test_not_conditions_hold_for_absent_tags if {
	c := object.union(no_conditions, {"stringNotEquals": [{"conditionKey": "aws:ResourceTag/backup", "conditionValue": "none"}], "stringNotLike": [{"conditionKey": "aws:ResourceTag/env", "conditionValue": "dev*"}]})
	deny_of([sel({"resources": ["*"], "conditions": c})]) == set()
}

test_string_like_question_mark_is_one_character if {
	c := object.union(no_conditions, {"stringLike": [{"conditionKey": "aws:ResourceTag/owner", "conditionValue": "pay?ents"}]})
	deny_of([sel({"resources": ["*"], "conditions": c})]) == set()
	c2 := object.union(no_conditions, {"stringLike": [{"conditionKey": "aws:ResourceTag/owner", "conditionValue": "pay?"}]})
	deny_of([sel({"resources": ["*"], "conditions": c2})]) == ledger_fails("none of the 1 backup selections in eu-west-1 selects it")
}

test_condition_on_a_non_tag_key_never_holds if {
	c := object.union(no_conditions, {"stringEquals": [{"conditionKey": "owner", "conditionValue": "payments"}]})
	deny_of([sel({"resources": ["*"], "conditions": c})]) == ledger_fails("none of the 1 backup selections in eu-west-1 selects it")
}

# ListOfTags is OR'ed with Resources: the tag selects the table even though no ARN matches.
test_list_of_tags_or_resources if {
	s := sel({"resources": ["arn:aws:dynamodb:*:*:table/orders-*"], "listOfTags": [{"conditionType": "STRINGEQUALS", "conditionKey": "owner", "conditionValue": "payments"}]})
	deny_of([s]) == set()
}

test_not_resources_win_over_tags if {
	s := sel({"notResources": ["arn:aws:dynamodb:*:*:table/payments-ledger"], "listOfTags": [{"conditionType": "STRINGEQUALS", "conditionKey": "owner", "conditionValue": "payments"}]})
	deny_of([s]) == ledger_fails("none of the 1 backup selections in eu-west-1 selects it; excluded by the NotResources of s1 (plan daily-35d)")
}

test_one_selecting_selection_is_enough if {
	excluding := sel({"selectionName": "all-but-ledger", "resources": ["*"], "notResources": ["arn:aws:dynamodb:*:*:table/payments-ledger"]})
	including := sel({"selectionName": "ledger", "backupPlanName": "monthly", "resources": ["arn:aws:dynamodb:eu-west-1:111122223333:table/payments-ledger"]})
	deny_of([excluding, including]) == set()
}

test_not_required_passes if {
	backup_plan.deny == set() with input as req(data.fixtures.dynamodb.provisioned)
		with data.vigil.params.dynamodb.backup_plan_required as false
	backup_plan.error == set() with input as req(data.fixtures.dynamodb.backup_unreadable)
		with data.vigil.params.dynamodb.backup_plan_required as false
}

test_missing_params_still_required if {
	backup_plan.deny == {"table payments-rates is not in any AWS Backup plan (no backup plan in us-east-1 has a resource selection)"} with input as req(data.fixtures.dynamodb.provisioned)
		with data.vigil.params as {}
}

test_unreadable_selections_are_an_error if {
	doc := data.fixtures.dynamodb.backup_unreadable
	not "backupSelections" in object.keys(doc.supplementaryConfiguration)
	backup_plan.deny == set() with input as req(doc)
	backup_plan.error == {"supplementaryConfiguration.backupSelections could not be read: ListBackupPlans failed with AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/VigilAuditRole/vigil is not authorized to perform: backup:ListBackupPlans"} with input as req(doc)
}

tags_error := {"operation": "ListTagsOfResource", "code": "AccessDeniedException", "message": "denied"}

test_unreadable_tags_matter_only_for_tag_based_selections if {
	doc := object.union(with_tags(data.fixtures.dynamodb.pitr_disabled, {}), {"collectionErrors": {"tags": tags_error}})
	backup_plan.deny == set() with input as req(doc)
	backup_plan.error == {"tags could not be read: ListTagsOfResource failed with AccessDeniedException: denied"} with input as req(doc)

	# No tag-based selection: the ARN decides.
	arn_only := with_selections(doc, [sel({"resources": ["arn:aws:dynamodb:*:*:table/orders-*"]})])
	backup_plan.error == set() with input as req(arn_only)
	backup_plan.deny == {"table analytics-events is not in any AWS Backup plan (none of the 1 backup selections in eu-west-1 selects it)"} with input as req(arn_only)

	# Selected by ARN: the tags do not matter.
	backup_plan.error == set() with input as req(object.union(compliant, {"collectionErrors": {"tags": tags_error}}))
}

test_selections_not_collected_is_not_assessed if {
	doc := with_selections(compliant, null)
	backup_plan.deny == set() with input as req(doc)
	backup_plan.error == set() with input as req(doc)
}

test_malformed_selections_are_an_error_unless_another_selects if {
	doc := with_selections(compliant, ["not an object", sel({"resources": "*", "listOfTags": "owner"})])
	backup_plan.deny == set() with input as req(doc)
	backup_plan.error == {"table payments-ledger: the backup selections cannot be judged: backup selection #0 is not an object; backup selection s1 (plan daily-35d): listOfTags is not a list; backup selection s1 (plan daily-35d): resources is not a list"} with input as req(doc)
	selected := with_selections(compliant, ["not an object", sel({"resources": ["*"]})])
	backup_plan.deny == set() with input as req(selected)
	backup_plan.error == set() with input as req(selected)
}
