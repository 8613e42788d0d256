# METADATA
# title: SCPs allow services outside the platform's whitelist
# description: The service control policies that apply to the account (root, every OU above it and the account itself) let through services that are not in params.allowed_services, or limit services not at all. SCPs are evaluated as AWS does; a service counts as allowed when any of its actions gets through. A whitelist is an Allow-only SCP set that names its services at some level, or an unconditional Deny with NotAction. Unconditional Denies at every level (root, OUs, account) remove the services whose every action they match - an unconditional Deny of "*" (a quarantine SCP) leaves no service allowed and passes; a Deny with any condition removes nothing. A chain that could not be read, or an SCP without the IAM grammar's shape, gives an error instead of a verdict. SCPs never apply to the management account, which is exempt.
# custom:
#   id: VGL-ORG-001
#   severity: high
#   resource_types: [AWS::Organizations::Account]
#   remediation: Attach an SCP whitelist (an Allow of the allowed services, with FullAWSAccess detached at that level, or a Deny with NotAction listing them) to the root or the account's OU, or remove the extra services from it.
package vigil.rules.organizations.scp_service_whitelist

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

allowed := {lower(s) | some s in object.get(data.vigil.params, "allowed_services", [])}

chain := scp.chain(input.resource)

# The chain prepared once per evaluation for the service checks.
levels := scp.service_levels(chain)

bounded if scp.bounded(levels)

deny contains msg if {
	not exempt
	judged
	count(chain) == 0
	msg := sprintf("%s is in no organization: no SCP limits it to the %d allowed services", [label, count(allowed)])
}

deny contains msg if {
	not exempt
	judged
	count(chain) > 0
	not bounded
	msg := sprintf("%s: no SCP whitelist between the root and the account: every service is allowed, not only the %d allowed services", [label, count(allowed)])
}

deny contains msg if {
	not exempt
	judged
	bounded
	extra := sort([s | some s in scp.allowed_services(levels); not s in allowed])
	count(extra) > 0
	msg := sprintf("%s: effective SCPs allow services outside allowed_services: %s", [label, concat(", ", extra)])
}
