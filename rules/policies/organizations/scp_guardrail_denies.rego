# METADATA
# title: SCPs do not stop the account leaving the organization or silencing AWS Config
# description: The effective service control policies of the account still allow organizations:LeaveOrganization, config:StopConfigurationRecorder or config:DeleteConfigurationRecorder. An action is blocked when some level of the chain does not allow it or a Deny anywhere matches it (Action or NotAction, wildcards included); a Deny counts when it has no condition or only conditions on the calling principal (a break-glass exception). SCPs never apply to the management account, which is exempt.
# custom:
#   id: VGL-ORG-002
#   severity: high
#   resource_types: [AWS::Organizations::Account]
#   remediation: Attach an SCP to the root (or the account's OU) that denies organizations:LeaveOrganization, config:StopConfigurationRecorder and config:DeleteConfigurationRecorder, with at most an exception for an administration role through aws:PrincipalArn.
package vigil.rules.organizations.scp_guardrail_denies

import rego.v1

import data.vigil.lib.scp

cfg := object.get(input.resource, "configuration", {})

label := sprintf("account %s (%s)", [
	object.get(cfg, "id", object.get(input.resource, "resourceId", "?")),
	object.get(cfg, "name", "?"),
])

exempt if cfg.isManagementAccount == true

# In this order in messages.
guarded_actions := [
	"organizations:LeaveOrganization",
	"config:StopConfigurationRecorder",
	"config:DeleteConfigurationRecorder",
]

# The chain prepared once per evaluation for the action checks.
levels := scp.action_levels(scp.chain(input.resource))

deny contains msg if {
	not exempt
	missing := [a | some a in guarded_actions; scp.action_allowed(levels, a)]
	count(missing) > 0
	msg := sprintf("%s: effective SCPs do not deny %s", [label, concat(", ", missing)])
}
