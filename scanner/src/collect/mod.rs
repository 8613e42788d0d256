//! Collectors: one module per service, each turning API responses into resource documents.
//! Adding a service means adding its module (a [`Collector`] that declares its service name
//! and resource types) and one line in [`registry`]; the service list ([`SERVICES`]) and the
//! resource-type table of `vigil-model` (`vigil_model::services`) are derived from the registry (see CONTRIBUTING.md).

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
pub mod apigateway_domains;
pub mod apigatewayv2;
pub mod config;
pub mod dynamodb;
pub mod kms;
pub mod lambda;
pub mod lambda_layers;
pub mod organizations;

use crate::aws::{ApiCalls, AwsError};
use crate::session::AccountSession;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use futures::future::BoxFuture;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use vigil_model::{Account, Document, FieldError, ScanError, VigilCode};

/// Services vigil can collect, in the order the registry lists them.
pub static SERVICES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| registry().iter().map(|c| c.service()).collect());

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
    /// Shared by the scopes of this collector in this account: what they keep for the
    /// collector's account roll-up ([`Collector::roll_up`]).
    pub facts: Arc<AccountFacts>,
    /// With targets (`--resource`, change events): this account's; a collector describes only
    /// the listed resources these name ([`Scope::wants`]).
    pub targets: Option<Arc<Vec<vigil_model::target::Target>>>,
}

impl Scope {
    /// Whether the resource `id` of `resource_type` listed here is to be described: always
    /// without targets; with targets, only one a target names (type, region, account, id).
    pub fn wants(&self, resource_type: &str, id: &str) -> bool {
        self.targets.as_ref().is_none_or(|targets| {
            targets.iter().any(|t| {
                t.resource_type == resource_type
                    && t.region == self.region
                    && t.account_id.as_deref().is_none_or(|a| a == self.account.id)
                    && (t.resource_id.is_empty() || t.resource_id == id)
            })
        })
    }
}

/// What the scopes of one collector in one account leave for the collector's account roll-up:
/// per region, the facts a scope kept ([`AccountFacts::keep`]) or the error that stopped it
/// (recorded by the scan). A region whose scope neither kept nor failed is unknown.
#[derive(Debug, Default)]
pub struct AccountFacts {
    regions: std::sync::Mutex<std::collections::BTreeMap<String, Option<Result<Value, AwsError>>>>,
}

impl AccountFacts {
    /// Facts expected from these regions (an account's scopes of one collector).
    pub fn new<'a>(regions: impl IntoIterator<Item = &'a str>) -> Self {
        AccountFacts {
            regions: std::sync::Mutex::new(
                regions.into_iter().map(|r| (r.to_string(), None)).collect(),
            ),
        }
    }

    /// The scope of `region` kept `facts` for the roll-up.
    pub fn keep(&self, region: &str, facts: Value) {
        self.set(region, Ok(facts));
    }

    /// The scope of `region` failed as a whole.
    pub fn failed(&self, region: &str, err: AwsError) {
        self.set(region, Err(err));
    }

    fn set(&self, region: &str, v: Result<Value, AwsError>) {
        let mut regions = self.regions.lock().unwrap_or_else(|e| e.into_inner());
        regions.insert(region.to_string(), Some(v));
    }

    /// Every expected region, sorted: its facts, its scope's error, or `None` when its scope
    /// ended without either.
    pub fn by_region(&self) -> Vec<(String, Option<Result<Value, AwsError>>)> {
        let regions = self.regions.lock().unwrap_or_else(|e| e.into_inner());
        regions
            .iter()
            .map(|(r, v)| (r.clone(), v.clone()))
            .collect()
    }
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
    /// With targets (`--resource`, change events): only their documents go on.
    targets: Option<Arc<Vec<vigil_model::target::Target>>>,
}

impl DocumentSink {
    pub fn new(tx: async_channel::Sender<ScanEvent>) -> Self {
        DocumentSink {
            tx,
            emitted: Arc::new(AtomicU64::new(0)),
            targets: None,
        }
    }

