//! Merging snapshot parts (shards of one organization, scanned separately) into one snapshot
//! that evaluates exactly as a single scan of the same accounts would.

use crate::{Account, Snapshot};
use std::collections::{BTreeMap, BTreeSet};

/// Why parts cannot be merged; `part` indexes the offending part (the caller names its file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("part {part} is a snapshot of organization '{found}', the first of '{expected}'")]
    OtherOrganization {
        part: usize,
        expected: String,
        found: String,
    },
    #[error("account {account} is in part {first} and in part {second} (overlapping shards)")]
    Overlap {
        account: String,
        first: usize,
        second: usize,
    },
    #[error("part {part} is shard {shard} of plan {found}, the first part of plan {expected}")]
    OtherPlan {
        part: usize,
        shard: u32,
        expected: String,
        found: String,
    },
    #[error("shard {shard} of plan {plan} is in part {first} and in part {second}")]
    SameShard {
        plan: String,
        shard: u32,
        first: usize,
        second: usize,
    },
    #[error("shards {missing:?} of the {shards} of plan {plan} are missing")]
    Missing {
        plan: String,
        shards: u32,
        missing: Vec<u32>,
    },
    #[error("nothing to merge")]
    Empty,
}

/// The organization a part belongs to, as `<org id> (management <account>)`.
fn org_label(s: &Snapshot) -> String {
    format!(
        "{} (management account {})",
        if s.org.id.is_empty() {
            "none"
        } else {
            &s.org.id
        },
        s.org.management_account_id
    )
}

impl Snapshot {
    /// Merges parts of one organization's scan. Accounts, documents, errors and skipped
    /// regions are united (an account scanned in two parts is an error: the parts overlap),
    /// timing spans the parts, API calls add up. Records every part repeats (an error of the
    /// organization walk, a skipped account) appear once.
    pub fn merge(parts: Vec<Snapshot>) -> Result<Snapshot, MergeError> {
        let mut parts = parts.into_iter().enumerate();
        let Some((_, mut out)) = parts.next() else {
            return Err(MergeError::Empty);
        };
        let mut owner: BTreeMap<String, usize> =
            out.accounts.iter().map(|a| (a.id.clone(), 0)).collect();
        let mut org_ids: BTreeSet<String> = out
            .organization_accounts()
            .into_iter()
            .map(str::to_string)
            .collect();
        let plan = out.shard.clone();
        let mut seen: BTreeMap<u32, usize> = plan.iter().map(|s| (s.shard, 0)).collect();
        for (i, p) in parts {
            let (expected, found) = (plan_label(plan.as_ref()), plan_label(p.shard.as_ref()));
            if expected != found
                || plan.as_ref().map(|s| s.shards) != p.shard.as_ref().map(|s| s.shards)
            {
                return Err(MergeError::OtherPlan {
                    part: i,
                    shard: p.shard.as_ref().map_or(0, |s| s.shard),
                    expected,
                    found,
                });
            }
            if let Some(s) = &p.shard {
                if let Some(&first) = seen.get(&s.shard) {
                    return Err(MergeError::SameShard {
                        plan: s.plan_id.clone(),
                        shard: s.shard,
                        first,
                        second: i,
                    });
                }
                seen.insert(s.shard, i);
            }
            if p.org != out.org {
                return Err(MergeError::OtherOrganization {
                    part: i,
                    expected: org_label(&out),
                    found: org_label(&p),
                });
            }
            for a in &p.accounts {
                if let Some(&first) = owner.get(&a.id) {
                    return Err(MergeError::Overlap {
                        account: a.id.clone(),
                        first,
                        second: i,
                    });
                }
                owner.insert(a.id.clone(), i);
            }
            org_ids.extend(p.organization_accounts().into_iter().map(str::to_string));
            if !p.started_at.is_empty()
                && (out.started_at.is_empty() || p.started_at < out.started_at)
            {
                out.started_at = p.started_at;
            }
            if p.finished_at > out.finished_at {
                out.finished_at = p.finished_at;
            }
            out.accounts.extend(p.accounts);
            union(&mut out.skipped_accounts, p.skipped_accounts);
            union(&mut out.regions, p.regions);
            union(&mut out.services, p.services);
            out.api_calls += p.api_calls;
            for (op, n) in p.api_calls_by_operation {
                *out.api_calls_by_operation.entry(op).or_default() += n;
            }
            out.documents.extend(p.documents);
            union(&mut out.errors, p.errors);
            union(&mut out.skipped_regions, p.skipped_regions);
        }
        if let Some(plan) = &plan {
            let missing: Vec<u32> = (1..=plan.shards)
                .filter(|n| !seen.contains_key(n))
                .collect();
            if !missing.is_empty() {
                return Err(MergeError::Missing {
                    plan: plan.plan_id.clone(),
                    shards: plan.shards,
                    missing,
                });
            }
        }
        out.shard = None;
        out.accounts.sort_by(|a, b| a.id.cmp(&b.id));
        out.skipped_accounts
            .sort_by(|a: &Account, b| a.id.cmp(&b.id));
        out.organization_account_ids = org_ids.into_iter().collect();
        Ok(out)
    }
}

/// `none` for a snapshot that is no plan's shard.
fn plan_label(s: Option<&crate::ShardOf>) -> String {
    s.map_or_else(|| "none".to_string(), |s| s.plan_id.clone())
}

/// Appends what `into` does not hold yet, in order.
fn union<T: PartialEq>(into: &mut Vec<T>, more: Vec<T>) {
    for x in more {
        if !into.contains(&x) {
            into.push(x);
        }
    }
}
