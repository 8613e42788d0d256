package vigil.rules.kms.key_unusable_test

import rego.v1

import data.vigil.rules.kms.key_unusable

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "analytics-dev", "email": "aws+analytics@example.com", "ouPath": "Root/Workloads/Dev", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

pending := data.fixtures.kms.pending_deletion

disabled := data.fixtures.kms.disabled_no_rotation

with_state(doc, state) := object.union(doc, {"configuration": {"keyState": state}})

test_enabled_key_passes if {
	data.fixtures.kms.compliant.configuration.keyState == "Enabled"
	key_unusable.deny == set() with input as req(data.fixtures.kms.compliant)
}

test_pending_deletion_fails if {
	msg := sprintf("key 3a5c7e9b-1d3f-4a5b-c7d9-e1f3a5b7c9d1 (alias/analytics-retiring) is scheduled for deletion (key state: PendingDeletion, deletion on %s)", [pending.configuration.deletionDate])
	key_unusable.deny == {msg} with input as req(pending)
}

test_pending_replica_deletion_fails_without_date if {
	doc := object.union(with_state(pending, "PendingReplicaDeletion"), {"configuration": {"deletionDate": null}})
	key_unusable.deny == {"key 3a5c7e9b-1d3f-4a5b-c7d9-e1f3a5b7c9d1 (alias/analytics-retiring) is scheduled for deletion (key state: PendingReplicaDeletion)"} with input as req(doc)
}

test_disabled_fails if {
	key_unusable.deny == {"key 4b6d8f0a-2c4e-4b6d-8f0a-2c4e6b8d0f2a (alias/analytics-archive) is disabled"} with input as req(disabled)
}

test_aws_managed_keys_are_not_flagged if {
	doc := data.fixtures.kms.aws_managed
	every state in ["Disabled", "PendingDeletion"] {
		key_unusable.deny == set() with input as req(with_state(doc, state))
	}
}

test_other_states_pass if {
	every state in ["Enabled", "PendingImport", "Unavailable", "Creating", "Updating"] {
		key_unusable.deny == set() with input as req(with_state(disabled, state))
	}
}

test_key_without_alias_is_named_by_id if {
	doc := object.union(disabled, {"supplementaryConfiguration": {"aliases": []}})
	key_unusable.deny == {"key 4b6d8f0a-2c4e-4b6d-8f0a-2c4e6b8d0f2a is disabled"} with input as req(doc)
}
