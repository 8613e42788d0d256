//! `AWS::Lambda::Function`: ListFunctions, then per function its tags, resource policy,
//! function URL configs, event invoke configs and code-signing config (the config itself read
//! once per scope, functions share them). Environment variable values never leave this
//! module: only their names are kept.

use super::{
    describe_each, names_only, parse_policy, sorted_tags, CollectError, Collector, DocumentSink,
    Scope, Unreadable,
};
use crate::aws::{aws_error, AwsError};
use aws_sdk_lambda::types::{FunctionConfiguration, FunctionEventInvokeConfig, FunctionUrlConfig};
use aws_sdk_lambda::Client;
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;
use vigil_model::Document;

const SERVICE: &str = "lambda";
const RESOURCE_TYPE: &str = "AWS::Lambda::Function";

/// How many functions of one scope are described at once.
const FUNCTION_CONCURRENCY: usize = 4;

/// Collects Lambda functions.
pub struct LambdaCollector;

impl Collector for LambdaCollector {
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
            let functions: Vec<FunctionConfiguration> = client
                .list_functions()
                .set_max_items(scope.page_size_capped(10_000))
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| aws_error("ListFunctions", &e))?;
            let mut functions = functions;
            functions.retain(|f| scope.wants(RESOURCE_TYPE, f.function_name().unwrap_or_default()));
            let client = &client;
            let signing = &CodeSigningConfigs::default();
            describe_each(functions, FUNCTION_CONCURRENCY, out, |f| async move {
                Some(describe(client, scope, out, signing, &f).await)
            })
            .await;
            Ok(())
        })
    }
}

/// One function's document. A call that fails leaves its field out of the document, named in
/// `collectionErrors` (and recorded on the sink).
async fn describe(
    client: &Client,
    scope: &Scope,
    out: &DocumentSink,
    signing: &CodeSigningConfigs,
    f: &FunctionConfiguration,
) -> Document {
    let name = f.function_name().unwrap_or_default().to_string();
    let arn = f.function_arn().unwrap_or_default().to_string();
    let mut supplementary = Map::new();
    let mut unreadable = Unreadable::default();

    let tags = match client.list_tags().resource(&arn).send().await {
        Ok(t) => sorted_tags(t.tags().into_iter().flatten()),
        Err(e) => {
            let err = aws_error("ListTags", &e);
            unreadable
                .record(out, scope, SERVICE, &name, "tags", err)
                .await;
            Map::new()
        }
    };

    match function_policy(client, &name, None).await {
        Ok(p) => {
            supplementary.insert("policy".into(), p);
        }
        Err(err) => {
            let field = "supplementaryConfiguration.policy";
            unreadable
                .record(out, scope, SERVICE, &name, field, err)
                .await;
        }
    }

    // A permission can be added to an alias or a published version (`add-permission
    // --qualifier`); the unqualified policy does not show it.
    let qualifiers = match qualifiers(client, &name).await {
        Ok(q) => Some(q),
        Err(err) => {
            let field = "supplementaryConfiguration.qualifierPolicies";
            unreadable
                .record(out, scope, SERVICE, &name, field, err)
                .await;
            None
        }
    };
    if let Some(q) = &qualifiers {
        let mut policies = Map::new();
        for qualifier in q.aliases.iter().chain(&q.versions) {
            match function_policy(client, &name, Some(qualifier)).await {
                Ok(Value::Null) => {}
                Ok(p) => {
                    policies.insert(qualifier.clone(), p);
                }
                Err(err) => {
                    let field = format!("supplementaryConfiguration.qualifierPolicies.{qualifier}");
                    unreadable
                        .record(out, scope, SERVICE, &name, field, err)
                        .await;
                }
            }
        }
        supplementary.insert("qualifierPolicies".into(), Value::Object(policies));
    }

    match function_url_configs(client, &name, qualifiers.as_ref()).await {
        Ok(u) => {
            supplementary.insert("functionUrlConfigs".into(), Value::Array(u));
        }
        Err(err) => {
            let field = "supplementaryConfiguration.functionUrlConfigs";
            unreadable
                .record(out, scope, SERVICE, &name, field, err)
                .await;
        }
    }

    match client
        .get_function_code_signing_config()
        .function_name(&name)
        .send()
        .await
    {
        Ok(c) => {
            let arn = c.code_signing_config_arn().to_string();
            supplementary.insert("codeSigningConfigArn".into(), Value::String(arn.clone()));
            // An empty arn (what some endpoints answer for a function without one) is none.
            if !arn.is_empty() {
                match signing.get(client, &arn).await {
                    Ok(config) => {
                        supplementary.insert("codeSigningConfig".into(), config);
                    }
                    Err(err) => {
                        let field = "supplementaryConfiguration.codeSigningConfig";
                        unreadable
                            .record(out, scope, SERVICE, &name, field, err)
                            .await;
                    }
                }
            }
        }
        Err(e) => {
            let err = aws_error("GetFunctionCodeSigningConfig", &e);
            if err.code == "ResourceNotFoundException" {
                supplementary.insert("codeSigningConfigArn".into(), Value::Null);
            } else {
                let field = "supplementaryConfiguration.codeSigningConfigArn";
                unreadable
                    .record(out, scope, SERVICE, &name, field, err)
                    .await;
            }
        }
    }

    match event_invoke_configs(client, scope, &name).await {
        Ok(c) => {
            supplementary.insert("eventInvokeConfigs".into(), Value::Array(c));
        }
        Err(err) => {
            let field = "supplementaryConfiguration.eventInvokeConfigs";
            unreadable
                .record(out, scope, SERVICE, &name, field, err)
                .await;
        }
    }

    let mut doc = Document {
        resource_type: RESOURCE_TYPE.into(),
        resource_id: name,
        arn,
        aws_account_id: scope.account.id.clone(),
        aws_region: scope.region.clone(),
        tags,
        configuration: configuration(f),
        supplementary_configuration: Value::Object(supplementary),
        collection_errors: Default::default(),
    };
    unreadable.apply(&mut doc);
    doc
}

