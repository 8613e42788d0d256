//! `AWS::ApiGateway::RestApi`: GetRestApis, then per API its stages (access logging, method
//! settings), resources with their methods (authorization type) and the resource policy.
//! Stage variable values never leave this module: only their names are kept.

use super::{
    describe_each, names_only, parse_policy, rfc3339, sorted_tags, CollectError, Collector,
    DocumentSink, Scope, Unreadable,
};
use crate::aws::{aws_error, AwsError};
use aws_sdk_apigateway::types::{Method, MethodSetting, Resource, RestApi, Stage};
use aws_sdk_apigateway::Client;
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use vigil_model::Document;

/// How many APIs of one scope are described at once.
const API_CONCURRENCY: usize = 4;

const SERVICE: &str = "apigateway";
const RESOURCE_TYPE: &str = "AWS::ApiGateway::RestApi";

/// Collects API Gateway REST APIs.
pub struct RestApiCollector;

impl Collector for RestApiCollector {
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
            let client = scope_client!(aws_sdk_apigateway, scope);
            let apis: Vec<RestApi> = client
                .get_rest_apis()
                .set_limit(scope.page_size)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| aws_error("GetRestApis", &e))?;
            let mut apis = apis;
            apis.retain(|a| scope.wants(RESOURCE_TYPE, a.id().unwrap_or_default()));
            let client = &client;
            describe_each(apis, API_CONCURRENCY, out, |api| async move {
                Some(describe(client, scope, out, &api).await)
            })
            .await;
            Ok(())
        })
    }
}

/// One API's document. A call that fails leaves its field out of the document, named in
/// `collectionErrors` (and recorded on the sink).
async fn describe(client: &Client, scope: &Scope, out: &DocumentSink, api: &RestApi) -> Document {
    let id = api.id().unwrap_or_default().to_string();
    let mut supplementary = Map::new();
    let mut unreadable = Unreadable::default();

    match client.get_stages().rest_api_id(&id).send().await {
        Ok(s) => {
            let mut stages: Vec<&Stage> = s.item().iter().collect();
            stages.sort_by(|a, b| a.stage_name().cmp(&b.stage_name()));
            let stages = Value::Array(stages.into_iter().map(stage).collect());
            supplementary.insert("stages".into(), stages);
        }
        Err(e) => {
            let err = aws_error("GetStages", &e);
            let field = "supplementaryConfiguration.stages";
            unreadable
                .record(out, scope, SERVICE, &id, field, err)
                .await;
        }
    }

    match resources(client, scope, &id).await {
        Ok(r) => {
            supplementary.insert("resources".into(), Value::Array(r));
        }
        Err(err) => {
            let field = "supplementaryConfiguration.resources";
            unreadable
                .record(out, scope, SERVICE, &id, field, err)
                .await;
        }
    }
    match resource_policy(api.policy(), "GetRestApis") {
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
        arn: format!("arn:aws:apigateway:{}::/restapis/{id}", scope.region),
        resource_id: id,
        aws_account_id: scope.account.id.clone(),
        aws_region: scope.region.clone(),
        tags: sorted_tags(api.tags().into_iter().flatten()),
        configuration: configuration(api),
        supplementary_configuration: Value::Object(supplementary),
        collection_errors: Default::default(),
    };
    unreadable.apply(&mut doc);
    doc
}

/// The API's resources (sorted by path) with their methods (sorted by HTTP method).
async fn resources(client: &Client, scope: &Scope, api_id: &str) -> Result<Vec<Value>, AwsError> {
    let mut items: Vec<Resource> = client
        .get_resources()
        .rest_api_id(api_id)
        .embed("methods")
        .set_limit(scope.page_size)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("GetResources", &e))?;
    items.sort_by(|a, b| a.path().cmp(&b.path()));
    let mut out = Vec::with_capacity(items.len());
    for r in &items {
        let resource_id = r.id().unwrap_or_default();
        let mut names: Vec<&String> = r
            .resource_methods()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        names.sort();
        let mut methods = Vec::with_capacity(names.len());
        for name in names {
            let embedded = &r.resource_methods().expect("names come from this map")[name];
            // An endpoint that ignores `embed` returns bare method names: ask for each one.
            let m = if embedded.authorization_type().is_some() {
                method(name, embedded)
            } else {
                let full = client
                    .get_method()
                    .rest_api_id(api_id)
                    .resource_id(resource_id)
                    .http_method(name)
                    .send()
                    .await
                    .map_err(|e| aws_error("GetMethod", &e))?;
                json!({
                    "httpMethod": full.http_method().unwrap_or(name),
                    "authorizationType": full.authorization_type(),
                    "authorizerId": full.authorizer_id(),
                    "authorizationScopes": full.authorization_scopes(),
                    "apiKeyRequired": full.api_key_required(),
                    "operationName": full.operation_name(),
                    "integrationType": full
                        .method_integration()
                        .and_then(|i| i.r#type())
                        .map(|t| t.as_str()),
                })
            };
            methods.push(m);
        }
        out.push(json!({
            "id": r.id(),
            "parentId": r.parent_id(),
            "path": r.path(),
            "methods": methods,
        }));
    }
    Ok(out)
}

