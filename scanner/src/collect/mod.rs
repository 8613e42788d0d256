//! Collectors: one module per service, each turning API responses into resource documents.
//! Adding a service means adding its module and one line in [`registry`].

/// A client of SDK crate `$sdk` for the scope's account and region (`sdk_config`) or for the
/// caller's account (`caller_config`), with every API call counted.
macro_rules! scope_client {
    ($sdk:ident, $scope:expr) => {
        scope_client!($sdk, $scope, sdk_config)
    };
    ($sdk:ident, $scope:expr, $config:ident) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from(&$scope.$config())
                .interceptor($scope.api_calls.clone())
                .build(),
        )
    };
}

pub mod apigateway;
pub mod apigatewayv2;
pub mod config;
pub mod dynamodb;
pub mod kms;
pub mod lambda;
pub mod organizations;

use crate::aws::{ApiCalls, AwsError};
use crate::session::AccountSession;
use futures::future::BoxFuture;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use vigil_model::{Account, Document, FieldError, ScanError};

/// Services vigil can collect, in the order the registry lists them.
pub const SERVICES: &[&str] = &[
    "lambda",
    "apigateway",
    "apigatewayv2",
    "dynamodb",
    "kms",
    "organizations",
    "config",
];

/// Region name of the scope of a global collector (one per account).
pub const GLOBAL_REGION: &str = "global";

/// What a scan streams to its consumer.
#[derive(Debug, Clone)]
pub enum ScanEvent {
    Document(Box<Document>),
    Error(ScanError),
    /// A region that was asked for but is not enabled in an account: skipped, not an error.
    RegionSkipped {
        account_id: String,
        region: String,
        reason: String,
    },
}

/// State shared by every scope of one run (caches that keep calls from being repeated).
#[derive(Default)]
pub struct RunShared {
    /// Organizations data (SCP documents, policy attachments) fetched once per run.
    pub organizations: organizations::OrgCache,
}

/// One unit of collection: a service in one region of one account.
#[derive(Clone)]
pub struct Scope {
    pub account: Account,
    /// A region, or [`GLOBAL_REGION`] for global collectors.
    pub region: String,
    pub session: Arc<AccountSession>,
    /// The caller's own session (management or delegated administrator account): global
    /// organization data is read with it.
    pub caller: Arc<AccountSession>,
    pub org: vigil_model::OrgInfo,
    pub api_calls: ApiCalls,
    pub shared: Arc<RunShared>,
    /// Page size to ask list calls for; `None` = the service's default (tests force small pages).
    pub page_size: Option<i32>,
}

impl Scope {
    /// SDK configuration for this scope's account and region (global scopes use us-east-1,
    /// where the global services of the aws partition live).
    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        self.session.config_for(self.sdk_region())
    }

    /// The caller's SDK configuration in this scope's region.
    pub fn caller_config(&self) -> aws_config::SdkConfig {
        self.caller.config_for(self.sdk_region())
    }

    /// `--page-size` capped at the operation's largest page (above it AWS answers a
    /// validation error); `None` = the operation's default.
    pub fn page_size_capped(&self, max: i32) -> Option<i32> {
        self.page_size.map(|n| n.min(max))
    }

    fn sdk_region(&self) -> &str {
        if self.region == GLOBAL_REGION {
            "us-east-1"
        } else {
            &self.region
        }
    }
}

/// Where collectors put documents and the errors of individual calls that did not stop them.
#[derive(Clone)]
pub struct DocumentSink {
    tx: async_channel::Sender<ScanEvent>,
    emitted: Arc<AtomicU64>,
}

