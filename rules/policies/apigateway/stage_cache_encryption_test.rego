package vigil.rules.apigateway.stage_cache_encryption_test

import rego.v1

import data.vigil.rules.apigateway.stage_cache_encryption

compliant := data.fixtures.apigateway.compliant

cache_unencrypted := data.fixtures.apigateway.stage_cache_unencrypted

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_stages(doc, stages) := object.union(doc, {"supplementaryConfiguration": {"stages": stages}})

base_stage := compliant.supplementaryConfiguration.stages[0]

base_setting := base_stage.methodSettings["*/*"]

# object.union merges nested objects: drop the fixture's settings first so that they are replaced.
stage(name, cluster, settings) := object.union(
	object.remove(base_stage, ["stageName", "methodSettings"]),
	{"stageName": name, "cacheClusterEnabled": cluster, "methodSettings": settings},
)

setting(caching, encrypted) := object.union(base_setting, {"cachingEnabled": caching, "cacheDataEncrypted": encrypted})

test_stage_without_cache_passes if {
	base_stage.cacheClusterEnabled == false
	stage_cache_encryption.deny == set() with input as req(compliant)

	# no cache: unencrypted settings store nothing
	doc := with_stages(compliant, [stage("prod", false, {"*/*": setting(false, false)}), stage("dev", false, {})])
	stage_cache_encryption.deny == set() with input as req(doc)
}

test_fixture_default_and_override_unencrypted_fail if {
	stage_cache_encryption.deny == {"REST API catalog-rest (h3x9c0a7qe): stage prod caches responses without encrypting cache data (cache cluster on; cacheDataEncrypted not true for */*, ~1products/GET)"} with input as req(cache_unencrypted)
}

test_encrypted_cache_passes if {
	some s in cache_unencrypted.supplementaryConfiguration.stages
	s.stageName == "beta"
	s.cacheClusterEnabled == true
	doc := with_stages(cache_unencrypted, [s])
	stage_cache_encryption.deny == set() with input as req(doc)
}

test_cluster_without_method_settings_fails if {
	doc := with_stages(compliant, [stage("prod", true, {}), stage("v2", true, {"*/*": "x"})])
	stage_cache_encryption.deny == {
		"REST API orders-rest (k1drhlrj5u): stage prod caches responses without encrypting cache data (cache cluster on; cacheDataEncrypted not true for */*)",
		"REST API orders-rest (k1drhlrj5u): stage v2 caches responses without encrypting cache data (cache cluster on; cacheDataEncrypted not true for */*)",
	} with input as req(doc)
}

test_cluster_with_encrypted_default_but_unencrypted_caching_override_fails if {
	doc := with_stages(compliant, [stage("prod", true, {
		"*/*": setting(true, true),
		"~1orders/GET": setting(true, false),
		"~1orders/POST": setting(false, false),
	})])
	stage_cache_encryption.deny == {"REST API orders-rest (k1drhlrj5u): stage prod caches responses without encrypting cache data (cache cluster on; cacheDataEncrypted not true for ~1orders/GET)"} with input as req(doc)
}

test_caching_setting_without_cluster_fails if {
	doc := with_stages(compliant, [stage("prod", false, {"*/*": object.remove(setting(true, true), ["cacheDataEncrypted"])})])
	stage_cache_encryption.deny == {"REST API orders-rest (k1drhlrj5u): stage prod caches responses without encrypting cache data (cache cluster off; cacheDataEncrypted not true for */*)"} with input as req(doc)
}

test_non_boolean_flags_do_not_count_as_encryption if {
	doc := with_stages(compliant, [stage("prod", true, {"*/*": setting(true, "true")})])
	stage_cache_encryption.deny == {"REST API orders-rest (k1drhlrj5u): stage prod caches responses without encrypting cache data (cache cluster on; cacheDataEncrypted not true for */*)"} with input as req(doc)
}

test_unreadable_stages_are_an_error if {
	e := {"operation": "GetStages", "code": "AccessDeniedException", "message": "denied"}
	doc := object.union(object.remove(cache_unencrypted, ["supplementaryConfiguration"]), {
		"supplementaryConfiguration": object.remove(cache_unencrypted.supplementaryConfiguration, ["stages"]),
		"collectionErrors": {"supplementaryConfiguration.stages": e},
	})
	stage_cache_encryption.deny == set() with input as req(doc)
	stage_cache_encryption.error == {"supplementaryConfiguration.stages could not be read: GetStages failed with AccessDeniedException: denied"} with input as req(doc)
}
