//! vigil's own codes and scopes in error records: typed here, written as the same strings
//! into reports, snapshots and state items.

use crate::ScanError;
use std::fmt;

/// Region of account-level resources and of errors of the organization walk.
pub const GLOBAL: &str = RegionScope::Global.as_str();

/// Regions with a meaning of their own in error records (`ScanError::region`) and findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionScope {
    /// Account-level resources (accounts, SCPs) and the organization walk: `global`.
    Global,
    /// Every region of an account (an account that could not be entered at all): `*`.
    AllRegions,
}

impl RegionScope {
    /// The string written into reports, snapshots and state items.
    pub const fn as_str(self) -> &'static str {
        match self {
            RegionScope::Global => "global",
            RegionScope::AllRegions => "*",
        }
    }
}

/// Services with a meaning of their own in error records (`ScanError::service`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceScope {
    /// The audit role could not be assumed: every service of the account is affected (`sts`).
    AccountWide,
    /// Every service (`*`).
    AllServices,
    /// The organization walk (`organizations`): its errors hit the walk, not one account's
    /// resources, so they produce no `error` findings.
    Organization,
}

impl ServiceScope {
    /// The string written into reports, snapshots and state items.
    pub const fn as_str(self) -> &'static str {
        match self {
            ServiceScope::AccountWide => "sts",
            ServiceScope::AllServices => "*",
            ServiceScope::Organization => "organizations",
        }
    }
}

/// vigil's own error codes (next to the AWS codes in `ScanError::code` and `FieldError::code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VigilCode {
    /// An account asked for with `--accounts` is not in the organization.
    AccountNotFound,
    /// A paginated listing returned a page token it had returned before.
    PaginationLoop,
    /// The run lock item kept changing while it was being taken.
    LockContention,
    /// A policy document could not be parsed.
    UnparsablePolicy,
    /// A listing vigil needed to complete another field could not be made.
    Incomplete,
}

impl VigilCode {
    /// The code as written into reports and error messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            VigilCode::AccountNotFound => "AccountNotFound",
            VigilCode::PaginationLoop => "PaginationLoop",
            VigilCode::LockContention => "LockContention",
            VigilCode::UnparsablePolicy => "UnparsablePolicy",
            VigilCode::Incomplete => "Incomplete",
        }
    }
}

impl From<VigilCode> for String {
    fn from(c: VigilCode) -> String {
        c.as_str().to_string()
    }
}

impl fmt::Display for VigilCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ScanError {
    /// An account that could not be entered (the audit role could not be assumed): covers
    /// every region and service of the account.
    pub fn account_wide(account_id: &str, operation: &str, code: &str, message: &str) -> Self {
        ScanError {
            account_id: account_id.to_string(),
            region: RegionScope::AllRegions.as_str().into(),
            service: ServiceScope::AccountWide.as_str().into(),
            operation: operation.to_string(),
            code: code.to_string(),
            message: message.to_string(),
            resource: None,
        }
    }

    /// An error of the organization walk (seen from `account_id`).
    pub fn org_walk(account_id: &str, operation: &str, code: &str, message: String) -> Self {
        ScanError {
            account_id: account_id.to_string(),
            region: RegionScope::Global.as_str().into(),
            service: ServiceScope::Organization.as_str().into(),
            operation: operation.to_string(),
            code: code.to_string(),
            message,
            resource: None,
        }
    }

    /// The whole account could not be assessed (every service).
    pub fn is_account_wide(&self) -> bool {
        self.service == ServiceScope::AccountWide.as_str()
            || self.service == ServiceScope::AllServices.as_str()
    }

    /// A whole scope (account, region, service) could not be assessed, as opposed to one
    /// resource or the organization walk: such an error stands for the rules that would have
    /// run there (`error` findings).
    pub fn is_scope_error(&self) -> bool {
        self.resource.is_none() && self.service != ServiceScope::Organization.as_str()
    }

    /// The services this error leaves unassessed, out of `services` (those of the run).
    pub fn affected_services<'a>(&'a self, services: &'a [String]) -> Vec<&'a str> {
        if self.is_account_wide() {
            services.iter().map(String::as_str).collect()
        } else {
            vec![self.service.as_str()]
        }
    }

    /// Whether this error covers a resource of `service` in account × region (a
    /// per-resource error covers that resource only).
    pub fn covers(&self, account_id: &str, region: &str, service: &str, resource_id: &str) -> bool {
        self.account_id == account_id
            && (self.region == RegionScope::AllRegions.as_str() || self.region == region)
            && (self.service == service || self.is_account_wide())
            && self.resource.as_deref().is_none_or(|r| r == resource_id)
    }
}
