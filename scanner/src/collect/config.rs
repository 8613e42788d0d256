//! `AWS::Config::Region`: one document per account × region with the configuration recorders,
//! their status, the delivery channels and, in the organization's management account, the
//! configuration aggregators. A region where nothing is configured still gives a document
//! (empty lists): that absence is what the rules look for.
//!
//! Some questions are about every region at once (does any region record the global IAM
//! types? does an aggregator cover the organization?). Each region's scope keeps its facts
//! for the account roll-up ([`Collector::roll_up`]), which emits, once per account, an
//! `AWS::Config::Account` document (the recorders of every region, and the regions that could
//! not be read) and, in the management account, an `AWS::Config::Organization` document (the
//! aggregators of every region).

use super::{rfc3339, CollectError, Collector, DocumentSink, Scope, Unreadable};
use crate::aws::{aws_error, AwsError};
use aws_sdk_config::types::{
    ConfigExportDeliveryInfo, ConfigStreamDeliveryInfo, ConfigurationAggregator,
    ConfigurationRecorder, ConfigurationRecorderStatus, DeliveryChannel, DeliveryChannelStatus,
    RecordingGroup, RecordingMode,
};
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use vigil_model::{Document, VigilCode};

const SERVICE: &str = "config";
const RESOURCE_TYPE: &str = "AWS::Config::Region";
/// The account roll-up: every region's recorders.
const ACCOUNT_TYPE: &str = "AWS::Config::Account";
/// The management account's roll-up: every region's aggregators.
const ORGANIZATION_TYPE: &str = "AWS::Config::Organization";

/// Collects the AWS Config set-up of one account × region.
pub struct ConfigRegionCollector;

impl Collector for ConfigRegionCollector {
    fn service(&self) -> &'static str {
        SERVICE
    }

    fn resource_types(&self) -> &'static [&'static str] {
        &[RESOURCE_TYPE, ACCOUNT_TYPE, ORGANIZATION_TYPE]
    }

    fn collect<'a>(
        &'a self,
        scope: &'a Scope,
        out: &'a DocumentSink,
    ) -> BoxFuture<'a, Result<(), CollectError>> {
        Box::pin(async move {
            let client = scope_client!(aws_sdk_config, scope);
            // Recorders, their status and the channels decide every Config rule: if one of
            // them cannot be read, the region is not assessed rather than judged half-seen.
            let recorders = client
                .describe_configuration_recorders()
                .send()
                .await
                .map_err(|e| aws_error("DescribeConfigurationRecorders", &e))?;
            let status = client
                .describe_configuration_recorder_status()
                .send()
                .await
                .map_err(|e| aws_error("DescribeConfigurationRecorderStatus", &e))?;
            let channels = client
                .describe_delivery_channels()
                .send()
                .await
                .map_err(|e| aws_error("DescribeDeliveryChannels", &e))?;
            let resource_id = format!("{}/{}", scope.account.id, scope.region);
            let mut unreadable = Unreadable::default();
            // The last delivery of each channel; asked only where there is a channel.
            let channels_status = if channels.delivery_channels().is_empty() {
                json!([])
            } else {
                match client.describe_delivery_channel_status().send().await {
                    Ok(s) => {
                        let mut all: Vec<Value> = s
                            .delivery_channels_status()
                            .iter()
                            .map(delivery_channel_status)
                            .collect();
                        all.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
                        Value::Array(all)
                    }
                    Err(e) => {
                        let err = aws_error("DescribeDeliveryChannelStatus", &e);
                        let field = "configuration.deliveryChannelsStatus";
                        unreadable
                            .record(out, scope, SERVICE, &resource_id, field, err)
                            .await;
                        Value::Null
                    }
                }
            };
            let aggregators = if is_management_account(scope) {
                let listed: Result<Vec<ConfigurationAggregator>, _> = client
                    .describe_configuration_aggregators()
                    .set_limit(scope.page_size)
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await;
                match listed {
                    Ok(a) => Value::Array(a.iter().map(aggregator).collect()),
                    Err(e) => {
                        let err = aws_error("DescribeConfigurationAggregators", &e);
                        let field = "configuration.configurationAggregators";
                        unreadable
                            .record(out, scope, SERVICE, &resource_id, field, err)
                            .await;
                        Value::Null
                    }
                }
            } else {
                Value::Null
            };
            let configuration = json!({
                "configurationRecorders":
                    recorders.configuration_recorders().iter().map(recorder).collect::<Vec<_>>(),
                "configurationRecordersStatus": status
                    .configuration_recorders_status()
                    .iter()
                    .map(recorder_status)
                    .collect::<Vec<_>>(),
                "deliveryChannels":
                    channels.delivery_channels().iter().map(delivery_channel).collect::<Vec<_>>(),
                "deliveryChannelsStatus": channels_status,
                "configurationAggregators": aggregators,
            });
            let mut doc = Document {
                resource_type: RESOURCE_TYPE.into(),
                arn: format!(
                    "arn:{}:config:{}:{}:vigil-region",
                    partition_of(&scope.region),
                    scope.region,
                    scope.account.id
                ),
                resource_id,
                aws_account_id: scope.account.id.clone(),
                aws_region: scope.region.clone(),
                tags: Map::new(),
                configuration,
                supplementary_configuration: json!({}),
                collection_errors: Default::default(),
            };
            unreadable.apply(&mut doc);
            scope.facts.keep(
                &scope.region,
                json!({
                    "configuration": doc.configuration,
                    "collectionErrors": doc.collection_errors,
                }),
            );
            out.emit(doc).await;
            Ok(())
        })
    }

    fn roll_up<'a>(&'a self, scope: &'a Scope, out: &'a DocumentSink) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let regions = scope.facts.by_region();
            if regions.is_empty() {
                return; // no region scanned in this account: nothing to sum up
            }
            out.emit(account_document(scope, &regions)).await;
            if is_management_account(scope) {
                out.emit(organization_document(scope, &regions)).await;
            }
        })
    }
}

