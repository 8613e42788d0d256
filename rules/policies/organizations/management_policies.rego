# METADATA
# title: Tag or backup policies are absent where required
# description: No policy of a type in params.organizations.required_policy_types (TAG_POLICY, BACKUP_POLICY; default TAG_POLICY) is attached to the root, an OU above the account or the account itself, so tagging rules or backup plans are not enforced there. A policy type that is not enabled in the organization counts as absent, and so does an account in no organization. Unlike SCPs, these policies apply to the management account too. Attachments that could not be listed give an error instead of a verdict. Prowler's organizations_tags_policies_enabled_and_attached checks tag policies only.
# custom:
#   id: VGL-ORG-004
#   severity: low
#   resource_types: [AWS::Organizations::Account]
#   remediation: Enable the policy type at the root (aws organizations enable-policy-type) and attach a tag policy or backup policy to the root or the account's OU.
#   related:
#     prowler: [organizations_tags_policies_enabled_and_attached]
package vigil.rules.organizations.management_policies

import rego.v1

import data.vigil.lib.document

cfg := object.get(input.resource, "configuration", {})

sup := object.get(input.resource, "supplementaryConfiguration", {})

label := sprintf("account %s (%s)", [
	object.get(cfg, "id", object.get(input.resource, "resourceId", "?")),
	object.get(cfg, "name", "?"),
])

as_list(x) := x if {
	is_array(x)
} else := []

# Policy type → the document field listing its attachments along the chain, and its name.
types := {
	"TAG_POLICY": ["tagPolicies", "tag policy"],
	"BACKUP_POLICY": ["backupPolicies", "backup policy"],
}

required := {t | some t in as_list(object.get(object.get(data.vigil.params, "organizations", {}), "required_policy_types", [])); t in object.keys(types)}

field(t) := concat(".", ["supplementaryConfiguration", types[t][0]])

unreadable(t) := document.unreadable({field(t)})

enabled := {t | some t in as_list(object.get(sup, "enabledPolicyTypes", [])); is_string(t)}

error contains reason if {
	some t in required
	some reason in unreadable(t)
}

error contains sprintf("%s: the %s attachments were not collected", [label, types[t][1]]) if {
	some t in required
	count(unreadable(t)) == 0
	not is_array(object.get(sup, types[t][0], null))
}

attached(t) := [p |
	some level in as_list(object.get(sup, types[t][0], []))
	is_object(level)
	some p in as_list(object.get(level, "policies", []))
	is_object(p)
]

deny contains msg if {
	some t in sort(required)
	count(unreadable(t)) == 0
	is_array(object.get(sup, types[t][0], null))
	count(attached(t)) == 0
	msg := sprintf("%s: no %s is attached to the root, its OUs or the account%s", [label, types[t][1], why(t)])
}

why(t) := sprintf(" (%s is not enabled in the organization)", [t]) if not t in enabled else := ""
