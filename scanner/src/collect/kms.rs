//! `AWS::KMS::Key`: ListKeys and ListAliases (all aliases of the region, once), then per key
//! DescribeKey (configuration); for customer-managed keys also the key policy, the tags and, for
//! symmetric encryption keys, the automatic-rotation status.
//!
//! AWS-managed keys (`keyManager: AWS`) are emitted with `keyRotationEnabled`, `policy` and
//! `tags` left empty: AWS rotates them every year, writes their policies (always scoped by
//! `kms:CallerAccount` and `kms:ViaService`) and does not let them be tagged, so those calls
//! would cost one request per key and region and could never lead to an action.

use super::{
    describe_each, parse_policy, rfc3339, sorted_tags, CollectError, Collector, DocumentSink,
    Scope, Unreadable,
};
use crate::aws::{aws_error, AwsError};
use aws_sdk_kms::types::{KeyListEntry, KeyManagerType, KeyMetadata, KeySpec};
use aws_sdk_kms::Client;
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use vigil_model::Document;

/// How many keys of one scope are described at once.
const KEY_CONCURRENCY: usize = 4;

const SERVICE: &str = "kms";
const RESOURCE_TYPE: &str = "AWS::KMS::Key";

/// Collects KMS keys.
pub struct KeyCollector;

impl Collector for KeyCollector {
    fn service(&self) -> &'static str {
        SERVICE
    }

    fn resource_types(&self) -> &'static [&'static str] {
        &[RESOURCE_TYPE]
    }

    fn collect<'a>(
        &'a self,
        scope: &'a Scope,
        out: &'a DocumentSink,
    ) -> BoxFuture<'a, Result<(), CollectError>> {
        Box::pin(async move {
            let client = scope_client!(aws_sdk_kms, scope);
            let mut keys: Vec<KeyListEntry> = client
                .list_keys()
                .set_limit(scope.page_size_capped(1000))
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| aws_error("ListKeys", &e))?;
            keys.retain(|k| scope.wants(RESOURCE_TYPE, k.key_id().unwrap_or_default()));
            // One listing of the region's aliases instead of one call per key.
            let aliases = if keys.is_empty() {
                Ok(HashMap::new())
            } else {
                alias_index(&client, scope).await
            };
            let (client, aliases) = (&client, &aliases);
            describe_each(keys, KEY_CONCURRENCY, out, |k| async move {
                describe(client, scope, out, &k, aliases).await
            })
            .await;
            Ok(())
        })
    }
}

