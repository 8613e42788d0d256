//! The data model shared by every vigil crate: resource documents, accounts, snapshots,
//! findings and scan error records. No AWS or engine dependencies live here.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
pub use smol_str::SmolStr;
use std::sync::Arc;

pub mod change;
pub mod merge;
pub mod result;
pub mod scope;
pub mod target;
pub use result::{
    compare, report_order, ChangeCounts, Comparison, ScanResult, Summary, SuppressionReport,
};
pub use scope::{RegionScope, ServiceScope, VigilCode, GLOBAL};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

pub mod services;

pub use services::{service_of_resource_type, RESOURCE_TYPES};

/// A collected resource, shaped like an AWS Config configuration item (camelCase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub resource_type: String,
    pub resource_id: String,
    pub arn: String,
    pub aws_account_id: String,
    pub aws_region: String,
    #[serde(default)]
    pub tags: Map<String, Value>,
    /// The Describe/Get response for the resource; always a JSON object.
    #[serde(deserialize_with = "json_object")]
    pub configuration: Value,
    /// Extra calls (function policy, PITR, key rotation, ...); always a JSON object, `{}` when
    /// absent.
    #[serde(default = "empty_object", deserialize_with = "json_object")]
    pub supplementary_configuration: Value,
    /// Fields the collector could not read, keyed by their dotted path in the document
    /// (`supplementaryConfiguration.policy`). Such a field is left out of the document, and the
    /// rules that need it report `error` for the resource instead of judging it without it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub collection_errors: BTreeMap<String, FieldError>,
}

/// Why one field of a document could not be collected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The API operation that failed (`GetPolicy`), or that returned what could not be parsed.
    pub operation: String,
    /// The AWS error code, or vigil's own (`UnparsablePolicy`).
    pub code: String,
    pub message: String,
}

impl Document {
    /// Records that `field` (a dotted path such as `supplementaryConfiguration.policy`) could
    /// not be read, and removes whatever value the document holds for it.
    pub fn field_unreadable(&mut self, field: &str, error: FieldError) {
        let mut parts = field.split('.');
        let mut target = match parts.next() {
            Some("configuration") => Some(&mut self.configuration),
            Some("supplementaryConfiguration") => Some(&mut self.supplementary_configuration),
            Some("tags") => {
                self.tags.clear();
                None
            }
            _ => None,
        };
        let path: Vec<&str> = parts.collect();
        if let Some((last, parents)) = path.split_last() {
            for p in parents {
                target = target.and_then(|v| v.get_mut(*p));
            }
            if let Some(Value::Object(m)) = target {
                m.remove(*last);
            }
        }
        self.collection_errors.insert(field.to_string(), error);
    }

    /// What is wrong with the shape of a document given as JSON, if anything (`configuration`
    /// null, a string or an array; a field missing): one line for a user.
    pub fn shape_problem(v: &Value) -> Option<String> {
        let Some(obj) = v.as_object() else {
            return Some(format!(
                "a document must be a JSON object, found {}",
                kind(v)
            ));
        };
        for key in [
            "resourceType",
            "resourceId",
            "arn",
            "awsAccountId",
            "awsRegion",
        ] {
            match obj.get(key) {
                Some(Value::String(_)) => {}
                Some(other) => {
                    return Some(format!("{key} must be a string, found {}", kind(other)))
                }
                None => return Some(format!("{key} is missing")),
            }
        }
        match obj.get("configuration") {
            Some(Value::Object(_)) => {}
            Some(other) => {
                return Some(format!(
                    "configuration must be a JSON object, found {}",
                    kind(other)
                ))
            }
            None => return Some("configuration is missing".into()),
        }
        for key in ["supplementaryConfiguration", "tags", "collectionErrors"] {
            match obj.get(key) {
                None | Some(Value::Object(_)) => {}
                Some(other) => {
                    return Some(format!(
                        "{key} must be a JSON object, found {}",
                        kind(other)
                    ))
                }
            }
        }
        None
    }
}

/// `null`, `a string`, `an array`, ... for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// A field that must hold a JSON object: anything else is rejected, never read as empty.
fn json_object<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    match Value::deserialize(d)? {
        v @ Value::Object(_) => Ok(v),
        other => Err(serde::de::Error::custom(format!(
            "expected a JSON object, found {}",
            kind(&other)
        ))),
    }
}

/// The organization the scan walked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgInfo {
    pub id: String,
    pub management_account_id: String,
}

/// Lifecycle status of an account as Organizations reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountStatus {
    Active,
    Suspended,
    PendingClosure,
}

/// An account found by the org walk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: String,
    /// `Root/Workloads/Prod`: OU names from the root down to the account's parent.
    #[serde(default)]
    pub ou_path: String,
    #[serde(default)]
    pub tags: Map<String, Value>,
    pub status: AccountStatus,
}

/// Scope error: one account, region or service that could not be assessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanError {
    pub account_id: String,
    pub region: String,
    pub service: String,
    pub operation: String,
    pub code: String,
    pub message: String,
    /// Set when only this resource was affected (one function's policy could not be read);
    /// absent when the whole scope (account, region, service) could not be assessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// A region asked for but not scanned in one account (not enabled there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRegion {
    pub account_id: String,
    pub region: String,
    pub reason: String,
}

