//! `AWS::Organizations::Account`: one document per account with its SCP chain, root → OUs →
//! account, each level listing the service control policies attached there with their
//! documents, and the tag and backup policies attached along the same chain (with the policy
//! types enabled in the organization). Organizations is read with the caller's (management or delegated administrator)
//! credentials: a member's own session cannot read the organization. The account listing,
//! parents, OU names, attachments and policy documents are fetched once per run through
//! [`OrgCache`], however many accounts share them and however concurrently they are scanned;
//! the org walk ([`crate::org::OrgWalker`]) reads through the same cache, so what it fetched is
//! not fetched again here.

use super::{parse_policy, rfc3339, CollectError, Collector, DocumentSink, Scope, Unreadable};
use crate::aws::{aws_error, AwsError};
use aws_sdk_organizations::types::{ParentType, PolicyType};
use aws_sdk_organizations::Client;
use futures::future::{join_all, BoxFuture};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;
use vigil_model::Document;

const SERVICE: &str = "organizations";
const RESOURCE_TYPE: &str = "AWS::Organizations::Account";

/// Collects each account's place in the organization and the SCPs that apply to it.
pub struct AccountCollector;

impl Collector for AccountCollector {
    fn service(&self) -> &'static str {
        SERVICE
    }

    fn resource_types(&self) -> &'static [&'static str] {
        &[RESOURCE_TYPE]
    }

    fn global(&self) -> bool {
        true
    }

    fn collect<'a>(
        &'a self,
        scope: &'a Scope,
        out: &'a DocumentSink,
    ) -> BoxFuture<'a, Result<(), CollectError>> {
        Box::pin(async move {
            if scope.org.id.is_empty() && scope.org.management_account_id.is_empty() {
                // DescribeOrganization itself failed: the walk has recorded that error for
                // this very scope, and claiming "no organization" would be a false finding.
                return Ok(());
            }
            if scope.org.id.is_empty() {
                // Not in an organization: no SCP (nor tag or backup policy) applies, which is
                // what the rules must see.
                let arn = format!("arn:aws:iam::{}:root", scope.account.id);
                let none = ManagementPolicies {
                    enabled: Vec::new(),
                    by_type: MANAGEMENT_POLICY_TYPES
                        .iter()
                        .map(|(_, field)| (*field, Ok(Vec::new())))
                        .collect(),
                };
                let doc = document(scope, arn, None, Vec::new(), none, out).await;
                out.emit(doc).await;
                return Ok(());
            }
            let client = scope_client!(aws_sdk_organizations, scope, caller_config);
            let cache = &scope.shared.organizations;
            // Without the full chain the rules would judge a partial policy set: the whole
            // scope fails instead of emitting a misleading document.
            let chain = cache.chain(&client, scope).await?;
            let policies = cache.management_policies(&client, scope, &chain).await?;
            let listed = match cache.listed(&client, scope).await {
                Ok(a) => a,
                Err(err) => {
                    out.resource_error(scope, SERVICE, &scope.account.id, &err)
                        .await;
                    None
                }
            };
            let arn = listed
                .as_ref()
                .and_then(|a| a.arn.clone())
                .unwrap_or_else(|| {
                    format!(
                        "arn:aws:organizations::{}:account/{}/{}",
                        scope.org.management_account_id, scope.org.id, scope.account.id
                    )
                });
            let doc = document(scope, arn, listed.as_ref(), chain, policies, out).await;
            out.emit(doc).await;
            Ok(())
        })
    }
}

/// The management policy types collected besides SCPs, with the document field that lists
/// them along the chain.
const MANAGEMENT_POLICY_TYPES: [(PolicyType, &str); 2] = [
    (PolicyType::TagPolicy, "tagPolicies"),
    (PolicyType::BackupPolicy, "backupPolicies"),
];

