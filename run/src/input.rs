//! What a run reads from files: a snapshot to evaluate offline, a `--baseline` report, JSON.
//! Errors name the file (and line and column for JSON syntax).

use std::path::{Path, PathBuf};
use vigil_model::{Finding, Shard, Snapshot, Status, SHARD_SCHEMA, SNAPSHOT_SCHEMA};
use vigil_reports::json::SCHEMA;

/// A file that could not be read or is not what it should be.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {what} {}: {source}", .path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {problem}: {message}", .path.display())]
    Syntax {
        /// `baseline is not valid JSON`, `snapshot is malformed`.
        problem: String,
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// Valid JSON, wrong content.
    #[error("{}: {message}", .path.display())]
    Content { path: PathBuf, message: String },
}

fn content(path: &Path, message: String) -> InputError {
    InputError::Content {
        path: path.to_path_buf(),
        message,
    }
}

/// The text of a file a run reads.
fn read_text(path: &Path, what: &'static str) -> Result<String, InputError> {
    std::fs::read_to_string(path).map_err(|source| InputError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// A JSON error with its line and column: `problem` says what the file failed to be.
fn syntax(path: &Path, problem: &str, e: serde_json::Error) -> InputError {
    InputError::Syntax {
        problem: problem.to_string(),
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    }
}

/// Checks the `"schema"` field of a vigil file: `want`, else an error naming what it is
/// (`missing` says what a file without one is not).
fn expect_schema(
    path: &Path,
    v: &serde_json::Value,
    what: &str,
    want: &str,
    missing: &str,
) -> Result<(), InputError> {
    match v.get("schema").and_then(|s| s.as_str()) {
        Some(s) if s == want => Ok(()),
        Some(other) => Err(content(
            path,
            format!("{what} schema is '{other}', this vigil reads '{want}'"),
        )),
        None => Err(content(path, missing.to_string())),
    }
}

/// Reads a JSON file.
pub fn read_json(path: &Path, what: &'static str) -> Result<serde_json::Value, InputError> {
    let text = read_text(path, what)?;
    serde_json::from_str(&text).map_err(|e| syntax(path, &format!("{what} is not valid JSON"), e))
}

/// The failing findings of an earlier JSON report (`--baseline`).
#[derive(Debug, Clone)]
pub struct Baseline {
    pub path: String,
    pub failing: Vec<Finding>,
}

/// Reads a `vigil.report/v1` JSON report; anything else is an error naming the file.
pub fn read_baseline(path: &Path) -> Result<Baseline, InputError> {
    let v = read_json(path, "baseline")?;
    expect_schema(
        path,
        &v,
        "baseline",
        SCHEMA,
        "not a vigil JSON report (no \"schema\" field); write one with --format json",
    )?;
    let findings = v
        .get("findings")
        .cloned()
        .ok_or_else(|| content(path, "baseline has no findings".into()))?;
    let findings: Vec<Finding> = serde_json::from_value(findings)
        .map_err(|e| content(path, format!("baseline findings are malformed: {e}")))?;
    Ok(Baseline {
        path: path.display().to_string(),
        failing: findings
            .into_iter()
            .filter(|f| f.status == Status::Fail)
            .collect(),
    })
}

/// Reads and checks a snapshot file written by a scan.
pub fn read_snapshot(path: &Path) -> Result<Snapshot, InputError> {
    let text = read_text(path, "snapshot")?;
    let probe: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| syntax(path, "snapshot is not valid JSON", e))?;
    expect_schema(
        path,
        &probe,
        "snapshot",
        SNAPSHOT_SCHEMA,
        "not a vigil snapshot (no \"schema\" field)",
    )?;
    // A document whose shape vigil cannot read (`configuration` null, a string, an array) is
    // rejected here, naming it: judged as it is, some rules would pass it and others fail it.
    if let Some(docs) = probe.get("documents").and_then(|d| d.as_array()) {
        for (i, d) in docs.iter().enumerate() {
            if let Some(problem) = vigil_model::Document::shape_problem(d) {
                let name = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("?");
                return Err(content(
                    path,
                    format!(
                        "documents[{i}] ({} {} in {}/{}): {problem}",
                        name("resourceType"),
                        name("resourceId"),
                        name("awsAccountId"),
                        name("awsRegion"),
                    ),
                ));
            }
        }
    }
    serde_json::from_str(&text).map_err(|e| syntax(path, "snapshot is malformed", e))
}

/// Reads one snapshot, or several parts of one organization's scan (shards) merged into one;
/// parts of another organization or overlapping ones are errors naming both files.
pub fn read_snapshots(paths: &[PathBuf]) -> Result<Snapshot, InputError> {
    read_snapshots_of_plan(paths, None)
}

/// As [`read_snapshots`]; with `plan` (the directory `vigil plan` wrote), a shard of the plan
/// that has no snapshot (its worker failed) is not an error: its accounts are reported as not
/// assessed (an account-wide error record each), never as passing or resolved.
pub fn read_snapshots_of_plan(
    paths: &[PathBuf],
    plan: Option<&Path>,
) -> Result<Snapshot, InputError> {
    let mut paths = paths.to_vec();
    let mut parts = paths
        .iter()
        .map(|p| read_snapshot(p))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(dir) = plan {
        for (path, shard) in read_plan(dir)? {
            let of = &shard.of;
            if let Some(other) = parts.iter().find_map(|p| p.shard.as_ref()) {
                if other.plan_id != of.plan_id {
                    return Err(content(
                        &path,
                        format!(
                            "shard of plan {}, but the snapshots are of plan {}",
                            of.plan_id, other.plan_id
                        ),
                    ));
                }
            }
            let present = parts
                .iter()
                .any(|p| p.shard.as_ref().is_some_and(|s| s.shard == of.shard));
            if !present {
                paths.push(path);
                parts.push(not_scanned(shard, parts.first()));
            }
        }
    }
    let paths = &paths[..];
    Snapshot::merge(parts).map_err(|e| {
        use vigil_model::merge::MergeError;
        let name = |i: usize| paths[i].display().to_string();
        match e {
            MergeError::OtherOrganization {
                part,
                expected,
                found,
            } => content(
                &paths[part],
                format!(
                    "snapshot of organization {found}, but {} is of {expected}: cannot merge",
                    name(0)
                ),
            ),
            MergeError::Overlap {
                account,
                first,
                second,
            } => content(
                &paths[second],
                format!(
                    "account {account} is also in {}: the snapshots overlap, cannot merge",
                    name(first)
                ),
            ),
            MergeError::OtherPlan {
                part,
                shard,
                expected,
                found,
            } => content(
                &paths[part],
                format!(
                    "shard {shard} of plan {found}, but {} is of plan {expected}: cannot merge shards of different plans",
                    name(0)
                ),
            ),
            MergeError::SameShard {
                plan,
                shard,
                first,
                second,
            } => content(
                &paths[second],
                format!(
                    "shard {shard} of plan {plan} is also given as {}: cannot merge a shard twice",
                    name(first)
                ),
            ),
            MergeError::Missing {
                plan,
                shards,
                missing,
            } => content(
                &paths[0],
                format!(
                    "plan {plan} has {shards} shards; shard{} {} {} missing: give every snapshot shard of the plan",
                    if missing.len() == 1 { "" } else { "s" },
                    missing
                        .iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    if missing.len() == 1 { "is" } else { "are" },
                ),
            ),
            MergeError::Empty => content(Path::new("-"), "no snapshot given".into()),
        }
    })
}

/// Reads a shard file written by `vigil plan`.
pub fn read_shard(path: &Path) -> Result<Shard, InputError> {
    let text = read_text(path, "shard")?;
    let probe: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| syntax(path, "shard is not valid JSON", e))?;
    expect_schema(
        path,
        &probe,
        "shard",
        SHARD_SCHEMA,
        "not a vigil shard (no \"schema\" field); write shards with `vigil plan`",
    )?;
    let shard: Shard =
        serde_json::from_str(&text).map_err(|e| syntax(path, "shard is malformed", e))?;
    if shard.of.shard == 0 || shard.of.shard > shard.of.shards {
        return Err(content(
            path,
            format!(
                "shard {} of {} does not exist",
                shard.of.shard, shard.of.shards
            ),
        ));
    }
    Ok(shard)
}