    /// A sink that passes on only the documents of `targets` (and the resource errors of
    /// those resources); scope-wide errors always go on.
    pub fn for_targets(
        tx: async_channel::Sender<ScanEvent>,
        targets: Vec<vigil_model::target::Target>,
    ) -> Self {
        DocumentSink {
            targets: (!targets.is_empty()).then(|| Arc::new(targets)),
            ..DocumentSink::new(tx)
        }
    }

    /// Sends a document on; waits when the consumer is behind (that is what keeps memory flat).
    pub async fn emit(&self, doc: Document) {
        if let Some(targets) = &self.targets {
            if !targets.iter().any(|t| t.matches(&doc)) {
                return;
            }
        }
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
        if let Some(targets) = &self.targets {
            let named = |t: &vigil_model::target::Target| {
                t.account_id
                    .as_deref()
                    .is_none_or(|a| a == scope.account.id)
                    && (resource == t.resource_id || resource.contains(t.resource_id.as_str()))
            };
            if !targets.iter().any(named) {
                return;
            }
        }
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
pub const UNPARSABLE_POLICY: &str = VigilCode::UnparsablePolicy.as_str();

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

/// An AWS timestamp as RFC 3339 (`2026-01-01T00:00:00Z`); absent (or out of range) → `None`.
pub fn rfc3339<'a>(t: impl Into<Option<&'a DateTime>>) -> Option<String> {
    t.into().and_then(|t| t.fmt(Format::DateTime).ok())
}

/// Tags as a document's `tags` object, keys sorted so that documents are the same from run to
/// run whatever order the API (or a `HashMap`) gave them in.
pub fn sorted_tags<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Map<String, Value>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut pairs: Vec<(K, V)> = pairs.into_iter().collect();
    pairs.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
    pairs
        .into_iter()
        .map(|(k, v)| {
            (
                k.as_ref().to_string(),
                Value::String(v.as_ref().to_string()),
            )
        })
        .collect()
}

/// Follows `nextToken` until the last page, for the operations that have no SDK paginator.
/// `fetch` gets the token to send (`None` first) and returns a page and the next token; a
/// token that comes back unchanged would loop forever, so it is an error.
pub async fn all_pages<T, F, Fut>(operation: &str, mut fetch: F) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let (page, next) = fetch(token.clone()).await?;
        items.extend(page);
        match next.filter(|t| !t.is_empty()) {
            Some(t) if Some(&t) == token.as_ref() => {
                return Err(AwsError {
                    operation: operation.to_string(),
                    code: VigilCode::PaginationLoop.into(),
                    message: "the service returned the same nextToken twice".into(),
                    status: None,
                })
            }
            Some(t) => token = Some(t),
            None => return Ok(items),
        }
    }
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
    /// The `resourceType` of every document it emits; rules may declare only the types some
    /// collector declares (through `vigil_model::services`, generated from the registry).
    fn resource_types(&self) -> &'static [&'static str];
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
    /// Account-wide checks over several regions: called once per account after every scope of
    /// this collector there has ended, with `scope` the account's global scope, whose
    /// `facts` hold what each region's scope kept (or why it failed). Emits documents of the
    /// account as a whole (region [`GLOBAL_REGION`]); makes no API call. Default: nothing.
    fn roll_up<'a>(&'a self, scope: &'a Scope, out: &'a DocumentSink) -> BoxFuture<'a, ()> {
        let _ = (scope, out);
        Box::pin(async {})
    }
}

