//! `AWS::Config::Region`: recorders, their status, delivery channels, aggregators.

use super::{CollectError, Collector, DocumentSink, Scope};
use futures::future::BoxFuture;

/// Collects the AWS Config set-up of one account × region.
pub struct ConfigRegionCollector;

impl Collector for ConfigRegionCollector {
    fn service(&self) -> &'static str {
        "config"
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
