# METADATA
# title: Lambda function is attached to a VPC
# description: Functions run outside VPCs in this platform; a VPC attachment brings ENIs, NAT and subnet sprawl. params.lambda.vpc_policy switches the rule to forbid (default), require or ignore VPC attachment. The default is the opposite of Security Hub Lambda.3, AWS Config lambda-inside-vpc and Prowler awslambda_function_inside_vpc, which require a VPC; vpc_policy require matches them.
# custom:
#   id: VGL-LAMBDA-001
#   severity: medium
#   resource_types: [AWS::Lambda::Function]
#   remediation: Remove the VpcConfig or add the function to params.lambda.vpc_allowed.
#   related:
#     fsbp: [Lambda.3]
#     aws_config: [lambda-inside-vpc]
#     prowler: [awslambda_function_inside_vpc]
package vigil.rules.lambda.no_vpc

import rego.v1

cfg := input.resource.configuration

function_name := name if {
	name := cfg.functionName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed function)")

vpc_policy := object.get(data.vigil.params, ["lambda", "vpc_policy"], "forbid")

vpc_allowed := object.get(data.vigil.params, ["lambda", "vpc_allowed"], [])

# A function is exempt by name or by full ARN (the ARN disambiguates same-named
# functions in different accounts or regions).
exempt if function_name in vpc_allowed

exempt if input.resource.arn in vpc_allowed

subnet_ids := ids if {
	ids := cfg.vpcConfig.subnetIds
	is_array(ids)
} else := []

vpc_id := id if {
	id := cfg.vpcConfig.vpcId
	is_string(id)
	id != ""
} else := "(unknown VPC id)"

deny contains msg if {
	vpc_policy == "forbid"
	not exempt
	count(subnet_ids) > 0
	msg := sprintf("function %s is attached to VPC %s through %d subnet(s): %s", [
		function_name, vpc_id, count(subnet_ids), concat(", ", subnet_ids),
	])
}

deny contains msg if {
	vpc_policy == "require"
	not exempt
	count(subnet_ids) == 0
	msg := sprintf("function %s is not attached to a VPC (params.lambda.vpc_policy is require)", [function_name])
}

# A misspelt policy must not silently switch the check off.
deny contains msg if {
	not vpc_policy in {"forbid", "require", "ignore"}
	msg := sprintf(`params.lambda.vpc_policy is "%v"; expected forbid, require or ignore`, [vpc_policy])
}
