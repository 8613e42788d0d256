//! The command line (clap derive). Flags are an interface users script against: keep them.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit codes:
  0  clean: no failing finding at or above --fail-on (with --fail-on-new: no new one);
     also when another run holds the --state-table lock (nothing was done)
  1  failing findings at or above --fail-on (default: low)
  2  usage, configuration or policy error (nothing was scanned)
  3  the scan finished but some scopes could not be assessed (see `errors`), or some
     notifications could not be published or recorded; or something failed after the
     scan started: a report or --snapshot-out file that could not be written, the run
     lock that could not be released, an evaluation worker that failed (with a message)";

/// Multi-account continuous-compliance scanner for AWS Organizations.
#[derive(Debug, Parser)]
#[command(name = "vigil", version, about, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    /// Only print errors on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// More logging on stderr (-v info, -vv debug). VIGIL_LOG=<tracing filter> overrides;
    /// libraries never log below debug (at trace the AWS SDK prints raw HTTP responses).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan the organization: walk accounts, collect resources, evaluate policies, report.
    #[command(after_help = concat!("Examples:\n  vigil scan --regions eu-west-1,us-east-1 --format json --output vigil.json\n  vigil scan --endpoint-url http://127.0.0.1:5000 --accounts 111122223333\n\n", "Exit codes: 0 clean, 1 failing findings, 2 usage/config/policy error, 3 partial scan or a failure after the scan (report not written, lock not released)"))]
    Scan(ScanArgs),
    /// Evaluate a snapshot written by `scan --snapshot-out` (or merge several parts of one
    /// organization's scan into one report), offline (no AWS needed).
    #[command(
        after_help = "Examples:\n  vigil evaluate fixtures/snapshots/demo-org.json --format json\n  vigil evaluate part-1.json part-2.json --format json   # merged: one report\n\nExit codes: 0 clean, 1 failing findings, 2 usage/config/policy error, 3 snapshot was partial or a report could not be written"
    )]
    Evaluate(EvaluateArgs),
    /// Walk the organization once and split its accounts into shards, each scanned on its own
    /// with `vigil scan --shard` (a CI matrix, a Step Functions Distributed Map); merge the
    /// snapshot shards with `vigil evaluate`.
    #[command(
        after_help = "Example:\n  vigil plan --shards 8 --output-dir shards/\n  vigil scan --shard shards/shard-0001.json --snapshot-out out/shard-0001.json   # one per shard\n  vigil evaluate out/shard-*.json --format json\n\nExit codes: 0 written, 2 usage error or nothing could be planned (no credentials, endpoint unreachable), 3 the plan was written but some Organizations data could not be read (error records in the shards)"
    )]
    Plan(PlanArgs),
    /// Replay change events (a CloudTrail event as EventBridge delivers it, an SQS batch of
    /// them, or a CloudTrail log file): print what they change and re-evaluate exactly that.
    #[command(
        after_help = "Examples:\n  vigil event fixtures/events/sqs/batch.json --dry-run\n  vigil event pitr-off.json --endpoint-url http://127.0.0.1:5000 --format json\n\nExit codes: 0 clean, 1 failing findings, 2 a message vigil cannot read (nothing scanned) or a usage error, 3 partial"
    )]
    Event(EventArgs),
    /// The rule catalogue: list, show documentation, run Rego unit tests.
    #[command(subcommand)]
    Rules(RulesCommand),
}

