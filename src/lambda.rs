//! Lambda mode: the same binary runs under `lambda_runtime` when `AWS_LAMBDA_RUNTIME_API` is
//! set (custom runtime `provided.al2023`, built with cargo-lambda).
//!
//! Configuration comes from the environment, read once at start-up:
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `VIGIL_ROLE_NAME` | role assumed in member accounts | `VigilAuditRole` |
//! | `VIGIL_EXTERNAL_ID` | ExternalId for sts:AssumeRole (never logged) | none |
//! | `VIGIL_REGIONS` | comma-separated regions, or `all` | the function's region |
//! | `VIGIL_SERVICES` | comma-separated services | all |
//! | `VIGIL_ACCOUNTS` / `VIGIL_EXCLUDE_ACCOUNTS` | account ids | all / none |
//! | `VIGIL_CONCURRENCY` / `VIGIL_ACCOUNT_CONCURRENCY` | collection tasks in flight | 16 / 4 |
//! | `VIGIL_SNS_TOPIC_ARN` | topic notified of new and resolved findings | none |
//! | `VIGIL_STATE_TABLE` | state table (findings + run lock) | none |
//! | `VIGIL_FIRST_RUN_CAP` | failures notified one by one on a first run | 50 |
//! | `VIGIL_CONFIG` | a vigil.toml in the deployment package (severity, suppressions, params) | none |
//!
//! The event is an EventBridge scheduled event (scan with the configuration) or a JSON
//! override `{"accounts": [...], "regions": [...], "services": [...]}` (each optional; also
//! accepted as the `detail` of an EventBridge event). The response is the run summary.
//! Errors carry an `errorType` that says whether retrying can help:
//! `Vigil.Retryable` (throttling, timeouts, endpoints unreachable) or
//! `Vigil.Configuration` (bad environment or event, missing table, access denied: retrying
//! gives the same result).

use crate::commands::scan::collect_and_evaluate;
use crate::commands::{load_policies_with, now_rfc3339, post_process};
use crate::config::ConfigFile;
use crate::notify::{begin, finish, Begin, NotifyConfig};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use vigil_reports::{ScanResult, Summary};
use vigil_rules::PolicySet;
use vigil_scanner::session::RoleSpec;
use vigil_scanner::{Regions, ScanFailure, ScanOptions, Scanner};

/// Whether this process was started by the Lambda service (or an emulator of its Runtime API).
pub fn is_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// An error of one invocation, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvokeError {
    /// Retrying later can succeed (throttling, timeouts, an endpoint unreachable).
    Retryable(String),
    /// Retrying gives the same result (configuration, event, permissions).
    Configuration(String),
}

impl From<InvokeError> for Diagnostic {
    fn from(e: InvokeError) -> Diagnostic {
        let (error_type, error_message) = match e {
            InvokeError::Retryable(m) => ("Vigil.Retryable", m),
            InvokeError::Configuration(m) => ("Vigil.Configuration", m),
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message,
        }
    }
}

/// Error codes after which a later attempt can succeed.
fn retryable_code(code: &str) -> bool {
    let c = code.to_ascii_lowercase();
    c.contains("throttl")
        || c.contains("toomanyrequests")
        || c.contains("limitexceeded")
        || c.contains("timeout")
        || c.contains("dispatchfailure")
        || c.contains("serviceunavailable")
        || c.contains("internalerror")
        || c.contains("internalfailure")
        || c.contains("internalservererror")
        || c == "http 500"
        || c == "http 502"
        || c == "http 503"
        || c == "http 504"
}

fn classify_scan(e: &ScanFailure) -> InvokeError {
    match e {
        ScanFailure::NoCredentials(_) => InvokeError::Configuration(e.to_string()),
        ScanFailure::Unreachable { .. } => InvokeError::Retryable(e.to_string()),
        ScanFailure::Caller(a) if retryable_code(&a.code) => InvokeError::Retryable(e.to_string()),
        ScanFailure::Caller(_) => InvokeError::Configuration(e.to_string()),
    }
}

fn classify_state(e: &vigil_reports::state::StateError) -> InvokeError {
    use vigil_reports::state::StateError;
    match e {
        StateError::Aws { code, .. } if retryable_code(code) => {
            InvokeError::Retryable(e.to_string())
        }
        StateError::Unprocessed { .. } | StateError::LockLost { .. } => {
            InvokeError::Retryable(e.to_string())
        }
        StateError::Aws { .. } => InvokeError::Configuration(e.to_string()),
    }
}

