package vigil.rules.dynamodb.kms_encryption_test

import rego.v1

import data.vigil.rules.dynamodb.kms_encryption

compliant := data.fixtures.dynamodb.compliant

aws_owned := data.fixtures.dynamodb.aws_owned_key

req(doc) := {
	"resource": doc,
	"account": {"id": "111122223333", "name": "payments-prod", "email": "aws+payments-prod@example.com", "ouPath": "Root/Workloads/Prod", "tags": {}},
	"org": {"id": "o-a1b2c3d4e5", "managementAccountId": "999988887777"},
}

with_sse(doc, sse) := object.union(doc, {"configuration": {"sseDescription": sse}})

test_customer_managed_key_passes if {
	compliant.configuration.sseDescription.sseType == "KMS"
	kms_encryption.deny == set() with input as req(compliant)
}

test_aws_managed_kms_key_passes if {
	endswith(data.fixtures.dynamodb.aws_managed_key.configuration.sseDescription.kmsMasterKeyArn, data.fixtures.kms.aws_managed.configuration.keyId)
	kms_encryption.deny == set() with input as req(data.fixtures.dynamodb.aws_managed_key)
}

test_no_sse_description_fails if {
	aws_owned.configuration.sseDescription == null
	kms_encryption.deny == {"table analytics-raw is encrypted with the AWS-owned key, not a KMS key (no SSE description)"} with input as req(aws_owned)
}

test_absent_sse_description_fails if {
	doc := object.union(object.remove(aws_owned, ["configuration"]), {"configuration": object.remove(aws_owned.configuration, ["sseDescription"])})
	not "sseDescription" in object.keys(doc.configuration)
	kms_encryption.deny == {"table analytics-raw is encrypted with the AWS-owned key, not a KMS key (no SSE description)"} with input as req(doc)
}

test_sse_disabled_fails if {
	doc := with_sse(compliant, {"status": "DISABLED", "sseType": "KMS", "kmsMasterKeyArn": null})
	kms_encryption.deny == {"table payments-ledger is encrypted with the AWS-owned key, not a KMS key (SSE type KMS, status DISABLED)"} with input as req(doc)
}

test_switch_back_to_aws_owned_in_progress_fails if {
	doc := with_sse(compliant, {"status": "DISABLING", "sseType": "KMS"})
	kms_encryption.deny == {"table payments-ledger is encrypted with the AWS-owned key, not a KMS key (SSE type KMS, status DISABLING)"} with input as req(doc)
}

test_kms_key_change_in_progress_passes if {
	every status in ["ENABLING", "UPDATING"] {
		doc := with_sse(compliant, {"status": status, "sseType": "KMS", "kmsMasterKeyArn": compliant.configuration.sseDescription.kmsMasterKeyArn})
		kms_encryption.deny == set() with input as req(doc)
	}
}

test_non_kms_sse_type_fails if {
	doc := with_sse(compliant, {"status": "ENABLED", "sseType": "AES256"})
	kms_encryption.deny == {"table payments-ledger is encrypted with the AWS-owned key, not a KMS key (SSE type AES256, status ENABLED)"} with input as req(doc)
}