/// The resource policy of the function or of one of its qualifiers (alias or version); null
/// when it has none.
async fn function_policy(
    client: &Client,
    name: &str,
    qualifier: Option<&String>,
) -> Result<Value, AwsError> {
    match client
        .get_policy()
        .function_name(name)
        .set_qualifier(qualifier.cloned())
        .send()
        .await
    {
        Ok(p) => match p.policy() {
            Some(text) => parse_policy(text, "GetPolicy"),
            None => Ok(Value::Null),
        },
        Err(e) => {
            let err = aws_error("GetPolicy", &e);
            if err.code == "ResourceNotFoundException" {
                Ok(Value::Null)
            } else {
                Err(err)
            }
        }
    }
}

/// Code-signing configs of one scope by arn: several functions share one config, which is
/// read once (a failure too is kept, and given to every function that names it).
#[derive(Default)]
struct CodeSigningConfigs(Mutex<HashMap<String, Arc<ConfigCell>>>);

/// One code-signing config, read at most once.
type ConfigCell = OnceCell<Result<Value, AwsError>>;

impl CodeSigningConfigs {
    async fn get(&self, client: &Client, arn: &str) -> Result<Value, AwsError> {
        let cell = {
            let mut cells = self.0.lock().unwrap_or_else(|e| e.into_inner());
            cells.entry(arn.to_string()).or_default().clone()
        };
        cell.get_or_init(|| code_signing_config(client, arn))
            .await
            .clone()
    }
}

