package vigil.rules.organizations.management_policies_test

import rego.v1

import data.vigil.rules.organizations.management_policies as rule

compliant := data.fixtures.organizations.compliant

req(doc) := {
	"resource": doc,
	"account": {"id": doc.resourceId, "name": doc.configuration.name, "email": "", "ouPath": doc.configuration.ouPath, "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

deny_of(doc) := result if {
	result := rule.deny with input as req(doc)
}

deny_with(doc, types) := result if {
	result := rule.deny with input as req(doc) with data.vigil.params.organizations.required_policy_types as types
}

error_with(doc, types) := result if {
	result := rule.error with input as req(doc) with data.vigil.params.organizations.required_policy_types as types
}

with_sup(doc, patch) := object.union(doc, {"supplementaryConfiguration": patch})

backup := {"id": "p-96backup", "name": "daily-backups", "arn": "arn:aws:organizations::999988887777:policy/o-a1b2c3d4e5/backup_policy/p-96backup", "awsManaged": false}

test_tag_policy_at_the_root_passes if {
	deny_of(compliant) == set()
	deny_of(data.fixtures.organizations.region_deny) == set()
	deny_with(compliant, []) == set()
}

test_management_account_is_not_exempt if {
	deny_of(data.fixtures.organizations.management) == set()
	bare := with_sup(data.fixtures.organizations.management, {"tagPolicies": [{"targetId": "r-ab12", "type": "ROOT", "name": "Root", "policies": []}]})
	deny_of(bare) == {"account 999988887777 (org-management): no tag policy is attached to the root, its OUs or the account"}
}

test_no_tag_policy_fails if {
	deny_of(data.fixtures.organizations.no_whitelist) == {"account 222233334444 (legacy-app): no tag policy is attached to the root, its OUs or the account"}
}

test_policy_type_not_enabled_counts_as_absent if {
	deny_of(data.fixtures.organizations.standalone) == {"account 555566667777 (555566667777): no tag policy is attached to the root, its OUs or the account (TAG_POLICY is not enabled in the organization)"}
	deny_with(compliant, ["TAG_POLICY", "BACKUP_POLICY"]) == {"account 111122223333 (payments-prod): no backup policy is attached to the root, its OUs or the account (BACKUP_POLICY is not enabled in the organization)"}
}

test_backup_policy_at_any_level if {
	levels := compliant.supplementaryConfiguration.backupPolicies
	ou := object.union(levels[2], {"policies": [backup]})
	doc := with_sup(compliant, {"enabledPolicyTypes": ["BACKUP_POLICY", "SERVICE_CONTROL_POLICY", "TAG_POLICY"], "backupPolicies": [levels[0], levels[1], ou, levels[3]]})
	deny_with(doc, ["TAG_POLICY", "BACKUP_POLICY"]) == set()
	deny_with(doc, ["BACKUP_POLICY"]) == set()
}

test_unreadable_attachments_are_an_error if {
	doc := object.union(json.remove(compliant, ["supplementaryConfiguration/backupPolicies"]), {"collectionErrors": {"supplementaryConfiguration.backupPolicies": {"operation": "ListPoliciesForTarget", "code": "AccessDeniedException", "message": "denied"}}})
	deny_with(doc, ["TAG_POLICY", "BACKUP_POLICY"]) == set()
	error_with(doc, ["TAG_POLICY", "BACKUP_POLICY"]) == {"supplementaryConfiguration.backupPolicies could not be read: ListPoliciesForTarget failed with AccessDeniedException: denied"}
	error_with(doc, ["TAG_POLICY"]) == set()
}

test_not_collected_is_an_error if {
	doc := data.fixtures.organizations.scp_unparsable
	deny_of(doc) == set()
	error_with(doc, ["TAG_POLICY"]) == {"account 484848484848 (hostile-app): the tag policy attachments were not collected"}
	malformed := with_sup(compliant, {"tagPolicies": [7, {"policies": "p-1"}]})
	deny_of(malformed) == {"account 111122223333 (payments-prod): no tag policy is attached to the root, its OUs or the account"}
}