impl DocumentSink {
    pub fn new(tx: async_channel::Sender<ScanEvent>) -> Self {
        DocumentSink {
            tx,
            emitted: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Sends a document on; waits when the consumer is behind (that is what keeps memory flat).
    pub async fn emit(&self, doc: Document) {
        // A closed channel means the consumer is gone (the run is being torn down).
        if self
            .tx
            .send(ScanEvent::Document(Box::new(doc)))
            .await
            .is_ok()
        {
            self.emitted.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Documents handed to the consumer so far.
    pub fn emitted(&self) -> u64 {
        self.emitted.load(Ordering::Relaxed)
    }

    /// Sends any other event on (a denied role, a skipped region).
    pub async fn event(&self, event: ScanEvent) {
        let _ = self.tx.send(event).await;
    }

    /// Records a scope-wide failure: nothing (more) of `service` could be collected here.
    pub async fn error(&self, scope: &Scope, service: &str, err: &AwsError) {
        let _ = self
            .tx
            .send(ScanEvent::Error(scan_error(scope, service, err, None)))
            .await;
    }

    /// Records a call that failed for one resource only (one function's policy, say).
    pub async fn resource_error(
        &self,
        scope: &Scope,
        service: &str,
        resource: &str,
        err: &AwsError,
    ) {
        let e = scan_error(scope, service, err, Some(resource.to_string()));
        let _ = self.tx.send(ScanEvent::Error(e)).await;
    }
}

/// An error record for a scope.
pub fn scan_error(
    scope: &Scope,
    service: &str,
    err: &AwsError,
    resource: Option<String>,
) -> ScanError {
    ScanError {
        account_id: scope.account.id.clone(),
        region: scope.region.clone(),
        service: service.to_string(),
        operation: err.operation.clone(),
        code: err.code.clone(),
        message: err.message.clone(),
        resource,
    }
}

/// The fields of one resource's document that could not be read, as the collector met them.
/// Each is recorded on the sink as a resource error (the scan is partial) and, through
/// [`Unreadable::apply`], in the document itself: the field is left out and named in
/// `collectionErrors`, so that the rules that need it say `error` instead of judging without it.
#[derive(Debug, Default)]
pub struct Unreadable(Vec<(String, AwsError)>);

impl Unreadable {
    /// `field` (a dotted path: `supplementaryConfiguration.policy`) could not be read.
    pub async fn record(
        &mut self,
        out: &DocumentSink,
        scope: &Scope,
        service: &str,
        resource: &str,
        field: impl Into<String>,
        err: AwsError,
    ) {
        out.resource_error(scope, service, resource, &err).await;
        self.0.push((field.into(), err));
    }

    /// Marks every recorded field in `doc`.
    pub fn apply(self, doc: &mut Document) {
        for (field, err) in self.0 {
            doc.field_unreadable(
                &field,
                FieldError {
                    operation: err.operation,
                    code: err.code,
                    message: err.message,
                },
            );
        }
    }
}

/// The error code of a policy document that is not valid JSON.
pub const UNPARSABLE_POLICY: &str = "UnparsablePolicy";

/// An IAM-style policy document (key policy, function policy, SCP, API resource policy) from
/// its JSON text. Text that does not parse (a lone surrogate escape, a number out of range,
/// nesting past serde_json's limit) is an error naming why: a policy nobody can read is not an
/// empty policy.
pub fn parse_policy(text: &str, operation: &str) -> Result<Value, AwsError> {
    serde_json::from_str::<Value>(text).map_err(|e| AwsError {
        operation: operation.to_string(),
        code: UNPARSABLE_POLICY.to_string(),
        message: format!("the policy document is not valid JSON: {e}"),
        status: None,
    })
}

/// The names of a map of variables, sorted; the values (secrets, more often than not) are
/// dropped here and never leave the account.
pub fn names_only<V>(vars: Option<&std::collections::HashMap<String, V>>) -> Vec<&str> {
    let mut names: Vec<&str> = vars
        .map(|v| v.keys().map(String::as_str).collect())
        .unwrap_or_default();
    names.sort_unstable();
    names
}

/// Describes `items` a few at a time and emits every document produced; `describe` returns
/// `None` for an item that vanished or could not be described (it records why itself).
pub async fn describe_each<T, F, Fut>(
    items: Vec<T>,
    concurrency: usize,
    out: &DocumentSink,
    describe: F,
) where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Option<Document>>,
{
    use futures::stream::StreamExt;
    futures::stream::iter(items)
        .for_each_concurrent(concurrency, |item| {
            let fut = describe(item);
            async move {
                if let Some(doc) = fut.await {
                    out.emit(doc).await;
                }
            }
        })
        .await;
}

/// A scope-wide failure: nothing (more) could be collected for this service here.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CollectError(pub AwsError);

impl From<AwsError> for CollectError {
    fn from(e: AwsError) -> Self {
        CollectError(e)
    }
}

/// A service collector.
pub trait Collector: Send + Sync {
    /// The service name used by `--services` and in error records.
    fn service(&self) -> &'static str;
    /// Global collectors run once per account (region [`GLOBAL_REGION`]), not per region.
    fn global(&self) -> bool {
        false
    }
    /// Collects every resource of the service in `scope`, sending documents to `out`.
    fn collect<'a>(
        &'a self,
        scope: &'a Scope,
        out: &'a DocumentSink,
    ) -> BoxFuture<'a, Result<(), CollectError>>;
}

/// Every collector vigil has.
pub fn registry() -> Vec<Arc<dyn Collector>> {
    vec![
        Arc::new(lambda::LambdaCollector),
        Arc::new(apigateway::RestApiCollector),
        Arc::new(apigatewayv2::HttpApiCollector),
        Arc::new(dynamodb::TableCollector),
        Arc::new(kms::KeyCollector),
        Arc::new(organizations::AccountCollector),
        Arc::new(config::ConfigRegionCollector),
    ]
}