/// The function's configuration, from its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaConfig {
    pub role_name: String,
    pub external_id: Option<String>,
    pub regions: Vec<String>,
    pub services: Vec<String>,
    pub accounts: Vec<String>,
    pub exclude_accounts: Vec<String>,
    pub concurrency: usize,
    pub account_concurrency: usize,
    pub sns_topic_arn: Option<String>,
    pub state_table: Option<String>,
    pub first_run_cap: Option<usize>,
    pub config_path: Option<String>,
    pub endpoint_url: Option<String>,
}

fn list(
    get: &dyn Fn(&str) -> Option<String>,
    var: &str,
    parse: fn(&str) -> Result<String, String>,
) -> Result<Vec<String>, String> {
    get(var)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).map_err(|e| format!("{var}: {e}")))
        .collect()
}

fn number(
    get: &dyn Fn(&str) -> Option<String>,
    var: &str,
    default: usize,
    max: usize,
) -> Result<usize, String> {
    match get(var).filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(format!(
                "{var}: expected a number from 1 to {max}, got '{v}'"
            )),
        },
    }
}

impl LambdaConfig {
    /// Reads and checks the configuration; `get` looks a variable up (the process
    /// environment in production). Messages name the variable, never a secret's value.
    pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<LambdaConfig, String> {
        use crate::cli::{parse_account_id, parse_region, parse_role_name, parse_service};
        let nonempty = |v: &str| get(v).filter(|s| !s.trim().is_empty());
        let role_name = match nonempty("VIGIL_ROLE_NAME") {
            Some(r) => parse_role_name(r.trim()).map_err(|e| format!("VIGIL_ROLE_NAME: {e}"))?,
            None => "VigilAuditRole".into(),
        };
        let external_id = nonempty("VIGIL_EXTERNAL_ID");
        if external_id
            .as_deref()
            .is_some_and(|e| e.len() < 2 || e.len() > 1224)
        {
            return Err("VIGIL_EXTERNAL_ID must be 2 to 1224 characters".into());
        }
        let sns_topic_arn = nonempty("VIGIL_SNS_TOPIC_ARN").map(|s| s.trim().to_string());
        if let Some(t) = &sns_topic_arn {
            crate::cli::parse_sns_topic_arn(t).map_err(|e| format!("VIGIL_SNS_TOPIC_ARN: {e}"))?;
        }
        let state_table = nonempty("VIGIL_STATE_TABLE").map(|s| s.trim().to_string());
        if let Some(t) = &state_table {
            crate::cli::parse_state_table(t).map_err(|e| format!("VIGIL_STATE_TABLE: {e}"))?;
        }
        let first_run_cap = match nonempty("VIGIL_FIRST_RUN_CAP") {
            None => None,
            Some(v) => Some(
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("VIGIL_FIRST_RUN_CAP: expected a number, got '{v}'"))?,
            ),
        };
        Ok(LambdaConfig {
            role_name,
            external_id,
            regions: list(get, "VIGIL_REGIONS", parse_region)?,
            services: list(get, "VIGIL_SERVICES", parse_service)?,
            accounts: list(get, "VIGIL_ACCOUNTS", parse_account_id)?,
            exclude_accounts: list(get, "VIGIL_EXCLUDE_ACCOUNTS", parse_account_id)?,
            concurrency: number(get, "VIGIL_CONCURRENCY", 16, 256)?,
            account_concurrency: number(get, "VIGIL_ACCOUNT_CONCURRENCY", 4, 64)?,
            sns_topic_arn,
            state_table,
            first_run_cap,
            config_path: nonempty("VIGIL_CONFIG"),
            endpoint_url: nonempty("AWS_ENDPOINT_URL"),
        })
    }
}

/// What an invocation may narrow: each field replaces the configured value.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub accounts: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub services: Option<Vec<String>>,
}

