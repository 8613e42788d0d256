//! Shared AWS plumbing: the base SDK configuration (retries, timeouts, endpoint), API-call
//! accounting, and turning SDK errors into (code, message) pairs for error records.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::region::Region;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Counts HTTP attempts per (service, operation); shared by every client of a scan.
#[derive(Debug, Clone, Default)]
pub struct ApiCalls {
    inner: Arc<Mutex<BTreeMap<(String, String), u64>>>,
}

impl ApiCalls {
    /// Total attempts so far (retries included: each one is a request AWS sees).
    pub fn total(&self) -> u64 {
        self.inner.lock().map(|m| m.values().sum()).unwrap_or(0)
    }

    /// Attempts per `service:operation`.
    pub fn by_operation(&self) -> BTreeMap<String, u64> {
        self.inner
            .lock()
            .map(|m| {
                m.iter()
                    .map(|((s, o), n)| (format!("{s}:{o}"), *n))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Intercept for ApiCalls {
    fn name(&self) -> &'static str {
        "vigil-api-call-counter"
    }

    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(m) = cfg.load::<Metadata>() {
            if let Ok(mut map) = self.inner.lock() {
                *map.entry((m.service().to_string(), m.name().to_string()))
                    .or_default() += 1;
            }
        }
        Ok(())
    }
}

/// Loads the caller's configuration from the standard AWS chain, with vigil's retry and
/// timeout policy. `endpoint_url` (else `AWS_ENDPOINT_URL`, read by the SDK) reaches every client.
pub async fn base_config(region: &str, endpoint_url: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        // Standard mode: exponential backoff with jitter. Adaptive mode was measured to
        // throttle a whole service+region to ~0.5 req/s once it saw a throttling error.
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(6)
                .with_initial_backoff(Duration::from_millis(200))
                .with_max_backoff(Duration::from_secs(10)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .read_timeout(Duration::from_secs(30))
                .operation_attempt_timeout(Duration::from_secs(30))
                .operation_timeout(Duration::from_secs(120))
                .build(),
        );
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.http_client(shared_https_client()).load().await
}

/// One HTTPS client for every SDK client of a run. Left to itself, each SDK client builds its
/// own (a rustls configuration of ≈ 117 kB and a connection pool) for every account × region ×
/// service; shared, there is one connector per timeout setting and connections are pooled by
/// host. It is built as the SDK builds its default: hyper 1.x, rustls with aws-lc, proxy
/// settings from the environment.
pub fn shared_https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn =
            ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

/// The same configuration pointed at another region.
pub fn in_region(config: &SdkConfig, region: &str) -> SdkConfig {
    config
        .to_builder()
        .region(Region::new(region.to_string()))
        .build()
}

/// An AWS error reduced to what an error record needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub operation: String,
    pub code: String,
    pub message: String,
    /// HTTP status, when a response was received.
    pub status: Option<u16>,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} failed: {}: {}",
            self.operation, self.code, self.message
        )
    }
}

impl AwsError {
    /// Access was refused: by IAM, an SCP, or a missing role.
    pub fn is_access_denied(&self) -> bool {
        matches!(
            self.code.as_str(),
            "AccessDenied"
                | "AccessDeniedException"
                | "UnauthorizedOperation"
                | "AuthorizationError"
        )
    }

    /// The operation does not exist at this endpoint (an API the service, region or
    /// emulator does not offer): a 404/501 without a modelled AWS error code.
    pub fn is_unsupported_operation(&self) -> bool {
        matches!(
            self.code.as_str(),
            "UnknownOperationException"
                | "InvalidAction"
                | "NotImplemented"
                | "UnsupportedOperation"
        ) || (matches!(self.status, Some(404) | Some(501)) && self.code.starts_with("Http"))
    }

    /// Could not talk to the endpoint at all.
    pub fn is_unreachable(&self) -> bool {
        self.code == "DispatchFailure" || self.code == "TimeoutError"
    }
}

/// Reduces an SDK error to code and message, without request details or credentials.
pub fn aws_error<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let (code, message) = match err {
        SdkError::DispatchFailure(d) => {
            let what = if d.is_timeout() {
                "timed out connecting"
            } else if d.is_io() {
                "connection failed"
            } else {
                "request could not be sent"
            };
            (
                "DispatchFailure".to_string(),
                format!("{what}: {}", source_chain(err)),
            )
        }
        SdkError::TimeoutError(_) => (
            "TimeoutError".to_string(),
            "the request timed out".to_string(),
        ),
        SdkError::ConstructionFailure(_) => ("ConstructionFailure".to_string(), source_chain(err)),
        _ => {
            let code = err
                .code()
                .map(str::to_string)
                .unwrap_or_else(|| match status {
                    Some(s) => format!("Http{s}"),
                    None => "Unknown".to_string(),
                });
            let message = err
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| match status {
                    Some(404) => {
                        "the operation is not available at this endpoint (HTTP 404)".to_string()
                    }
                    Some(s) => format!("HTTP {s} with no AWS error message"),
                    None => source_chain(err),
                });
            (code, message)
        }
    };
    AwsError {
        operation: operation.to_string(),
        code,
        message: one_line(&message),
        status,
    }
}

/// The error and its sources on one line (the SDK's top-level Display is often just "dispatch failure").
fn source_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !parts.contains(&s) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

fn one_line(s: &str) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.len() > 500 {
        let mut cut = 500;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &s[..cut])
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_client_of_a_run_shares_the_one_http_client() {
        let config = base_config("us-east-1", Some("http://127.0.0.1:9")).await;
        assert!(
            config.http_client().is_some(),
            "without it each SDK client builds its own TLS stack"
        );
        // Region and account configs derive from it and keep it.
        assert!(in_region(&config, "eu-west-1").http_client().is_some());
        let derived = config.to_builder().build();
        assert!(derived.http_client().is_some());
    }
}
