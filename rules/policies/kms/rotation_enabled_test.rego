package vigil.rules.kms.rotation_enabled_test

import rego.v1

import data.vigil.rules.kms.rotation_enabled

compliant := data.fixtures.kms.compliant

no_rotation := data.fixtures.kms.rotation_disabled

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

no_rotation_msg := "key 2d4f6a8c-1e3b-4d5f-a7c9-e1b3d5f7a9c1 (alias/payments-legacy) has automatic rotation disabled (key state: Enabled)"

test_rotation_enabled_passes if {
	compliant.supplementaryConfiguration.keyRotationEnabled == true
	rotation_enabled.deny == set() with input as req(compliant)
}

test_rotation_disabled_fails if {
	rotation_enabled.deny == {no_rotation_msg} with input as req(no_rotation)
}

test_disabled_key_without_rotation_fails if {
	rotation_enabled.deny == {"key 4b6d8f0a-2c4e-4b6d-8f0a-2c4e6b8d0f2a (alias/analytics-archive) has automatic rotation disabled (key state: Disabled)"} with input as req(data.fixtures.kms.disabled_no_rotation)
}

test_key_without_alias_is_named_by_id if {
	doc := object.union(no_rotation, {"supplementaryConfiguration": {"aliases": []}})
	rotation_enabled.deny == {"key 2d4f6a8c-1e3b-4d5f-a7c9-e1b3d5f7a9c1 has automatic rotation disabled (key state: Enabled)"} with input as req(doc)
}

test_several_aliases_are_listed_sorted if {
	doc := object.union(no_rotation, {"supplementaryConfiguration": {"aliases": ["alias/z-exports", "alias/a-exports"]}})
	rotation_enabled.deny == {"key 2d4f6a8c-1e3b-4d5f-a7c9-e1b3d5f7a9c1 (alias/a-exports, alias/z-exports) has automatic rotation disabled (key state: Enabled)"} with input as req(doc)
}

test_asymmetric_key_is_not_assessed if {
	data.fixtures.kms.asymmetric.supplementaryConfiguration.keyRotationEnabled == null
	rotation_enabled.deny == set() with input as req(data.fixtures.kms.asymmetric)

	# even if a rotation status were reported for it
	doc := object.union(data.fixtures.kms.asymmetric, {"supplementaryConfiguration": {"keyRotationEnabled": false}})
	rotation_enabled.deny == set() with input as req(doc)
}

test_hmac_key_is_not_assessed if {
	doc := object.union(no_rotation, {"configuration": {"keySpec": "HMAC_256", "keyUsage": "GENERATE_VERIFY_MAC"}})
	rotation_enabled.deny == set() with input as req(doc)
}

test_aws_managed_key_is_not_assessed if {
	data.fixtures.kms.aws_managed.configuration.keyManager == "AWS"
	rotation_enabled.deny == set() with input as req(data.fixtures.kms.aws_managed)
	doc := object.union(data.fixtures.kms.aws_managed, {"supplementaryConfiguration": {"keyRotationEnabled": false}})
	rotation_enabled.deny == set() with input as req(doc)
}

test_pending_deletion_is_not_assessed if {
	data.fixtures.kms.pending_deletion.supplementaryConfiguration.keyRotationEnabled == false
	rotation_enabled.deny == set() with input as req(data.fixtures.kms.pending_deletion)
	doc := object.union(no_rotation, {"configuration": {"keyState": "PendingReplicaDeletion"}})
	rotation_enabled.deny == set() with input as req(doc)
}

test_imported_material_and_custom_key_stores_are_not_assessed if {
	every origin in ["EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"] {
		doc := object.union(no_rotation, {"configuration": {"origin": origin}})
		rotation_enabled.deny == set() with input as req(doc)
	}
}

test_unknown_rotation_status_is_not_assessed if {
	doc := object.union(no_rotation, {"supplementaryConfiguration": {"keyRotationEnabled": null}})
	rotation_enabled.deny == set() with input as req(doc)
}

# Issue 12, item 1: a rotation status that could not be read is an error, not a pass.
test_unreadable_rotation_status_is_an_error if {
	doc := data.fixtures.kms.unreadable
	not "keyRotationEnabled" in object.keys(doc.supplementaryConfiguration)
	rotation_enabled.deny == set() with input as req(doc)
	rotation_enabled.error == {"supplementaryConfiguration.keyRotationEnabled could not be read: GetKeyRotationStatus failed with AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/VigilAuditRole/vigil is not authorized to perform: kms:GetKeyRotationStatus on this resource because the resource does not exist in this Region, no resource-based policies allow access, or a resource-based policy explicitly denies access"} with input as req(doc)
}

test_readable_rotation_status_has_no_error if {
	rotation_enabled.error == set() with input as req(compliant)
	rotation_enabled.error == set() with input as req(no_rotation)
}