/// Reads the event: a scheduled event (no override), an EventBridge event whose `detail` is
/// an override, or an override object.
pub fn parse_event(event: &Value) -> Result<Override, String> {
    let Some(obj) = event.as_object() else {
        return Err(format!(
            "the event must be a JSON object (a scheduled event or {{\"accounts\", \"regions\", \"services\"}}), got {}",
            kind(event)
        ));
    };
    let body = if obj.contains_key("detail-type") {
        // EventBridge: a scheduled event's detail is {}; a custom event's detail may narrow.
        obj.get("detail")
            .cloned()
            .unwrap_or(Value::Object(Default::default()))
    } else {
        event.clone()
    };
    let o: Override =
        serde_json::from_value(body).map_err(|e| format!("the event's override: {e}"))?;
    use crate::cli::{parse_account_id, parse_region, parse_service};
    let check = |what: &str, v: &Option<Vec<String>>, p: fn(&str) -> Result<String, String>| {
        for x in v.iter().flatten() {
            p(x).map_err(|e| format!("the event's {what}: {e}"))?;
        }
        Ok::<(), String>(())
    };
    check("accounts", &o.accounts, parse_account_id)?;
    check("regions", &o.regions, parse_region)?;
    check("services", &o.services, parse_service)?;
    Ok(o)
}

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

/// The response: what the run did.
#[derive(Debug, Serialize)]
pub struct RunSummary {
    /// `completed`, `partial` (some scopes not assessed or not notified) or `locked` (another
    /// run holds the lock: nothing was scanned or notified).
    pub status: &'static str,
    pub request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    pub accounts: usize,
    pub regions: Vec<String>,
    pub resources: u64,
    pub api_calls: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// Scopes that could not be assessed (account, region, service, code).
    pub errors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notifications: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_holder: Option<Value>,
}

/// What every invocation shares: configuration and the loaded policies.
pub struct State {
    cfg: LambdaConfig,
    file: ConfigFile,
    policies: PolicySet,
}

impl State {
    /// Loads the configuration and the policies (once, at init).
    pub fn load(cfg: LambdaConfig) -> Result<State, String> {
        let policy_args = crate::cli::PolicyArgs {
            policies: Vec::new(),
            params: None,
            config: cfg.config_path.clone().map(Into::into),
        };
        let file = match &cfg.config_path {
            Some(p) => crate::config::load(std::path::Path::new(p)).map_err(|e| e.0)?,
            None => ConfigFile::default(),
        };
        let policies = load_policies_with(&policy_args, &file).map_err(|e| e.0)?;
        Ok(State {
            cfg,
            file,
            policies,
        })
    }
}

fn scan_options(cfg: &LambdaConfig, o: &Override, request_id: &str) -> ScanOptions {
    let regions = o.regions.clone().unwrap_or_else(|| cfg.regions.clone());
    let regions = if regions.iter().any(|r| r == "all") {
        Regions::All
    } else if regions.is_empty() {
        Regions::Default
    } else {
        Regions::List(regions)
    };
    // Session names allow [\w+=,.@-]{2,64}.
    let suffix: String = request_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(48)
        .collect();
    ScanOptions {
        endpoint_url: cfg.endpoint_url.clone(),
        role: RoleSpec {
            role_name: cfg.role_name.clone(),
            external_id: cfg.external_id.clone(),
            session_name: format!("vigil-{suffix}"),
        },
        regions,
        accounts: o.accounts.clone().unwrap_or_else(|| cfg.accounts.clone()),
        exclude_accounts: cfg.exclude_accounts.clone(),
        services: o.services.clone().unwrap_or_else(|| cfg.services.clone()),
        concurrency: cfg.concurrency,
        per_account_concurrency: cfg.account_concurrency,
        page_size: None,
    }
}

fn summary_of(request_id: &str, result: &ScanResult) -> RunSummary {
    RunSummary {
        status: if result.errors.is_empty() {
            "completed"
        } else {
            "partial"
        },
        request_id: request_id.to_string(),
        started_at: Some(result.started_at.clone()),
        finished_at: Some(result.finished_at.clone()),
        organization_id: Some(result.org.id.clone()),
        accounts: result.accounts.len(),
        regions: result.regions.clone(),
        resources: result.resources,
        api_calls: result.api_calls,
        summary: Some(result.summary()),
        errors: result
            .errors
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {}: {}",
                    e.account_id, e.region, e.service, e.operation, e.code
                )
            })
            .collect(),
        notifications: None,
        lock_holder: None,
    }
}

