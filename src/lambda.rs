//! Lambda mode (when `AWS_LAMBDA_RUNTIME_API` is set; custom runtime `provided.al2023`): an
//! adapter that maps the environment ([`LambdaEnv`], read by clap once at start-up) and the
//! event (a scheduled event, or an override `{"accounts", "regions", "services"}`, also as an
//! EventBridge `detail`) to run options, calls [`vigil_run::execute`] like `vigil scan`
//! does, and answers with a [`RunSummary`].

use crate::cli::{
    parse_account_id, parse_region, parse_role_name, parse_service, parse_sns_topic_arn,
    parse_state_table,
};
use crate::config::ConfigFile;
use clap::error::ContextKind;
use clap::{CommandFactory, FromArgMatches, Parser};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use vigil_reports::text::printable;
use vigil_rules::PolicySet;
use vigil_run::report_bucket::{self, ReportLocation};
use vigil_run::{Input, NotifyOptions, Outcome, RunOptions, RunSummary};
use vigil_scanner::session::RoleSpec;
use vigil_scanner::ScanOptions;

/// Whether this process was started by the Lambda service (or an emulator of its Runtime API).
pub fn is_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// The function's configuration: its environment (the README's Lambda section lists each
/// variable). A variable set but blank counts as unset; the ExternalId is never echoed.
#[derive(Debug, Parser)]
#[command(name = "vigil (Lambda)", no_binary_name = true)]
pub struct LambdaEnv {
    #[arg(long, env = "VIGIL_ROLE_NAME", default_value = "VigilAuditRole", value_parser = parse_role_name)]
    role_name: String,
    #[arg(long, env = "VIGIL_EXTERNAL_ID", hide_env_values = true)]
    external_id: Option<String>,
    #[arg(long, env = "VIGIL_REGIONS", value_delimiter = ',', value_parser = parse_region)]
    regions: Vec<String>,
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
    #[arg(long, env = "VIGIL_SNS_TOPIC_ARN", value_parser = parse_sns_topic_arn)]
    sns_topic_arn: Option<String>,
    #[arg(long, env = "VIGIL_STATE_TABLE", value_parser = parse_state_table)]
    state_table: Option<String>,
    #[arg(long, env = "VIGIL_FIRST_RUN_CAP", value_parser = clap::value_parser!(u32).range(0..=100_000))]
    first_run_cap: Option<u32>,
    #[arg(long, env = "VIGIL_SNS_FORMAT", value_enum, default_value = "text")]
    sns_format: crate::cli::SnsFormatArg,
    /// `true`: import the failing findings into Security Hub (see `vigil scan --security-hub`).
    #[arg(long, env = "VIGIL_SECURITY_HUB", default_value = "false", action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    security_hub: bool,
    /// Each run's JSON and HTML reports go to this S3 bucket (its messages link to them).
    #[arg(long, env = "VIGIL_REPORT_BUCKET", value_parser = parse_bucket_name)]
    report_bucket: Option<String>,
    /// Key prefix of the reports in the bucket.
    #[arg(long, env = "VIGIL_REPORT_PREFIX", default_value = "reports/", value_parser = parse_key_prefix)]
    report_prefix: String,
    /// KMS key (id, ARN or alias) the reports are encrypted with; else the bucket's default.
    #[arg(long, env = "VIGIL_REPORT_KMS_KEY")]
    report_kms_key: Option<String>,
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
        // clap names the flag (`--regions <r1,r2>`); the user set the variable.
        let named = |e: clap::Error| {
            let flag = e
                .get(ContextKind::InvalidArg)
                .map(|a| a.to_string())
                .unwrap_or_default();
            let var = cmd
                .get_arguments()
                .find(|a| {
                    a.get_long()
                        .is_some_and(|l| flag.starts_with(&format!("--{l} ")))
                })
                .and_then(|a| a.get_env())
                .map_or("environment".into(), |v| v.to_string_lossy().into_owned());
            let why = std::error::Error::source(&e).map_or(e.kind().to_string(), |s| s.to_string());
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

/// An S3 bucket name as S3 allows it: 3 to 63 lowercase letters, digits, dots and hyphens,
/// starting and ending with a letter or digit.
fn parse_bucket_name(s: &str) -> Result<String, String> {
    let ok = (3..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(s.to_string())
    } else {
        Err("not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)".into())
    }
}

/// A key prefix: printable ASCII, at most 512 bytes.
fn parse_key_prefix(s: &str) -> Result<String, String> {
    if s.len() <= 512 && s.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(s.to_string())
    } else {
        Err("a key prefix is at most 512 printable ASCII characters without spaces".into())
    }
}

/// An invocation's error, typed by whether retrying can help: `Vigil.Retryable` (throttling,
/// timeouts, an endpoint unreachable) or `Vigil.Configuration` (retrying gives the same result).
fn failure(retryable: bool, error_message: String) -> Diagnostic {
    let error_type = ["Vigil.Configuration", "Vigil.Retryable"][retryable as usize].into();
    Diagnostic {
        error_type,
        error_message,
    }
}

/// What an invocation may narrow: each field replaces the configured value.
#[derive(Debug, Default, PartialEq, Deserialize)]
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
        return Err(format!("the event must be a JSON object (a scheduled event or {{\"accounts\", \"regions\", \"services\"}}), got {event}"));
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

/// What every invocation shares: configuration and the loaded policies.
pub struct State {
    env: LambdaEnv,
    file: ConfigFile,
    policies: PolicySet,
}

impl State {
    /// Loads the configuration and the policies (once, at init).
    pub fn load(env: LambdaEnv) -> Result<State, String> {
        let (policies, config) = (Vec::new(), env.config.clone());
        let args = crate::cli::PolicyArgs {
            policies,
            params: None,
            config,
        };
        let file = args
            .config
            .as_deref()
            .map_or(Ok(ConfigFile::default()), crate::config::load);
        let file = file.map_err(|e| e.0)?;
        let policies = crate::commands::load_policies_with(&args, &file).map_err(|e| e.0)?;
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
        notify.messages.format = env.sns_format.into();
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
                targets: Vec::new(),
            }),
            policies: &self.policies,
            post: self.file.post_process(),
            baseline: None,
            notify: Some(notify),
            keep_snapshot: false,
            security_hub: env
                .security_hub
                .then(|| vigil_run::securityhub::SecurityHubOptions {
                    endpoint_url: env.endpoint_url.clone(),
                    role: RoleSpec {
                        role_name: env.role_name.clone(),
                        external_id: env.external_id.clone(),
                        session_name: format!("vigil-{suffix}"),
                    },
                    concurrency: env.concurrency as usize,
                }),
        }
    }
}