/// GetCodeSigningConfig: who may sign the function's code, and whether unsigned code is
/// refused (`Enforce`) or only logged (`Warn`).
async fn code_signing_config(client: &Client, arn: &str) -> Result<Value, AwsError> {
    let out = client
        .get_code_signing_config()
        .code_signing_config_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error("GetCodeSigningConfig", &e))?;
    let Some(c) = out.code_signing_config() else {
        return Err(AwsError {
            operation: "GetCodeSigningConfig".into(),
            code: vigil_model::VigilCode::Incomplete.into(),
            message: "the response has no CodeSigningConfig".into(),
            status: None,
        });
    };
    Ok(json!({
        "codeSigningConfigId": c.code_signing_config_id(),
        "codeSigningConfigArn": c.code_signing_config_arn(),
        "description": c.description(),
        "allowedPublishers": c.allowed_publishers().map(|p| json!({
            "signingProfileVersionArns": p.signing_profile_version_arns(),
        })),
        "codeSigningPolicies": c.code_signing_policies().map(|p| json!({
            "untrustedArtifactOnDeployment": p.untrusted_artifact_on_deployment().map(|u| u.as_str()),
        })),
        "lastModified": c.last_modified(),
    }))
}

/// ListFunctionEventInvokeConfigs: the asynchronous-invocation settings of the function and
/// of each of its qualifiers, sorted by qualifier (the unqualified function first).
async fn event_invoke_configs(
    client: &Client,
    scope: &Scope,
    name: &str,
) -> Result<Vec<Value>, AwsError> {
    let configs: Vec<FunctionEventInvokeConfig> = client
        .list_function_event_invoke_configs()
        .function_name(name)
        .set_max_items(scope.page_size_capped(50))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("ListFunctionEventInvokeConfigs", &e))?;
    let mut out: Vec<(Option<String>, Value)> = configs
        .iter()
        .map(|c| {
            let qualifier = c.function_arn().and_then(qualifier_of);
            (qualifier.clone(), event_invoke_config(c, qualifier))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out.into_iter().map(|(_, v)| v).collect())
}

fn event_invoke_config(c: &FunctionEventInvokeConfig, qualifier: Option<String>) -> Value {
    let destination = c.destination_config();
    json!({
        "qualifier": qualifier,
        "functionArn": c.function_arn(),
        "lastModified": super::rfc3339(c.last_modified()),
        "maximumRetryAttempts": c.maximum_retry_attempts(),
        "maximumEventAgeInSeconds": c.maximum_event_age_in_seconds(),
        "destinationConfig": destination.map(|d| json!({
            "onSuccess": d.on_success().map(|s| json!({"destination": s.destination()})),
            "onFailure": d.on_failure().map(|f| json!({"destination": f.destination()})),
        })),
    })
}

/// A function's aliases and published versions (`$LATEST` is the unqualified function).
struct Qualifiers {
    aliases: Vec<String>,
    versions: Vec<String>,
}

async fn qualifiers(client: &Client, name: &str) -> Result<Qualifiers, AwsError> {
    let aliases: Vec<aws_sdk_lambda::types::AliasConfiguration> = client
        .list_aliases()
        .function_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("ListAliases", &e))?;
    let versions: Vec<FunctionConfiguration> = client
        .list_versions_by_function()
        .function_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("ListVersionsByFunction", &e))?;
    let mut aliases: Vec<String> = aliases
        .iter()
        .filter_map(|a| a.name().map(str::to_string))
        .collect();
    aliases.sort();
    aliases.dedup();
    let mut versions: Vec<String> = versions
        .iter()
        .filter_map(|v| v.version())
        .filter(|v| *v != "$LATEST")
        .map(str::to_string)
        .collect();
    versions.sort_by_key(|v| (v.len(), v.clone()));
    versions.dedup();
    Ok(Qualifiers { aliases, versions })
}

