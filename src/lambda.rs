//! Lambda mode: the same binary runs under `lambda_runtime` when `AWS_LAMBDA_RUNTIME_API` is
//! set (custom runtime `provided.al2023`, built with cargo-lambda). An adapter only: it maps
//! the environment ([`LambdaEnv`], read by clap, once at start-up) and the event to run
//! options, calls [`vigil_run::execute`] like `vigil scan` does, and answers with a summary.
//!
//! The event is an EventBridge scheduled event (scan with the configuration) or a JSON
//! override `{"accounts": [...], "regions": [...], "services": [...]}` (each optional; also
//! accepted as the `detail` of an EventBridge event). Errors carry an `errorType` that says
//! whether retrying can help: `Vigil.Retryable` (throttling, timeouts, endpoints unreachable)
//! or `Vigil.Configuration` (bad environment or event, missing table, access denied).

use crate::cli::{
    parse_account_id, parse_region, parse_role_name, parse_service, parse_sns_topic_arn,
    parse_state_table,
};
use crate::config::ConfigFile;
use clap::{CommandFactory, FromArgMatches, Parser};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use vigil_model::Summary;
use vigil_rules::PolicySet;
use vigil_run::{FailOn, Input, NotifyOptions, Outcome, RunOptions, RunStatus};
use vigil_scanner::session::RoleSpec;
use vigil_scanner::ScanOptions;

/// Whether this process was started by the Lambda service (or an emulator of its Runtime API).
pub fn is_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// The function's configuration: its environment. A variable set but blank counts as unset.
#[derive(Debug, Parser)]
#[command(name = "vigil (Lambda)", no_binary_name = true)]
pub struct LambdaEnv {
    /// Role assumed in member accounts.
    #[arg(long, env = "VIGIL_ROLE_NAME", default_value = "VigilAuditRole", value_parser = parse_role_name)]
    role_name: String,
    /// ExternalId for sts:AssumeRole (never logged, never echoed in an error).
    #[arg(long, env = "VIGIL_EXTERNAL_ID", hide_env_values = true)]
    external_id: Option<String>,
    /// Regions, comma-separated, or `all` [default: the function's region].
    #[arg(long, env = "VIGIL_REGIONS", value_delimiter = ',', value_parser = parse_region)]
    regions: Vec<String>,
    /// Services, comma-separated [default: all].
    #[arg(long, env = "VIGIL_SERVICES", value_delimiter = ',', value_parser = parse_service)]
    services: Vec<String>,
    #[arg(long, env = "VIGIL_ACCOUNTS", value_delimiter = ',', value_parser = parse_account_id)]
    accounts: Vec<String>,
    #[arg(long, env = "VIGIL_EXCLUDE_ACCOUNTS", value_delimiter = ',', value_parser = parse_account_id)]
    exclude_accounts: Vec<String>,
    #[arg(long, env = "VIGIL_CONCURRENCY", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    #[arg(long, env = "VIGIL_ACCOUNT_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    account_concurrency: u16,
    /// Topic notified of new and resolved findings.
    #[arg(long, env = "VIGIL_SNS_TOPIC_ARN", value_parser = parse_sns_topic_arn)]
    sns_topic_arn: Option<String>,
    /// State table (findings + run lock).
    #[arg(long, env = "VIGIL_STATE_TABLE", value_parser = parse_state_table)]
    state_table: Option<String>,
    /// Failures notified one by one on a first run [default: 50].
    #[arg(long, env = "VIGIL_FIRST_RUN_CAP", value_parser = clap::value_parser!(u32).range(0..=100_000))]
    first_run_cap: Option<u32>,
    /// A vigil.toml in the deployment package (severity, suppressions, params).
    #[arg(long, env = "VIGIL_CONFIG")]
    config: Option<std::path::PathBuf>,
    #[arg(long, env = "AWS_ENDPOINT_URL", hide_env_values = true)]
    endpoint_url: Option<String>,
}

