# METADATA
# title: SCPs do not restrict regions
# description: No service control policy between the root and the account restricts the regions it can use, or the regions they leave open go beyond params.organizations.allowed_regions. A restriction is a Deny of every action (Action "*") or of every action but a NotAction list of exemptions (the usual global services - iam, organizations, sts, support, cloudfront, route53, ... - are accepted as they are) on the condition StringNotEquals or StringNotLike (also ...IgnoreCase, ...IfExists) on aws:RequestedRegion, at any level of the chain; its only other conditions may exempt named principals (a break-glass role through aws:PrincipalArn). A region is left open when every such Deny leaves it open; StringNotLike patterns are matched against the commercial regions. With allowed_regions empty (the default) any restriction passes. A Deny of only some actions, or with any other condition, does not count. A chain that could not be read, or an SCP without the IAM grammar's shape, gives an error instead of a verdict. SCPs never apply to the management account, which is exempt.
# custom:
#   id: VGL-ORG-003
#   severity: medium
#   resource_types: [AWS::Organizations::Account]
#   remediation: Attach the region-deny SCP (AWS Organizations user guide, "Deny access to AWS based on the requested AWS Region") to the root or the account's OU, listing only the regions in params.organizations.allowed_regions, with the global services exempted through NotAction.
#   related:
#     prowler: [organizations_scp_check_deny_regions]
package vigil.rules.organizations.scp_region_restriction

import rego.v1

import data.vigil.lib.document
import data.vigil.lib.scp

cfg := object.get(input.resource, "configuration", {})

label := sprintf("account %s (%s)", [
	object.get(cfg, "id", object.get(input.resource, "resourceId", "?")),
	object.get(cfg, "name", "?"),
])

exempt if cfg.isManagementAccount == true

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

params := object.get(data.vigil.params, "organizations", {})

allowed_list := x if {
	x := object.get(params, "allowed_regions", [])
	is_array(x)
} else := []

allowed := {lower(r) | some r in allowed_list; is_string(r)}

restrictions := scp.region_restrictions(scp.chain(input.resource))

deny contains msg if {
	not exempt
	judged
	count(restrictions) == 0
	msg := sprintf("%s: no SCP between the root and the account restricts regions (no Deny of every action, or every action but global-service exemptions, on aws:RequestedRegion)", [label])
}

deny contains msg if {
	not exempt
	judged
	count(restrictions) > 0
	count(allowed) > 0
	extra := sort([r | some r in scp.open_regions(restrictions, allowed_list); not r in allowed])
	count(extra) > 0
	msg := sprintf("%s: SCPs leave regions open beyond allowed_regions: %s", [label, concat(", ", extra)])
}