/// The function's URL configs. `ListFunctionUrlConfigs` is the one call that sees every
/// qualifier; where an endpoint does not offer it, fall back to `GetFunctionUrlConfig` for
/// the unqualified function and each alias (when the aliases could be listed).
async fn function_url_configs(
    client: &Client,
    name: &str,
    qualifiers: Option<&Qualifiers>,
) -> Result<Vec<Value>, AwsError> {
    let listed: Result<Vec<FunctionUrlConfig>, _> = client
        .list_function_url_configs()
        .function_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    match listed {
        Ok(configs) => return Ok(configs.iter().map(url_config).collect()),
        Err(e) => {
            let err = aws_error("ListFunctionUrlConfigs", &e);
            if !err.is_unsupported_operation() {
                return Err(err);
            }
        }
    }
    let Some(q) = qualifiers else {
        // Without the aliases the fallback would see only part of the URLs.
        return Err(AwsError {
            operation: "ListAliases".into(),
            code: vigil_model::VigilCode::Incomplete.into(),
            message: "the function's aliases could not be listed, so its URL configs cannot be"
                .into(),
            status: None,
        });
    };
    let mut out = Vec::new();
    for q in std::iter::once(None).chain(q.aliases.iter().map(Some)) {
        match client
            .get_function_url_config()
            .function_name(name)
            .set_qualifier(q.cloned())
            .send()
            .await
        {
            Ok(c) => out.push(json!({
                "functionUrl": c.function_url(),
                "authType": c.auth_type().as_str(),
                "invokeMode": c.invoke_mode().map(|m| m.as_str()),
                "qualifier": q,
                "cors": c.cors().map(cors),
            })),
            Err(e) => {
                let err = aws_error("GetFunctionUrlConfig", &e);
                if err.code != "ResourceNotFoundException" {
                    return Err(err);
                }
            }
        }
    }
    Ok(out)
}

fn url_config(c: &FunctionUrlConfig) -> Value {
    json!({
        "functionUrl": c.function_url(),
        "authType": c.auth_type().as_str(),
        "invokeMode": c.invoke_mode().map(|m| m.as_str()),
        "qualifier": qualifier_of(c.function_arn()),
        "cors": c.cors().map(cors),
    })
}

/// `arn:aws:lambda:r:a:function:name:alias` → `alias`; unqualified → null.
fn qualifier_of(function_arn: &str) -> Option<String> {
    let parts: Vec<&str> = function_arn.split(':').collect();
    (parts.len() == 8).then(|| parts[7].to_string())
}

fn cors(c: &aws_sdk_lambda::types::Cors) -> Value {
    json!({
        "allowOrigins": c.allow_origins(),
        "allowMethods": c.allow_methods(),
        "allowHeaders": c.allow_headers(),
        "allowCredentials": c.allow_credentials(),
    })
}