#[derive(Debug, Args)]
pub struct EventArgs {
    /// The event file (JSON): one event, an SQS batch (`{"Records": [{"messageId", "body"}]}`)
    /// or a CloudTrail log file (`{"Records": [...]}`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Only print what the events change; no AWS call.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Number of shards (accounts sorted by id, split into contiguous shards whose sizes
    /// differ by at most one).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub shards: u32,
    /// Directory to write `shard-0001.json` ... into (created if missing; shard files already
    /// there are replaced).
    #[arg(long, value_name = "DIR")]
    pub output_dir: PathBuf,
    /// As for `vigil scan`.
    #[arg(long, value_name = "URL", env = "AWS_ENDPOINT_URL", value_parser = parse_url, hide_env_values = true, help_heading = "AWS")]
    pub endpoint_url: Option<String>,
    /// Only these account ids, comma-separated.
    #[arg(long, value_name = "IDS", value_delimiter = ',', value_parser = parse_account_id, help_heading = "Scope")]
    pub accounts: Vec<String>,
    /// Skip these account ids, comma-separated.
    #[arg(long, value_name = "IDS", value_delimiter = ',', value_parser = parse_account_id, help_heading = "Scope")]
    pub exclude_accounts: Vec<String>,
    /// Services the shards will collect, comma-separated [default: all].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_service, help_heading = "Scope")]
    pub services: Vec<String>,
    /// Organizations documents read at once.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256), help_heading = "Scope")]
    pub concurrency: u16,
    /// Page size for list calls (testing aid).
    #[arg(long, hide = true, value_parser = clap::value_parser!(i32).range(1..=1000))]
    pub page_size: Option<i32>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Send every AWS call to this endpoint (a local emulator); also read from AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL", env = "AWS_ENDPOINT_URL", value_parser = parse_url, hide_env_values = true, help_heading = "AWS")]
    pub endpoint_url: Option<String>,
    /// Role assumed in every member account (else `[scan] role_name` of vigil.toml).
    #[arg(long, value_name = "NAME", default_value = "VigilAuditRole", value_parser = parse_role_name, help_heading = "AWS")]
    pub role_name: String,
    /// ExternalId passed to sts:AssumeRole.
    #[arg(long, value_name = "ID", help_heading = "AWS")]
    pub external_id: Option<String>,
    /// Regions to scan, comma-separated, or `all` for every region enabled in each account
    /// [default: the region of your AWS configuration]. Regions not enabled in an account are
    /// skipped there and listed.
    #[arg(long, value_name = "r1,r2", value_delimiter = ',', value_parser = parse_region, help_heading = "Scope")]
    pub regions: Vec<String>,
    /// Only these account ids, comma-separated.
    #[arg(long, value_name = "IDS", value_delimiter = ',', value_parser = parse_account_id, help_heading = "Scope")]
    pub accounts: Vec<String>,
    /// Skip these account ids, comma-separated.
    #[arg(long, value_name = "IDS", value_delimiter = ',', value_parser = parse_account_id, help_heading = "Scope")]
    pub exclude_accounts: Vec<String>,
    /// Services to collect, comma-separated [default: all].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_service, help_heading = "Scope")]
    pub services: Vec<String>,
    /// Collection tasks in flight across the organization.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256), help_heading = "Scope")]
    pub concurrency: u16,
    /// Collection tasks in flight within one account.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64), help_heading = "Scope")]
    pub account_concurrency: u16,
    /// Re-evaluate only this resource, by ARN (repeatable): "did my fix work?". Collects only
    /// its account, region and service; --accounts/--exclude-accounts still apply, --regions
    /// and --services come from the ARNs.
    #[arg(long = "resource", value_name = "ARN", value_parser = parse_resource, help_heading = "Scope", conflicts_with_all = ["regions", "services", "sns_topic_arn", "state_table"])]
    pub resources: Vec<vigil_model::target::Target>,
    /// Scan one shard written by `vigil plan`: its accounts (no organization walk; the
    /// Organizations documents come from the plan) and the plan's services. Write the snapshot
    /// shard with --snapshot-out and merge the shards with `vigil evaluate`.
    #[arg(long, value_name = "FILE", help_heading = "Scope", conflicts_with_all = ["accounts", "exclude_accounts", "services", "resources", "sns_topic_arn", "state_table", "security_hub"])]
    pub shard: Option<PathBuf>,
    /// Print API calls per service and operation on stderr after the scan.
    #[arg(long, help_heading = "Output")]
    pub stats: bool,
    /// Page size for list calls (testing aid; default: each service's maximum).
    #[arg(long, hide = true, value_parser = clap::value_parser!(i32).range(1..=1000))]
    pub page_size: Option<i32>,
    /// Also write every collected document to FILE (evaluate it later with `vigil evaluate`).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub snapshot_out: Option<PathBuf>,
    /// Import the failing findings into AWS Security Hub (ASFF, as `--format asff` writes
    /// them), each account's from inside that account through the audit role, and archive
    /// vigil's earlier findings that pass now. A failed import is exit 3.
    #[arg(long, help_heading = "Output")]
    pub security_hub: bool,
    #[command(flatten)]
    pub notify: Box<NotifyArgs>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `vigil scan`'s notification flags (boxed in [`ScanArgs`]: they are rarely set).
#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// Notify findings to this SNS topic, one message per account, rule and change, with
    /// message attributes severity, account_id, rule_id and change (new|resolved|summary).
    /// Without --state-table every failing finding is notified as new on every run. A message
    /// that cannot be published makes the exit code 3.
    #[arg(long, value_name = "ARN", value_parser = parse_sns_topic_arn, help_heading = "Notifications")]
    pub sns_topic_arn: Option<String>,
    /// DynamoDB table (String partition key `pk`) that records the failing findings, so only
    /// new and resolved ones are notified, and holds the run lock: a run that finds the lock
    /// held by another run exits 0 without scanning. A table name (in the region of your AWS
    /// configuration) or a table ARN.
    #[arg(long, value_name = "NAME", value_parser = parse_state_table, help_heading = "Notifications")]
    pub state_table: Option<String>,
    /// First run with an empty state table: notify a summary plus at most N failing findings
    /// (most severe first); all are recorded [default: 50].
    #[arg(long, value_name = "N", requires = "state_table", value_parser = clap::value_parser!(u32).range(0..=100_000), help_heading = "Notifications")]
    pub first_run_cap: Option<u32>,
    /// Message bodies: `text` (readable lines, then the findings as JSON) or `chatbot` (an AWS
    /// Chatbot / Amazon Q Developer custom notification that Slack and Teams channels
    /// subscribed through Chatbot render). Subject and attributes are the same.
    #[arg(
        long,
        value_name = "FORMAT",
        value_enum,
        default_value = "text",
        requires = "sns_topic_arn",
        help_heading = "Notifications"
    )]
    pub sns_format: SnsFormatArg,
}