/// Logs what the run has to say (the CLI prints the same on stderr).
fn log(outcome: &Outcome) {
    match outcome {
        Outcome::Locked { table, holder } => tracing::warn!(
            table,
            holder = holder.owner,
            until = holder.expires_rfc3339(),
            "another run holds the lock: nothing scanned or notified"
        ),
        Outcome::Completed(done) => {
            let warnings = done.result.warnings.iter();
            warnings.for_each(|w| tracing::warn!("{w}"));
            if let Some(n) = &done.notified {
                tracing::info!("{}", n.summary_line());
                n.error_lines().iter().for_each(|l| tracing::error!("{l}"));
            }
            if let Some(s) = &done.security_hub {
                tracing::info!(
                    imported = s.imported,
                    archived = s.archived,
                    kept = s.kept,
                    failed = s.failed,
                    scopes = s.scopes,
                    "Security Hub export"
                );
                for e in &s.errors {
                    tracing::error!(
                        account = e.account_id,
                        region = e.region,
                        code = e.code,
                        "Security Hub: {}",
                        e.message
                    );
                }
            }
        }
    }
}

/// Whether the payload is Lambda's SQS event (the change-event queue).
pub fn is_sqs_batch(event: &Value) -> bool {
    event
        .get("Records")
        .and_then(Value::as_array)
        .is_some_and(|r| {
            r.iter()
                .any(|m| m.get("eventSource").and_then(Value::as_str) == Some("aws:sqs"))
        })
}

/// One invocation: an SQS batch of change events ([`handle_events`]), or a scheduled run.
pub async fn handle(state: &State, event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    if is_sqs_batch(&event.payload) {
        return handle_events(state, event).await;
    }
    let summary = handle_schedule(state, event).await?;
    serde_json::to_value(summary).map_err(|e| failure(false, format!("the run summary: {e}")))
}