/// Why a region cannot be summed up: its scope failed, a field the roll-up needs could not
/// be read, or its scope ended without a word.
fn unreadable_region(region: &str, err: Option<&AwsError>, field: Option<&Value>) -> Value {
    match (err, field) {
        (Some(e), _) => json!({
            "region": region, "operation": e.operation, "code": e.code, "message": e.message,
        }),
        (None, Some(f)) => json!({
            "region": region, "operation": f["operation"], "code": f["code"], "message": f["message"],
        }),
        (None, None) => json!({
            "region": region, "operation": null, "code": VigilCode::Incomplete.as_str(),
            "message": "the region's collection did not finish",
        }),
    }
}

/// Splits the facts of every region into the regions whose `wanted` fields were read (with
/// those fields) and the regions that could not be read.
fn roll_up_regions(
    regions: &[(String, Option<Result<Value, AwsError>>)],
    wanted: &[&str],
) -> (Vec<Value>, Vec<Value>) {
    let (mut read, mut unread) = (Vec::new(), Vec::new());
    for (region, facts) in regions {
        match facts {
            Some(Ok(f)) => {
                let failed = wanted
                    .iter()
                    .find_map(|w| f["collectionErrors"].get(format!("configuration.{w}")));
                if let Some(field) = failed {
                    unread.push(unreadable_region(region, None, Some(field)));
                    continue;
                }
                let mut entry = Map::new();
                entry.insert("region".into(), json!(region));
                for w in wanted {
                    entry.insert(w.to_string(), f["configuration"][*w].clone());
                }
                read.push(Value::Object(entry));
            }
            Some(Err(e)) => unread.push(unreadable_region(region, Some(e), None)),
            None => unread.push(unreadable_region(region, None, None)),
        }
    }
    (read, unread)
}

/// `AWS::Config::Account`: the recorders and their status in every region of the account.
fn account_document(
    scope: &Scope,
    regions: &[(String, Option<Result<Value, AwsError>>)],
) -> Document {
    let (read, unread) = roll_up_regions(
        regions,
        &["configurationRecorders", "configurationRecordersStatus"],
    );
    Document {
        resource_type: ACCOUNT_TYPE.into(),
        resource_id: scope.account.id.clone(),
        arn: format!(
            "arn:{}:config::{}:vigil-account",
            partition_of(&regions[0].0),
            scope.account.id
        ),
        aws_account_id: scope.account.id.clone(),
        aws_region: scope.region.clone(),
        tags: Map::new(),
        configuration: json!({
            "accountId": scope.account.id,
            "regions": read,
            "unreadableRegions": unread,
        }),
        supplementary_configuration: json!({}),
        collection_errors: Default::default(),
    }
}

/// `AWS::Config::Organization`: the aggregators of every region of the management account
/// (where vigil reads them), for the organization as a whole.
fn organization_document(
    scope: &Scope,
    regions: &[(String, Option<Result<Value, AwsError>>)],
) -> Document {
    let (read, unread) = roll_up_regions(regions, &["configurationAggregators"]);
    let id = if scope.org.id.is_empty() {
        scope.account.id.clone()
    } else {
        scope.org.id.clone()
    };
    Document {
        resource_type: ORGANIZATION_TYPE.into(),
        arn: format!(
            "arn:{}:config::{}:vigil-organization/{id}",
            partition_of(&regions[0].0),
            scope.account.id
        ),
        resource_id: id,
        aws_account_id: scope.account.id.clone(),
        aws_region: scope.region.clone(),
        tags: Map::new(),
        configuration: json!({
            "organizationId": scope.org.id,
            "managementAccountId": scope.account.id,
            "regions": read,
            "unreadableRegions": unread,
        }),
        supplementary_configuration: json!({}),
        collection_errors: Default::default(),
    }
}