/// `--sns-format` / `VIGIL_SNS_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SnsFormatArg {
    Text,
    Chatbot,
}

impl From<SnsFormatArg> for vigil_reports::sns::SnsFormat {
    fn from(f: SnsFormatArg) -> Self {
        match f {
            SnsFormatArg::Text => vigil_reports::sns::SnsFormat::Text,
            SnsFormatArg::Chatbot => vigil_reports::sns::SnsFormat::Chatbot,
        }
    }
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Snapshot file (JSON) written by `vigil scan --snapshot-out`. Several files are parts
    /// of one organization's scan (for example one per shard) and are merged into one report.
    #[arg(value_name = "SNAPSHOT", required = true, num_args = 1..)]
    pub snapshot: Vec<PathBuf>,
    /// The directory `vigil plan` wrote: a shard of the plan without a snapshot (its worker
    /// failed) is then reported as not assessed for exactly its accounts (exit 3), instead of
    /// refusing the merge.
    #[arg(long, value_name = "DIR")]
    pub plan: Option<PathBuf>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args, Clone)]
pub struct PolicyArgs {
    /// Add the rules in DIR (every .rego below it) to the built-in library; repeatable.
    #[arg(long, value_name = "DIR", help_heading = "Policies")]
    pub policies: Vec<PathBuf>,
    /// Override rule parameters with this JSON file (see rules/params.default.json); applied
    /// after the `[params]` table of vigil.toml.
    #[arg(long, value_name = "FILE", help_heading = "Policies")]
    pub params: Option<PathBuf>,
    /// Configuration file [default: ./vigil.toml when it exists].
    #[arg(long, value_name = "FILE", help_heading = "Policies")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// Report format; repeatable. Each --output writes the --format given before it; a
    /// format without an --output goes to stdout (at most one may).
    #[arg(long, value_name = "FORMAT", value_enum, help_heading = "Output")]
    pub format: Vec<Format>,
    /// Write the report of the --format before it to PATH (repeatable). A regular file, or a
    /// new one, is replaced atomically once every report is complete; a symlink's target is
    /// replaced and the link kept; a FIFO, a character device, /dev/stdout or /dev/fd/N
    /// (process substitution: `--output >(gzip > r.json.gz)`) is written in place, never
    /// replaced. A directory or a socket is an error (exit 2).
    #[arg(long, value_name = "PATH", help_heading = "Output")]
    pub output: Vec<PathBuf>,
    /// Exit 1 when a failing finding has this severity or higher; `none` never fails (else
    /// `[scan] fail_on` of vigil.toml).
    #[arg(long, value_name = "SEVERITY", default_value = "low", value_parser = parse_fail_on, help_heading = "Output")]
    pub fail_on: FailOn,
    /// Compare with this earlier JSON report (`--format json`): failing findings are marked
    /// new or unchanged, and findings that no longer fail are listed as resolved.
    #[arg(long, value_name = "REPORT", help_heading = "Output")]
    pub baseline: Option<PathBuf>,
    /// With --baseline: exit 1 only for failures that are new since the baseline.
    #[arg(long, help_heading = "Output")]
    pub fail_on_new: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Failing findings as a terminal table.
    Table,
    /// The versioned `vigil.report/v1` JSON document (every finding).
    Json,
    /// SARIF 2.1.0 (failing findings), for GitHub code scanning.
    Sarif,
    /// One row per finding (every status), spreadsheet-safe.
    Csv,
    /// JUnit XML: one test suite per rule, one test case per finding.
    Junit,
    /// A GitHub-flavoured Markdown summary (for $GITHUB_STEP_SUMMARY and pull-request
    /// comments): counts by severity, new ones, the most severe failing findings.
    Markdown,
    /// A self-contained HTML posture report (no network needed to view it): summary by
    /// severity, a heatmap of the organization, a filterable findings table.
    Html,
    /// OCSF 1.x Compliance Finding events (Amazon Security Lake's schema), one per evaluated
    /// (rule, resource), as a JSON array.
    Ocsf,
    /// AWS Security Finding Format (the findings `--security-hub` imports), as a JSON array.
    Asff,
}