/// The shard files of a plan directory (`shard-*.json`), in order; at least one, all of one
/// plan, and every shard of it.
fn read_plan(dir: &Path) -> Result<Vec<(PathBuf, Shard)>, InputError> {
    let entries = std::fs::read_dir(dir).map_err(|source| InputError::Read {
        what: "plan directory",
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("shard-") && n.ends_with(".json"))
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let shard = read_shard(&f)?;
        out.push((f, shard));
    }
    let Some((_, first)) = out.first() else {
        return Err(content(dir, "no shard-*.json in the plan directory".into()));
    };
    let (plan, shards) = (first.of.plan_id.clone(), first.of.shards);
    for (f, s) in &out {
        if s.of.plan_id != plan || s.of.shards != shards {
            return Err(content(
                f,
                format!("shard of plan {}, the others of plan {plan}", s.of.plan_id),
            ));
        }
    }
    let missing: Vec<String> = (1..=shards)
        .filter(|n| !out.iter().any(|(_, s)| s.of.shard == *n))
        .map(|n| n.to_string())
        .collect();
    if !missing.is_empty() || out.len() != shards as usize {
        return Err(content(
            dir,
            format!(
                "plan {plan} has {shards} shards; the directory lacks shard(s) {} or holds one twice",
                missing.join(", ")
            ),
        ));
    }
    Ok(out)
}

/// The snapshot of a shard whose worker produced none: its accounts, each not assessed.
fn not_scanned(shard: Shard, like: Option<&Snapshot>) -> Snapshot {
    let of = shard.of;
    let errors = shard
        .accounts
        .iter()
        .map(|a| {
            vigil_model::ScanError::account_wide(
                &a.id,
                "ScanShard",
                "ShardNotScanned",
                &format!(
                    "shard {} of {} of plan {} produced no snapshot (its worker failed): the account was not assessed",
                    of.shard, of.shards, of.plan_id
                ),
            )
        })
        .chain(shard.errors)
        .collect();
    Snapshot {
        schema: SNAPSHOT_SCHEMA.into(),
        started_at: String::new(),
        finished_at: String::new(),
        org: shard.org,
        accounts: shard.accounts,
        skipped_accounts: shard.skipped_accounts,
        organization_account_ids: shard.organization_account_ids,
        regions: like.map(|s| s.regions.clone()).unwrap_or_default(),
        services: shard.services,
        api_calls: shard.api_calls,
        api_calls_by_operation: shard.api_calls_by_operation,
        documents: Vec::new(),
        errors,
        skipped_regions: Vec::new(),
        shard: Some(of),
    }
}
