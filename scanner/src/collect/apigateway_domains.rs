//! `AWS::ApiGateway::DomainName`: the custom domain names of API Gateway (edge-optimized,
//! regional and private), one document per name from GetDomainNames; no call per domain name.
//! Certificate bodies, chains and private keys are never copied (AWS does not return them; an
//! emulator may).

use super::apigateway::resource_policy;
use super::{rfc3339, sorted_tags, CollectError, Collector, DocumentSink, Scope, Unreadable};
use crate::aws::aws_error;
use aws_sdk_apigateway::types::DomainName;
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use vigil_model::Document;

const SERVICE: &str = "apigateway-domains";
const RESOURCE_TYPE: &str = "AWS::ApiGateway::DomainName";

/// Collects API Gateway custom domain names.
pub struct DomainNameCollector;

impl Collector for DomainNameCollector {
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
            let mut domains: Vec<DomainName> = client
                .get_domain_names()
                .set_limit(scope.page_size)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| aws_error("GetDomainNames", &e))?;
            domains.sort_by_key(resource_id);
            for d in &domains {
                out.emit(describe(scope, out, d).await).await;
            }
            Ok(())
        })
    }
}

/// The domain name; a private one (which has a `domainNameId`, and may share its name with a
/// public one) is `name+id`, as in its ARN.
fn resource_id(d: &DomainName) -> String {
    let name = d.domain_name().unwrap_or_default();
    match d.domain_name_id().filter(|id| !id.is_empty()) {
        Some(id) => format!("{name}+{id}"),
        None => name.to_string(),
    }
}

async fn describe(scope: &Scope, out: &DocumentSink, d: &DomainName) -> Document {
    let id = resource_id(d);
    let mut supplementary = Map::new();
    let mut unreadable = Unreadable::default();
    // Private domain names carry a resource policy (who may invoke through them).
    match resource_policy(d.policy(), "GetDomainNames") {
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
    let arn = d
        .domain_name_arn()
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| format!("arn:aws:apigateway:{}::/domainnames/{id}", scope.region));
    let mut doc = Document {
        resource_type: RESOURCE_TYPE.into(),
        arn,
        resource_id: id,
        aws_account_id: scope.account.id.clone(),
        aws_region: scope.region.clone(),
        tags: sorted_tags(d.tags().into_iter().flatten()),
        configuration: configuration(d),
        supplementary_configuration: Value::Object(supplementary),
        collection_errors: Default::default(),
    };
    unreadable.apply(&mut doc);
    doc
}

/// The domain name in camelCase, without certificate material and policies.
fn configuration(d: &DomainName) -> Value {
    json!({
        "domainName": d.domain_name(),
        "domainNameId": d.domain_name_id(),
        "domainNameArn": d.domain_name_arn(),
        "certificateName": d.certificate_name(),
        "certificateArn": d.certificate_arn(),
        "certificateUploadDate": rfc3339(d.certificate_upload_date()),
        "regionalDomainName": d.regional_domain_name(),
        "regionalHostedZoneId": d.regional_hosted_zone_id(),
        "regionalCertificateName": d.regional_certificate_name(),
        "regionalCertificateArn": d.regional_certificate_arn(),
        "distributionDomainName": d.distribution_domain_name(),
        "distributionHostedZoneId": d.distribution_hosted_zone_id(),
        "endpointConfiguration": d.endpoint_configuration().map(|e| json!({
            "types": e.types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            "vpcEndpointIds": e.vpc_endpoint_ids(),
            "ipAddressType": e.ip_address_type().map(|t| t.as_str()),
        })),
        "domainNameStatus": d.domain_name_status().map(|s| s.as_str()),
        "domainNameStatusMessage": d.domain_name_status_message(),
        // Unknown policy names come through as sent (the rule reports them as unknown).
        "securityPolicy": d.security_policy().map(|s| s.as_str()),
        "endpointAccessMode": d.endpoint_access_mode().map(|m| m.as_str()),
        "mutualTlsAuthentication": d.mutual_tls_authentication().map(|m| json!({
            "truststoreUri": m.truststore_uri(),
            "truststoreVersion": m.truststore_version(),
            "truststoreWarnings": m.truststore_warnings(),
        })),
        "ownershipVerificationCertificateArn": d.ownership_verification_certificate_arn(),
        "routingMode": d.routing_mode().map(|m| m.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, SecurityPolicy};

    #[test]
    fn configuration_keeps_the_security_policy_and_endpoint_type() {
        let d = DomainName::builder()
            .domain_name("api.example.com")
            .security_policy(SecurityPolicy::Tls10)
            .regional_certificate_arn("arn:aws:acm:eu-west-1:1:certificate/x")
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(EndpointType::Regional)
                    .build(),
            )
            .build();
        let v = configuration(&d);
        assert_eq!(v["securityPolicy"], "TLS_1_0");
        assert_eq!(v["endpointConfiguration"]["types"], json!(["REGIONAL"]));
        assert_eq!(v["mutualTlsAuthentication"], Value::Null);
        assert_eq!(resource_id(&d), "api.example.com");
    }

    #[test]
    fn unknown_policy_names_pass_through_and_private_names_carry_their_id() {
        let d = DomainName::builder()
            .domain_name("private.example.com")
            .domain_name_id("abc123")
            .security_policy(SecurityPolicy::from("SecurityPolicy_TLS14_2030"))
            .build();
        assert_eq!(
            configuration(&d)["securityPolicy"],
            "SecurityPolicy_TLS14_2030"
        );
        assert_eq!(resource_id(&d), "private.example.com+abc123");
        let bare = configuration(&DomainName::builder().domain_name("x.example.com").build());
        assert_eq!(bare["securityPolicy"], Value::Null);
    }
}
