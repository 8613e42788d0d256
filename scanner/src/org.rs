//! The organization walk: accounts, their OU path and tags.
//!
//! The account listing, parents and OU names are read through the run's [`OrgCache`] (in
//! [`RunShared`]), which the Organizations collector uses too: each ListAccounts, ListParents
//! and DescribeOrganizationalUnit call is made once per run, by whichever needs it first.

use crate::aws::{aws_error, AwsError};
use crate::collect::organizations::{LevelType, OrgCache, MAX_PAGE};
use crate::collect::{sorted_tags, RunShared};
use aws_sdk_organizations::types::AccountStatus as SdkStatus;
use aws_sdk_organizations::Client;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::{Map, Value};
use std::sync::Arc;
use vigil_model::{Account, AccountStatus, OrgInfo};

/// How many accounts are described at once during the walk.
const WALK_CONCURRENCY: usize = 8;

/// Walks an organization from its management (or delegated administrator) account.
pub struct OrgWalker {
    client: Client,
    shared: Arc<RunShared>,
    page_size: Option<i32>,
}

/// What the walk found.
#[derive(Debug, Clone)]
pub struct Walk {
    pub org: OrgInfo,
    pub accounts: Vec<Account>,
}

impl OrgWalker {
    /// `page_size`: items per list call (`None` = the service's default). `shared`: the run's
    /// caches, handed on to the collectors afterwards.
    pub fn new(client: Client, page_size: Option<i32>, shared: Arc<RunShared>) -> Self {
        OrgWalker {
            client,
            shared,
            page_size: page_size.map(|n| n.min(MAX_PAGE)),
        }
    }

    fn cache(&self) -> &OrgCache {
        &self.shared.organizations
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
    /// Lists every account; the OU path and tags (a call per level and per account) are read
    /// only for the accounts `wanted` says will be scanned: the others only count as members.
    pub async fn walk(
        &self,
        org: OrgInfo,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Walk, AwsError> {
        let listed = self.cache().accounts(&self.client, self.page_size).await?;
        let wanted = &wanted;
        let accounts: Vec<Account> = stream::iter(listed.accounts.iter())
            .map(|a| self.describe(a, wanted(a.id().unwrap_or_default())))
            .buffered(WALK_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(Walk { org, accounts })
    }

    async fn describe(
        &self,
        a: &aws_sdk_organizations::types::Account,
        details: bool,
    ) -> Result<Account, AwsError> {
        let id = a.id().unwrap_or_default().to_string();
        #[allow(deprecated)]
        let status = match a.status() {
            Some(SdkStatus::Suspended) => AccountStatus::Suspended,
            Some(SdkStatus::PendingClosure) => AccountStatus::PendingClosure,
            _ => AccountStatus::Active,
        };
        let (ou_path, tags) = if details {
            (self.ou_path(&id).await?, self.tags(&id).await?)
        } else {
            Default::default()
        };
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
        Ok(sorted_tags(tags.iter().map(|t| (t.key(), t.value()))))
    }

    /// `Root/Workloads/Prod`, built from ListParents up to the root (named `Root`); each
    /// parent and each OU name is looked up once per run.
    async fn ou_path(&self, account_id: &str) -> Result<String, AwsError> {
        let mut names = Vec::new();
        let mut child = account_id.to_string();
        while let Some(parent) = self
            .cache()
            .parent(&self.client, &child, self.page_size)
            .await?
        {
            if parent.kind == LevelType::Root {
                names.push("Root".to_string());
                break;
            }
            names.push(self.cache().ou_name(&self.client, &parent.id).await?);
            child = parent.id;
        }
        names.reverse();
        Ok(names.join("/"))
    }
}
