//! `AWS::ApiGatewayV2::Api`: GetApis (HTTP and WebSocket APIs, told apart by `protocolType`),
//! then per API its stages (access logging) and routes (authorization type). Authorizers are
//! referenced by id only: their listing is not needed to judge a route. Stage variable values
//! never leave this module: only their names are kept.

use super::{
    all_pages, describe_each, names_only, rfc3339, sorted_tags, CollectError, Collector,
    DocumentSink, Scope, Unreadable,
};
use crate::aws::aws_error;
use aws_sdk_apigatewayv2::types::{Api, Route, RouteSettings, Stage};
use aws_sdk_apigatewayv2::Client;
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use vigil_model::Document;

/// How many APIs of one scope are described at once.
const API_CONCURRENCY: usize = 4;

const SERVICE: &str = "apigatewayv2";
const RESOURCE_TYPE: &str = "AWS::ApiGatewayV2::Api";

/// Collects API Gateway v2 (HTTP) APIs.
pub struct HttpApiCollector;

impl Collector for HttpApiCollector {
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
            let client = scope_client!(aws_sdk_apigatewayv2, scope);
            let max_results = scope.page_size.map(|n| n.to_string());
            let apis: Vec<Api> = all_pages("GetApis", |token| {
                let req = client
                    .get_apis()
                    .set_max_results(max_results.clone())
                    .set_next_token(token);
                async move {
                    let page = req.send().await.map_err(|e| aws_error("GetApis", &e))?;
                    Ok((page.items().to_vec(), page.next_token().map(str::to_string)))
                }
            })
            .await?;
            let mut apis = apis;
            apis.retain(|a| scope.wants(RESOURCE_TYPE, a.api_id().unwrap_or_default()));
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
async fn describe(client: &Client, scope: &Scope, out: &DocumentSink, api: &Api) -> Document {
    let id = api.api_id().unwrap_or_default().to_string();
    let max_results = scope.page_size.map(|n| n.to_string());
    let mut supplementary = Map::new();
    let mut unreadable = Unreadable::default();

    let stages = all_pages("GetStages", |token| {
        let req = client
            .get_stages()
            .api_id(&id)
            .set_max_results(max_results.clone())
            .set_next_token(token);
        async move {
            let page = req.send().await.map_err(|e| aws_error("GetStages", &e))?;
            Ok((page.items().to_vec(), page.next_token().map(str::to_string)))
        }
    })
    .await;
    match stages {
        Ok(mut s) => {
            s.sort_by(|a, b| a.stage_name().cmp(&b.stage_name()));
            let stages = Value::Array(s.iter().map(stage).collect());
            supplementary.insert("stages".into(), stages);
        }
        Err(err) => {
            let field = "supplementaryConfiguration.stages";
            unreadable
                .record(out, scope, SERVICE, &id, field, err)
                .await;
        }
    }

    let routes = all_pages("GetRoutes", |token| {
        let req = client
            .get_routes()
            .api_id(&id)
            .set_max_results(max_results.clone())
            .set_next_token(token);
        async move {
            let page = req.send().await.map_err(|e| aws_error("GetRoutes", &e))?;
            Ok((page.items().to_vec(), page.next_token().map(str::to_string)))
        }
    })
    .await;
    match routes {
        Ok(mut r) => {
            r.sort_by(|a, b| a.route_key().cmp(&b.route_key()));
            let routes = Value::Array(r.iter().map(route).collect());
            supplementary.insert("routes".into(), routes);
        }
        Err(err) => {
            let field = "supplementaryConfiguration.routes";
            unreadable
                .record(out, scope, SERVICE, &id, field, err)
                .await;
        }
    }

    let mut doc = Document {
        resource_type: RESOURCE_TYPE.into(),
        arn: format!("arn:aws:apigateway:{}::/apis/{id}", scope.region),
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

fn route(r: &Route) -> Value {
    json!({
        "routeId": r.route_id(),
        "routeKey": r.route_key(),
        "authorizationType": r.authorization_type().map(|t| t.as_str()),
        "authorizerId": r.authorizer_id(),
        "authorizationScopes": r.authorization_scopes(),
        "apiKeyRequired": r.api_key_required(),
        "target": r.target(),
        "operationName": r.operation_name(),
        "apiGatewayManaged": r.api_gateway_managed(),
    })
}

fn stage(s: &Stage) -> Value {
    let mut route_settings: Vec<(&String, &RouteSettings)> = s
        .route_settings()
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    route_settings.sort_by(|a, b| a.0.cmp(b.0));
    let variable_names = names_only(s.stage_variables());
    json!({
        "stageName": s.stage_name(),
        "deploymentId": s.deployment_id(),
        "description": s.description(),
        "autoDeploy": s.auto_deploy(),
        "apiGatewayManaged": s.api_gateway_managed(),
        "accessLogSettings": s.access_log_settings().map(|a| json!({
            "destinationArn": a.destination_arn(),
            "format": a.format(),
        })),
        "defaultRouteSettings": s.default_route_settings().map(route_settings_json),
        "routeSettings": route_settings
            .into_iter()
            .map(|(k, v)| (k.clone(), route_settings_json(v)))
            .collect::<Map<_, _>>(),
        "clientCertificateId": s.client_certificate_id(),
        "stageVariableNames": variable_names,
        "createdDate": rfc3339(s.created_date()),
        "lastUpdatedDate": rfc3339(s.last_updated_date()),
    })
}

fn route_settings_json(r: &RouteSettings) -> Value {
    json!({
        "dataTraceEnabled": r.data_trace_enabled(),
        "detailedMetricsEnabled": r.detailed_metrics_enabled(),
        "loggingLevel": r.logging_level().map(|l| l.as_str()),
        "throttlingBurstLimit": r.throttling_burst_limit(),
        "throttlingRateLimit": r.throttling_rate_limit(),
    })
}

/// The API in camelCase.
fn configuration(api: &Api) -> Value {
    json!({
        "apiId": api.api_id(),
        "name": api.name(),
        "protocolType": api.protocol_type().map(|p| p.as_str()),
        "apiEndpoint": api.api_endpoint(),
        "description": api.description(),
        "createdDate": rfc3339(api.created_date()),
        "version": api.version(),
        "disableExecuteApiEndpoint": api.disable_execute_api_endpoint(),
        "disableSchemaValidation": api.disable_schema_validation(),
        "routeSelectionExpression": api.route_selection_expression(),
        "apiKeySelectionExpression": api.api_key_selection_expression(),
        "ipAddressType": api.ip_address_type().map(|t| t.as_str()),
        "apiGatewayManaged": api.api_gateway_managed(),
        "corsConfiguration": api.cors_configuration().map(|c| json!({
            "allowOrigins": c.allow_origins(),
            "allowMethods": c.allow_methods(),
            "allowHeaders": c.allow_headers(),
            "exposeHeaders": c.expose_headers(),
            "allowCredentials": c.allow_credentials(),
            "maxAge": c.max_age(),
        })),
        "warnings": api.warnings(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_apigatewayv2::types::AuthorizationType;

    #[test]
    fn route_and_stage_shape() {
        let r = Route::builder()
            .route_key("GET /orders")
            .authorization_type(AuthorizationType::Jwt)
            .authorizer_id("au1")
            .authorization_scopes("orders.read")
            .target("integrations/i1")
            .build();
        let v = route(&r);
        assert_eq!(v["authorizationType"], "JWT");
        assert_eq!(v["authorizerId"], "au1");
        assert_eq!(v["authorizationScopes"], json!(["orders.read"]));
        let s = Stage::builder()
            .stage_name("$default")
            .stage_variables("TOKEN", "s3cr3t")
            .build();
        let v = stage(&s);
        assert_eq!(v["accessLogSettings"], Value::Null);
        assert_eq!(v["stageVariableNames"], json!(["TOKEN"]));
        assert!(!v.to_string().contains("s3cr3t"));
    }
}
