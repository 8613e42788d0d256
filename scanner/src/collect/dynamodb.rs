//! `AWS::DynamoDB::Table`: ListTables, then per table DescribeTable (configuration),
//! DescribeContinuousBackups (point-in-time recovery), GetResourcePolicy and
//! ListTagsOfResource.
//!
//! Two region-wide readings are shared by the scope's tables, each made at most once per
//! account and region: the AWS Backup selections (ListBackupPlans, then ListBackupSelections
//! and GetBackupSelection for each plan; only when the scope has tables), attached to every
//! table as `backupSelections` for the rules to decide which tables they select, and the
//! Application Auto Scaling targets of DynamoDB (DescribeScalableTargets; only once a
//! provisioned table is met), attached to provisioned tables as `autoScaling`.

use super::{
    all_pages, describe_each, parse_policy, rfc3339, sorted_tags, CollectError, Collector,
    DocumentSink, Scope, Unreadable,
};
use crate::aws::{aws_error, AwsError};
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ScalableTarget, ServiceNamespace};
use aws_sdk_backup::types::{BackupSelection, ConditionParameter};
use aws_sdk_dynamodb::types::{
    BillingMode, ContinuousBackupsDescription, KeySchemaElement, OnDemandThroughput, Projection,
    ProvisionedThroughputDescription, TableDescription,
};
use aws_sdk_dynamodb::Client;
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use tokio::sync::OnceCell;
use vigil_model::Document;

/// How many tables of one scope are described at once.
const TABLE_CONCURRENCY: usize = 4;

const SERVICE: &str = "dynamodb";
const RESOURCE_TYPE: &str = "AWS::DynamoDB::Table";

/// ListTables' largest page; `--page-size` above it would be a ValidationException.
const LIST_TABLES_MAX: i32 = 100;
/// ListBackupPlans' and ListBackupSelections' largest page.
const LIST_BACKUP_MAX: i32 = 1000;
/// DescribeScalableTargets' largest page.
const SCALABLE_TARGETS_MAX: i32 = 50;

const BACKUP_FIELD: &str = "supplementaryConfiguration.backupSelections";
const AUTO_SCALING_FIELD: &str = "supplementaryConfiguration.autoScaling";
const POLICY_FIELD: &str = "supplementaryConfiguration.resourcePolicy";

/// Collects DynamoDB tables.
pub struct TableCollector;

