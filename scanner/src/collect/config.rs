//! `AWS::Config::Region`: one document per account × region with the configuration recorders,
//! their status, the delivery channels and, in the organization's management account, the
//! configuration aggregators. A region where nothing is configured still gives a document
//! (empty lists): that absence is what the rules look for.

use super::{rfc3339, CollectError, Collector, DocumentSink, Scope, Unreadable};
use crate::aws::aws_error;
use aws_sdk_config::types::{
    ConfigurationAggregator, ConfigurationRecorder, ConfigurationRecorderStatus, DeliveryChannel,
    RecordingGroup, RecordingMode,
};
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use vigil_model::Document;

const SERVICE: &str = "config";
const RESOURCE_TYPE: &str = "AWS::Config::Region";

/// Collects the AWS Config set-up of one account × region.
pub struct ConfigRegionCollector;

impl Collector for ConfigRegionCollector {
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
            out.emit(doc).await;
            Ok(())
        })
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
    fn partitions() {
        assert_eq!(partition_of("eu-west-1"), "aws");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
    }
}