pub use vigil_run::names::{
    parse_account_id, parse_region, parse_role_name, parse_service, parse_sns_topic_arn,
    parse_state_table, parse_url,
};
pub use vigil_run::FailOn;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules (built-in and --policies).
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
        /// Only the rules mapped to this framework's controls, with their control ids.
        #[arg(long, value_enum)]
        framework: Option<FrameworkArg>,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Show a rule's documentation.
    Show {
        /// Rule id, e.g. VGL-LAMBDA-001.
        id: String,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Print the rule catalogue as Markdown (docs/rules.md is this output).
    Docs {
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Run the Rego unit tests (`test_*` rules in *_test.rego) of the built-in library or of DIR.
    Test {
        /// A policy directory; default: the built-in library.
        dir: Option<PathBuf>,
    },
}

/// A framework of `custom.related` (`--framework`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FrameworkArg {
    /// AWS Security Hub Foundational Security Best Practices.
    Fsbp,
    /// CIS AWS Foundations Benchmark v3.0.0.
    Cis,
    /// AWS Config managed rules.
    #[value(name = "aws-config", alias = "aws_config")]
    AwsConfig,
    /// Prowler checks.
    Prowler,
}

impl From<FrameworkArg> for vigil_model::Framework {
    fn from(f: FrameworkArg) -> Self {
        match f {
            FrameworkArg::Fsbp => vigil_model::Framework::Fsbp,
            FrameworkArg::Cis => vigil_model::Framework::Cis,
            FrameworkArg::AwsConfig => vigil_model::Framework::AwsConfig,
            FrameworkArg::Prowler => vigil_model::Framework::Prowler,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

pub fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(FailOn::Never);
    }
    s.parse()
        .map(FailOn::Severity)
        .map_err(|_| format!("'{s}' is not a severity (critical, high, medium, low, info) or none"))
}

/// `--resource ARN`: a resource vigil collects.
pub fn parse_resource(s: &str) -> Result<vigil_model::target::Target, String> {
    vigil_model::target::Target::from_arn(s.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn fail_on_takes_a_severity_or_none() {
        assert_eq!(parse_fail_on("NONE").unwrap(), FailOn::Never);
        assert!(parse_fail_on("urgent").is_err());
    }
}
