//! `AWS::Organizations::Account`: one document per account with its SCP chain.

use super::{CollectError, Collector, DocumentSink, Scope};
use futures::future::BoxFuture;

/// Collects each account's place in the organization and the SCPs that apply to it.
pub struct AccountCollector;

impl Collector for AccountCollector {
    fn service(&self) -> &'static str {
        "organizations"
    }

    fn global(&self) -> bool {
        true
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

/// Organizations data fetched once per run and shared by every account's scope.
#[derive(Default)]
pub struct OrgCache {}
