//! The organization walk: accounts, their OU path and tags.

use crate::aws::{aws_error, AwsError};
use aws_sdk_organizations::types::AccountStatus as SdkStatus;
use aws_sdk_organizations::Client;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;
use vigil_model::{Account, AccountStatus, OrgInfo};

/// How many accounts are described at once during the walk.
const WALK_CONCURRENCY: usize = 8;

/// An OU's name and its own parent; the root is ("Root", None).
type Parent = (String, Option<String>);

/// Walks an organization from its management (or delegated administrator) account.
pub struct OrgWalker {
    client: Client,
    parents: Arc<Mutex<HashMap<String, Parent>>>,
    page_size: Option<i32>,
}

/// What the walk found.
#[derive(Debug, Clone)]
pub struct Walk {
    pub org: OrgInfo,
    pub accounts: Vec<Account>,
}

impl OrgWalker {
    /// `page_size`: items per list call (`None` = the service's default).
    pub fn new(client: Client, page_size: Option<i32>) -> Self {
        OrgWalker {
            client,
            parents: Arc::new(Mutex::new(HashMap::new())),
            page_size: page_size.map(|n| n.min(20)),
        }
    }

    /// `DescribeOrganization`; `Ok(None)` when the caller's account is in no organization.
    pub async fn organization(&self) -> Result<Option<OrgInfo>, AwsError> {
        match self.client.describe_organization().send().await {
            Ok(out) => {
                let o = out.organization();
                Ok(Some(OrgInfo {
                    id: o.and_then(|o| o.id()).unwrap_or_default().to_string(),
                    management_account_id: o
                        .and_then(|o| o.master_account_id())
                        .unwrap_or_default()
                        .to_string(),
                }))
            }
            Err(e) => {
                let err = aws_error("DescribeOrganization", &e);
                if err.code == "AWSOrganizationsNotInUseException" {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Every account with its OU path and tags.
    pub async fn walk(&self, org: OrgInfo) -> Result<Walk, AwsError> {
        let pages = self
            .client
            .list_accounts()
            .set_max_results(self.page_size)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| aws_error("ListAccounts", &e))?;
        let listed: Vec<_> = pages
            .into_iter()
            .flat_map(|p| p.accounts.unwrap_or_default())
            .collect();
        let accounts: Vec<Account> = stream::iter(listed)
            .map(|a| self.describe(a))
            .buffered(WALK_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(Walk { org, accounts })
    }

    async fn describe(
        &self,
        a: aws_sdk_organizations::types::Account,
    ) -> Result<Account, AwsError> {
        let id = a.id().unwrap_or_default().to_string();
        #[allow(deprecated)]
        let status = match a.status() {
            Some(SdkStatus::Suspended) => AccountStatus::Suspended,
            Some(SdkStatus::PendingClosure) => AccountStatus::PendingClosure,
            _ => AccountStatus::Active,
        };
        let ou_path = self.ou_path(&id).await?;
        let tags = self.tags(&id).await?;
        Ok(Account {
            name: a.name().unwrap_or_default().to_string(),
            email: a.email().unwrap_or_default().to_string(),
            id,
            ou_path,
            tags,
            status,
        })
    }

    async fn tags(&self, account_id: &str) -> Result<Map<String, Value>, AwsError> {
        let tags: Vec<aws_sdk_organizations::types::Tag> = self
            .client
            .list_tags_for_resource()
            .resource_id(account_id)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| aws_error("ListTagsForResource", &e))?;
        Ok(tags
            .into_iter()
            .map(|t| (t.key().to_string(), Value::String(t.value().to_string())))
            .collect())
    }

    /// `Root/Workloads/Prod`, built from ListParents up to the root; OUs are looked up once.
    async fn ou_path(&self, account_id: &str) -> Result<String, AwsError> {
        let mut names = Vec::new();
        let mut next = self.parent_of(account_id).await?;
        while let Some(parent_id) = next {
            let cached = self.parents.lock().await.get(&parent_id).cloned();
            let (name, up) = match cached {
                Some(v) => v,
                None => {
                    let v = self.describe_parent(&parent_id).await?;
                    self.parents
                        .lock()
                        .await
                        .insert(parent_id.clone(), v.clone());
                    v
                }
            };
            names.push(name);
            next = up;
        }
        names.reverse();
        Ok(names.join("/"))
    }

    async fn parent_of(&self, child_id: &str) -> Result<Option<String>, AwsError> {
        let out = self
            .client
            .list_parents()
            .child_id(child_id)
            .send()
            .await
            .map_err(|e| aws_error("ListParents", &e))?;
        Ok(out
            .parents()
            .first()
            .and_then(|p| p.id())
            .map(str::to_string))
    }

    async fn describe_parent(&self, id: &str) -> Result<(String, Option<String>), AwsError> {
        if id.starts_with("r-") {
            return Ok(("Root".to_string(), None));
        }
        let out = self
            .client
            .describe_organizational_unit()
            .organizational_unit_id(id)
            .send()
            .await
            .map_err(|e| aws_error("DescribeOrganizationalUnit", &e))?;
        let name = out
            .organizational_unit()
            .and_then(|o| o.name())
            .unwrap_or(id)
            .to_string();
        let up = self.parent_of(id).await?;
        Ok((name, up))
    }
}