fn method(name: &str, m: &Method) -> Value {
    json!({
        "httpMethod": m.http_method().unwrap_or(name),
        "authorizationType": m.authorization_type(),
        "authorizerId": m.authorizer_id(),
        "authorizationScopes": m.authorization_scopes(),
        "apiKeyRequired": m.api_key_required(),
        "operationName": m.operation_name(),
        // MOCK for a CORS preflight answered by API Gateway itself; null when none is set.
        "integrationType": m.method_integration().and_then(|i| i.r#type()).map(|t| t.as_str()),
    })
}

fn stage(s: &Stage) -> Value {
    let mut method_settings: Vec<(&String, &MethodSetting)> = s
        .method_settings()
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    method_settings.sort_by(|a, b| a.0.cmp(b.0));
    let variable_names = names_only(s.variables());
    json!({
        "stageName": s.stage_name(),
        "deploymentId": s.deployment_id(),
        "description": s.description(),
        "accessLogSettings": s.access_log_settings().map(|a| json!({
            "destinationArn": a.destination_arn(),
            "format": a.format(),
        })),
        "methodSettings": method_settings
            .into_iter()
            .map(|(k, v)| (k.clone(), method_setting(v)))
            .collect::<Map<_, _>>(),
        "tracingEnabled": s.tracing_enabled(),
        "webAclArn": s.web_acl_arn(),
        "clientCertificateId": s.client_certificate_id(),
        "cacheClusterEnabled": s.cache_cluster_enabled(),
        "cacheClusterSize": s.cache_cluster_size().map(|c| c.as_str()),
        "cacheClusterStatus": s.cache_cluster_status().map(|c| c.as_str()),
        "variableNames": variable_names,
        "createdDate": rfc3339(s.created_date()),
        "lastUpdatedDate": rfc3339(s.last_updated_date()),
    })
}

fn method_setting(m: &MethodSetting) -> Value {
    json!({
        "metricsEnabled": m.metrics_enabled(),
        "loggingLevel": m.logging_level(),
        "dataTraceEnabled": m.data_trace_enabled(),
        "throttlingBurstLimit": m.throttling_burst_limit(),
        "throttlingRateLimit": m.throttling_rate_limit(),
        "cachingEnabled": m.caching_enabled(),
        "cacheTtlInSeconds": m.cache_ttl_in_seconds(),
        "cacheDataEncrypted": m.cache_data_encrypted(),
        "requireAuthorizationForCacheControl": m.require_authorization_for_cache_control(),
        "unauthorizedCacheControlHeaderStrategy":
            m.unauthorized_cache_control_header_strategy().map(|s| s.as_str()),
    })
}

/// The API in camelCase; the resource policy moves to the supplementary configuration, parsed.
fn configuration(api: &RestApi) -> Value {
    json!({
        "id": api.id(),
        "name": api.name(),
        "description": api.description(),
        "createdDate": rfc3339(api.created_date()),
        "version": api.version(),
        "apiKeySource": api.api_key_source().map(|s| s.as_str()),
        "endpointConfiguration": api.endpoint_configuration().map(|e| json!({
            "types": e.types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            "vpcEndpointIds": e.vpc_endpoint_ids(),
            "ipAddressType": e.ip_address_type().map(|t| t.as_str()),
        })),
        "disableExecuteApiEndpoint": api.disable_execute_api_endpoint(),
        "minimumCompressionSize": api.minimum_compression_size(),
        "binaryMediaTypes": api.binary_media_types(),
        "rootResourceId": api.root_resource_id(),
        "securityPolicy": api.security_policy().map(|s| s.as_str()),
        "apiStatus": api.api_status().map(|s| s.as_str()),
        "warnings": api.warnings(),
    })
}

/// The resource policy (of an API, or of a private domain name) as a JSON object, read from
/// `operation`'s answer. API Gateway returns it as a string whose quotes are
/// backslash-escaped (`{\"Version\":...}`); a plain JSON string is accepted too. Absent → null;
/// a string that is neither is an error (a policy nobody can read is not an empty one).
pub(super) fn resource_policy(raw: Option<&str>, operation: &str) -> Result<Value, AwsError> {
    let Some(s) = raw.filter(|s| !s.trim().is_empty()) else {
        return Ok(Value::Null);
    };
    if let Ok(v) = serde_json::from_str::<Value>(s) {
        return Ok(v);
    }
    match serde_json::from_str::<String>(&format!("\"{s}\"")) {
        Ok(unescaped) => parse_policy(&unescaped, operation),
        Err(_) => parse_policy(s, operation),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_apigateway::types::AccessLogSettings;

    #[test]
    fn escaped_and_plain_policies_parse_to_the_same_object() {
        let plain = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}"#;
        let escaped = plain.replace('"', "\\\"");
        let want: Value = serde_json::from_str(plain).unwrap();
        assert_eq!(resource_policy(Some(plain), "GetRestApis").unwrap(), want);
        assert_eq!(
            resource_policy(Some(&escaped), "GetRestApis").unwrap(),
            want
        );
        assert_eq!(
            resource_policy(
                Some(r#"{\"Resource\":\"arn:aws:execute-api:eu-west-1:1:a\/*\"}"#),
                "GetRestApis"
            )
            .unwrap(),
            json!({"Resource": "arn:aws:execute-api:eu-west-1:1:a/*"})
        );
    }

    #[test]
    fn absent_policy_is_null_and_garbage_is_an_error() {
        assert_eq!(resource_policy(None, "GetRestApis").unwrap(), Value::Null);
        assert_eq!(
            resource_policy(Some(""), "GetRestApis").unwrap(),
            Value::Null
        );
        for bad in [
            "not json",
            r#"{\"Sid\":\"\\ud800\"}"#,
            r#"{"Sid":"\ud800"}"#,
        ] {
            let err = resource_policy(Some(bad), "GetRestApis").unwrap_err();
            assert_eq!(err.code, crate::collect::UNPARSABLE_POLICY, "{bad}");
        }
    }

    #[test]
    fn stage_keeps_variable_names_only_and_access_logs_or_null() {
        let s = Stage::builder()
            .stage_name("prod")
            .variables("DB_PASSWORD", "hunter2")
            .variables("ALIAS", "live")
            .access_log_settings(
                AccessLogSettings::builder()
                    .destination_arn("arn:aws:logs:eu-west-1:1:log-group:api")
                    .format("$context.requestId")
                    .build(),
            )
            .build();
        let v = stage(&s);
        assert_eq!(v["variableNames"], json!(["ALIAS", "DB_PASSWORD"]));
        assert_eq!(
            v["accessLogSettings"],
            json!({"destinationArn": "arn:aws:logs:eu-west-1:1:log-group:api", "format": "$context.requestId"})
        );
        assert!(!v.to_string().contains("hunter2"));
        let bare = stage(&Stage::builder().stage_name("dev").build());
        assert_eq!(bare["accessLogSettings"], Value::Null);
        assert_eq!(bare["methodSettings"], json!({}));
        assert_eq!(bare["cacheClusterSize"], Value::Null);
        let cached = stage(
            &Stage::builder()
                .stage_name("prod")
                .cache_cluster_enabled(true)
                .cache_cluster_size(aws_sdk_apigateway::types::CacheClusterSize::from("0.5"))
                .cache_cluster_status(aws_sdk_apigateway::types::CacheClusterStatus::Available)
                .build(),
        );
        assert_eq!(
            (
                &cached["cacheClusterEnabled"],
                &cached["cacheClusterSize"],
                &cached["cacheClusterStatus"]
            ),
            (&json!(true), &json!("0.5"), &json!("AVAILABLE"))
        );
    }
}