/// Everything a scan collected: enough to evaluate offline with `vigil evaluate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub schema: String,
    #[serde(default)]
    pub started_at: String,
    #[serde(default)]
    pub finished_at: String,
    pub org: OrgInfo,
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub skipped_accounts: Vec<Account>,
    /// Every account id of the organization, including those `--accounts` or
    /// `--exclude-accounts` left out of the scan: rules that ask "is this principal inside the
    /// organization?" must not treat an unscanned member as an outsider. Older snapshots lack it
    /// (then the scanned and skipped accounts stand in).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organization_account_ids: Vec<String>,
    pub regions: Vec<String>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub api_calls: u64,
    #[serde(default)]
    pub api_calls_by_operation: std::collections::BTreeMap<String, u64>,
    pub documents: Vec<Document>,
    #[serde(default)]
    pub errors: Vec<ScanError>,
    #[serde(default)]
    pub skipped_regions: Vec<SkippedRegion>,
    /// Set when this snapshot is one shard of a plan (`vigil scan --shard`): merging checks
    /// that every shard of the plan is there, once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardOf>,
}

/// Which shard of which plan a shard file or a snapshot shard is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardOf {
    /// The plan's id (one per `vigil plan` run).
    pub plan_id: String,
    /// 1-based.
    pub shard: u32,
    pub shards: u32,
}

/// The schema of a shard file written by `vigil plan`.
pub const SHARD_SCHEMA: &str = "vigil.shard/v1";

/// One shard of a plan (`vigil plan --shards N`): the accounts one worker scans, with what the
/// plan read from Organizations for them (OU paths, tags, and each account's
/// `AWS::Organizations::Account` document with its SCP chain), so a worker makes no
/// Organizations call. The first shard also carries what belongs to the whole organization:
/// the skipped accounts, the walk's error records and the plan's API calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shard {
    pub schema: String,
    #[serde(flatten)]
    pub of: ShardOf,
    pub created_at: String,
    pub org: OrgInfo,
    pub organization_account_ids: Vec<String>,
    /// Services the plan was made for (the Organizations documents are here when they
    /// include `organizations`).
    pub services: Vec<String>,
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub skipped_accounts: Vec<Account>,
    #[serde(default)]
    pub documents: Vec<Document>,
    #[serde(default)]
    pub errors: Vec<ScanError>,
    #[serde(default)]
    pub api_calls: u64,
    #[serde(default)]
    pub api_calls_by_operation: std::collections::BTreeMap<String, u64>,
}

impl Snapshot {
    /// The organization's account ids as the rules see them (`data.vigil.organization`).
    pub fn organization_accounts(&self) -> Vec<&str> {
        if self.organization_account_ids.is_empty() {
            self.accounts
                .iter()
                .chain(&self.skipped_accounts)
                .map(|a| a.id.as_str())
                .collect()
        } else {
            self.organization_account_ids
                .iter()
                .map(String::as_str)
                .collect()
        }
    }
}

/// Schema identifier written into and required from snapshot files.
pub const SNAPSHOT_SCHEMA: &str = "vigil.snapshot/v1";

/// Finding severity, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// All severities, most severe first.
    pub const ALL_DESC: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a string that names no severity.
#[derive(Debug, thiserror::Error)]
#[error("unknown severity '{0}' (expected critical, high, medium, low or info)")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(UnknownSeverity(s.to_string())),
        }
    }
}

/// Outcome of one rule on one resource (or scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Fail,
    Pass,
    Error,
    Muted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Pass => "pass",
            Status::Error => "error",
            Status::Muted => "muted",
        }
    }
}

/// One evaluated (rule, resource) pair, or an error for a scope that could not be assessed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    // Fields shared by the findings of one rule or one resource are `SmolStr`: short ones
    // (ids, regions) inline, longer ones reference-counted, so a finding clones them without
    // allocating. `message` and `fingerprint` are the finding's own.
    pub rule_id: SmolStr,
    pub title: SmolStr,
    pub severity: Severity,
    pub status: Status,
    pub account_id: SmolStr,
    pub account_name: SmolStr,
    pub region: SmolStr,
    pub resource_type: SmolStr,
    pub resource_id: SmolStr,
    pub resource_arn: SmolStr,
    pub message: String,
    pub remediation: SmolStr,
    pub fingerprint: String,
    /// Compared with a baseline or the state table: new, unchanged or resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// Set when a suppression from vigil.toml muted this finding (status `muted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<SuppressionNote>,
    /// The rule's controls in other frameworks (shared by every finding of the rule).
    #[serde(
        default,
        skip_serializing_if = "related_is_empty",
        with = "shared_related"
    )]
    pub related: Arc<Related>,
}

fn related_is_empty(r: &Arc<Related>) -> bool {
    r.is_empty()
}

