//! `AWS::DynamoDB::Table`: ListTables, then per table DescribeTable (configuration),
//! DescribeContinuousBackups (point-in-time recovery) and ListTagsOfResource.

use super::{
    all_pages, describe_each, rfc3339, sorted_tags, CollectError, Collector, DocumentSink, Scope,
    Unreadable,
};
use crate::aws::{aws_error, AwsError};
use aws_sdk_dynamodb::types::{
    ContinuousBackupsDescription, KeySchemaElement, OnDemandThroughput, Projection,
    ProvisionedThroughputDescription, TableDescription,
};
use aws_sdk_dynamodb::Client;
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use vigil_model::Document;

/// How many tables of one scope are described at once.
const TABLE_CONCURRENCY: usize = 4;

const SERVICE: &str = "dynamodb";
const RESOURCE_TYPE: &str = "AWS::DynamoDB::Table";

/// ListTables' largest page; `--page-size` above it would be a ValidationException.
const LIST_TABLES_MAX: i32 = 100;

/// Collects DynamoDB tables.
pub struct TableCollector;

impl Collector for TableCollector {
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
            let client = scope_client!(aws_sdk_dynamodb, scope);
            let names: Vec<String> = client
                .list_tables()
                .set_limit(scope.page_size_capped(LIST_TABLES_MAX))
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| aws_error("ListTables", &e))?;
            let client = &client;
            describe_each(names, TABLE_CONCURRENCY, out, |name| async move {
                describe(client, scope, out, &name).await
            })
            .await;
            Ok(())
        })
    }
}

/// One table's document. `None` when the table cannot be described (the failure is recorded)
/// or was deleted since it was listed (nothing to assess).
async fn describe(
    client: &Client,
    scope: &Scope,
    out: &DocumentSink,
    name: &str,
) -> Option<Document> {
    let table = match client.describe_table().table_name(name).send().await {
        Ok(t) => t.table?,
        Err(e) => {
            let err = aws_error("DescribeTable", &e);
            if err.code != "ResourceNotFoundException" {
                out.resource_error(scope, SERVICE, name, &err).await;
            }
            return None;
        }
    };
    let arn = table.table_arn().unwrap_or_default().to_string();
    let mut supplementary = Map::new();
    let mut unreadable = Unreadable::default();

    match client
        .describe_continuous_backups()
        .table_name(name)
        .send()
        .await
    {
        Ok(b) => {
            let backups = b
                .continuous_backups_description()
                .map(continuous_backups)
                .unwrap_or(Value::Null);
            supplementary.insert("continuousBackups".into(), backups);
        }
        Err(e) => {
            let err = aws_error("DescribeContinuousBackups", &e);
            if err.code == "TableNotFoundException" {
                return None;
            }
            let field = "supplementaryConfiguration.continuousBackups";
            unreadable
                .record(out, scope, SERVICE, name, field, err)
                .await;
        }
    }

    let tags = match tags(client, &arn).await {
        Ok(t) => t,
        Err(err) => {
            unreadable
                .record(out, scope, SERVICE, name, "tags", err)
                .await;
            Map::new()
        }
    };

    let mut doc = Document {
        resource_type: RESOURCE_TYPE.into(),
        resource_id: name.to_string(),
        arn,
        aws_account_id: scope.account.id.clone(),
        aws_region: scope.region.clone(),
        tags,
        configuration: configuration(&table),
        supplementary_configuration: Value::Object(supplementary),
        collection_errors: Default::default(),
    };
    unreadable.apply(&mut doc);
    Some(doc)
}

/// ListTagsOfResource has no page-size parameter and no SDK paginator: follow NextToken.
async fn tags(client: &Client, arn: &str) -> Result<Map<String, Value>, AwsError> {
    let tags = all_pages("ListTagsOfResource", |token| {
        let req = client
            .list_tags_of_resource()
            .resource_arn(arn)
            .set_next_token(token);
        async move {
            let page = req
                .send()
                .await
                .map_err(|e| aws_error("ListTagsOfResource", &e))?;
            Ok((page.tags().to_vec(), page.next_token().map(str::to_string)))
        }
    })
    .await?;
    Ok(sorted_tags(tags.iter().map(|t| (t.key(), t.value()))))
}