/// Aggregators are read where they are normally set up: the organization's management account.
fn is_management_account(scope: &Scope) -> bool {
    !scope.org.management_account_id.is_empty()
        && scope.account.id == scope.org.management_account_id
}

/// The ARN partition of a region.
fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

fn recorder(r: &ConfigurationRecorder) -> Value {
    json!({
        "name": r.name(),
        "arn": r.arn(),
        "roleArn": r.role_arn(),
        "recordingGroup": r.recording_group().map(recording_group),
        "recordingMode": r.recording_mode().map(recording_mode),
        "recordingScope": r.recording_scope().map(|s| s.as_str()),
        "servicePrincipal": r.service_principal(),
    })
}

fn recording_group(g: &RecordingGroup) -> Value {
    json!({
        "allSupported": g.all_supported(),
        "includeGlobalResourceTypes": g.include_global_resource_types(),
        "resourceTypes": g.resource_types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "exclusionByResourceTypes": g.exclusion_by_resource_types().map(|e| json!({
            "resourceTypes": e.resource_types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        })),
        "recordingStrategy": g.recording_strategy().map(|s| json!({
            "useOnly": s.use_only().map(|u| u.as_str()),
        })),
    })
}

fn recording_mode(m: &RecordingMode) -> Value {
    json!({
        "recordingFrequency": m.recording_frequency().as_str(),
        "recordingModeOverrides": m.recording_mode_overrides().iter().map(|o| json!({
            "description": o.description(),
            "resourceTypes": o.resource_types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            "recordingFrequency": o.recording_frequency().as_str(),
        })).collect::<Vec<_>>(),
    })
}

fn recorder_status(s: &ConfigurationRecorderStatus) -> Value {
    json!({
        "name": s.name(),
        "arn": s.arn(),
        "recording": s.recording(),
        "lastStatus": s.last_status().map(|x| x.as_str()),
        "lastStartTime": rfc3339(s.last_start_time()),
        "lastStopTime": rfc3339(s.last_stop_time()),
        "lastStatusChangeTime": rfc3339(s.last_status_change_time()),
        "lastErrorCode": s.last_error_code(),
        "lastErrorMessage": s.last_error_message(),
        "servicePrincipal": s.service_principal(),
    })
}

fn delivery_channel(c: &DeliveryChannel) -> Value {
    json!({
        "name": c.name(),
        "s3BucketName": c.s3_bucket_name(),
        "s3KeyPrefix": c.s3_key_prefix(),
        "s3KmsKeyArn": c.s3_kms_key_arn(),
        "snsTopicArn": c.sns_topic_arn(),
        "configSnapshotDeliveryProperties": c.config_snapshot_delivery_properties().map(|p| json!({
            "deliveryFrequency": p.delivery_frequency().map(|f| f.as_str()),
        })),
    })
}

fn delivery_channel_status(s: &DeliveryChannelStatus) -> Value {
    let export = |i: Option<&ConfigExportDeliveryInfo>| {
        i.map(|i| {
            json!({
                "lastStatus": i.last_status().map(|x| x.as_str()),
                "lastErrorCode": i.last_error_code(),
                "lastErrorMessage": i.last_error_message(),
                "lastAttemptTime": rfc3339(i.last_attempt_time()),
                "lastSuccessfulTime": rfc3339(i.last_successful_time()),
                "nextDeliveryTime": rfc3339(i.next_delivery_time()),
            })
        })
    };
    let stream = |i: Option<&ConfigStreamDeliveryInfo>| {
        i.map(|i| {
            json!({
                "lastStatus": i.last_status().map(|x| x.as_str()),
                "lastErrorCode": i.last_error_code(),
                "lastErrorMessage": i.last_error_message(),
                "lastStatusChangeTime": rfc3339(i.last_status_change_time()),
            })
        })
    };
    json!({
        "name": s.name(),
        "configSnapshotDeliveryInfo": export(s.config_snapshot_delivery_info()),
        "configHistoryDeliveryInfo": export(s.config_history_delivery_info()),
        "configStreamDeliveryInfo": stream(s.config_stream_delivery_info()),
    })
}

