# METADATA
# title: REST API stage caches responses without encryption
# description: A stage with a cache cluster (cacheClusterEnabled) or with caching turned on in its method settings (cachingEnabled) keeps API responses in the cache, and unless cacheDataEncrypted is set they are stored unencrypted at rest. The stage fails when its default method settings (methodSettings "*/*") do not encrypt while the cache cluster is on or default caching is on, and when a per-method override caches without encrypting; the message lists those method settings. A stage without any cache passes (unlike AWS Config's api-gw-cache-enabled-and-encrypted, vigil does not require a cache). An API with no stages is not flagged; stages that could not be read give an error instead of a verdict.
# custom:
#   id: VGL-APIGW-007
#   severity: medium
#   resource_types: [AWS::ApiGateway::RestApi]
#   remediation: Turn on cache data encryption for the stage and for every method override that caches (aws apigateway update-stage --rest-api-id ID --stage-name NAME --patch-operations op=replace,path=/*/*/caching/dataEncrypted,value=true), or turn the cache off if it is not needed.
#   related:
#     fsbp: [APIGateway.5]
#     aws_config: [api-gw-cache-enabled-and-encrypted]
#     prowler: [apigateway_restapi_cache_encrypted]
package vigil.rules.apigateway.stage_cache_encryption

import rego.v1

import data.vigil.lib.document

api_label := sprintf("%s (%s)", [name, input.resource.resourceId]) if {
	name := input.resource.configuration.name
	is_string(name)
	name != ""
} else := object.get(input.resource, "resourceId", "(unnamed API)")

as_array(x) := x if {
	is_array(x)
} else := []

stage_name(stage) := stage.stageName if is_string(stage.stageName) else := "?"

method_settings(stage) := s if {
	s := stage.methodSettings
	is_object(s)
} else := {}

# The stage default; {} when there is none (so that `not encrypted(...)` holds in every engine).
default_setting(stage) := s if {
	s := method_settings(stage)["*/*"]
} else := {}

encrypted(setting) if {
	is_object(setting)
	setting.cacheDataEncrypted == true
}

caches(setting) if {
	is_object(setting)
	setting.cachingEnabled == true
}

# The method settings under which the stage caches unencrypted data: the stage default when
# the cache cluster is on (every method that caches inherits it), and every setting that
# turns caching on without encryption.
unencrypted(stage) := {"*/*" |
	stage.cacheClusterEnabled == true
	not encrypted(default_setting(stage))
} | {key |
	some key, setting in method_settings(stage)
	caches(setting)
	not encrypted(setting)
}

cache_state(stage) := "cache cluster on" if stage.cacheClusterEnabled == true else := "cache cluster off"

# GetStages failed: the stages are unknown, not "none".
error contains reason if {
	some reason in document.unreadable({"supplementaryConfiguration.stages"})
}

deny contains msg if {
	some stage in as_array(input.resource.supplementaryConfiguration.stages)
	keys := unencrypted(stage)
	count(keys) > 0
	msg := sprintf("REST API %s: stage %s caches responses without encrypting cache data (%s; cacheDataEncrypted not true for %s)", [
		api_label, stage_name(stage), cache_state(stage), concat(", ", sort(keys)),
	])
}
