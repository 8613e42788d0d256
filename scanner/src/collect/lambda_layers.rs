//! `AWS::Lambda::LayerVersion`: ListLayers, then per layer ListLayerVersions, then per version
//! its resource policy (GetLayerVersionPolicy). One document per version that exists: every
//! version can be fetched by whoever its own policy lets in, not only the newest.
//!
//! A service of its own (`lambda-layers`), so that a role without the layer permissions, or
//! a failed listing, leaves the layer rules unassessed and not the function rules.

use super::{
    describe_each, parse_policy, CollectError, Collector, DocumentSink, Scope, Unreadable,
};
use crate::aws::{aws_error, AwsError};
use aws_sdk_lambda::types::{LayerVersionsListItem, LayersListItem};
use aws_sdk_lambda::Client;
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use vigil_model::Document;

const SERVICE: &str = "lambda-layers";
const RESOURCE_TYPE: &str = "AWS::Lambda::LayerVersion";

/// How many layer versions of one scope are described at once.
const VERSION_CONCURRENCY: usize = 4;

/// Collects Lambda layer versions and their policies.
pub struct LayerVersionCollector;

impl Collector for LayerVersionCollector {
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
            let client = scope_client!(aws_sdk_lambda, scope);
            let layers: Vec<LayersListItem> = client
                .list_layers()
                .set_max_items(scope.page_size_capped(50))
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| aws_error("ListLayers", &e))?;
            let mut names: Vec<String> = layers
                .iter()
                .filter_map(|l| l.layer_name().map(str::to_string))
                .collect();
            names.sort();
            names.dedup();
            // A layer whose versions could not be listed has versions nobody judged: the
            // scope's layer rules are unassessed (the other layers are still described).
            let mut failed: Option<AwsError> = None;
            let mut versions = Vec::new();
            for name in names {
                match layer_versions(&client, scope, &name).await {
                    Ok(v) => versions.extend(v.into_iter().map(|v| (name.clone(), v))),
                    Err(err) => {
                        failed.get_or_insert(err);
                    }
                }
            }
            let client = &client;
            describe_each(versions, VERSION_CONCURRENCY, out, |(name, v)| async move {
                Some(describe(client, scope, out, &name, &v).await)
            })
            .await;
            match failed {
                Some(err) => Err(CollectError(err)),
                None => Ok(()),
            }
        })
    }
}

async fn layer_versions(
    client: &Client,
    scope: &Scope,
    name: &str,
) -> Result<Vec<LayerVersionsListItem>, AwsError> {
    let mut versions: Vec<LayerVersionsListItem> = client
        .list_layer_versions()
        .layer_name(name)
        .set_max_items(scope.page_size_capped(50))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("ListLayerVersions", &e))?;
    versions.sort_by_key(|v| v.version());
    versions.dedup_by_key(|v| v.version());
    Ok(versions)
}

/// One layer version's document; a policy that could not be read is left out and named in
/// `collectionErrors`.
async fn describe(
    client: &Client,
    scope: &Scope,
    out: &DocumentSink,
    name: &str,
    v: &LayerVersionsListItem,
) -> Document {
    let id = format!("{name}:{}", v.version());
    let arn = v.layer_version_arn().unwrap_or_default().to_string();
    let mut supplementary = Map::new();
    let mut unreadable = Unreadable::default();
    match layer_policy(client, name, v.version()).await {
        Ok(p) => {
            supplementary.insert("policy".into(), p);
        }
        Err(err) => {
            let field = "supplementaryConfiguration.policy";
            unreadable
                .record(out, scope, SERVICE, &id, field, err)
                .await;
        }
    }
    let mut doc = Document {
        resource_type: RESOURCE_TYPE.into(),
        resource_id: id,
        arn: arn.clone(),
        aws_account_id: scope.account.id.clone(),
        aws_region: scope.region.clone(),
        tags: Map::new(),
        configuration: configuration(name, &arn, v),
        supplementary_configuration: Value::Object(supplementary),
        collection_errors: Default::default(),
    };
    unreadable.apply(&mut doc);
    doc
}

/// The version's resource policy; null when it has none (ResourceNotFoundException).
async fn layer_policy(client: &Client, name: &str, version: i64) -> Result<Value, AwsError> {
    match client
        .get_layer_version_policy()
        .layer_name(name)
        .version_number(version)
        .send()
        .await
    {
        Ok(p) => match p.policy() {
            Some(text) => parse_policy(text, "GetLayerVersionPolicy"),
            None => Ok(Value::Null),
        },
        Err(e) => {
            let err = aws_error("GetLayerVersionPolicy", &e);
            if err.code == "ResourceNotFoundException" {
                Ok(Value::Null)
            } else {
                Err(err)
            }
        }
    }
}

fn configuration(name: &str, version_arn: &str, v: &LayerVersionsListItem) -> Value {
    // arn:aws:lambda:region:account:layer:name:version → the layer's arn without the version.
    let layer_arn = version_arn
        .rsplit_once(':')
        .map(|(layer, _)| layer)
        .unwrap_or_default();
    let mut runtimes: Vec<&str> = v.compatible_runtimes().iter().map(|r| r.as_str()).collect();
    runtimes.sort_unstable();
    let mut architectures: Vec<&str> = v
        .compatible_architectures()
        .iter()
        .map(|a| a.as_str())
        .collect();
    architectures.sort_unstable();
    json!({
        "layerName": name,
        "layerArn": layer_arn,
        "layerVersionArn": version_arn,
        "version": v.version(),
        "description": v.description().unwrap_or_default(),
        "createdDate": v.created_date(),
        "compatibleRuntimes": runtimes,
        "compatibleArchitectures": architectures,
        "licenseInfo": v.license_info(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_arn_drops_the_version() {
        let v = LayerVersionsListItem::builder()
            .layer_version_arn("arn:aws:lambda:eu-west-1:111122223333:layer:shared-utils:3")
            .version(3)
            .build();
        let c = configuration(
            "shared-utils",
            "arn:aws:lambda:eu-west-1:111122223333:layer:shared-utils:3",
            &v,
        );
        assert_eq!(
            c["layerArn"],
            "arn:aws:lambda:eu-west-1:111122223333:layer:shared-utils"
        );
        assert_eq!(c["version"], 3);
    }
}
