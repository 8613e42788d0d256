# METADATA
# title: KMS customer-managed key is pending deletion or disabled
# description: A customer-managed key that is disabled, or scheduled for deletion (PendingDeletion, or PendingReplicaDeletion for a multi-Region replica), can no longer decrypt what it protects; once deleted, that data is lost for good. The finding is raised while the deletion can still be cancelled. AWS managed keys are not assessed (AWS manages their state). Keys waiting for imported key material (PendingImport) or unavailable in a disconnected custom key store are not flagged. FSBP KMS.3 covers pending deletion only; vigil also flags disabled keys.
# custom:
#   id: VGL-KMS-003
#   severity: medium
#   resource_types: [AWS::KMS::Key]
#   remediation: If the key is still needed, cancel its deletion (aws kms cancel-key-deletion --key-id KEY_ID) and enable it (aws kms enable-key --key-id KEY_ID); otherwise make sure nothing still encrypted under it is needed.
#   related:
#     fsbp: [KMS.3]
#     aws_config: [kms-cmk-not-scheduled-for-deletion]
#     prowler: [kms_cmk_not_deleted_unintentionally, kms_cmk_are_used]
package vigil.rules.kms.key_unusable

import rego.v1

cfg := input.resource.configuration

key_id := id if {
	id := cfg.keyId
	is_string(id)
} else := object.get(input.resource, "resourceId", "(unknown key)")

aliases := [a | some a in input.resource.supplementaryConfiguration.aliases; is_string(a)] if {
	is_array(input.resource.supplementaryConfiguration.aliases)
}

key_label := sprintf("%s (%s)", [key_id, concat(", ", sort(aliases))]) if {
	count(aliases) > 0
} else := key_id

deletion := sprintf(", deletion on %s", [cfg.deletionDate]) if {
	is_string(cfg.deletionDate)
} else := ""

deny contains msg if {
	cfg.keyManager == "CUSTOMER"
	cfg.keyState in {"PendingDeletion", "PendingReplicaDeletion"}
	msg := sprintf("key %s is scheduled for deletion (key state: %s%s)", [key_label, cfg.keyState, deletion])
}

deny contains msg if {
	cfg.keyManager == "CUSTOMER"
	cfg.keyState == "Disabled"
	msg := sprintf("key %s is disabled", [key_label])
}
