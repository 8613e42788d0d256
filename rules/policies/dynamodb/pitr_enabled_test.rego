package vigil.rules.dynamodb.pitr_enabled_test

import rego.v1

import data.vigil.rules.dynamodb.pitr_enabled

compliant := data.fixtures.dynamodb.compliant

disabled := data.fixtures.dynamodb.pitr_disabled

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_backups(doc, backups) := object.union(doc, {"supplementaryConfiguration": {"continuousBackups": backups}})

test_pitr_enabled_passes if {
	compliant.supplementaryConfiguration.continuousBackups.pointInTimeRecoveryDescription.pointInTimeRecoveryStatus == "ENABLED"
	pitr_enabled.deny == set() with input as req(compliant)
}

test_pitr_disabled_fails if {
	pitr_enabled.deny == {"table analytics-events has point-in-time recovery disabled (status: DISABLED)"} with input as req(disabled)
}

test_pitr_disabled_on_legacy_table_fails if {
	pitr_enabled.deny == {"table payments-sessions has point-in-time recovery disabled (status: DISABLED)"} with input as req(data.fixtures.dynamodb.legacy_unprotected)
}

test_pitr_description_missing_fails if {
	doc := with_backups(compliant, {"continuousBackupsStatus": "DISABLED", "pointInTimeRecoveryDescription": null})
	pitr_enabled.deny == {"table payments-ledger has point-in-time recovery disabled (status: not reported)"} with input as req(doc)
}

test_pitr_enabling_is_not_yet_enabled if {
	doc := with_backups(compliant, {"continuousBackupsStatus": "ENABLED", "pointInTimeRecoveryDescription": {"pointInTimeRecoveryStatus": "ENABLING"}})
	pitr_enabled.deny == {"table payments-ledger has point-in-time recovery disabled (status: ENABLING)"} with input as req(doc)
}

# DescribeContinuousBackups failed: the scan reports the error; the rule does not guess.
test_backups_not_collected_is_not_assessed if {
	pitr_enabled.deny == set() with input as req(with_backups(disabled, null))
}

test_table_named_by_resource_id_without_configuration_name if {
	doc := object.union(disabled, {"configuration": {"tableName": null}})
	pitr_enabled.deny == {"table analytics-events has point-in-time recovery disabled (status: DISABLED)"} with input as req(doc)
}

# Issue 12, item 1: a continuous-backups status that could not be read is an error, not a pass.
test_unreadable_backups_are_an_error if {
	doc := data.fixtures.dynamodb.backups_unreadable
	not "continuousBackups" in object.keys(doc.supplementaryConfiguration)
	pitr_enabled.deny == set() with input as req(doc)
	pitr_enabled.error == {"supplementaryConfiguration.continuousBackups could not be read: DescribeContinuousBackups failed with AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/VigilAuditRole/vigil is not authorized to perform: dynamodb:DescribeContinuousBackups on resource: arn:aws:dynamodb:eu-west-1:111122223333:table/orders-archive"} with input as req(doc)
}

test_readable_backups_have_no_error if {
	pitr_enabled.error == set() with input as req(compliant)
	pitr_enabled.error == set() with input as req(disabled)
	e := {"operation": "ListTagsOfResource", "code": "AccessDeniedException", "message": "denied"}
	pitr_enabled.error == set() with input as req(object.union(compliant, {"collectionErrors": {"tags": e}}))
}