/// One invocation: lock, scan, evaluate, notify, release.
pub async fn handle(state: &State, event: LambdaEvent<Value>) -> Result<RunSummary, InvokeError> {
    let request_id = event.context.request_id.clone();
    let o = parse_event(&event.payload).map_err(InvokeError::Configuration)?;
    let cfg = &state.cfg;
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|_| "us-east-1".into());
    let sdk = vigil_scanner::aws::base_config(&region, cfg.endpoint_url.as_deref()).await;
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "vigil".into());
    let mut ncfg = NotifyConfig::new(
        cfg.sns_topic_arn.clone(),
        cfg.state_table.clone(),
        format!("lambda/{function}/{request_id}"),
    );
    if let Some(n) = cfg.first_run_cap {
        ncfg.first_run_cap = n;
    }
    let run = match begin(&ncfg, &sdk).await {
        Ok(Begin::Locked { table, holder }) => {
            tracing::warn!(
                table,
                holder = holder.owner,
                until = holder.expires_rfc3339(),
                "another run holds the lock: nothing scanned or notified"
            );
            return Ok(RunSummary {
                status: "locked",
                request_id,
                started_at: None,
                finished_at: None,
                organization_id: None,
                accounts: 0,
                regions: Vec::new(),
                resources: 0,
                api_calls: 0,
                summary: None,
                errors: Vec::new(),
                notifications: None,
                lock_holder: Some(serde_json::json!({
                    "table": table,
                    "owner": holder.owner,
                    "acquired_at": holder.acquired_at,
                    "expires_at": holder.expires_rfc3339(),
                })),
            });
        }
        Ok(Begin::Off) => None,
        Ok(Begin::Run(r)) => Some(r),
        Err(e) => return Err(classify_state(&e)),
    };
    let started_at = now_rfc3339();
    let scanned = async {
        let scanner = Scanner::connect(scan_options(cfg, &o, &request_id))
            .await
            .map_err(|e| classify_scan(&e))?;
        tracing::info!(
            accounts = scanner.accounts().len(),
            regions = scanner.regions().len(),
            "scanning organization {}",
            scanner.org().id
        );
        collect_and_evaluate(&scanner, &state.policies, started_at, false, false)
            .await
            .map(|(_, result)| result)
            .map_err(InvokeError::Retryable)
    }
    .await;
    let mut result = match scanned {
        Ok(r) => r,
        Err(e) => {
            if let Some(r) = run {
                if let Err(le) = r.abandon().await {
                    tracing::error!("releasing the run lock: {le}");
                }
            }
            return Err(e);
        }
    };
    post_process(&mut result, &state.file, None, true);
    for w in &result.warnings {
        tracing::warn!("{w}");
    }
    let mut summary = summary_of(&request_id, &result);
    if let Some(r) = run {
        let outcome = finish(r, &mut result).await;
        tracing::info!("{}", outcome.summary_line());
        let problems = outcome.error_lines();
        for line in &problems {
            tracing::error!("{line}");
        }
        if outcome.is_partial() {
            summary.status = "partial";
        }
        summary.notifications = Some(serde_json::json!({
            "summary": outcome.summary_line(),
            "first_run": outcome.first_run,
            "new": outcome.new,
            "unchanged": outcome.unchanged,
            "resolved": outcome.resolved,
            "messages_sent": outcome.publish.messages_sent,
            "errors": problems,
        }));
    }
    tracing::info!(
        status = summary.status,
        resources = summary.resources,
        "run finished"
    );
    Ok(summary)
}

