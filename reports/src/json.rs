//! `--format json`: the stable, versioned `vigil.report/v1` document.

use crate::{Reporter, ScanResult};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::Write;

/// Schema id of the JSON report; bumped only on incompatible changes.
pub const SCHEMA: &str = "vigil.report/v1";

/// The JSON report.
pub struct JsonReporter;

/// The report as serialized: small parts as values, findings borrowed from the result so the
/// report is streamed to its writer (no copy of every finding as a JSON value).
#[derive(Serialize)]
struct Report<'a> {
    schema: &'static str,
    tool: Value,
    scan: Value,
    summary: crate::Summary,
    findings: &'a [vigil_model::Finding],
    errors: &'a [vigil_model::ScanError],
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<Value>,
}

impl JsonReporter {
    fn report(result: &ScanResult) -> Report<'_> {
        Report {
            schema: SCHEMA,
            tool: json!({"name": "vigil", "version": result.tool_version}),
            scan: json!({
                "started_at": result.started_at,
                "finished_at": result.finished_at,
                "organization_id": result.org.id,
                "management_account_id": result.org.management_account_id,
                "accounts": result.accounts.len(),
                "skipped_accounts": result.skipped_accounts.iter().map(|a| json!({
                    "id": a.id, "name": a.name, "status": a.status,
                })).collect::<Vec<_>>(),
                "regions": result.regions,
                "skipped_regions": result.skipped_regions,
                "resources": result.resources,
                "evaluated": result.evaluated,
                "api_calls": result.api_calls,
                "api_calls_by_operation": result.api_calls_by_operation,
            }),
            summary: result.summary(),
            findings: &result.findings,
            errors: &result.errors,
            baseline: result
                .baseline
                .as_ref()
                .map(|b| json!({"path": b, "resolved": result.resolved})),
            warnings: (!result.warnings.is_empty()).then_some(&result.warnings[..]),
            suppressions: (!result.stale_suppressions.is_empty()
                || !result.expired_suppressions.is_empty())
            .then(|| {
                json!({"stale": result.stale_suppressions, "expired": result.expired_suppressions})
            }),
        }
    }

    /// The report as a JSON value.
    pub fn to_value(result: &ScanResult) -> Value {
        serde_json::to_value(Self::report(result)).unwrap_or_default()
    }
}

impl Reporter for JsonReporter {
    fn write(&self, result: &ScanResult, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &Self::report(result))?;
        out.write_all(b"\n")
    }
}
