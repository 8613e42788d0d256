//! `AWS::KMS::Key`: DescribeKey, rotation status and key policy.

use super::{CollectError, Collector, DocumentSink, Scope};
use futures::future::BoxFuture;

/// Collects KMS keys.
pub struct KeyCollector;

impl Collector for KeyCollector {
    fn service(&self) -> &'static str {
        "kms"
    }

    fn collect<'a>(
        &'a self,
        _scope: &'a Scope,
        _out: &'a DocumentSink,
    ) -> BoxFuture<'a, Result<(), CollectError>> {
        // Being written: see the issue tracker (issue 4).
        Box::pin(async move { Ok(()) })
    }
}
