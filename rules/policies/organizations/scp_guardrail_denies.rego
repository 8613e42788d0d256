# METADATA
# title: SCPs do not stop the account leaving the organization or silencing AWS Config
# description: The effective service control policies of the account still allow organizations:LeaveOrganization, config:StopConfigurationRecorder or config:DeleteConfigurationRecorder. An action is blocked when some level of the chain does not allow it or a Deny anywhere matches it (Action or NotAction, wildcards included); a Deny counts only when it is unconditional or its only conditions exempt named principals - negated operators (ArnNotLike, ArnNotEquals, StringNotLike, StringNotEquals, StringNotEqualsIgnoreCase, optionally ...IfExists) on keys naming the caller (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalTag/..., aws:PrincipalOrgPaths and the other aws:Principal* keys, aws:userid, aws:username) whose values are not a bare wildcard (a break-glass exception). A Deny that matches only some callers (ArnLike aws:PrincipalArn arn:aws:iam::*:root, the deny-the-root-user SCP) or has any other condition does not count. A chain that could not be read, or an SCP without the IAM grammar's shape, gives an error instead of a verdict. SCPs never apply to the management account, which is exempt.
# custom:
#   id: VGL-ORG-002
#   severity: high
#   resource_types: [AWS::Organizations::Account]
#   remediation: Attach an SCP to the root (or the account's OU) that denies organizations:LeaveOrganization, config:StopConfigurationRecorder and config:DeleteConfigurationRecorder, with at most an exception for an administration role through aws:PrincipalArn.
package vigil.rules.organizations.scp_guardrail_denies

import rego.v1

import data.vigil.lib.document
import data.vigil.lib.scp

cfg := object.get(input.resource, "configuration", {})

label := sprintf("account %s (%s)", [
	object.get(cfg, "id", object.get(input.resource, "resourceId", "?")),
	object.get(cfg, "name", "?"),
])

exempt if cfg.isManagementAccount == true

# The chain could not be read (an SCP that is not valid JSON, a denied DescribePolicy), or an
# SCP of it does not have the IAM grammar's shape: the effective SCPs are unknown, and the
# rule says so instead of judging part of the chain.
unreadable := document.unreadable({"supplementaryConfiguration.scpChain"})

chain_problems := scp.problems(input.resource)

judged if {
	count(unreadable) == 0
	count(chain_problems) == 0
}

error contains reason if {
	not exempt
	some reason in unreadable
}

error contains sprintf("%s: the SCP chain cannot be judged: %s", [label, problem]) if {
	not exempt
	some problem in chain_problems
}

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
	judged
	missing := [a | some a in guarded_actions; scp.action_allowed(levels, a)]
	count(missing) > 0
	msg := sprintf("%s: effective SCPs do not deny %s", [label, concat(", ", missing)])
}