/// Tag and backup policies along an account's chain: per type (document field), the levels
/// root → account with the summaries of the policies of that type attached there, or why they
/// could not be listed.
struct ManagementPolicies {
    /// Policy types enabled at the root (`SERVICE_CONTROL_POLICY`, `TAG_POLICY`, ...), sorted.
    enabled: Vec<String>,
    by_type: Vec<(&'static str, Result<Vec<Value>, AwsError>)>,
}

/// The account document; `listed` adds what only Organizations' account listing knows. A
/// policy type whose attachments could not be listed is left out and named in
/// `collectionErrors` (the SCP chain and the other types are still judged).
async fn document(
    scope: &Scope,
    arn: String,
    listed: Option<&ListedAccount>,
    chain: Vec<Value>,
    policies: ManagementPolicies,
    out: &DocumentSink,
) -> Document {
    let a = &scope.account;
    let is_management = !scope.org.id.is_empty() && a.id == scope.org.management_account_id;
    let mut supplementary = Map::new();
    supplementary.insert("scpChain".into(), Value::Array(chain));
    supplementary.insert("enabledPolicyTypes".into(), json!(policies.enabled));
    let mut unreadable = Unreadable::default();
    for (field, levels) in policies.by_type {
        match levels {
            Ok(levels) => {
                supplementary.insert(field.into(), Value::Array(levels));
            }
            Err(err) => {
                let path = format!("supplementaryConfiguration.{field}");
                unreadable
                    .record(out, scope, SERVICE, &a.id, path, err)
                    .await;
            }
        }
    }
    let mut doc = Document {
        resource_type: RESOURCE_TYPE.into(),
        resource_id: a.id.clone(),
        arn,
        aws_account_id: a.id.clone(),
        aws_region: scope.region.clone(),
        tags: a.tags.clone(),
        configuration: json!({
            "id": a.id,
            "name": a.name,
            "email": a.email,
            "status": a.status,
            "ouPath": a.ou_path,
            "joinedMethod": listed.and_then(|l| l.joined_method.clone()),
            "joinedTimestamp": listed.and_then(|l| l.joined_timestamp.clone()),
            "isManagementAccount": is_management,
        }),
        supplementary_configuration: Value::Object(supplementary),
        collection_errors: Default::default(),
    };
    unreadable.apply(&mut doc);
    doc
}

/// What `ListAccounts` says about one account beyond the walk's view of it.
#[derive(Debug, Clone, PartialEq)]
struct ListedAccount {
    arn: Option<String>,
    joined_method: Option<String>,
    joined_timestamp: Option<String>,
}

/// A node of the organization tree above an account or an OU.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parent {
    pub(crate) id: String,
    pub(crate) kind: LevelType,
}

/// What a level of the SCP chain is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LevelType {
    Root,
    OrganizationalUnit,
    Account,
}

impl LevelType {
    fn as_str(self) -> &'static str {
        match self {
            LevelType::Root => "ROOT",
            LevelType::OrganizationalUnit => "ORGANIZATIONAL_UNIT",
            LevelType::Account => "ACCOUNT",
        }
    }
}

/// One fetch per key: concurrent callers of the same key wait for the first caller's fetch,
/// later callers get its result. Failures are kept too (the SDK has already retried them), so
/// a denied call is not repeated for every account that needs it.
struct Memo<T> {
    cells: Mutex<HashMap<String, Fetched<T>>>,
}

/// The one fetch of a key, shared by everyone who asks for it.
type Fetched<T> = Arc<OnceCell<Result<T, AwsError>>>;

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo {
            cells: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> Memo<T> {
    async fn get<F, Fut>(&self, key: &str, fetch: F) -> Result<T, AwsError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AwsError>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
            cells.entry(key.to_string()).or_default().clone()
        };
        cell.get_or_init(fetch).await.clone()
    }
}

/// Every account of the organization, as ListAccounts returns them, in its order.
#[derive(Debug, Default)]
pub(crate) struct AccountListing {
    pub(crate) accounts: Vec<aws_sdk_organizations::types::Account>,
    by_id: HashMap<String, usize>,
}

impl AccountListing {
    fn new(accounts: Vec<aws_sdk_organizations::types::Account>) -> Self {
        let by_id = accounts
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Some((a.id()?.to_string(), i)))
            .collect();
        AccountListing { accounts, by_id }
    }

    fn get(&self, id: &str) -> Option<&aws_sdk_organizations::types::Account> {
        self.by_id.get(id).map(|&i| &self.accounts[i])
    }
}