fn continuous_backups(c: &ContinuousBackupsDescription) -> Value {
    json!({
        "continuousBackupsStatus": c.continuous_backups_status().as_str(),
        "pointInTimeRecoveryDescription": c.point_in_time_recovery_description().map(|p| json!({
            "pointInTimeRecoveryStatus": p.point_in_time_recovery_status().map(|s| s.as_str()),
            "recoveryPeriodInDays": p.recovery_period_in_days(),
            "earliestRestorableDateTime": rfc3339(p.earliest_restorable_date_time()),
            "latestRestorableDateTime": rfc3339(p.latest_restorable_date_time()),
        })),
    })
}

fn key_schema(k: &[KeySchemaElement]) -> Value {
    k.iter()
        .map(|e| json!({"attributeName": e.attribute_name(), "keyType": e.key_type().as_str()}))
        .collect()
}

fn projection(p: Option<&Projection>) -> Value {
    p.map(|p| {
        json!({
            "projectionType": p.projection_type().map(|t| t.as_str()),
            "nonKeyAttributes": p.non_key_attributes(),
        })
    })
    .unwrap_or(Value::Null)
}

fn throughput(t: Option<&ProvisionedThroughputDescription>) -> Value {
    t.map(|t| {
        json!({
            "readCapacityUnits": t.read_capacity_units(),
            "writeCapacityUnits": t.write_capacity_units(),
            "numberOfDecreasesToday": t.number_of_decreases_today(),
            "lastIncreaseDateTime": rfc3339(t.last_increase_date_time()),
            "lastDecreaseDateTime": rfc3339(t.last_decrease_date_time()),
        })
    })
    .unwrap_or(Value::Null)
}

fn on_demand(t: Option<&OnDemandThroughput>) -> Value {
    t.map(|t| {
        json!({
            "maxReadRequestUnits": t.max_read_request_units(),
            "maxWriteRequestUnits": t.max_write_request_units(),
        })
    })
    .unwrap_or(Value::Null)
}

