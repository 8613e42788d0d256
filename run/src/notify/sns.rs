//! Publishing to SNS. The messages themselves are built by [`vigil_reports::sns`] (pure);
//! this module sends them and reports every one that could not be sent: nothing is dropped
//! silently. Retries are the SDK's (its standard retry mode, configured once for every client
//! of a run): a message is one `Publish` call.

use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::types::MessageAttributeValue;
use aws_types::region::Region;
use aws_types::SdkConfig;
use serde::Serialize;
use std::collections::HashSet;
use vigil_reports::sns::Message;

/// A message that could not be published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishFailure {
    pub subject: String,
    /// The message's `change` attribute.
    pub change: String,
    pub fingerprints: Vec<String>,
    pub findings: usize,
    pub code: String,
    pub message: String,
    /// Attempts the SDK made: its maximum for a transient error, 1 for a permanent one.
    pub attempts: u32,
}

/// What a publish did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PublishReport {
    pub messages_sent: usize,
    /// Findings in the messages sent.
    pub findings_notified: usize,
    /// Of those, `change` = new.
    pub new_notified: usize,
    /// Of those, `change` = resolved.
    pub resolved_notified: usize,
    /// A summary message was sent.
    pub summary_sent: bool,
    pub failures: Vec<PublishFailure>,
}

impl PublishReport {
    /// Fingerprints carried by a message that could not be published.
    pub fn unnotified(&self) -> HashSet<String> {
        self.failures
            .iter()
            .flat_map(|f| f.fingerprints.iter().cloned())
            .collect()
    }
}

/// Publishes to one SNS topic.
#[derive(Debug, Clone)]
pub struct SnsPublisher {
    client: aws_sdk_sns::Client,
    topic_arn: String,
    max_attempts: u32,
    /// The `trigger` attribute of every message: `schedule` or `event`.
    trigger: &'static str,
}

impl SnsPublisher {
    /// A client for `topic_arn`, in the topic's region (from the ARN), with the
    /// configuration's credentials and retry policy.
    pub fn new(config: &SdkConfig, topic_arn: &str) -> SnsPublisher {
        let mut builder = aws_sdk_sns::config::Builder::from(config);
        if let Some(region) = topic_arn.split(':').nth(3).filter(|r| !r.is_empty()) {
            builder = builder.region(Region::new(region.to_string()));
        }
        SnsPublisher {
            client: aws_sdk_sns::Client::from_conf(builder.build()),
            topic_arn: topic_arn.to_string(),
            max_attempts: config.retry_config().map_or(1, |r| r.max_attempts()),
            trigger: "schedule",
        }
    }

    /// Messages of a change event (attribute `trigger` = `event`; `schedule` otherwise).
    pub fn for_events(mut self) -> SnsPublisher {
        self.trigger = "event";
        self
    }

    /// Publishes every message in order; failures are collected.
    pub async fn publish(&self, messages: &[Message]) -> PublishReport {
        let mut report = PublishReport::default();
        for m in messages {
            match self.publish_one(m).await {
                Ok(()) => {
                    report.messages_sent += 1;
                    report.findings_notified += m.findings;
                    match m.change() {
                        "new" => report.new_notified += m.findings,
                        "resolved" => report.resolved_notified += m.findings,
                        "summary" => report.summary_sent = true,
                        _ => {}
                    }
                }
                Err(f) => report.failures.push(f),
            }
        }
        report
    }

    async fn publish_one(&self, m: &Message) -> Result<(), PublishFailure> {
        let mut req = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&m.subject)
            .message(&m.body);
        let trigger = ("trigger".to_string(), self.trigger.to_string());
        for (k, v) in m.attributes.iter().chain([(&trigger.0, &trigger.1)]) {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .expect("a message attribute with a data type");
            req = req.message_attributes(k, value);
        }
        let err = match req.send().await {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        let vigil_scanner::aws::AwsError { code, message, .. } =
            vigil_scanner::aws::aws_error("Publish", &err);
        Err(PublishFailure {
            subject: m.subject.clone(),
            change: m.change().to_string(),
            fingerprints: m.fingerprints.clone(),
            findings: m.findings,
            attempts: if is_transient(&err) {
                self.max_attempts
            } else {
                1
            },
            code,
            message,
        })
    }
}

/// Whether the SDK's standard retry mode retries this error (throttling, 5xx, network).
fn is_transient<E>(err: &SdkError<E>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(_) => {
            err.raw_response()
                .is_some_and(|r| r.status().as_u16() >= 500)
                || crate::retryable_code(err.code().unwrap_or_default())
        }
        _ => false,
    }
}