/// What the scope's tables share: read once per account and region.
struct Region {
    /// Every backup selection of the region's backup plans (JSON array), or why not.
    backup: Result<Value, AwsError>,
    /// Table name -> its table-level scaling targets; read when the first provisioned table
    /// needs it.
    auto_scaling: OnceCell<Result<BTreeMap<String, Value>, AwsError>>,
    scaling_client: aws_sdk_applicationautoscaling::Client,
}

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
            let mut names = names;
            names.retain(|n| scope.wants(RESOURCE_TYPE, n));
            if names.is_empty() {
                return Ok(());
            }
            let region = Region {
                backup: backup_selections(&scope_client!(aws_sdk_backup, scope), scope).await,
                auto_scaling: OnceCell::new(),
                scaling_client: scope_client!(aws_sdk_applicationautoscaling, scope),
            };
            let (client, region) = (&client, &region);
            describe_each(names, TABLE_CONCURRENCY, out, |name| async move {
                describe(client, scope, out, region, &name).await
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
    region: &Region,
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

    match resource_policy(client, &arn).await {
        Ok(p) => {
            supplementary.insert("resourcePolicy".into(), p);
        }
        Err(err) if err.code == "ResourceNotFoundException" => return None,
        Err(err) => {
            unreadable
                .record(out, scope, SERVICE, name, POLICY_FIELD, err)
                .await;
        }
    }

    match &region.backup {
        Ok(selections) => {
            supplementary.insert("backupSelections".into(), selections.clone());
        }
        // The listing failed: no table of the region knows whether a plan selects it.
        Err(err) => {
            unreadable
                .record(out, scope, SERVICE, name, BACKUP_FIELD, err.clone())
                .await;
        }
    }

    if provisioned(&table) {
        let targets = region
            .auto_scaling
            .get_or_init(|| scaling_targets(&region.scaling_client, scope))
            .await;
        match targets {
            Ok(by_table) => {
                let none = json!({"readCapacityUnits": null, "writeCapacityUnits": null});
                let a = by_table.get(name).cloned().unwrap_or(none);
                supplementary.insert("autoScaling".into(), a);
            }
            Err(err) => {
                unreadable
                    .record(out, scope, SERVICE, name, AUTO_SCALING_FIELD, err.clone())
                    .await;
            }
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

/// Billed by provisioned capacity: PROVISIONED, or no billing summary at all (DescribeTable
/// omits it for tables that were always provisioned).
fn provisioned(t: &TableDescription) -> bool {
    t.billing_mode_summary().and_then(|b| b.billing_mode()) != Some(&BillingMode::PayPerRequest)
}

/// The table's resource-based policy, parsed; null when it has none.
async fn resource_policy(client: &Client, arn: &str) -> Result<Value, AwsError> {
    match client.get_resource_policy().resource_arn(arn).send().await {
        Ok(p) => p.policy().map_or(Ok(Value::Null), |text| {
            parse_policy(text, "GetResourcePolicy")
        }),
        Err(e) => {
            let err = aws_error("GetResourcePolicy", &e);
            if err.code == "PolicyNotFoundException" {
                Ok(Value::Null)
            } else {
                Err(err)
            }
        }
    }
}

/// Every selection of every backup plan of the region, ordered by plan and selection id.
/// Plans or selections deleted between the listing and the reading are left out.
async fn backup_selections(
    client: &aws_sdk_backup::Client,
    scope: &Scope,
) -> Result<Value, AwsError> {
    let mut plans: Vec<aws_sdk_backup::types::BackupPlansListMember> = client
        .list_backup_plans()
        .set_max_results(scope.page_size_capped(LIST_BACKUP_MAX))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("ListBackupPlans", &e))?;
    plans.sort_by(|a, b| a.backup_plan_id().cmp(&b.backup_plan_id()));
    let mut out = Vec::new();
    for plan in &plans {
        let Some(plan_id) = plan.backup_plan_id() else {
            continue;
        };
        let listed: Result<Vec<aws_sdk_backup::types::BackupSelectionsListMember>, _> = client
            .list_backup_selections()
            .backup_plan_id(plan_id)
            .set_max_results(scope.page_size_capped(LIST_BACKUP_MAX))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        let mut listed = match listed {
            Ok(l) => l,
            Err(e) => match aws_error("ListBackupSelections", &e) {
                err if err.code == "ResourceNotFoundException" => continue,
                err => return Err(err),
            },
        };
        listed.sort_by(|a, b| a.selection_id().cmp(&b.selection_id()));
        for entry in &listed {
            let Some(selection_id) = entry.selection_id() else {
                continue;
            };
            let got = match client
                .get_backup_selection()
                .backup_plan_id(plan_id)
                .selection_id(selection_id)
                .send()
                .await
            {
                Ok(g) => g,
                Err(e) => match aws_error("GetBackupSelection", &e) {
                    err if err.code == "ResourceNotFoundException" => continue,
                    err => return Err(err),
                },
            };
            if let Some(sel) = got.backup_selection() {
                out.push(selection(
                    plan_id,
                    plan.backup_plan_name(),
                    selection_id,
                    sel,
                ));
            }
        }
    }
    Ok(Value::Array(out))
}

fn condition_parameters(c: &[ConditionParameter]) -> Value {
    c.iter()
        .map(|p| json!({"conditionKey": p.condition_key(), "conditionValue": p.condition_value()}))
        .collect()
}

/// One backup selection in camelCase, with the plan it belongs to (the IAM role is left out:
/// no rule needs it).
fn selection(plan_id: &str, plan_name: Option<&str>, id: &str, s: &BackupSelection) -> Value {
    json!({
        "backupPlanId": plan_id,
        "backupPlanName": plan_name,
        "selectionId": id,
        "selectionName": s.selection_name(),
        "resources": s.resources(),
        "notResources": s.not_resources(),
        "listOfTags": s.list_of_tags().iter().map(|c| json!({
            "conditionType": c.condition_type().as_str(),
            "conditionKey": c.condition_key(),
            "conditionValue": c.condition_value(),
        })).collect::<Vec<_>>(),
        "conditions": s.conditions().map(|c| json!({
            "stringEquals": condition_parameters(c.string_equals()),
            "stringNotEquals": condition_parameters(c.string_not_equals()),
            "stringLike": condition_parameters(c.string_like()),
            "stringNotLike": condition_parameters(c.string_not_like()),
        })),
    })
}

/// The region's DynamoDB scaling targets on table capacity, by table name:
/// `{"readCapacityUnits": target | null, "writeCapacityUnits": target | null}`.
/// Index-level targets are left out: the rule judges the table's own capacity.
async fn scaling_targets(
    client: &aws_sdk_applicationautoscaling::Client,
    scope: &Scope,
) -> Result<BTreeMap<String, Value>, AwsError> {
    let targets: Vec<ScalableTarget> = client
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Dynamodb)
        .set_max_results(scope.page_size_capped(SCALABLE_TARGETS_MAX))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("DescribeScalableTargets", &e))?;
    Ok(targets_by_table(&targets))
}

fn targets_by_table(targets: &[ScalableTarget]) -> BTreeMap<String, Value> {
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for t in targets {
        let Some(table) = t.resource_id().strip_prefix("table/") else {
            continue;
        };
        // "table/<name>/index/<index>" is an index's target.
        if table.contains('/') {
            continue;
        }
        let dimension = match t.scalable_dimension() {
            ScalableDimension::DynamoDbTableReadCapacityUnits => "readCapacityUnits",
            ScalableDimension::DynamoDbTableWriteCapacityUnits => "writeCapacityUnits",
            _ => continue,
        };
        let entry = out
            .entry(table.to_string())
            .or_insert_with(|| json!({"readCapacityUnits": null, "writeCapacityUnits": null}));
        entry[dimension] = json!({
            "minCapacity": t.min_capacity(),
            "maxCapacity": t.max_capacity(),
            "suspendedState": t.suspended_state().map(|s| json!({
                "dynamicScalingInSuspended": s.dynamic_scaling_in_suspended(),
                "dynamicScalingOutSuspended": s.dynamic_scaling_out_suspended(),
                "scheduledScalingSuspended": s.scheduled_scaling_suspended(),
            })),
        });
    }
    out
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

    #[test]
    fn table_scaling_targets_by_table_and_dimension() {
        let target = |id: &str, dim: ScalableDimension| {
            ScalableTarget::builder()
                .service_namespace(ServiceNamespace::Dynamodb)
                .resource_id(id)
                .scalable_dimension(dim)
                .min_capacity(5)
                .max_capacity(50)
                .role_arn("arn:aws:iam::1:role/r")
                .creation_time(DateTime::from_secs(0))
                .build()
                .unwrap()
        };
        let by_table = targets_by_table(&[
            target(
                "table/rates",
                ScalableDimension::DynamoDbTableWriteCapacityUnits,
            ),
            target(
                "table/rates",
                ScalableDimension::DynamoDbTableReadCapacityUnits,
            ),
            target(
                "table/rates/index/by-day",
                ScalableDimension::DynamoDbIndexReadCapacityUnits,
            ),
            target(
                "table/orders/index/gsi",
                ScalableDimension::DynamoDbIndexWriteCapacityUnits,
            ),
            target(
                "table/half",
                ScalableDimension::DynamoDbTableReadCapacityUnits,
            ),
        ]);
        let t = json!({"minCapacity": 5, "maxCapacity": 50, "suspendedState": null});
        assert_eq!(by_table.len(), 2, "{by_table:?}");
        assert_eq!(
            by_table["rates"],
            json!({"readCapacityUnits": t, "writeCapacityUnits": t})
        );
        assert_eq!(
            by_table["half"],
            json!({"readCapacityUnits": t, "writeCapacityUnits": null})
        );
    }

    #[test]
    fn backup_selection_shape() {
        use aws_sdk_backup::types::{Condition, ConditionType, Conditions};
        let s = BackupSelection::builder()
            .selection_name("tables")
            .iam_role_arn("arn:aws:iam::1:role/backup")
            .resources("arn:aws:dynamodb:*:*:table/*")
            .not_resources("arn:aws:dynamodb:*:*:table/tmp-*")
            .list_of_tags(
                Condition::builder()
                    .condition_type(ConditionType::Stringequals)
                    .condition_key("backup")
                    .condition_value("daily")
                    .build()
                    .unwrap(),
            )
            .conditions(
                Conditions::builder()
                    .string_like(
                        ConditionParameter::builder()
                            .condition_key("aws:ResourceTag/env")
                            .condition_value("prod*")
                            .build(),
                    )
                    .build(),
            )
            .build()
            .unwrap();
        assert_eq!(
            selection("plan-1", Some("daily"), "sel-1", &s),
            json!({
                "backupPlanId": "plan-1", "backupPlanName": "daily", "selectionId": "sel-1",
                "selectionName": "tables",
                "resources": ["arn:aws:dynamodb:*:*:table/*"],
                "notResources": ["arn:aws:dynamodb:*:*:table/tmp-*"],
                "listOfTags": [{"conditionType": "STRINGEQUALS", "conditionKey": "backup", "conditionValue": "daily"}],
                "conditions": {
                    "stringEquals": [], "stringNotEquals": [],
                    "stringLike": [{"conditionKey": "aws:ResourceTag/env", "conditionValue": "prod*"}],
                    "stringNotLike": [],
                },
            })
        );
    }

    #[test]
    fn provisioned_unless_pay_per_request() {
        let with = |m: Option<BillingMode>| {
            let mut b = TableDescription::builder();
            if let Some(m) = m {
                b = b.billing_mode_summary(BillingModeSummary::builder().billing_mode(m).build());
            }
            provisioned(&b.build())
        };
        assert!(with(None));
        assert!(with(Some(BillingMode::Provisioned)));
        assert!(!with(Some(BillingMode::PayPerRequest)));
    }
}