/// Serde for `Arc<Related>` without serde's `rc` feature (which would rebuild every crate
/// that uses serde): the value is written and read as a plain `Related`.
pub mod shared_related {
    use super::Related;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(r: &Arc<Related>, s: S) -> Result<S::Ok, S::Error> {
        r.as_ref().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Related>, D::Error> {
        Related::deserialize(d).map(Arc::new)
    }
}

/// The controls of other frameworks a rule corresponds to, as its `# METADATA` names them
/// under `custom.related`. Each list holds the framework's own identifiers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Related {
    /// AWS Security Hub Foundational Security Best Practices control ids (`Lambda.1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fsbp: Vec<String>,
    /// CIS AWS Foundations Benchmark recommendation numbers (`3.3`), of [`CIS_VERSION`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cis: Vec<String>,
    /// AWS Config managed rule identifiers (`lambda-function-public-access-prohibited`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aws_config: Vec<String>,
    /// Prowler check ids (`awslambda_function_not_publicly_accessible`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prowler: Vec<String>,
}

/// The CIS AWS Foundations Benchmark version whose numbering `Related::cis` uses.
pub const CIS_VERSION: &str = "3.0.0";

/// The frameworks of [`Related`], by the names the CLI and reports use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framework {
    Fsbp,
    Cis,
    AwsConfig,
    Prowler,
}

impl Framework {
    pub const ALL: [Framework; 4] = [
        Framework::Fsbp,
        Framework::Cis,
        Framework::AwsConfig,
        Framework::Prowler,
    ];

    /// The key in `custom.related`, the JSON report and `--framework`.
    pub fn key(self) -> &'static str {
        match self {
            Framework::Fsbp => "fsbp",
            Framework::Cis => "cis",
            Framework::AwsConfig => "aws_config",
            Framework::Prowler => "prowler",
        }
    }

    /// How people call it.
    pub fn title(self) -> &'static str {
        match self {
            Framework::Fsbp => "AWS Foundational Security Best Practices",
            Framework::Cis => "CIS AWS Foundations Benchmark v3.0.0",
            Framework::AwsConfig => "AWS Config managed rules",
            Framework::Prowler => "Prowler",
        }
    }

    /// The framework of a key (`fsbp`), as `--framework` takes it.
    pub fn from_key(key: &str) -> Option<Framework> {
        Framework::ALL.into_iter().find(|f| f.key() == key)
    }
}

impl Related {
    pub fn is_empty(&self) -> bool {
        Framework::ALL.iter().all(|f| self.get(*f).is_empty())
    }

    /// The identifiers of one framework.
    pub fn get(&self, f: Framework) -> &[String] {
        match f {
            Framework::Fsbp => &self.fsbp,
            Framework::Cis => &self.cis,
            Framework::AwsConfig => &self.aws_config,
            Framework::Prowler => &self.prowler,
        }
    }

    /// Every identifier as `framework/id` (`fsbp/Lambda.1`), frameworks in [`Framework::ALL`]
    /// order: SARIF tags.
    pub fn tags(&self) -> Vec<String> {
        Framework::ALL
            .iter()
            .flat_map(|f| {
                self.get(*f)
                    .iter()
                    .map(move |id| format!("{}/{id}", f.key()))
            })
            .collect()
    }
}

/// What a report needs to know about one rule of the loaded policy set (SARIF's rule registry,
/// JUnit test names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub resource_types: Vec<String>,
    pub remediation: String,
    #[serde(default, skip_serializing_if = "Related::is_empty")]
    pub related: Related,
}

/// How a finding compares with the previous run (`--baseline` or the state table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Failing now, not failing before.
    New,
    /// Failing now and before.
    Unchanged,
    /// Failing before, not failing now.
    Resolved,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Unchanged => "unchanged",
            Change::Resolved => "resolved",
        }
    }
}

/// Why a finding is muted: the suppression that matched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionNote {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// Last day the suppression applies (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// Stable fingerprint of a finding: the same rule on the same resource gives the same value
/// across runs (the message is deliberately not part of it).
pub fn fingerprint(rule_id: &str, account_id: &str, region: &str, resource_arn: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [rule_id, account_id, region, resource_arn] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(&h.finalize()[..16])
}

/// Context of the account a document belongs to, as policies see it under `input.account`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountContext {
    pub id: String,
    pub name: String,
    pub email: String,
    pub ou_path: String,
    pub tags: Map<String, Value>,
}

impl From<&Account> for AccountContext {
    fn from(a: &Account) -> Self {
        AccountContext {
            id: a.id.clone(),
            name: a.name.clone(),
            email: a.email.clone(),
            ou_path: a.ou_path.clone(),
            tags: a.tags.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_field_separated() {
        let a = fingerprint("VGL-LAMBDA-001", "111122223333", "eu-west-1", "arn:x");
        assert_eq!(
            a,
            fingerprint("VGL-LAMBDA-001", "111122223333", "eu-west-1", "arn:x")
        );
        assert_eq!(a.len(), 32);
        // Moving a character between fields must change the hash.
        assert_ne!(
            a,
            fingerprint("VGL-LAMBDA-00", "1111122223333", "eu-west-1", "arn:x")
        );
    }

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert!("urgent".parse::<Severity>().is_err());
    }
}