/// Organizations data fetched once per run and shared by the org walk and every account's
/// scope (it lives in [`super::RunShared`], created before the walk).
#[derive(Default)]
pub struct OrgCache {
    /// Child id (account or OU) → its parent; the root is never asked for its own parent.
    parents: Memo<Option<Parent>>,
    /// OU id → its name.
    names: Memo<String>,
    /// Target id → ids of the service control policies attached to it.
    attachments: Memo<Vec<String>>,
    /// Policy id → `{id, name, arn, awsManaged, document}`.
    policies: Memo<Arc<Value>>,
    /// `<policy type> <target id>` → summaries of the tag or backup policies attached there.
    typed_attachments: Memo<Arc<Vec<Value>>>,
    /// The roots (ListRoots, once per run): their names and enabled policy types.
    roots: OnceCell<Result<Arc<Vec<RootInfo>>, AwsError>>,
    /// Every account (listed once, for the walk and every account's document).
    accounts: OnceCell<Result<Arc<AccountListing>, AwsError>>,
}

impl OrgCache {
    /// Every account of the organization (ListAccounts, once per run). `page_size` is used by
    /// whoever asks first (the walk, in a scan).
    pub(crate) async fn accounts(
        &self,
        client: &Client,
        page_size: Option<i32>,
    ) -> Result<Arc<AccountListing>, AwsError> {
        self.accounts
            .get_or_init(|| list_accounts(client, page_size))
            .await
            .clone()
    }

    /// The parent of an account or OU (ListParents, once per child and run); `None` above the
    /// root.
    pub(crate) async fn parent(
        &self,
        client: &Client,
        child: &str,
        page_size: Option<i32>,
    ) -> Result<Option<Parent>, AwsError> {
        self.parents
            .get(child, || list_parent(client, child.to_string(), page_size))
            .await
    }

    /// An OU's name (DescribeOrganizationalUnit, once per OU and run).
    pub(crate) async fn ou_name(&self, client: &Client, ou_id: &str) -> Result<String, AwsError> {
        self.names
            .get(ou_id, || ou_name(client, ou_id.to_string()))
            .await
    }

    /// The SCP chain of the scope's account: root first, the account last.
    async fn chain(&self, client: &Client, scope: &Scope) -> Result<Vec<Value>, AwsError> {
        let account = &scope.account;
        let mut levels = vec![(account.id.clone(), LevelType::Account)];
        let mut child = account.id.clone();
        loop {
            let parent = self
                .parent(client, &child, scope.page_size_capped(MAX_PAGE))
                .await?;
            let Some(p) = parent else { break };
            levels.push((p.id.clone(), p.kind));
            if p.kind == LevelType::Root {
                break;
            }
            child = p.id;
        }
        levels.reverse();
        // join_all, not try_join_all: a failure must not cancel fetches other accounts wait
        // on (a cancelled fetch is started again by the next caller: a repeated call).
        join_all(
            levels
                .iter()
                .map(|(id, kind)| self.level(client, scope, id, *kind)),
        )
        .await
        .into_iter()
        .collect()
    }

    /// One level of the chain with the documents of the SCPs attached there, sorted by name.
    async fn level(
        &self,
        client: &Client,
        scope: &Scope,
        target: &str,
        kind: LevelType,
    ) -> Result<Value, AwsError> {
        let name = match kind {
            LevelType::Root => self
                .roots(client, scope)
                .await?
                .iter()
                .find(|r| r.id == target)
                .map_or_else(|| "Root".to_string(), |r| r.name.clone()),
            LevelType::OrganizationalUnit => self.ou_name(client, target).await?,
            LevelType::Account => scope.account.name.clone(),
        };
        let ids = self
            .attachments
            .get(target, || {
                attached_scps(client, target.to_string(), scope.page_size_capped(MAX_PAGE))
            })
            .await?;
        let mut policies: Vec<Arc<Value>> = join_all(ids.iter().map(|id| {
            self.policies
                .get(id, || describe_policy(client, id.to_string()))
        }))
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
        policies.sort_by(|a, b| {
            (a["name"].as_str(), a["id"].as_str()).cmp(&(b["name"].as_str(), b["id"].as_str()))
        });
        Ok(json!({
            "targetId": target,
            "type": kind.as_str(),
            "name": name,
            "policies": policies.iter().map(|p| p.as_ref().clone()).collect::<Vec<_>>(),
        }))
    }

    /// Every root of the organization (ListRoots, once per run).
    async fn roots(&self, client: &Client, scope: &Scope) -> Result<Arc<Vec<RootInfo>>, AwsError> {
        self.roots
            .get_or_init(|| list_roots(client, scope.page_size_capped(MAX_PAGE)))
            .await
            .clone()
    }

