# METADATA
# title: Lambda code signing is not enforced where it is required
# description: In the accounts named by params.lambda.code_signing_required_for (account ids, organizational-unit paths such as Root/Workloads/Prod, which cover every account below them, or "*" for every account) a function must have a code signing config whose policy for untrusted artifacts is Enforce, so that only code signed by an allowed publisher can be deployed. A config that only warns (Warn) is flagged. Elsewhere (by default, with an empty list) the rule passes. A code signing config that could not be read gives an error instead of a verdict where it is required.
# custom:
#   id: VGL-LAMBDA-009
#   severity: medium
#   resource_types: [AWS::Lambda::Function]
#   remediation: Create a code signing config with the allowed signing profiles and UntrustedArtifactOnDeployment=Enforce (aws lambda create-code-signing-config --allowed-publishers SigningProfileVersionArns=ARN --code-signing-policies UntrustedArtifactOnDeployment=Enforce) and attach it (aws lambda put-function-code-signing-config --function-name NAME --code-signing-config-arn ARN), or update the attached one's policy.
package vigil.rules.lambda.code_signing_enforced

import rego.v1

import data.vigil.lib.document

function_name := name if {
	name := input.resource.configuration.functionName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed function)")

required_for := r if {
	r := data.vigil.params.lambda.code_signing_required_for
	is_array(r)
} else := []

account_id := id if {
	id := input.account.id
	is_string(id)
} else := input.resource.awsAccountId

ou_path := p if {
	p := input.account.ouPath
	is_string(p)
	p != ""
}

# An entry names this account: "*", its id, or an organizational-unit path it lies in.
names_account(entry) if entry == "*"

names_account(entry) if entry == account_id

# A unit path names its own accounts and those of the units below it ("Root/Workloads" covers
# Root/Workloads/Prod, not Root/Workloads-Legacy); a trailing "/" is the same path.
names_account(entry) if {
	unit := trim_suffix(entry, "/")
	unit != ""
	unit == ou_path
}

names_account(entry) if {
	unit := trim_suffix(entry, "/")
	unit != ""
	startswith(ou_path, concat("", [unit, "/"]))
}

required_by := sort([entry | some entry in required_for; is_string(entry); names_account(entry)])

required if count(required_by) > 0

supplementary := s if {
	s := input.resource.supplementaryConfiguration
	is_object(s)
} else := {}

config_arn := a if {
	a := supplementary.codeSigningConfigArn
	is_string(a)
	a != ""
}

config := c if {
	c := supplementary.codeSigningConfig
	is_object(c)
}

policy := p if {
	p := config.codeSigningPolicies.untrustedArtifactOnDeployment
	is_string(p)
} else := "not reported"

unreadable := document.unreadable({
	"supplementaryConfiguration.codeSigningConfigArn",
	"supplementaryConfiguration.codeSigningConfig",
})

why := sprintf("required here by params.lambda.code_signing_required_for: %s", [concat(", ", required_by)])

error contains reason if {
	required
	some reason in unreadable
}

error contains sprintf("function %s: code signing config %s was not collected, so whether it enforces signatures is unknown (%s)", [function_name, config_arn, why]) if {
	required
	count(unreadable) == 0
	is_string(config_arn)
	not config
}

deny contains msg if {
	required
	count(unreadable) == 0
	not config_arn
	msg := sprintf("function %s has no code signing config (%s)", [function_name, why])
}

deny contains msg if {
	required
	count(unreadable) == 0
	is_string(config_arn)
	is_object(config)
	policy != "Enforce"
	msg := sprintf("function %s: code signing config %s does not block untrusted code (UntrustedArtifactOnDeployment: %s; %s)", [function_name, config_arn, policy, why])
}