/// An SQS batch of change events: re-evaluates what they changed and answers with the
/// messages to redeliver (`{"batchItemFailures": [{"itemIdentifier": "<messageId>"}]}`, the
/// event source mapping's `ReportBatchItemFailures`).
pub async fn handle_events(state: &State, event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let request_id = event.context.request_id.clone();
    let RunOptions {
        input,
        post,
        notify,
        ..
    } = state.run_options(Override::default(), &request_id);
    let (Input::Live(scan), Some(notify)) = (input, notify) else {
        return Err(failure(
            false,
            "internal error: the event path needs a live scan".into(),
        ));
    };
    let opts = vigil_run::events::EventRunOptions {
        scan,
        policies: &state.policies,
        post,
        notify,
    };
    let outcome = vigil_run::events::handle_batch(opts, &event.payload)
        .await
        .map_err(|e| failure(false, format!("the SQS event: {e}")))?;
    if let Some(n) = &outcome.notified {
        if n.uninitialized {
            tracing::warn!("the state table has no first run recorded yet: the changes were evaluated but not notified (the first scheduled run records the organization)");
        } else {
            tracing::info!("{}", n.outcome.summary_line());
        }
        n.outcome
            .error_lines()
            .iter()
            .for_each(|l| tracing::error!("{l}"));
    }
    let api_calls = outcome.result.as_ref().map_or(0, |r| r.api_calls);
    tracing::info!(
        messages = outcome.messages,
        changes = outcome.changes,
        api_calls,
        unsupported = outcome.unsupported,
        ignored = outcome.ignored,
        returned = outcome.failures.len(),
        "event batch handled"
    );
    let failures: Vec<Value> = outcome
        .failures
        .iter()
        .map(|id| serde_json::json!({"itemIdentifier": id}))
        .collect();
    Ok(serde_json::json!({ "batchItemFailures": failures }))
}

/// A scheduled invocation: lock, scan, evaluate, notify, release (one [`vigil_run::execute`]).
pub async fn handle_schedule(
    state: &State,
    event: LambdaEvent<Value>,
) -> Result<RunSummary, Diagnostic> {
    let request_id = event.context.request_id.clone();
    let o = parse_event(&event.payload).map_err(|e| failure(false, e))?;
    let env = &state.env;
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    let location = env.report_bucket.as_ref().map(|bucket| {
        ReportLocation::new(
            bucket,
            &env.report_prefix,
            time::OffsetDateTime::now_utc().date(),
            &request_id,
            &region,
            env.report_kms_key.clone(),
        )
    });
    let mut opts = state.run_options(o, &request_id);
    if let (Some(l), Some(n)) = (&location, opts.notify.as_mut()) {
        n.messages.report_links = l.links();
    }
    match vigil_run::execute(opts, &vigil_run::Quiet).await {
        Ok(outcome) => {
            log(&outcome);
            let mut summary = RunSummary::of(&outcome, request_id);
            if let (Some(l), Outcome::Completed(done)) = (&location, &outcome) {
                match l.upload(&done.result, env.endpoint_url.as_deref()).await {
                    Ok(()) => {
                        summary.reports = Some(serde_json::json!({
                            "json": l.uri(report_bucket::JSON_NAME),
                            "html": l.uri(report_bucket::HTML_NAME),
                        }));
                    }
                    Err(e) => {
                        tracing::error!(
                            "the reports were not written to s3://{}/{}: {e}",
                            l.bucket,
                            l.key_prefix
                        );
                        summary.status = "partial";
                        summary.errors.push(format!(
                            "reports not written to s3://{}/{}: {e}",
                            l.bucket, l.key_prefix
                        ));
                    }
                }
            }
            tracing::info!(status = summary.status, "run finished");
            Ok(summary)
        }
        Err(e) => Err(failure(e.is_retryable(), e.to_string())),
    }
}

/// Runs the Lambda runtime loop until the service stops the process.
pub fn run() -> std::process::ExitCode {
    crate::init_logging(false, 1);
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("vigil: error: {}", printable(&e.to_string()));
        std::process::ExitCode::from(crate::exit::USAGE)
    };
    let runtime = match crate::commands::runtime() {
        Ok(r) => r,
        Err(e) => return fail(&e),
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
                Ok(s) => handle(&s, event).await,
                Err(e) => Err(failure(false, e)),
            }
        }
    });
    match runtime.block_on(lambda_runtime::run(handler)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => fail(&format!("Lambda runtime: {e}")),
    }
}

#[cfg(test)]
#[path = "lambda_tests.rs"]
mod tests;