    /// The tag and backup policies attached along `chain` (the account's SCP chain, whose
    /// levels name the targets), and the policy types enabled at its root. A policy type that is
    /// not enabled has nothing attached: its levels list no policy.
    async fn management_policies(
        &self,
        client: &Client,
        scope: &Scope,
        chain: &[Value],
    ) -> Result<ManagementPolicies, AwsError> {
        let root_id = chain.first().and_then(|l| l["targetId"].as_str());
        let mut enabled: Vec<String> = self
            .roots(client, scope)
            .await?
            .iter()
            .filter(|r| Some(r.id.as_str()) == root_id)
            .flat_map(|r| r.enabled_types.iter().cloned())
            .collect();
        enabled.sort();
        let mut by_type = Vec::new();
        for (policy_type, field) in MANAGEMENT_POLICY_TYPES {
            let levels = join_all(chain.iter().map(|level| {
                let policy_type = policy_type.clone();
                async move {
                    let target = level["targetId"].as_str().unwrap_or_default();
                    let key = format!("{} {target}", policy_type.as_str());
                    let policies = self
                        .typed_attachments
                        .get(&key, || {
                            attached_summaries(
                                client,
                                target.to_string(),
                                policy_type,
                                scope.page_size_capped(MAX_PAGE),
                            )
                        })
                        .await?;
                    Ok::<Value, AwsError>(json!({
                        "targetId": level["targetId"],
                        "type": level["type"],
                        "name": level["name"],
                        "policies": policies.as_ref(),
                    }))
                }
            }))
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>();
            by_type.push((field, levels));
        }
        Ok(ManagementPolicies { enabled, by_type })
    }

    /// What ListAccounts says about the scope's account (`None` when it is not listed).
    async fn listed(
        &self,
        client: &Client,
        scope: &Scope,
    ) -> Result<Option<ListedAccount>, AwsError> {
        let all = self
            .accounts(client, scope.page_size_capped(MAX_PAGE))
            .await?;
        Ok(all.get(&scope.account.id).map(|a| ListedAccount {
            arn: a.arn().map(str::to_string),
            joined_method: a.joined_method().map(|m| m.as_str().to_string()),
            joined_timestamp: rfc3339(a.joined_timestamp()),
        }))
    }
}

/// The largest page the Organizations list calls accept.
pub(crate) const MAX_PAGE: i32 = 20;

async fn list_parent(
    client: &Client,
    child: String,
    page_size: Option<i32>,
) -> Result<Option<Parent>, AwsError> {
    let pages: Vec<_> = client
        .list_parents()
        .child_id(&child)
        .set_max_results(page_size)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("ListParents", &e))?;
    Ok(pages.iter().flat_map(|p| p.parents()).find_map(|p| {
        Some(Parent {
            id: p.id()?.to_string(),
            kind: match p.r#type()? {
                ParentType::Root => LevelType::Root,
                _ => LevelType::OrganizationalUnit,
            },
        })
    }))
}

/// A root of the organization: its name and the policy types enabled there.
#[derive(Debug, Clone, PartialEq)]
struct RootInfo {
    id: String,
    name: String,
    enabled_types: Vec<String>,
}

async fn list_roots(
    client: &Client,
    page_size: Option<i32>,
) -> Result<Arc<Vec<RootInfo>>, AwsError> {
    use aws_sdk_organizations::types::PolicyTypeStatus;
    let pages: Vec<_> = client
        .list_roots()
        .set_max_results(page_size)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("ListRoots", &e))?;
    Ok(Arc::new(
        pages
            .iter()
            .flat_map(|p| p.roots())
            .filter_map(|r| {
                Some(RootInfo {
                    id: r.id()?.to_string(),
                    name: r.name().unwrap_or("Root").to_string(),
                    enabled_types: r
                        .policy_types()
                        .iter()
                        .filter(|t| t.status() == Some(&PolicyTypeStatus::Enabled))
                        .filter_map(|t| t.r#type().map(|t| t.as_str().to_string()))
                        .collect(),
                })
            })
            .collect(),
    ))
}

async fn ou_name(client: &Client, ou_id: String) -> Result<String, AwsError> {
    let out = client
        .describe_organizational_unit()
        .organizational_unit_id(&ou_id)
        .send()
        .await
        .map_err(|e| aws_error("DescribeOrganizationalUnit", &e))?;
    Ok(out
        .organizational_unit()
        .and_then(|o| o.name())
        .unwrap_or(&ou_id)
        .to_string())
}