/// One key's document. `None` when DescribeKey fails: without the key's metadata there is
/// nothing a policy could assess, so the failure is recorded instead.
async fn describe(
    client: &Client,
    scope: &Scope,
    out: &DocumentSink,
    entry: &KeyListEntry,
    aliases: &Result<HashMap<String, Vec<String>>, AwsError>,
) -> Option<Document> {
    let key_id = entry.key_id()?.to_string();
    let meta = match client.describe_key().key_id(&key_id).send().await {
        Ok(d) => d.key_metadata?,
        Err(e) => {
            let err = aws_error("DescribeKey", &e);
            // Deleted between ListKeys and DescribeKey: nothing left to assess.
            if err.code != "NotFoundException" {
                out.resource_error(scope, SERVICE, &key_id, &err).await;
            }
            return None;
        }
    };
    let arn = meta
        .arn()
        .or(entry.key_arn())
        .unwrap_or_default()
        .to_string();
    let customer = meta.key_manager() == Some(&KeyManagerType::Customer);

    let mut supplementary = Map::new();
    let mut unreadable = Unreadable::default();
    let rotation = if customer && meta.key_spec() == Some(&KeySpec::SymmetricDefault) {
        rotation_enabled(client, &key_id).await
    } else {
        Ok(Value::Null)
    };
    match rotation {
        Ok(r) => {
            supplementary.insert("keyRotationEnabled".into(), r);
        }
        Err(err) => {
            let field = "supplementaryConfiguration.keyRotationEnabled";
            unreadable
                .record(out, scope, SERVICE, &key_id, field, err)
                .await;
        }
    }

    let policy = if customer {
        match client
            .get_key_policy()
            .key_id(&key_id)
            .policy_name("default")
            .send()
            .await
        {
            Ok(p) => p
                .policy()
                .map_or(Ok(Value::Null), |text| parse_policy(text, "GetKeyPolicy")),
            Err(e) => Err(aws_error("GetKeyPolicy", &e)),
        }
    } else {
        Ok(Value::Null)
    };
    match policy {
        Ok(p) => {
            supplementary.insert("policy".into(), p);
        }
        Err(err) => {
            let field = "supplementaryConfiguration.policy";
            unreadable
                .record(out, scope, SERVICE, &key_id, field, err)
                .await;
        }
    }

    match aliases {
        Ok(index) => {
            let a = Value::from(index.get(&key_id).cloned().unwrap_or_default());
            supplementary.insert("aliases".into(), a);
        }
        // The listing failed: each key's aliases are unknown, and each key says so.
        Err(err) => {
            let field = "supplementaryConfiguration.aliases";
            unreadable
                .record(out, scope, SERVICE, &key_id, field, err.clone())
                .await;
        }
    }

    let tags = if customer {
        match tags(client, scope, &key_id).await {
            Ok(t) => t,
            Err(err) => {
                unreadable
                    .record(out, scope, SERVICE, &key_id, "tags", err)
                    .await;
                Map::new()
            }
        }
    } else {
        Map::new()
    };

    let mut doc = Document {
        resource_type: RESOURCE_TYPE.into(),
        resource_id: key_id,
        arn,
        aws_account_id: scope.account.id.clone(),
        aws_region: scope.region.clone(),
        tags,
        configuration: configuration(&meta),
        supplementary_configuration: Value::Object(supplementary),
        collection_errors: Default::default(),
    };
    unreadable.apply(&mut doc);
    Some(doc)
}

/// Automatic rotation of a customer-managed symmetric key. Null when the key cannot rotate:
/// imported key material and custom key stores answer UnsupportedOperationException, and a
/// key waiting for its material (PendingImport) answers KMSInvalidStateException.
async fn rotation_enabled(client: &Client, key_id: &str) -> Result<Value, AwsError> {
    match client.get_key_rotation_status().key_id(key_id).send().await {
        Ok(r) => Ok(Value::Bool(r.key_rotation_enabled())),
        Err(e) => {
            let err = aws_error("GetKeyRotationStatus", &e);
            if matches!(
                err.code.as_str(),
                "UnsupportedOperationException" | "KMSInvalidStateException"
            ) {
                Ok(Value::Null)
            } else {
                Err(err)
            }
        }
    }
}

/// The region's aliases by the id of the key they point to, each key's sorted. Aliases that
/// point to no key (AWS-managed aliases not yet in use) are left out.
async fn alias_index(
    client: &Client,
    scope: &Scope,
) -> Result<HashMap<String, Vec<String>>, AwsError> {
    let entries: Vec<aws_sdk_kms::types::AliasListEntry> = client
        .list_aliases()
        .set_limit(scope.page_size_capped(100))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("ListAliases", &e))?;
    let mut index: HashMap<String, Vec<String>> = HashMap::new();
    for a in &entries {
        if let (Some(name), Some(key)) = (a.alias_name(), a.target_key_id()) {
            index
                .entry(key.to_string())
                .or_default()
                .push(name.to_string());
        }
    }
    for names in index.values_mut() {
        names.sort_unstable();
    }
    Ok(index)
}

async fn tags(
    client: &Client,
    scope: &Scope,
    key_id: &str,
) -> Result<Map<String, Value>, AwsError> {
    let tags: Vec<aws_sdk_kms::types::Tag> = client
        .list_resource_tags()
        .key_id(key_id)
        .set_limit(scope.page_size_capped(50))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("ListResourceTags", &e))?;
    Ok(sorted_tags(
        tags.iter().map(|t| (t.tag_key(), t.tag_value())),
    ))
}