/// The DescribeTable `Table` in camelCase. Absent structures stay null: a table encrypted with
/// the AWS-owned key has no `sseDescription`, and older provisioned tables have no
/// `billingModeSummary`.
fn configuration(t: &TableDescription) -> Value {
    json!({
        "tableName": t.table_name(),
        "tableArn": t.table_arn(),
        "tableId": t.table_id(),
        "tableStatus": t.table_status().map(|s| s.as_str()),
        "creationDateTime": rfc3339(t.creation_date_time()),
        "attributeDefinitions": t.attribute_definitions().iter().map(|a| json!({
            "attributeName": a.attribute_name(),
            "attributeType": a.attribute_type().as_str(),
        })).collect::<Vec<_>>(),
        "keySchema": key_schema(t.key_schema()),
        "billingModeSummary": t.billing_mode_summary().map(|b| json!({
            "billingMode": b.billing_mode().map(|m| m.as_str()),
            "lastUpdateToPayPerRequestDateTime": rfc3339(b.last_update_to_pay_per_request_date_time()),
        })),
        "provisionedThroughput": throughput(t.provisioned_throughput()),
        "onDemandThroughput": on_demand(t.on_demand_throughput()),
        "tableSizeBytes": t.table_size_bytes(),
        "itemCount": t.item_count(),
        "sseDescription": t.sse_description().map(|s| json!({
            "status": s.status().map(|x| x.as_str()),
            "sseType": s.sse_type().map(|x| x.as_str()),
            "kmsMasterKeyArn": s.kms_master_key_arn(),
            "inaccessibleEncryptionDateTime": rfc3339(s.inaccessible_encryption_date_time()),
        })),
        "deletionProtectionEnabled": t.deletion_protection_enabled(),
        "tableClassSummary": t.table_class_summary().map(|c| json!({
            "tableClass": c.table_class().map(|x| x.as_str()),
            "lastUpdateDateTime": rfc3339(c.last_update_date_time()),
        })),
        "streamSpecification": t.stream_specification().map(|s| json!({
            "streamEnabled": s.stream_enabled(),
            "streamViewType": s.stream_view_type().map(|x| x.as_str()),
        })),
        "latestStreamArn": t.latest_stream_arn(),
        "latestStreamLabel": t.latest_stream_label(),
        "localSecondaryIndexes": t.local_secondary_indexes().iter().map(|i| json!({
            "indexName": i.index_name(),
            "indexArn": i.index_arn(),
            "keySchema": key_schema(i.key_schema()),
            "projection": projection(i.projection()),
            "indexSizeBytes": i.index_size_bytes(),
            "itemCount": i.item_count(),
        })).collect::<Vec<_>>(),
        "globalSecondaryIndexes": t.global_secondary_indexes().iter().map(|i| json!({
            "indexName": i.index_name(),
            "indexArn": i.index_arn(),
            "indexStatus": i.index_status().map(|x| x.as_str()),
            "keySchema": key_schema(i.key_schema()),
            "projection": projection(i.projection()),
            "provisionedThroughput": throughput(i.provisioned_throughput()),
            "onDemandThroughput": on_demand(i.on_demand_throughput()),
            "indexSizeBytes": i.index_size_bytes(),
            "itemCount": i.item_count(),
        })).collect::<Vec<_>>(),
        "globalTableVersion": t.global_table_version(),
        "replicas": t.replicas().iter().map(|r| json!({
            "regionName": r.region_name(),
            "replicaStatus": r.replica_status().map(|x| x.as_str()),
            "kmsMasterKeyId": r.kms_master_key_id(),
            "replicaTableClassSummary": r.replica_table_class_summary().map(|c| json!({
                "tableClass": c.table_class().map(|x| x.as_str()),
            })),
        })).collect::<Vec<_>>(),
        "multiRegionConsistency": t.multi_region_consistency().map(|m| m.as_str()),
        "restoreSummary": t.restore_summary().map(|r| json!({
            "sourceBackupArn": r.source_backup_arn(),
            "sourceTableArn": r.source_table_arn(),
            "restoreDateTime": rfc3339(r.restore_date_time()),
            "restoreInProgress": r.restore_in_progress(),
        })),
        "archivalSummary": t.archival_summary().map(|a| json!({
            "archivalDateTime": rfc3339(a.archival_date_time()),
            "archivalReason": a.archival_reason(),
            "archivalBackupArn": a.archival_backup_arn(),
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::{
        BillingMode, BillingModeSummary, ContinuousBackupsStatus, PointInTimeRecoveryDescription,
        PointInTimeRecoveryStatus, SseDescription, SseStatus, SseType,
    };
    use aws_smithy_types::DateTime;

    #[test]
    fn aws_owned_encryption_and_missing_billing_summary_stay_null() {
        let t = TableDescription::builder().table_name("orders").build();
        let c = configuration(&t);
        assert_eq!(c["sseDescription"], Value::Null);
        assert_eq!(c["billingModeSummary"], Value::Null);
        assert_eq!(c["tableName"], "orders");
    }

    #[test]
    fn kms_encryption_billing_and_dates_are_camel_cased() {
        let t = TableDescription::builder()
            .sse_description(
                SseDescription::builder()
                    .status(SseStatus::Enabled)
                    .sse_type(SseType::Kms)
                    .kms_master_key_arn("arn:aws:kms:eu-west-1:1:key/k")
                    .build(),
            )
            .billing_mode_summary(
                BillingModeSummary::builder()
                    .billing_mode(BillingMode::PayPerRequest)
                    .build(),
            )
            .creation_date_time(DateTime::from_secs(1_767_225_600))
            .deletion_protection_enabled(true)
            .build();
        let c = configuration(&t);
        assert_eq!(
            c["sseDescription"],
            json!({"status": "ENABLED", "sseType": "KMS", "kmsMasterKeyArn": "arn:aws:kms:eu-west-1:1:key/k", "inaccessibleEncryptionDateTime": null})
        );
        assert_eq!(c["billingModeSummary"]["billingMode"], "PAY_PER_REQUEST");
        assert_eq!(c["creationDateTime"], "2026-01-01T00:00:00Z");
        assert_eq!(c["deletionProtectionEnabled"], true);
    }

    #[test]
    fn point_in_time_recovery_shape() {
        let c = ContinuousBackupsDescription::builder()
            .continuous_backups_status(ContinuousBackupsStatus::Enabled)
            .point_in_time_recovery_description(
                PointInTimeRecoveryDescription::builder()
                    .point_in_time_recovery_status(PointInTimeRecoveryStatus::Disabled)
                    .build(),
            )
            .build()
            .unwrap();
        assert_eq!(
            continuous_backups(&c),
            json!({
                "continuousBackupsStatus": "ENABLED",
                "pointInTimeRecoveryDescription": {
                    "pointInTimeRecoveryStatus": "DISABLED",
                    "recoveryPeriodInDays": null,
                    "earliestRestorableDateTime": null,
                    "latestRestorableDateTime": null,
                },
            })
        );
    }
}