/// Every collector vigil has: one line per service.
pub fn registry() -> Vec<Arc<dyn Collector>> {
    vec![
        Arc::new(lambda::LambdaCollector),
        Arc::new(lambda_layers::LayerVersionCollector),
        Arc::new(apigateway::RestApiCollector),
        Arc::new(apigatewayv2::HttpApiCollector),
        Arc::new(apigateway_domains::DomainNameCollector),
        Arc::new(dynamodb::TableCollector),
        Arc::new(kms::KeyCollector),
        Arc::new(organizations::AccountCollector),
        Arc::new(config::ConfigRegionCollector),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn registry_names_and_resource_types_are_unique_and_aws_shaped() {
        let mut names = HashSet::new();
        let mut types = HashSet::new();
        for c in registry() {
            assert!(names.insert(c.service()), "service {} twice", c.service());
            assert!(
                !c.resource_types().is_empty(),
                "{} declares no type",
                c.service()
            );
            for t in c.resource_types() {
                assert!(types.insert(*t), "resource type {t} declared twice");
                let parts: Vec<&str> = t.split("::").collect();
                assert!(
                    parts.len() == 3 && parts[0] == "AWS" && parts.iter().all(|p| !p.is_empty()),
                    "{t} is not of the form AWS::<Service>::<Type>"
                );
            }
        }
        assert_eq!(*SERVICES, names_in_registry_order());
    }

    #[tokio::test]
    async fn all_pages_follows_tokens_to_the_end() {
        let pages: std::collections::HashMap<Option<String>, (Vec<u32>, Option<String>)> =
            std::collections::HashMap::from([
                (None, (vec![1], Some("a".to_string()))),
                (Some("a".to_string()), (vec![2, 3], Some("b".to_string()))),
                (Some("b".to_string()), (vec![4], Some(String::new()))),
            ]);
        let mut asked = Vec::new();
        let got = all_pages("Op", |t| {
            asked.push(t.clone());
            let page = pages[&t].clone();
            async move { Ok(page) }
        })
        .await
        .unwrap();
        assert_eq!(got, vec![1, 2, 3, 4]);
        assert_eq!(asked, vec![None, Some("a".into()), Some("b".into())]);
    }

    #[tokio::test]
    async fn a_repeated_token_is_an_error_not_a_loop() {
        let err = all_pages::<u32, _, _>("GetRoutes", |_| async {
            Ok((vec![1], Some("same".to_string())))
        })
        .await
        .unwrap_err();
        assert_eq!(err.operation, "GetRoutes");
        assert_eq!(err.code, "PaginationLoop");
    }

    fn names_in_registry_order() -> Vec<&'static str> {
        registry().iter().map(|c| c.service()).collect()
    }

    /// `model/src/services/generated.rs` as the registry says it should be.
    fn render_services() -> String {
        let mut out = String::from(
            "//! Generated from the collector registry (`vigil_scanner::collect::registry`): do not edit.\n\
             //! `VIGIL_UPDATE_SERVICES=1 cargo test -p vigil-scanner registry` rewrites it;\n\
             //! `cargo test -p vigil-scanner` fails while it is stale.\n\n\
             use super::Service;\n\n\
             /// Every service vigil collects, in registry order.\n\
             pub const SERVICES: &[Service] = &[\n",
        );
        for c in registry() {
            let types: Vec<String> = c
                .resource_types()
                .iter()
                .map(|t| format!("{t:?}"))
                .collect();
            out.push_str(&format!(
                "    Service {{\n        name: {:?},\n        resource_types: &[{}],\n    }},\n",
                c.service(),
                types.join(", ")
            ));
        }
        out.push_str(
            "];\n\n\
             /// Resource types vigil knows how to describe (a rule may only declare these).\n\
             pub const RESOURCE_TYPES: &[&str] = &[\n",
        );
        for c in registry() {
            for t in c.resource_types() {
                out.push_str(&format!("    {t:?},\n"));
            }
        }
        out.push_str("];\n");
        out
    }

    /// vigil-model cannot depend on the scanner, yet rule validation and reports need to know
    /// the resource types: it holds a copy of the registry's declarations, written from here.
    #[test]
    fn model_services_are_generated_from_the_registry() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../model/src/services/generated.rs");
        if std::env::var_os("VIGIL_UPDATE_SERVICES").is_some() {
            std::fs::write(&path, render_services()).unwrap();
            return;
        }
        let declared: Vec<(&str, &[&str])> = registry()
            .iter()
            .map(|c| (c.service(), c.resource_types()))
            .collect();
        let in_model: Vec<(&str, &[&str])> = vigil_model::services::SERVICES
            .iter()
            .map(|s| (s.name, s.resource_types))
            .collect();
        let types: Vec<&str> = declared
            .iter()
            .flat_map(|(_, t)| t.iter().copied())
            .collect();
        assert!(
            declared == in_model && types == vigil_model::RESOURCE_TYPES,
            "model/src/services/generated.rs is stale: regenerate it with \
             `VIGIL_UPDATE_SERVICES=1 cargo test -p vigil-scanner registry`\n\
             registry: {declared:?}\nmodel:    {in_model:?}"
        );
    }
}