fn aggregator(a: &ConfigurationAggregator) -> Value {
    json!({
        "configurationAggregatorName": a.configuration_aggregator_name(),
        "configurationAggregatorArn": a.configuration_aggregator_arn(),
        "accountAggregationSources": a.account_aggregation_sources().iter().map(|s| json!({
            "accountIds": s.account_ids(),
            "allAwsRegions": s.all_aws_regions(),
            "awsRegions": s.aws_regions(),
        })).collect::<Vec<_>>(),
        "organizationAggregationSource": a.organization_aggregation_source().map(|s| json!({
            "roleArn": s.role_arn(),
            "allAwsRegions": s.all_aws_regions(),
            "awsRegions": s.aws_regions(),
        })),
        "creationTime": rfc3339(a.creation_time()),
        "lastUpdatedTime": rfc3339(a.last_updated_time()),
        "createdBy": a.created_by(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_config::types::{
        ExclusionByResourceTypes, RecordingStrategy, RecordingStrategyType, ResourceType,
    };

    #[test]
    fn recorder_keeps_the_recording_group_as_aws_names_it() {
        let r = ConfigurationRecorder::builder()
            .name("default")
            .role_arn("arn:aws:iam::111122223333:role/config")
            .recording_group(
                RecordingGroup::builder()
                    .all_supported(false)
                    .exclusion_by_resource_types(
                        ExclusionByResourceTypes::builder()
                            .resource_types(ResourceType::from("AWS::EC2::Instance"))
                            .build(),
                    )
                    .recording_strategy(
                        RecordingStrategy::builder()
                            .use_only(RecordingStrategyType::ExclusionByResourceTypes)
                            .build(),
                    )
                    .build(),
            )
            .build();
        assert_eq!(
            recorder(&r),
            json!({
                "name": "default",
                "arn": null,
                "roleArn": "arn:aws:iam::111122223333:role/config",
                "recordingGroup": {
                    "allSupported": false,
                    "includeGlobalResourceTypes": false,
                    "resourceTypes": [],
                    "exclusionByResourceTypes": {"resourceTypes": ["AWS::EC2::Instance"]},
                    "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
                },
                "recordingMode": null,
                "recordingScope": null,
                "servicePrincipal": null,
            })
        );
    }

    #[test]
    fn delivery_status_keeps_the_last_error() {
        use aws_sdk_config::types::DeliveryStatus;
        let s = DeliveryChannelStatus::builder()
            .name("default")
            .config_history_delivery_info(
                ConfigExportDeliveryInfo::builder()
                    .last_status(DeliveryStatus::Failure)
                    .last_error_code("NoSuchBucket")
                    .last_error_message("The specified bucket does not exist")
                    .build(),
            )
            .build();
        let v = delivery_channel_status(&s);
        assert_eq!(v["name"], "default");
        assert_eq!(v["configHistoryDeliveryInfo"]["lastStatus"], "Failure");
        assert_eq!(
            v["configHistoryDeliveryInfo"]["lastErrorCode"],
            "NoSuchBucket"
        );
        assert_eq!(v["configSnapshotDeliveryInfo"], Value::Null);
        assert_eq!(v["configStreamDeliveryInfo"], Value::Null);
    }

    #[test]
    fn roll_up_names_every_region_it_could_not_read() {
        let facts = super::super::AccountFacts::new([
            "eu-west-1",
            "us-east-1",
            "ap-south-1",
            "eu-central-1",
        ]);
        facts.keep(
            "us-east-1",
            json!({"configuration": {"configurationRecorders": [{"name": "default"}], "configurationRecordersStatus": []}, "collectionErrors": {}}),
        );
        facts.keep(
            "eu-central-1",
            json!({"configuration": {"configurationRecorders": [], "configurationRecordersStatus": [], "configurationAggregators": null},
                   "collectionErrors": {"configuration.configurationAggregators": {"operation": "DescribeConfigurationAggregators", "code": "AccessDenied", "message": "no"}}}),
        );
        facts.failed(
            "eu-west-1",
            AwsError {
                operation: "DescribeDeliveryChannels".into(),
                code: "AccessDeniedException".into(),
                message: "denied".into(),
                status: Some(400),
            },
        );
        let regions = facts.by_region();
        let (read, unread) = roll_up_regions(&regions, &["configurationRecorders"]);
        let names = |v: &[Value]| {
            v.iter()
                .map(|r| r["region"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&read), ["eu-central-1", "us-east-1"]);
        assert_eq!(
            read[1]["configurationRecorders"],
            json!([{"name": "default"}])
        );
        assert_eq!(names(&unread), ["ap-south-1", "eu-west-1"]);
        assert_eq!(unread[0]["code"], "Incomplete");
        assert_eq!(unread[1]["operation"], "DescribeDeliveryChannels");
        // A field the roll-up needs that could not be read makes the region unreadable.
        let (read, unread) = roll_up_regions(&regions, &["configurationAggregators"]);
        assert_eq!(names(&read), ["us-east-1"]);
        assert_eq!(names(&unread), ["ap-south-1", "eu-central-1", "eu-west-1"]);
        assert_eq!(unread[1]["operation"], "DescribeConfigurationAggregators");
    }

    #[test]
    fn partitions() {
        assert_eq!(partition_of("eu-west-1"), "aws");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
    }
}
