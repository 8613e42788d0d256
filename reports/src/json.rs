//! `--format json`: the stable, versioned `vigil.report/v1` document.

use crate::{Reporter, ScanResult};
use serde_json::json;
use std::io::Write;

/// Schema id of the JSON report; bumped only on incompatible changes.
pub const SCHEMA: &str = "vigil.report/v1";

/// The JSON report.
pub struct JsonReporter;

impl JsonReporter {
    /// The report as a JSON value.
    pub fn to_value(result: &ScanResult) -> serde_json::Value {
        let mut v = json!({
            "schema": SCHEMA,
            "tool": {"name": "vigil", "version": result.tool_version},
            "scan": {
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
            },
            "summary": result.summary(),
            "findings": result.findings,
            "errors": result.errors,
        });
        let obj = v.as_object_mut().expect("an object");
        if let Some(b) = &result.baseline {
            obj.insert(
                "baseline".into(),
                json!({"path": b, "resolved": result.resolved}),
            );
        }
        if !result.warnings.is_empty() {
            obj.insert("warnings".into(), json!(result.warnings));
        }
        if !result.stale_suppressions.is_empty() || !result.expired_suppressions.is_empty() {
            obj.insert(
                "suppressions".into(),
                json!({"stale": result.stale_suppressions, "expired": result.expired_suppressions}),
            );
        }
        v
    }
}

impl Reporter for JsonReporter {
    fn write(&self, result: &ScanResult, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &Self::to_value(result))?;
        out.write_all(b"\n")
    }
}