/// Runs the Lambda runtime loop until the service stops the process.
pub fn run() -> std::process::ExitCode {
    crate::init_logging(false, 1);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vigil: error: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(crate::exit::USAGE);
        }
    };
    let getenv = |k: &str| std::env::var(k).ok();
    // A bad configuration does not crash the init (the service would only say "Runtime exited"):
    // every invocation answers with the reason, classified as not retryable.
    let state: Result<Arc<State>, String> = LambdaConfig::from_env(&getenv)
        .and_then(State::load)
        .map(Arc::new);
    if let Err(e) = &state {
        tracing::error!("configuration error: {e}");
    }
    let handler = lambda_runtime::service_fn(move |event: LambdaEvent<Value>| {
        let state = state.clone();
        async move {
            match state {
                Ok(s) => handle(&s, event).await.map_err(Diagnostic::from),
                Err(e) => Err(Diagnostic::from(InvokeError::Configuration(e))),
            }
        }
    });
    match runtime.block_on(lambda_runtime::run(handler)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vigil: error: Lambda runtime: {e}");
            std::process::ExitCode::from(crate::exit::USAGE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn configuration_from_the_environment() {
        let c = LambdaConfig::from_env(&env(&[])).unwrap();
        assert_eq!(c.role_name, "VigilAuditRole");
        assert!(c.regions.is_empty() && c.services.is_empty());
        assert_eq!((c.concurrency, c.account_concurrency), (16, 4));
        let c = LambdaConfig::from_env(&env(&[
            ("VIGIL_ROLE_NAME", "Audit"),
            ("VIGIL_REGIONS", "eu-west-1, us-east-1"),
            ("VIGIL_SERVICES", "lambda,kms"),
            ("VIGIL_CONCURRENCY", "8"),
            ("VIGIL_EXTERNAL_ID", "s3cr3t-value"),
            ("VIGIL_STATE_TABLE", "vigil-state"),
            (
                "VIGIL_SNS_TOPIC_ARN",
                "arn:aws:sns:eu-west-1:111122223333:vigil",
            ),
        ]))
        .unwrap();
        assert_eq!(c.regions, ["eu-west-1", "us-east-1"]);
        assert_eq!(c.services, ["lambda", "kms"]);
        assert_eq!(c.concurrency, 8);
        assert_eq!(c.state_table.as_deref(), Some("vigil-state"));
        for (var, val, want) in [
            ("VIGIL_REGIONS", "eu-west-1,mars", "VIGIL_REGIONS"),
            ("VIGIL_SERVICES", "ec2", "VIGIL_SERVICES"),
            ("VIGIL_CONCURRENCY", "0", "VIGIL_CONCURRENCY"),
            ("VIGIL_ROLE_NAME", "bad role", "VIGIL_ROLE_NAME"),
            ("VIGIL_SNS_TOPIC_ARN", "topic", "VIGIL_SNS_TOPIC_ARN"),
            ("VIGIL_EXTERNAL_ID", "x", "VIGIL_EXTERNAL_ID"),
        ] {
            let e = LambdaConfig::from_env(&env(&[(var, val)])).unwrap_err();
            assert!(e.starts_with(want), "{var}={val}: {e}");
        }
        // A secret's value never appears in a message.
        let e = LambdaConfig::from_env(&env(&[("VIGIL_EXTERNAL_ID", "z")])).unwrap_err();
        assert!(!e.contains("'z'"), "{e}");
    }

    #[test]
    fn events_scheduled_detail_and_override() {
        let scheduled = serde_json::json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-11-28T10:00:00Z", "region": "eu-west-1",
            "resources": ["arn:aws:events:eu-west-1:123456789012:rule/vigil"], "detail": {}
        });
        assert_eq!(parse_event(&scheduled).unwrap(), Override::default());
        let o =
            parse_event(&serde_json::json!({"accounts": ["111122223333"], "services": ["lambda"]}))
                .unwrap();
        assert_eq!(o.accounts.unwrap(), ["111122223333"]);
        assert_eq!(o.services.unwrap(), ["lambda"]);
        let mut custom = scheduled.clone();
        custom["detail"] = serde_json::json!({"regions": ["us-east-1"]});
        assert_eq!(
            parse_event(&custom).unwrap().regions.unwrap(),
            ["us-east-1"]
        );
        for (bad, want) in [
            (serde_json::json!({"acounts": []}), "acounts"),
            (serde_json::json!({"accounts": ["12"]}), "accounts"),
            (serde_json::json!({"regions": "eu-west-1"}), "override"),
            (serde_json::json!([1]), "an array"),
        ] {
            let e = parse_event(&bad).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    #[test]
    fn errors_are_classified() {
        use vigil_scanner::aws::AwsError;
        let caller = |code: &str| {
            ScanFailure::Caller(AwsError {
                operation: "GetCallerIdentity".into(),
                code: code.into(),
                message: "m".into(),
                status: None,
            })
        };
        assert!(matches!(
            classify_scan(&caller("Throttling")),
            InvokeError::Retryable(_)
        ));
        assert!(matches!(
            classify_scan(&caller("TimeoutError")),
            InvokeError::Retryable(_)
        ));
        assert!(matches!(
            classify_scan(&caller("InvalidClientTokenId")),
            InvokeError::Configuration(_)
        ));
        assert!(matches!(
            classify_scan(&ScanFailure::NoCredentials("none".into())),
            InvokeError::Configuration(_)
        ));
        assert!(matches!(
            classify_scan(&ScanFailure::Unreachable {
                endpoint: String::new(),
                message: "refused".into()
            }),
            InvokeError::Retryable(_)
        ));
        let d: Diagnostic = InvokeError::Configuration("x".into()).into();
        assert_eq!(d.error_type, "Vigil.Configuration");
        let d: Diagnostic = InvokeError::Retryable("x".into()).into();
        assert_eq!(d.error_type, "Vigil.Retryable");
    }
}