/// Ids of the service control policies attached to a target. The filter matters: other
/// policy types (resource control, tag, backup policies) are attached to the same targets.
async fn attached_scps(
    client: &Client,
    target: String,
    page_size: Option<i32>,
) -> Result<Vec<String>, AwsError> {
    let pages: Vec<_> = client
        .list_policies_for_target()
        .target_id(&target)
        .filter(PolicyType::ServiceControlPolicy)
        .set_max_results(page_size)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("ListPoliciesForTarget", &e))?;
    Ok(pages
        .iter()
        .flat_map(|p| p.policies())
        .filter_map(|s| s.id().map(str::to_string))
        .collect())
}

/// Summaries (`{id, name, arn, awsManaged}`) of the policies of `policy_type` attached to a
/// target, sorted by name. Only their presence is judged: their content is not fetched.
async fn attached_summaries(
    client: &Client,
    target: String,
    policy_type: PolicyType,
    page_size: Option<i32>,
) -> Result<Arc<Vec<Value>>, AwsError> {
    let pages: Vec<_> = client
        .list_policies_for_target()
        .target_id(&target)
        .filter(policy_type)
        .set_max_results(page_size)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("ListPoliciesForTarget", &e))?;
    let mut policies: Vec<Value> = pages
        .iter()
        .flat_map(|p| p.policies())
        .map(|s| {
            json!({
                "id": s.id(),
                "name": s.name(),
                "arn": s.arn(),
                "awsManaged": s.aws_managed(),
            })
        })
        .collect();
    policies.sort_by(|a, b| {
        (a["name"].as_str(), a["id"].as_str()).cmp(&(b["name"].as_str(), b["id"].as_str()))
    });
    Ok(Arc::new(policies))
}

async fn describe_policy(client: &Client, id: String) -> Result<Arc<Value>, AwsError> {
    let out = client
        .describe_policy()
        .policy_id(&id)
        .send()
        .await
        .map_err(|e| aws_error("DescribePolicy", &e))?;
    let policy = out.policy();
    let summary = policy.and_then(|p| p.policy_summary());
    Ok(Arc::new(json!({
        "id": summary.and_then(|s| s.id()).unwrap_or(&id),
        "name": summary.and_then(|s| s.name()),
        "arn": summary.and_then(|s| s.arn()),
        "awsManaged": summary.is_some_and(|s| s.aws_managed()),
        // An SCP that does not parse fails the chain, and with it the account's scope: the
        // rules must not judge a chain with a policy missing.
        "document": policy
            .and_then(|p| p.content())
            .map(|text| {
                parse_policy(text, "DescribePolicy").map_err(|mut e| {
                    e.message = format!("SCP {id}: {}", e.message);
                    e
                })
            })
            .transpose()?,
    })))
}

async fn list_accounts(
    client: &Client,
    page_size: Option<i32>,
) -> Result<Arc<AccountListing>, AwsError> {
    let pages: Vec<_> = client
        .list_accounts()
        .set_max_results(page_size)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| aws_error("ListAccounts", &e))?;
    Ok(Arc::new(AccountListing::new(
        pages
            .into_iter()
            .flat_map(|p| p.accounts.unwrap_or_default())
            .collect(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn memo_fetches_each_key_once_under_concurrency() {
        let memo: Arc<Memo<String>> = Arc::new(Memo::default());
        let calls = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for i in 0..32 {
            let (memo, calls) = (memo.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                let key = if i % 2 == 0 { "p-even" } else { "p-odd" };
                memo.get(key, || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    Ok(format!("doc of {key}"))
                })
                .await
            }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            let want = if i % 2 == 0 {
                "doc of p-even"
            } else {
                "doc of p-odd"
            };
            assert_eq!(t.await.unwrap().unwrap(), want);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn memo_keeps_failures() {
        let memo: Memo<String> = Memo::default();
        let denied = AwsError {
            operation: "DescribePolicy".into(),
            code: "AccessDeniedException".into(),
            message: "no".into(),
            status: Some(400),
        };
        let first = memo.get("p-1", || async { Err(denied.clone()) }).await;
        assert_eq!(first, Err(denied.clone()));
        let second = memo
            .get("p-1", || async { Ok("fetched again".to_string()) })
            .await;
        assert_eq!(second, Err(denied));
    }
}