/// The function configuration in camelCase; environment variable values are dropped here.
fn configuration(f: &FunctionConfiguration) -> Value {
    let vpc = f.vpc_config();
    let subnets: Vec<&str> = vpc
        .map(|v| v.subnet_ids().iter().map(String::as_str).collect())
        .unwrap_or_default();
    let sgs: Vec<&str> = vpc
        .map(|v| v.security_group_ids().iter().map(String::as_str).collect())
        .unwrap_or_default();
    let vpc_id = vpc
        .and_then(|v| v.vpc_id())
        .filter(|s| !s.is_empty() && !subnets.is_empty());
    let variable_names = names_only(f.environment().and_then(|e| e.variables()));
    json!({
        "functionName": f.function_name(),
        "functionArn": f.function_arn(),
        "runtime": f.runtime().map(|r| r.as_str()),
        "role": f.role(),
        "handler": f.handler(),
        "description": f.description().unwrap_or_default(),
        "timeout": f.timeout(),
        "memorySize": f.memory_size(),
        "codeSize": f.code_size(),
        "lastModified": f.last_modified(),
        "version": f.version(),
        "packageType": f.package_type().map(|p| p.as_str()),
        "architectures": f.architectures().iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "vpcConfig": {
            "subnetIds": subnets,
            "securityGroupIds": sgs,
            "vpcId": vpc_id,
        },
        "environment": { "variableNames": variable_names },
        "kmsKeyArn": f.kms_key_arn().filter(|s| !s.is_empty()),
        "tracingConfig": { "mode": f.tracing_config().and_then(|t| t.mode()).map(|m| m.as_str()) },
        "deadLetterConfig": f.dead_letter_config().map(|d| json!({"targetArn": d.target_arn()})),
        "layers": f.layers().iter().map(|l| json!({"arn": l.arn(), "codeSize": l.code_size()})).collect::<Vec<_>>(),
        "state": f.state().map(|s| s.as_str()),
        "lastUpdateStatus": f.last_update_status().map(|s| s.as_str()),
        "ephemeralStorage": f.ephemeral_storage().map(|e| json!({"size": e.size()})),
        "signingProfileVersionArn": f.signing_profile_version_arn(),
        "signingJobArn": f.signing_job_arn(),
        "loggingConfig": f.logging_config().map(|l| json!({
            "logFormat": l.log_format().map(|x| x.as_str()),
            "logGroup": l.log_group(),
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_lambda::types::{EnvironmentResponse, VpcConfigResponse};

    #[test]
    fn environment_values_are_dropped_and_names_kept() {
        let f = FunctionConfiguration::builder()
            .function_name("f")
            .environment(
                EnvironmentResponse::builder()
                    .variables("DB_PASSWORD", "hunter2")
                    .variables("A_TABLE", "orders")
                    .build(),
            )
            .build();
        let c = configuration(&f);
        assert_eq!(
            c["environment"],
            json!({"variableNames": ["A_TABLE", "DB_PASSWORD"]})
        );
        let text = c.to_string();
        assert!(
            !text.contains("hunter2") && !text.contains("orders"),
            "{text}"
        );
    }

    #[test]
    fn vpc_id_only_when_attached() {
        let f = FunctionConfiguration::builder()
            .vpc_config(VpcConfigResponse::builder().vpc_id("vpc-1").build())
            .build();
        assert_eq!(configuration(&f)["vpcConfig"]["vpcId"], Value::Null);
        let f = FunctionConfiguration::builder()
            .vpc_config(
                VpcConfigResponse::builder()
                    .vpc_id("vpc-1")
                    .subnet_ids("subnet-1")
                    .build(),
            )
            .build();
        assert_eq!(configuration(&f)["vpcConfig"]["vpcId"], "vpc-1");
    }

    #[test]
    fn event_invoke_config_keeps_destinations_and_names_the_qualifier() {
        use aws_sdk_lambda::types::{DestinationConfig, OnFailure};
        let c = FunctionEventInvokeConfig::builder()
            .function_arn("arn:aws:lambda:eu-west-1:1:function:f:live")
            .maximum_retry_attempts(1)
            .destination_config(
                DestinationConfig::builder()
                    .on_failure(
                        OnFailure::builder()
                            .destination("arn:aws:sqs:eu-west-1:1:q")
                            .build(),
                    )
                    .build(),
            )
            .build();
        let v = event_invoke_config(&c, qualifier_of(c.function_arn().unwrap()));
        assert_eq!(v["qualifier"], "live");
        assert_eq!(v["maximumRetryAttempts"], 1);
        assert_eq!(v["maximumEventAgeInSeconds"], Value::Null);
        assert_eq!(
            v["destinationConfig"],
            json!({"onSuccess": null, "onFailure": {"destination": "arn:aws:sqs:eu-west-1:1:q"}})
        );
    }

    #[test]
    fn qualifier_from_arn() {
        assert_eq!(qualifier_of("arn:aws:lambda:eu-west-1:1:function:f"), None);
        assert_eq!(
            qualifier_of("arn:aws:lambda:eu-west-1:1:function:f:live").as_deref(),
            Some("live")
        );
    }
}
