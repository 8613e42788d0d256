# METADATA
# title: API Gateway custom domain name accepts TLS older than 1.2
# description: A custom domain name with security policy TLS_1_0 accepts TLS 1.0 and 1.1 connections, which have known weaknesses and are no longer allowed by PCI DSS. TLS_1_2 and the SecurityPolicy_TLS12_... and SecurityPolicy_TLS13_... policies (minimum TLS 1.2 or 1.3) pass. A policy name vigil does not know, or a domain name whose security policy is not reported, gives an error rather than a verdict (the rule fails closed - a new policy name needs a vigil update to be judged). Edge-optimized, regional and private domain names are all checked.
# custom:
#   id: VGL-APIGW-010
#   severity: medium
#   resource_types: [AWS::ApiGateway::DomainName]
#   remediation: Set the domain name's security policy to TLS_1_2 or a SecurityPolicy_TLS13_ policy (aws apigateway update-domain-name --domain-name NAME --patch-operations op=replace,path=/securityPolicy,value=TLS_1_2).
package vigil.rules.apigateway.domain_tls

import rego.v1

domain := name if {
	name := input.resource.configuration.domainName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed domain)")

endpoint_types := [t | some t in input.resource.configuration.endpointConfiguration.types; is_string(t)] if {
	is_array(input.resource.configuration.endpointConfiguration.types)
} else := []

domain_label := sprintf("%s (%s)", [domain, concat(", ", endpoint_types)]) if {
	count(endpoint_types) > 0
} else := domain

# null when not reported (a defined value, so that `not is_string(...)` holds in every engine).
security_policy := object.get(input.resource, ["configuration", "securityPolicy"], null)

# Policies that accept TLS 1.0 and 1.1.
legacy := {"TLS_1_0"}

# Minimum TLS 1.2 or 1.3: the named TLS 1.2 policy and the two families of enhanced policies.
modern(p) if p == "TLS_1_2"

modern(p) if startswith(p, "SecurityPolicy_TLS12_")

modern(p) if startswith(p, "SecurityPolicy_TLS13_")

deny contains msg if {
	security_policy in legacy
	msg := sprintf("custom domain name %s uses security policy %s, which accepts TLS 1.0 and 1.1", [domain_label, security_policy])
}

error contains msg if {
	not is_string(security_policy)
	msg := sprintf("custom domain name %s: its security policy is not reported, so the TLS versions it accepts are unknown", [domain_label])
}

error contains msg if {
	is_string(security_policy)
	not security_policy in legacy
	not modern(security_policy)
	msg := sprintf("custom domain name %s: security policy %s is not one vigil knows, so the TLS versions it accepts are unknown", [domain_label, security_policy])
}