/// DescribeKey's `KeyMetadata` in camelCase.
fn configuration(m: &KeyMetadata) -> Value {
    json!({
        "keyId": m.key_id(),
        "arn": m.arn(),
        "awsAccountId": m.aws_account_id(),
        "description": m.description().unwrap_or_default(),
        "keyManager": m.key_manager().map(|x| x.as_str()),
        "keySpec": m.key_spec().map(|x| x.as_str()),
        "keyUsage": m.key_usage().map(|x| x.as_str()),
        "keyState": m.key_state().map(|x| x.as_str()),
        "enabled": m.enabled(),
        "origin": m.origin().map(|x| x.as_str()),
        "multiRegion": m.multi_region(),
        "multiRegionConfiguration": m.multi_region_configuration().map(|c| json!({
            "multiRegionKeyType": c.multi_region_key_type().map(|x| x.as_str()),
            "primaryKey": c.primary_key().map(|k| json!({"arn": k.arn(), "region": k.region()})),
            "replicaKeys": c.replica_keys().iter().map(|k| json!({"arn": k.arn(), "region": k.region()})).collect::<Vec<_>>(),
        })),
        "creationDate": rfc3339(m.creation_date()),
        "deletionDate": rfc3339(m.deletion_date()),
        "pendingDeletionWindowInDays": m.pending_deletion_window_in_days(),
        "validTo": rfc3339(m.valid_to()),
        "expirationModel": m.expiration_model().map(|x| x.as_str()),
        "customKeyStoreId": m.custom_key_store_id(),
        "cloudHsmClusterId": m.cloud_hsm_cluster_id(),
        "encryptionAlgorithms": m.encryption_algorithms().iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "signingAlgorithms": m.signing_algorithms().iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "macAlgorithms": m.mac_algorithms().iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "keyAgreementAlgorithms": m.key_agreement_algorithms().iter().map(|x| x.as_str()).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kms::types::{KeyState, KeyUsageType, OriginType};
    use aws_smithy_types::DateTime;

    #[test]
    fn key_metadata_is_camel_cased_with_rfc3339_dates() {
        let m = KeyMetadata::builder()
            .key_id("0b7a6c2e")
            .arn("arn:aws:kms:eu-west-1:111122223333:key/0b7a6c2e")
            .key_manager(KeyManagerType::Customer)
            .key_spec(KeySpec::SymmetricDefault)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .key_state(KeyState::PendingDeletion)
            .origin(OriginType::AwsKms)
            .multi_region(false)
            .creation_date(DateTime::from_secs(1_767_225_600))
            .deletion_date(DateTime::from_secs(1_767_830_400))
            .build()
            .unwrap();
        let c = configuration(&m);
        assert_eq!(c["keyId"], "0b7a6c2e");
        assert_eq!(c["keyManager"], "CUSTOMER");
        assert_eq!(c["keySpec"], "SYMMETRIC_DEFAULT");
        assert_eq!(c["keyUsage"], "ENCRYPT_DECRYPT");
        assert_eq!(c["keyState"], "PendingDeletion");
        assert_eq!(c["origin"], "AWS_KMS");
        assert_eq!(c["multiRegion"], false);
        assert_eq!(c["creationDate"], "2026-01-01T00:00:00Z");
        assert_eq!(c["deletionDate"], "2026-01-08T00:00:00Z");
        assert_eq!(c["description"], "");
        assert_eq!(c["multiRegionConfiguration"], Value::Null);
    }

    #[test]
    fn policy_text_is_parsed_or_an_error_naming_why() {
        assert_eq!(
            parse_policy(r#"{"Version":"2012-10-17","Statement":[]}"#, "GetKeyPolicy").unwrap(),
            json!({"Version": "2012-10-17", "Statement": []})
        );
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for bad in [
            "not json",
            r#"{"Statement":[{"Sid":"\ud800","Effect":"Allow"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":1e400}]}"#,
            deep.as_str(),
        ] {
            let err = parse_policy(bad, "GetKeyPolicy").unwrap_err();
            assert_eq!(err.code, super::super::UNPARSABLE_POLICY, "{bad}");
            assert_eq!(err.operation, "GetKeyPolicy");
            assert!(err.message.contains("not valid JSON"), "{}", err.message);
        }
    }
}