impl LambdaEnv {
    /// Reads and checks the process environment. Messages name the variable, never a
    /// secret's value.
    pub fn from_env() -> Result<LambdaEnv, String> {
        let mut cmd = LambdaEnv::command();
        let blank: Vec<clap::Id> = cmd
            .get_arguments()
            .filter(|a| {
                a.get_env()
                    .and_then(std::env::var_os)
                    .is_some_and(|v| v.to_string_lossy().trim().is_empty())
            })
            .map(|a| a.get_id().clone())
            .collect();
        for id in blank {
            cmd = cmd.mut_arg(id, |a| a.env(None::<&str>));
        }
        let named = |e: clap::Error| {
            let arg = e
                .get(clap::error::ContextKind::InvalidArg)
                .map(|a| a.to_string());
            let var = cmd
                .get_arguments()
                .find(|a| {
                    arg.as_deref().is_some_and(|s| {
                        s.starts_with(&format!("--{}", a.get_long().unwrap_or("?")))
                    })
                })
                .and_then(|a| a.get_env())
                .map_or_else(
                    || "environment".into(),
                    |v| v.to_string_lossy().into_owned(),
                );
            let why = std::error::Error::source(&e)
                .map_or_else(|| e.kind().to_string(), |s| s.to_string());
            format!("{var}: {why}")
        };
        let env = cmd
            .clone()
            .try_get_matches_from(Vec::<String>::new())
            .and_then(|m| LambdaEnv::from_arg_matches(&m))
            .map_err(named)?;
        crate::commands::scan::check_external_id(env.external_id.as_deref(), "VIGIL_EXTERNAL_ID")
            .map_err(|e| e.0)?;
        Ok(env)
    }
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
    if !event.is_object() {
        return Err(format!(
            "the event must be a JSON object (a scheduled event or {{\"accounts\", \"regions\", \"services\"}}), got {}",
            match event { Value::Null => "null", Value::Bool(_) => "a boolean", Value::Number(_) => "a number", Value::String(_) => "a string", Value::Array(_) => "an array", Value::Object(_) => "an object" }
        ));
    }
    // EventBridge: a scheduled event's detail is {}; a custom event's detail may narrow.
    let body = match event.get("detail-type") {
        Some(_) => event
            .get("detail")
            .cloned()
            .unwrap_or(Value::Object(Default::default())),
        None => event.clone(),
    };
    let o: Override =
        serde_json::from_value(body).map_err(|e| format!("the event's override: {e}"))?;
    let check = |what: &str, v: &Option<Vec<String>>, p: fn(&str) -> Result<String, String>| {
        v.iter().flatten().try_for_each(|x| {
            p(x).map(drop)
                .map_err(|e| format!("the event's {what}: {e}"))
        })
    };
    check("accounts", &o.accounts, parse_account_id)?;
    check("regions", &o.regions, parse_region)?;
    check("services", &o.services, parse_service)?;
    Ok(o)
}

/// The response: what the run did.
#[derive(Debug, Default, Serialize)]
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
    env: LambdaEnv,
    file: ConfigFile,
    policies: PolicySet,
}

impl State {
    /// Loads the configuration and the policies (once, at init).
    pub fn load(env: LambdaEnv) -> Result<State, String> {
        let policy_args = crate::cli::PolicyArgs {
            policies: Vec::new(),
            params: None,
            config: env.config.clone(),
        };
        let file = match &env.config {
            Some(p) => crate::config::load(p).map_err(|e| e.0)?,
            None => ConfigFile::default(),
        };
        let policies = crate::commands::load_policies_with(&policy_args, &file).map_err(|e| e.0)?;
        Ok(State {
            env,
            file,
            policies,
        })
    }

