//! Collectors: one module per service, each turning API responses into resource documents.
//! Adding a service means adding its module and one line in [`registry`].

pub mod lambda;

use crate::aws::{ApiCalls, AwsError};
use crate::session::AccountSession;
use futures::future::BoxFuture;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use vigil_model::{Account, Document, ScanError};

/// Services vigil can collect, in the order the registry lists them.
pub const SERVICES: &[&str] = &["lambda"];

/// What a scan streams to its consumer.
#[derive(Debug, Clone)]
pub enum ScanEvent {
    Document(Box<Document>),
    Error(ScanError),
}

/// One unit of collection: a service in one region of one account.
#[derive(Clone)]
pub struct Scope {
    pub account: Account,
    pub region: String,
    pub session: Arc<AccountSession>,
    pub api_calls: ApiCalls,
}

impl Scope {
    /// SDK configuration for this scope's account and region.
    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        self.session.config_for(&self.region)
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
    /// Collects every resource of the service in `scope`, sending documents to `out`.
    fn collect<'a>(
        &'a self,
        scope: &'a Scope,
        out: &'a DocumentSink,
    ) -> BoxFuture<'a, Result<(), CollectError>>;
}

/// Every collector vigil has.
pub fn registry() -> Vec<Arc<dyn Collector>> {
    vec![Arc::new(lambda::LambdaCollector)]
}