    /// The run options of one invocation: the environment, narrowed by the event.
    fn run_options(&self, o: Override, request_id: &str) -> RunOptions<'_> {
        let env = &self.env;
        let regions = o.regions.unwrap_or_else(|| env.regions.clone());
        // Session names allow [\w+=,.@-]{2,64}.
        let suffix: String = request_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(48)
            .collect();
        let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "vigil".into());
        let mut notify = NotifyOptions::new(
            env.sns_topic_arn.clone(),
            env.state_table.clone(),
            format!("lambda/{function}/{request_id}"),
        );
        if let Some(n) = env.first_run_cap {
            notify.first_run_cap = n as usize;
        }
        RunOptions {
            input: Input::Live(ScanOptions {
                endpoint_url: env.endpoint_url.clone(),
                role: RoleSpec {
                    role_name: env.role_name.clone(),
                    external_id: env.external_id.clone(),
                    session_name: format!("vigil-{suffix}"),
                },
                regions: crate::commands::scan::regions(&regions)
                    .unwrap_or(vigil_scanner::Regions::All),
                accounts: o.accounts.unwrap_or_else(|| env.accounts.clone()),
                exclude_accounts: env.exclude_accounts.clone(),
                services: o.services.unwrap_or_else(|| env.services.clone()),
                concurrency: env.concurrency as usize,
                per_account_concurrency: env.account_concurrency as usize,
                page_size: None,
            }),
            policies: &self.policies,
            post: self.file.post_process(),
            baseline: None,
            notify: Some(notify),
            keep_snapshot: false,
        }
    }
}

/// The response for an outcome: the same status as the CLI's exit code says.
fn summary_of(request_id: String, outcome: Outcome) -> RunSummary {
    let status = match outcome.status(FailOn::Never, false) {
        RunStatus::Locked => "locked",
        RunStatus::Partial => "partial",
        RunStatus::Clean | RunStatus::Findings => "completed",
    };
    let done = match outcome {
        Outcome::Locked { table, holder } => {
            tracing::warn!(
                table,
                holder = holder.owner,
                until = holder.expires_rfc3339(),
                "another run holds the lock: nothing scanned or notified"
            );
            let lock_holder = serde_json::json!({"table": table, "owner": holder.owner, "acquired_at": holder.acquired_at, "expires_at": holder.expires_rfc3339()});
            return RunSummary {
                status,
                request_id,
                lock_holder: Some(lock_holder),
                ..Default::default()
            };
        }
        Outcome::Completed(done) => done,
    };
    let r = &done.result;
    for w in &r.warnings {
        tracing::warn!("{w}");
    }
    let notifications = done.notified.as_ref().map(|n| {
        tracing::info!("{}", n.summary_line());
        let problems = n.error_lines();
        for line in &problems {
            tracing::error!("{line}");
        }
        serde_json::json!({
            "summary": n.summary_line(), "first_run": n.first_run, "new": n.new,
            "unchanged": n.unchanged, "resolved": n.resolved,
            "messages_sent": n.publish.messages_sent, "errors": problems,
        })
    });
    tracing::info!(status, resources = r.resources, "run finished");
    RunSummary {
        status,
        request_id,
        started_at: Some(r.started_at.clone()),
        finished_at: Some(r.finished_at.clone()),
        organization_id: Some(r.org.id.clone()),
        accounts: r.accounts.len(),
        regions: r.regions.clone(),
        resources: r.resources,
        api_calls: r.api_calls,
        summary: Some(r.summary()),
        errors: r
            .errors
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {}: {}",
                    e.account_id, e.region, e.service, e.operation, e.code
                )
            })
            .collect(),
        notifications,
        lock_holder: None,
    }
}

/// One invocation: lock, scan, evaluate, notify, release (one [`vigil_run::execute`]).
pub async fn handle(state: &State, event: LambdaEvent<Value>) -> Result<RunSummary, InvokeError> {
    let request_id = event.context.request_id.clone();
    let o = parse_event(&event.payload).map_err(InvokeError::Configuration)?;
    match vigil_run::execute(state.run_options(o, &request_id), &vigil_run::Quiet).await {
        Ok(outcome) => Ok(summary_of(request_id, outcome)),
        Err(e) if e.is_retryable() => Err(InvokeError::Retryable(e.to_string())),
        Err(e) => Err(InvokeError::Configuration(e.to_string())),
    }
}

/// Runs the Lambda runtime loop until the service stops the process.
pub fn run() -> std::process::ExitCode {
    crate::init_logging(false, 1);
    let runtime = match crate::commands::runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vigil: error: {e}");
            return std::process::ExitCode::from(crate::exit::USAGE);
        }
    };
    // A bad configuration does not crash the init (the service would only say "Runtime exited"):
    // every invocation answers with the reason, classified as not retryable.
    let state: Result<Arc<State>, String> =
        LambdaEnv::from_env().and_then(State::load).map(Arc::new);
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
