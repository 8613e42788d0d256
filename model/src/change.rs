//! What a change event changed: CloudTrail records, as EventBridge delivers them (often through
//! an SQS queue), mapped to the documents vigil collects.
//!
//! The event path of the continuous mode reads an SQS batch ([`parse_sqs_batch`]), parses each
//! message body as an EventBridge event ([`Envelope::parse`]), maps the CloudTrail record it
//! carries to what changed ([`changes`]) and merges the changes of the batch ([`coalesce`]).
//! Every supported event is one row of [`SUPPORTED`], from which the documentation of the
//! supported events can be written.
//!
//! The mapping fails closed: an input that is not a CloudTrail event, or a supported event
//! that lacks the field naming its resource, is an error ([`ChangeError`]) and never a silent
//! "nothing changed". Events vigil does not map are [`Outcome::Unsupported`] (to be counted),
//! and calls that changed nothing (a failed call, a dry run, an account creation still in
//! progress) are [`Outcome::Ignored`] with the reason.
//!
//! Resource ids are the ones the collectors give their documents (`resourceId`): a function
//! name, a REST or HTTP API id, a table name, a key id, `layer-name:version`, a domain name (with
//! `+domainNameId` for a private one), `account/region` for the Config set-up of a region, the
//! account id for account documents. Events may name a resource by ARN, partial ARN or
//! qualified name: the mapping normalises them, and an ARN's account and region (when it has
//! them) identify the resource rather than the account and region that recorded the event
//! (a cross-account call is recorded in the caller's account too).

use crate::GLOBAL;
use serde_json::Value;
use std::collections::HashMap;

/// `detail-type` of the EventBridge events that carry a CloudTrail record of an API call.
pub const DETAIL_TYPE_API_CALL: &str = "AWS API Call via CloudTrail";
/// `detail-type` of the EventBridge events that carry a CloudTrail record of an action AWS took
/// itself (`eventType` `AwsServiceEvent`: a key deleted after its waiting period, an account
/// creation that finished).
pub const DETAIL_TYPE_SERVICE_EVENT: &str = "AWS Service Event via CloudTrail";

const LAMBDA: &str = "lambda.amazonaws.com";
const APIGATEWAY: &str = "apigateway.amazonaws.com";
const DYNAMODB: &str = "dynamodb.amazonaws.com";
const KMS: &str = "kms.amazonaws.com";
const ORGANIZATIONS: &str = "organizations.amazonaws.com";
const CONFIG: &str = "config.amazonaws.com";

const FUNCTION: &str = "AWS::Lambda::Function";
const LAYER_VERSION: &str = "AWS::Lambda::LayerVersion";
const REST_API: &str = "AWS::ApiGateway::RestApi";
const HTTP_API: &str = "AWS::ApiGatewayV2::Api";
const DOMAIN_NAME: &str = "AWS::ApiGateway::DomainName";
const TABLE: &str = "AWS::DynamoDB::Table";
const KEY: &str = "AWS::KMS::Key";
const ACCOUNT: &str = "AWS::Organizations::Account";
const CONFIG_REGION: &str = "AWS::Config::Region";
const CONFIG_ACCOUNT: &str = "AWS::Config::Account";
const CONFIG_ORGANIZATION: &str = "AWS::Config::Organization";

/// One CloudTrail record: the fields the mapping reads, lifted out of the record.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudTrailEvent {
    /// `eventID`: the same for every delivery of the same record.
    pub event_id: String,
    /// `eventSource` (`lambda.amazonaws.com`).
    pub event_source: String,
    /// `eventName` as recorded (`UpdateFunctionConfiguration20150331v2`).
    pub event_name: String,
    /// `eventTime`, `YYYY-MM-DDThh:mm:ssZ` (checked when parsed, so it sorts as text).
    pub event_time: String,
    /// `eventType` (`AwsApiCall`, `AwsServiceEvent`), when the record has one.
    pub event_type: Option<String>,
    /// The account the record belongs to: `recipientAccountId`, else the EventBridge
    /// envelope's `account`.
    pub account: String,
    /// `awsRegion`, else the EventBridge envelope's `region`.
    pub region: String,
    /// `requestParameters` (`null` when absent).
    pub request_parameters: Value,
    /// `responseElements` (`null` when absent).
    pub response_elements: Value,
    /// `serviceEventDetails` of service events (`null` when absent).
    pub service_event_details: Value,
    /// `resources` (`null` when absent): the ARNs some services name there.
    pub resources: Value,
    /// `readOnly`, when the record says.
    pub read_only: Option<bool>,
    /// `errorCode` of a call that failed.
    pub error_code: Option<String>,
}

/// A parsed change event: an EventBridge event carrying a CloudTrail record, or a bare
/// CloudTrail record (as in CloudTrail log files and the AWS documentation), for replays.
#[derive(Debug, Clone, PartialEq)]
pub enum Envelope {
    /// An EventBridge event of `detail-type` [`DETAIL_TYPE_API_CALL`] or
    /// [`DETAIL_TYPE_SERVICE_EVENT`].
    EventBridge {
        /// The EventBridge event `id`.
        id: String,
        /// Its `detail-type`.
        detail_type: String,
        /// The CloudTrail record in `detail`.
        event: CloudTrailEvent,
    },
    /// A CloudTrail record without an envelope.
    Record(CloudTrailEvent),
}

/// What an event changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// These documents (or groups of documents) must be collected and evaluated again.
    Changed(Vec<Change>),
    /// vigil does not map this event: count it and move on.
    Unsupported {
        /// `eventSource` of the event.
        event_source: String,
        /// `eventName` of the event.
        event_name: String,
    },
    /// A supported event that changed nothing vigil collects (a failed call, a dry run, an
    /// account creation still in progress, ...).
    Ignored {
        /// Why nothing changed, for the log line.
        reason: String,
    },
}

/// One document to collect and evaluate again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceChange {
    /// The account that owns the resource.
    pub account_id: String,
    /// Its region; [`GLOBAL`] for account documents and the account roll-up.
    pub region: String,
    /// Its `resourceType`, one of [`RESOURCE_TYPES`](crate::RESOURCE_TYPES).
    pub resource_type: &'static str,
    /// Its `resourceId`, as the collector writes it.
    pub resource_id: String,
    /// The resource is gone: its failures are resolved, nothing is collected.
    pub deleted: bool,
}

/// Something an event changed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    /// One document.
    Resource(ResourceChange),
    /// Every account under this target (a root `r-…`, an OU `ou-…` or an account id): their
    /// organization documents (`AWS::Organizations::Account`: SCP chain, policies, place in
    /// the organization) must be evaluated again. An account id alone means that account
    /// (moved, joined, closed).
    OrgTarget {
        /// Root, OU or account id.
        target_id: String,
    },
    /// A policy whose content changed: every target it is attached to (the caller lists them
    /// with `ListTargetsForPolicy`), as for [`Change::OrgTarget`].
    OrgPolicy {
        /// Policy id (`p-…`).
        policy_id: String,
    },
    /// The `AWS::Config::Organization` roll-up of the organization whose management account
    /// is `account_id`. Its `resourceId` is the organization id, which the event does not
    /// carry: the caller knows it.
    ConfigOrganization {
        /// The account where the aggregator changed.
        account_id: String,
    },
}

impl Change {
    /// The change without its `deleted` flag: what identifies the document (or group) it
    /// names, for merging.
    fn identity(&self) -> Change {
        match self {
            Change::Resource(r) => Change::Resource(ResourceChange {
                deleted: false,
                ..r.clone()
            }),
            other => other.clone(),
        }
    }
}

/// Why an input could not be mapped. Each names what was wrong and, where there is one, the
/// event it was wrong in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// An SQS message body that is not JSON.
    #[error("message body is not JSON: {0}")]
    NotJson(String),
    /// JSON that is not an EventBridge CloudTrail event (nor a CloudTrail record).
    #[error("not a CloudTrail event delivered by EventBridge: {0}")]
    NotCloudTrail(String),
    /// An input to [`parse_sqs_batch`] that is not a Lambda SQS event.
    #[error("not an SQS batch: {0}")]
    NotSqsBatch(String),
    /// A field the event must have is missing or has an unusable value.
    #[error("event {event_id} ({event}): field `{field}` {problem}")]
    Field {
        /// `eventID` of the record, or the EventBridge `id` when the record has none.
        event_id: String,
        /// `eventSource eventName`, or `EventBridge event` before the record is read.
        event: String,
        /// Dotted path of the field (`requestParameters.functionName`); alternatives are
        /// joined by ` or `.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// How a supported event is mapped.
type Mapper = fn(&CloudTrailEvent) -> Result<Outcome, ChangeError>;

/// One supported event: a row of the documentation of the continuous mode.
#[derive(Debug, Clone, Copy)]
pub struct SupportedEvent {
    /// `eventSource` of the event.
    pub event_source: &'static str,
    /// The API operation (`UpdateFunctionConfiguration`). The event's `eventName` matches when
    /// it is the operation, optionally followed by an API version (`20150331`, `20150331v2`):
    /// Lambda records carry one.
    pub operation: &'static str,
    /// `eventName` as AWS documents it for this operation.
    pub event_name: &'static str,
    /// The resource types whose documents it re-evaluates, each one of
    /// [`RESOURCE_TYPES`](crate::RESOURCE_TYPES) (organization targets and policies re-evaluate
    /// `AWS::Organizations::Account` documents).
    pub resource_types: &'static [&'static str],
    /// What changed, in a few words.
    pub effect: &'static str,
    map: Mapper,
}

const fn row(
    event_source: &'static str,
    operation: &'static str,
    event_name: &'static str,
    resource_types: &'static [&'static str],
    effect: &'static str,
    map: Mapper,
) -> SupportedEvent {
    SupportedEvent {
        event_source,
        operation,
        event_name,
        resource_types,
        effect,
        map,
    }
}

/// Every event vigil maps to changed documents.
#[rustfmt::skip]
pub static SUPPORTED: &[SupportedEvent] = &[
    // Lambda functions.
    row(LAMBDA, "CreateFunction", "CreateFunction20150331", &[FUNCTION], "new function", function),
    row(LAMBDA, "UpdateFunctionConfiguration", "UpdateFunctionConfiguration20150331v2", &[FUNCTION], "runtime, VPC, environment, KMS key, tracing, layers", function),
    row(LAMBDA, "UpdateFunctionCode", "UpdateFunctionCode20150331v2", &[FUNCTION], "code, package type, architecture", function),
    row(LAMBDA, "DeleteFunction", "DeleteFunction20150331", &[FUNCTION], "function deleted (with a qualifier: one version deleted, the function re-evaluated)", delete_function),
    row(LAMBDA, "AddPermission", "AddPermission20150331v2", &[FUNCTION], "resource policy", function),
    row(LAMBDA, "RemovePermission", "RemovePermission20150331v2", &[FUNCTION], "resource policy", function),
    row(LAMBDA, "CreateFunctionUrlConfig", "CreateFunctionUrlConfig", &[FUNCTION], "function URL (auth type, CORS)", function),
    row(LAMBDA, "UpdateFunctionUrlConfig", "UpdateFunctionUrlConfig", &[FUNCTION], "function URL (auth type, CORS)", function),
    row(LAMBDA, "DeleteFunctionUrlConfig", "DeleteFunctionUrlConfig", &[FUNCTION], "function URL removed", function),
    row(LAMBDA, "PutFunctionEventInvokeConfig", "PutFunctionEventInvokeConfig", &[FUNCTION], "asynchronous invocation destinations", function),
    row(LAMBDA, "UpdateFunctionEventInvokeConfig", "UpdateFunctionEventInvokeConfig", &[FUNCTION], "asynchronous invocation destinations", function),
    row(LAMBDA, "DeleteFunctionEventInvokeConfig", "DeleteFunctionEventInvokeConfig", &[FUNCTION], "asynchronous invocation destinations removed", function),
    row(LAMBDA, "PutFunctionCodeSigningConfig", "PutFunctionCodeSigningConfig", &[FUNCTION], "code signing configuration attached", function),
    row(LAMBDA, "DeleteFunctionCodeSigningConfig", "DeleteFunctionCodeSigningConfig", &[FUNCTION], "code signing configuration detached", function),
    row(LAMBDA, "PublishVersion", "PublishVersion20150331", &[FUNCTION], "new version (qualifier policies)", function),
    row(LAMBDA, "CreateAlias", "CreateAlias20150331", &[FUNCTION], "new alias (qualifier policies)", function),
    row(LAMBDA, "UpdateAlias", "UpdateAlias20150331", &[FUNCTION], "alias (qualifier policies)", function),
    row(LAMBDA, "DeleteAlias", "DeleteAlias20150331", &[FUNCTION], "alias removed (qualifier policies)", function),
    row(LAMBDA, "TagResource", "TagResource20170331v2", &[FUNCTION], "tags", lambda_tags),
    row(LAMBDA, "UntagResource", "UntagResource20170331v2", &[FUNCTION], "tags", lambda_tags),
    // Lambda layer versions.
    row(LAMBDA, "PublishLayerVersion", "PublishLayerVersion20181031", &[LAYER_VERSION], "new layer version", layer_version),
    row(LAMBDA, "AddLayerVersionPermission", "AddLayerVersionPermission", &[LAYER_VERSION], "layer version policy", layer_version),
    row(LAMBDA, "RemoveLayerVersionPermission", "RemoveLayerVersionPermission", &[LAYER_VERSION], "layer version policy", layer_version),
    row(LAMBDA, "DeleteLayerVersion", "DeleteLayerVersion", &[LAYER_VERSION], "layer version deleted", delete_layer_version),
    // API Gateway REST APIs (v1).
    row(APIGATEWAY, "CreateRestApi", "CreateRestApi", &[REST_API], "new REST API", created_rest_api),
    row(APIGATEWAY, "ImportRestApi", "ImportRestApi", &[REST_API], "new REST API", created_rest_api),
    row(APIGATEWAY, "PutRestApi", "PutRestApi", &[REST_API], "REST API definition replaced", rest_api),
    row(APIGATEWAY, "UpdateRestApi", "UpdateRestApi", &[REST_API], "REST API settings, resource policy", rest_api),
    row(APIGATEWAY, "DeleteRestApi", "DeleteRestApi", &[REST_API], "REST API deleted", delete_rest_api),
    row(APIGATEWAY, "PutMethod", "PutMethod", &[REST_API], "method (authorization type)", rest_api),
    row(APIGATEWAY, "UpdateMethod", "UpdateMethod", &[REST_API], "method (authorization type)", rest_api),
    row(APIGATEWAY, "DeleteMethod", "DeleteMethod", &[REST_API], "method removed", rest_api),
    row(APIGATEWAY, "DeleteResource", "DeleteResource", &[REST_API], "resource and its methods removed", rest_api),
    // API Gateway HTTP and WebSocket APIs (v2).
    row(APIGATEWAY, "CreateApi", "CreateApi", &[HTTP_API], "new HTTP or WebSocket API", created_http_api),
    row(APIGATEWAY, "ImportApi", "ImportApi", &[HTTP_API], "new HTTP API", created_http_api),
    row(APIGATEWAY, "ReimportApi", "ReimportApi", &[HTTP_API], "HTTP API definition replaced", http_api),
    row(APIGATEWAY, "UpdateApi", "UpdateApi", &[HTTP_API], "API settings", http_api),
    row(APIGATEWAY, "DeleteApi", "DeleteApi", &[HTTP_API], "API deleted", delete_http_api),
    row(APIGATEWAY, "CreateRoute", "CreateRoute", &[HTTP_API], "new route (authorization type)", http_api),
    row(APIGATEWAY, "UpdateRoute", "UpdateRoute", &[HTTP_API], "route (authorization type)", http_api),
    row(APIGATEWAY, "DeleteRoute", "DeleteRoute", &[HTTP_API], "route removed", http_api),
    // Both: the request names `restApiId` (v1) or `apiId` (v2).
    row(APIGATEWAY, "CreateStage", "CreateStage", &[REST_API, HTTP_API], "new stage (logging, tracing, cache)", either_api),
    row(APIGATEWAY, "UpdateStage", "UpdateStage", &[REST_API, HTTP_API], "stage (logging, tracing, cache)", either_api),
    row(APIGATEWAY, "DeleteStage", "DeleteStage", &[REST_API, HTTP_API], "stage removed", either_api),
    row(APIGATEWAY, "CreateDeployment", "CreateDeployment", &[REST_API, HTTP_API], "deployment (may create a stage)", either_api),
    row(APIGATEWAY, "TagResource", "TagResource", &[REST_API, HTTP_API, DOMAIN_NAME], "tags", apigateway_tags),
    row(APIGATEWAY, "UntagResource", "UntagResource", &[REST_API, HTTP_API, DOMAIN_NAME], "tags", apigateway_tags),
    // Custom domain names (both APIs manage the same names).
    row(APIGATEWAY, "CreateDomainName", "CreateDomainName", &[DOMAIN_NAME], "new custom domain name", domain_name),
    row(APIGATEWAY, "UpdateDomainName", "UpdateDomainName", &[DOMAIN_NAME], "TLS policy, endpoint, policy", domain_name),
    row(APIGATEWAY, "DeleteDomainName", "DeleteDomainName", &[DOMAIN_NAME], "custom domain name deleted", delete_domain_name),
    // DynamoDB tables.
    row(DYNAMODB, "CreateTable", "CreateTable", &[TABLE], "new table", table),
    row(DYNAMODB, "UpdateTable", "UpdateTable", &[TABLE], "billing mode, encryption, deletion protection", table),
    row(DYNAMODB, "DeleteTable", "DeleteTable", &[TABLE], "table deleted", delete_table),
    row(DYNAMODB, "UpdateContinuousBackups", "UpdateContinuousBackups", &[TABLE], "point-in-time recovery", table),
    row(DYNAMODB, "PutResourcePolicy", "PutResourcePolicy", &[TABLE], "resource policy", table_by_arn),
    row(DYNAMODB, "DeleteResourcePolicy", "DeleteResourcePolicy", &[TABLE], "resource policy removed", table_by_arn),
    row(DYNAMODB, "TagResource", "TagResource", &[TABLE], "tags", table_by_arn),
    row(DYNAMODB, "UntagResource", "UntagResource", &[TABLE], "tags", table_by_arn),
    row(DYNAMODB, "RestoreTableFromBackup", "RestoreTableFromBackup", &[TABLE], "new table restored from a backup", restored_table),
    row(DYNAMODB, "RestoreTableToPointInTime", "RestoreTableToPointInTime", &[TABLE], "new table restored to a point in time", restored_table),
    // KMS keys.
    row(KMS, "CreateKey", "CreateKey", &[KEY], "new key", key),
    row(KMS, "PutKeyPolicy", "PutKeyPolicy", &[KEY], "key policy", key),
    row(KMS, "ScheduleKeyDeletion", "ScheduleKeyDeletion", &[KEY], "key pending deletion", key),
    row(KMS, "CancelKeyDeletion", "CancelKeyDeletion", &[KEY], "deletion cancelled", key),
    row(KMS, "DeleteKey", "DeleteKey", &[KEY], "key deleted at the end of its waiting period (service event)", delete_key),
    row(KMS, "DisableKey", "DisableKey", &[KEY], "key disabled", key),
    row(KMS, "EnableKey", "EnableKey", &[KEY], "key enabled", key),
    row(KMS, "EnableKeyRotation", "EnableKeyRotation", &[KEY], "automatic rotation", key),
    row(KMS, "DisableKeyRotation", "DisableKeyRotation", &[KEY], "automatic rotation", key),
    row(KMS, "UpdateKeyDescription", "UpdateKeyDescription", &[KEY], "description", key),
    row(KMS, "ImportKeyMaterial", "ImportKeyMaterial", &[KEY], "key material imported (key state)", key),
    row(KMS, "DeleteImportedKeyMaterial", "DeleteImportedKeyMaterial", &[KEY], "key material deleted (key state)", key),
    row(KMS, "DeleteExpiredKeyMaterial", "DeleteExpiredKeyMaterial", &[KEY], "expired key material deleted (service event)", key),
    row(KMS, "TagResource", "TagResource", &[KEY], "tags", key),
    row(KMS, "UntagResource", "UntagResource", &[KEY], "tags", key),
    row(KMS, "ReplicateKey", "ReplicateKey", &[KEY], "new replica key in another region (and the primary)", replicate_key),
    row(KMS, "UpdatePrimaryRegion", "UpdatePrimaryRegion", &[KEY], "primary region of a multi-Region key (both regions)", update_primary_region),
    // Organizations.
    row(ORGANIZATIONS, "AttachPolicy", "AttachPolicy", &[ACCOUNT], "policy attached: every account under the target", attach_policy),
    row(ORGANIZATIONS, "DetachPolicy", "DetachPolicy", &[ACCOUNT], "policy detached: every account under the target", attach_policy),
    row(ORGANIZATIONS, "UpdatePolicy", "UpdatePolicy", &[ACCOUNT], "policy content: every account under its targets", update_policy),
    row(ORGANIZATIONS, "EnablePolicyType", "EnablePolicyType", &[ACCOUNT], "policy type enabled in a root: every account", policy_type),
    row(ORGANIZATIONS, "DisablePolicyType", "DisablePolicyType", &[ACCOUNT], "policy type disabled in a root: every account", policy_type),
    row(ORGANIZATIONS, "MoveAccount", "MoveAccount", &[ACCOUNT], "account moved: its policy chain", move_account),
    row(ORGANIZATIONS, "CreateAccount", "CreateAccount", &[ACCOUNT], "account joins (when the response names it; else CreateAccountResult does)", create_account),
    row(ORGANIZATIONS, "CreateAccountResult", "CreateAccountResult", &[ACCOUNT], "account created and joined (service event)", create_account_result),
    row(ORGANIZATIONS, "InviteAccountToOrganization", "InviteAccountToOrganization", &[ACCOUNT], "nothing yet: the account joins with AcceptHandshake", invite_account),
    row(ORGANIZATIONS, "AcceptHandshake", "AcceptHandshake", &[ACCOUNT], "invited account joined", accept_handshake),
    row(ORGANIZATIONS, "CloseAccount", "CloseAccount", &[ACCOUNT], "account closed (status)", move_account),
    row(ORGANIZATIONS, "RemoveAccountFromOrganization", "RemoveAccountFromOrganization", &[ACCOUNT], "account removed from the organization", remove_account),
    row(ORGANIZATIONS, "LeaveOrganization", "LeaveOrganization", &[ACCOUNT], "account left the organization", leave_organization),
    // AWS Config.
    row(CONFIG, "PutConfigurationRecorder", "PutConfigurationRecorder", &[CONFIG_REGION, CONFIG_ACCOUNT], "recorder (recording group)", config_recorder),
    row(CONFIG, "DeleteConfigurationRecorder", "DeleteConfigurationRecorder", &[CONFIG_REGION, CONFIG_ACCOUNT], "recorder deleted", config_recorder),
    row(CONFIG, "StartConfigurationRecorder", "StartConfigurationRecorder", &[CONFIG_REGION, CONFIG_ACCOUNT], "recorder started", config_recorder),
    row(CONFIG, "StopConfigurationRecorder", "StopConfigurationRecorder", &[CONFIG_REGION, CONFIG_ACCOUNT], "recorder stopped", config_recorder),
    row(CONFIG, "PutServiceLinkedConfigurationRecorder", "PutServiceLinkedConfigurationRecorder", &[CONFIG_REGION, CONFIG_ACCOUNT], "service-linked recorder", config_recorder),
    row(CONFIG, "DeleteServiceLinkedConfigurationRecorder", "DeleteServiceLinkedConfigurationRecorder", &[CONFIG_REGION, CONFIG_ACCOUNT], "service-linked recorder deleted", config_recorder),
    row(CONFIG, "AssociateResourceTypes", "AssociateResourceTypes", &[CONFIG_REGION, CONFIG_ACCOUNT], "recorded resource types", config_recorder),
    row(CONFIG, "DisassociateResourceTypes", "DisassociateResourceTypes", &[CONFIG_REGION, CONFIG_ACCOUNT], "recorded resource types", config_recorder),
    row(CONFIG, "PutDeliveryChannel", "PutDeliveryChannel", &[CONFIG_REGION], "delivery channel (SNS topic)", config_channel),
    row(CONFIG, "DeleteDeliveryChannel", "DeleteDeliveryChannel", &[CONFIG_REGION], "delivery channel deleted", config_channel),
    row(CONFIG, "PutConfigurationAggregator", "PutConfigurationAggregator", &[CONFIG_REGION, CONFIG_ORGANIZATION], "aggregator", config_aggregator),
    row(CONFIG, "DeleteConfigurationAggregator", "DeleteConfigurationAggregator", &[CONFIG_REGION, CONFIG_ORGANIZATION], "aggregator deleted", config_aggregator),
];

/// Every supported event (the rows of [`SUPPORTED`]).
pub fn supported_events() -> &'static [SupportedEvent] {
    SUPPORTED
}

/// The supported event of this `eventSource` and `eventName`, if any.
pub fn lookup(event_source: &str, event_name: &str) -> Option<&'static SupportedEvent> {
    let operation = operation_name(event_name);
    SUPPORTED
        .iter()
        .find(|s| s.event_source == event_source && s.operation == operation)
}

/// The API operation of an `eventName`: the name without the API version Lambda appends
/// (`UpdateFunctionConfiguration20150331v2` → `UpdateFunctionConfiguration`). The Lambda
/// documentation: "the eventName might include date and version information, but it is still
/// referring to the same public API action".
pub fn operation_name(event_name: &str) -> &str {
    let bytes = event_name.as_bytes();
    let digits_before = |end: usize| {
        bytes[..end]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut end = bytes.len();
    // An optional `v<digits>` ...
    let tail = digits_before(end);
    if tail > 0 && end > tail && bytes[end - tail - 1] == b'v' {
        end -= tail + 1;
    }
    // ... after an 8-digit date.
    if digits_before(end) == 8 && end > 8 {
        &event_name[..end - 8]
    } else {
        event_name
    }
}

/// What `ev` changed. Unsupported events and calls that changed nothing are `Ok`; a supported
/// event without the fields that name its resource is an error.
pub fn changes(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    let Some(supported) = lookup(&ev.event_source, &ev.event_name) else {
        return Ok(Outcome::Unsupported {
            event_source: ev.event_source.clone(),
            event_name: ev.event_name.clone(),
        });
    };
    if let Some(code) = &ev.error_code {
        return Ok(Outcome::Ignored {
            reason: format!("the call failed ({code}): nothing changed"),
        });
    }
    if ev.get("requestParameters.dryRun") == Some(&Value::Bool(true)) {
        return Ok(Outcome::Ignored {
            reason: "a dry run: nothing changed".into(),
        });
    }
    (supported.map)(ev)
}

impl Envelope {
    /// Parses an EventBridge event carrying a CloudTrail record (or a bare CloudTrail record).
    pub fn parse(value: &Value) -> Result<Envelope, ChangeError> {
        let Some(obj) = value.as_object() else {
            return Err(ChangeError::NotCloudTrail(format!(
                "expected a JSON object, got {}",
                kind(value)
            )));
        };
        if let Some(detail_type) = obj.get("detail-type") {
            let id = obj.get("id").and_then(Value::as_str).unwrap_or_default();
            let envelope_error = |field: &str, problem: &str| ChangeError::Field {
                event_id: if id.is_empty() {
                    "(no id)".into()
                } else {
                    id.into()
                },
                event: "EventBridge event".into(),
                field: field.into(),
                problem: problem.into(),
            };
            let Some(detail_type) = detail_type.as_str() else {
                return Err(envelope_error("detail-type", "is not a string"));
            };
            if detail_type != DETAIL_TYPE_API_CALL && detail_type != DETAIL_TYPE_SERVICE_EVENT {
                let source = obj.get("source").and_then(Value::as_str).unwrap_or("?");
                return Err(ChangeError::NotCloudTrail(format!(
                    "event {id} has detail-type {detail_type:?} (source {source}); expected \
                     {DETAIL_TYPE_API_CALL:?} or {DETAIL_TYPE_SERVICE_EVENT:?}"
                )));
            }
            if id.is_empty() {
                return Err(envelope_error("id", "is missing"));
            }
            let Some(detail) = obj.get("detail").filter(|d| d.is_object()) else {
                return Err(envelope_error("detail", "is missing or not an object"));
            };
            let fallback = Fallback {
                account: obj.get("account").and_then(Value::as_str),
                region: obj.get("region").and_then(Value::as_str),
                id,
            };
            let event = CloudTrailEvent::from_record(detail, &fallback)?;
            return Ok(Envelope::EventBridge {
                id: id.to_string(),
                detail_type: detail_type.to_string(),
                event,
            });
        }
        if obj.contains_key("eventSource") && obj.contains_key("eventName") {
            let fallback = Fallback {
                account: None,
                region: None,
                id: "",
            };
            return CloudTrailEvent::from_record(value, &fallback).map(Envelope::Record);
        }
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).take(8).collect();
        keys.sort_unstable();
        let hint = if obj.get("Records").is_some_and(Value::is_array) {
            " (an SQS batch or a CloudTrail log file: read it with parse_sqs_batch or parse_input)"
        } else if obj.get("Type").and_then(Value::as_str) == Some("Notification") {
            " (an SNS notification: deliver the EventBridge event itself, raw)"
        } else {
            ""
        };
        Err(ChangeError::NotCloudTrail(format!(
            "no `detail-type` and no `eventSource`/`eventName`; top-level keys: {}{hint}",
            keys.join(", ")
        )))
    }

    /// Parses the text of an event (an SQS message body, a file).
    pub fn parse_str(text: &str) -> Result<Envelope, ChangeError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| ChangeError::NotJson(not_json(&e, text)))?;
        Envelope::parse(&value)
    }

    /// The CloudTrail record.
    pub fn event(&self) -> &CloudTrailEvent {
        match self {
            Envelope::EventBridge { event, .. } | Envelope::Record(event) => event,
        }
    }

    /// The CloudTrail record, owned.
    pub fn into_event(self) -> CloudTrailEvent {
        match self {
            Envelope::EventBridge { event, .. } | Envelope::Record(event) => event,
        }
    }
}

/// What the EventBridge envelope offers when the record lacks it.
struct Fallback<'a> {
    account: Option<&'a str>,
    region: Option<&'a str>,
    id: &'a str,
}

impl CloudTrailEvent {
    fn from_record(
        record: &Value,
        fallback: &Fallback<'_>,
    ) -> Result<CloudTrailEvent, ChangeError> {
        let text = |key: &str| {
            record
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let event_source = text("eventSource").unwrap_or_default();
        let event_name = text("eventName").unwrap_or_default();
        let event_id = text("eventID").unwrap_or_default();
        let error = |field: &str, problem: &str| ChangeError::Field {
            event_id: match (event_id, fallback.id) {
                ("", "") => "(no eventID)".into(),
                ("", id) => id.into(),
                (id, _) => id.into(),
            },
            event: format!("{event_source} {event_name}").trim().to_string(),
            field: field.into(),
            problem: problem.into(),
        };
        let missing = "is missing or not a non-empty string";
        if event_source.is_empty() {
            return Err(error("eventSource", missing));
        }
        if event_name.is_empty() {
            return Err(error("eventName", missing));
        }
        if event_id.is_empty() {
            return Err(error("eventID", missing));
        }
        let event_time = text("eventTime").ok_or_else(|| error("eventTime", missing))?;
        if !is_cloudtrail_time(event_time) {
            return Err(error(
                "eventTime",
                &format!("is {event_time:?}, not YYYY-MM-DDThh:mm:ssZ"),
            ));
        }
        let account = text("recipientAccountId")
            .or(fallback.account.filter(|a| !a.is_empty()))
            .ok_or_else(|| error("recipientAccountId", "is missing (and no envelope account)"))?;
        let region = text("awsRegion")
            .or(fallback.region.filter(|r| !r.is_empty()))
            .ok_or_else(|| error("awsRegion", "is missing (and no envelope region)"))?;
        let read_only = match record.get("readOnly") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) if s == "true" || s == "false" => Some(s == "true"),
            Some(_) => return Err(error("readOnly", "is not a boolean")),
        };
        let field = |key: &str| record.get(key).cloned().unwrap_or(Value::Null);
        Ok(CloudTrailEvent {
            event_id: event_id.to_string(),
            event_source: event_source.to_string(),
            event_name: event_name.to_string(),
            event_time: event_time.to_string(),
            event_type: text("eventType").map(str::to_string),
            account: account.to_string(),
            region: region.to_string(),
            request_parameters: field("requestParameters"),
            response_elements: field("responseElements"),
            service_event_details: field("serviceEventDetails"),
            resources: field("resources"),
            read_only,
            error_code: text("errorCode").map(str::to_string),
        })
    }

    /// The value at a dotted path whose first part is `requestParameters`,
    /// `responseElements` or `serviceEventDetails`.
    fn get(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('.');
        let mut value = match parts.next()? {
            "requestParameters" => &self.request_parameters,
            "responseElements" => &self.response_elements,
            "serviceEventDetails" => &self.service_event_details,
            _ => return None,
        };
        for part in parts {
            value = value.get(part)?;
        }
        Some(value)
    }

    /// A non-empty string at `path`.
    fn text(&self, path: &str) -> Option<&str> {
        self.get(path)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// A string or an integer at `path`, as text (CloudTrail writes numbers both ways).
    fn number(&self, path: &str) -> Option<String> {
        match self.get(path)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) if n.is_u64() => Some(n.to_string()),
            _ => None,
        }
    }

    /// The first non-empty string among `paths`; else an error naming them all.
    fn require(&self, paths: &[&str]) -> Result<&str, ChangeError> {
        paths
            .iter()
            .find_map(|p| self.text(p))
            .ok_or_else(|| self.field_error(&paths.join(" or "), "is missing"))
    }

    fn field_error(&self, field: &str, problem: &str) -> ChangeError {
        ChangeError::Field {
            event_id: self.event_id.clone(),
            event: format!("{} {}", self.event_source, self.event_name),
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// A change of the document `resource_id` of `resource_type`, in the account and region of
    /// the ARN that named it when there is one, else of the event.
    fn resource(
        &self,
        arn: Option<&Arn<'_>>,
        resource_type: &'static str,
        resource_id: impl Into<String>,
        deleted: bool,
    ) -> Change {
        let account = arn.map(|a| a.account).filter(|a| !a.is_empty());
        let region = arn.map(|a| a.region).filter(|r| !r.is_empty());
        Change::Resource(ResourceChange {
            account_id: account.unwrap_or(&self.account).to_string(),
            region: region.unwrap_or(&self.region).to_string(),
            resource_type,
            resource_id: resource_id.into(),
            deleted,
        })
    }
}

/// `YYYY-MM-DDThh:mm:ssZ`, the form of CloudTrail's `eventTime` (so that times sort as text).
fn is_cloudtrail_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The parse error and the start of the text, for the log line.
fn not_json(error: &serde_json::Error, text: &str) -> String {
    let start: String = text.chars().take(60).collect();
    let more = if text.chars().count() > 60 { "…" } else { "" };
    format!("{error}; body starts {start:?}{more}")
}

// ---------------------------------------------------------------------------------------------
// ARNs and resource names.

/// The parts of an ARN (`arn:partition:service:region:account:resource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Arn<'a> {
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn parse_arn(s: &str) -> Option<Arn<'_>> {
    let rest = s.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let _partition = parts.next()?;
    let service = parts.next()?;
    let region = parts.next()?;
    let account = parts.next()?;
    let resource = parts.next()?;
    Some(Arn {
        service,
        region,
        account,
        resource,
    })
}

/// A name with none of the separators of ARNs and paths.
fn plain(name: &str) -> Option<&str> {
    (!name.is_empty() && !name.contains([':', '/'])).then_some(name)
}

/// A function named by name, `name:qualifier`, partial ARN (`123456789012:function:name`) or
/// ARN (optionally qualified): its ARN (when named by one), name and qualifier.
fn function_ref(raw: &str) -> Option<(Option<Arn<'_>>, &str, Option<&str>)> {
    let (arn, rest) = match parse_arn(raw) {
        Some(arn) if arn.service == "lambda" => {
            (Some(arn), arn.resource.strip_prefix("function:")?)
        }
        Some(_) => return None,
        None => match raw.split_once(":function:") {
            // A partial ARN: the account and the name.
            Some((account, rest)) if account.bytes().all(|b| b.is_ascii_digit()) => {
                let arn = Arn {
                    service: "lambda",
                    region: "",
                    account,
                    resource: rest,
                };
                (Some(arn), rest)
            }
            Some(_) => return None,
            None => (None, raw),
        },
    };
    let (name, qualifier) = match rest.split_once(':') {
        Some((name, qualifier)) => (name, Some(qualifier).filter(|q| !q.is_empty())),
        None => (rest, None),
    };
    Some((arn, plain(name)?, qualifier))
}

/// A layer named by name or ARN (`arn:aws:lambda:region:account:layer:name[:version]`).
fn layer_ref(raw: &str) -> Option<(Option<Arn<'_>>, &str, Option<&str>)> {
    match parse_arn(raw) {
        Some(arn) if arn.service == "lambda" => {
            let rest = arn.resource.strip_prefix("layer:")?;
            let (name, version) = match rest.split_once(':') {
                Some((name, version)) => (name, Some(version)),
                None => (rest, None),
            };
            Some((Some(arn), plain(name)?, version))
        }
        Some(_) => None,
        None => Some((None, plain(raw)?, None)),
    }
}

/// A table named by name or by the ARN of the table or of something in it
/// (`…:table/name/stream/…`, `…:table/name/index/…`).
fn table_ref(raw: &str) -> Option<(Option<Arn<'_>>, &str)> {
    match parse_arn(raw) {
        Some(arn) if arn.service == "dynamodb" => {
            let rest = arn.resource.strip_prefix("table/")?;
            let name = rest.split('/').next()?;
            Some((Some(arn), plain(name)?))
        }
        Some(_) => None,
        None => Some((None, plain(raw)?)),
    }
}

/// A key named by id or key ARN; `None` for an alias (`alias/…` or an alias ARN), which does
/// not say which key it pointed to.
fn key_ref(raw: &str) -> Option<(Option<Arn<'_>>, &str)> {
    match parse_arn(raw) {
        Some(arn) if arn.service == "kms" => {
            let id = arn.resource.strip_prefix("key/")?;
            Some((Some(arn), plain(id)?))
        }
        Some(_) => None,
        None => Some((None, plain(raw)?)),
    }
}

// ---------------------------------------------------------------------------------------------
// Lambda.

fn function_change(ev: &CloudTrailEvent, deleted: bool) -> Result<Outcome, ChangeError> {
    let paths = [
        "requestParameters.functionName",
        "responseElements.functionName",
    ];
    let raw = ev.require(&paths)?;
    let (arn, name, qualifier) = function_ref(raw).ok_or_else(|| {
        ev.field_error(
            &paths.join(" or "),
            &format!("is {raw:?}, not a function name or ARN"),
        )
    })?;
    // A delete with a qualifier removes one version (or alias); the function stays.
    let deleted =
        deleted && qualifier.is_none() && ev.text("requestParameters.qualifier").is_none();
    Ok(Outcome::Changed(vec![ev.resource(
        arn.as_ref(),
        FUNCTION,
        name,
        deleted,
    )]))
}

fn function(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    function_change(ev, false)
}

fn delete_function(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    function_change(ev, true)
}

fn lambda_tags(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    let raw = ev.require(&["requestParameters.resource"])?;
    match parse_arn(raw) {
        Some(arn) if arn.resource.starts_with("function:") => {
            let (arn, name, _) = function_ref(raw).ok_or_else(|| {
                ev.field_error("requestParameters.resource", "is not a function ARN")
            })?;
            Ok(Outcome::Changed(vec![ev.resource(
                arn.as_ref(),
                FUNCTION,
                name,
                false,
            )]))
        }
        Some(arn) => Ok(Outcome::Ignored {
            reason: format!(
                "tags of a Lambda resource vigil does not collect ({})",
                arn.resource.split(':').next().unwrap_or_default()
            ),
        }),
        None => Err(ev.field_error("requestParameters.resource", "is not an ARN")),
    }
}

fn layer_version_change(ev: &CloudTrailEvent, deleted: bool) -> Result<Outcome, ChangeError> {
    let paths = ["requestParameters.layerName", "responseElements.layerArn"];
    let raw = ev.require(&paths)?;
    let (arn, name, arn_version) = layer_ref(raw).ok_or_else(|| {
        ev.field_error(
            &paths.join(" or "),
            &format!("is {raw:?}, not a layer name or ARN"),
        )
    })?;
    let published = ev
        .text("responseElements.layerVersionArn")
        .and_then(layer_ref)
        .and_then(|(_, _, v)| v)
        .map(str::to_string);
    let version = ev
        .number("requestParameters.versionNumber")
        .or_else(|| ev.number("responseElements.version"))
        .or(published)
        .or_else(|| arn_version.map(str::to_string))
        .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            ev.field_error(
                "requestParameters.versionNumber or responseElements.version or \
                 responseElements.layerVersionArn",
                "is missing",
            )
        })?;
    let id = format!("{name}:{version}");
    Ok(Outcome::Changed(vec![ev.resource(
        arn.as_ref(),
        LAYER_VERSION,
        id,
        deleted,
    )]))
}

fn layer_version(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    layer_version_change(ev, false)
}

fn delete_layer_version(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    layer_version_change(ev, true)
}

// ---------------------------------------------------------------------------------------------
// API Gateway. One event source serves both APIs: v1 (REST) requests name `restApiId`, v2
// (HTTP, WebSocket) requests name `apiId`; operations with the same name in both (stages,
// deployments, tags, domain names) are told apart by that.

fn api_change(
    ev: &CloudTrailEvent,
    resource_type: &'static str,
    paths: &[&str],
    deleted: bool,
) -> Result<Outcome, ChangeError> {
    let id = ev.require(paths)?;
    let id = plain(id)
        .ok_or_else(|| ev.field_error(&paths.join(" or "), &format!("is {id:?}, not an API id")))?;
    Ok(Outcome::Changed(vec![ev.resource(
        None,
        resource_type,
        id,
        deleted,
    )]))
}

fn created_rest_api(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    api_change(
        ev,
        REST_API,
        &["responseElements.id", "responseElements.self.restApiId"],
        false,
    )
}

fn rest_api(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    api_change(ev, REST_API, &["requestParameters.restApiId"], false)
}

fn delete_rest_api(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    api_change(ev, REST_API, &["requestParameters.restApiId"], true)
}

fn created_http_api(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    api_change(ev, HTTP_API, &["responseElements.apiId"], false)
}

fn http_api(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    api_change(ev, HTTP_API, &["requestParameters.apiId"], false)
}

fn delete_http_api(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    api_change(ev, HTTP_API, &["requestParameters.apiId"], true)
}

fn either_api(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    if ev.text("requestParameters.restApiId").is_some() {
        rest_api(ev)
    } else if ev.text("requestParameters.apiId").is_some() {
        http_api(ev)
    } else {
        Err(ev.field_error(
            "requestParameters.restApiId or requestParameters.apiId",
            "is missing (REST APIs name restApiId, HTTP and WebSocket APIs apiId)",
        ))
    }
}

fn apigateway_tags(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    let field = "requestParameters.resourceArn";
    let raw = ev.require(&[field])?;
    let arn = parse_arn(raw)
        .filter(|a| a.service == "apigateway")
        .ok_or_else(|| ev.field_error(field, &format!("is {raw:?}, not an API Gateway ARN")))?;
    let mut path = arn.resource.trim_start_matches('/').split('/');
    let (kind, id) = (path.next().unwrap_or_default(), path.next().and_then(plain));
    let resource_type = match kind {
        "restapis" => REST_API,
        "apis" => HTTP_API,
        "domainnames" => DOMAIN_NAME,
        _ => {
            return Ok(Outcome::Ignored {
                reason: format!("tags of an API Gateway resource vigil does not collect (/{kind})"),
            })
        }
    };
    let id =
        id.ok_or_else(|| ev.field_error(field, &format!("is {raw:?}: no id after /{kind}")))?;
    Ok(Outcome::Changed(vec![ev.resource(
        Some(&arn),
        resource_type,
        id,
        false,
    )]))
}

fn domain_name_change(ev: &CloudTrailEvent, deleted: bool) -> Result<Outcome, ChangeError> {
    let paths = [
        "requestParameters.domainName",
        "responseElements.domainName",
    ];
    let name = ev.require(&paths)?;
    // A private domain name is `name+domainNameId`, as in its ARN and the collector's id.
    let id = match ev
        .text("requestParameters.domainNameId")
        .or_else(|| ev.text("responseElements.domainNameId"))
    {
        Some(domain_name_id) => format!("{name}+{domain_name_id}"),
        None => name.to_string(),
    };
    Ok(Outcome::Changed(vec![ev.resource(
        None,
        DOMAIN_NAME,
        id,
        deleted,
    )]))
}

fn domain_name(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    domain_name_change(ev, false)
}

fn delete_domain_name(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    domain_name_change(ev, true)
}

// ---------------------------------------------------------------------------------------------
// DynamoDB.

fn table_change(
    ev: &CloudTrailEvent,
    paths: &[&str],
    deleted: bool,
) -> Result<Outcome, ChangeError> {
    let raw = ev.require(paths)?;
    let (arn, name) = table_ref(raw).ok_or_else(|| {
        ev.field_error(
            &paths.join(" or "),
            &format!("is {raw:?}, not a table name or ARN"),
        )
    })?;
    Ok(Outcome::Changed(vec![ev.resource(
        arn.as_ref(),
        TABLE,
        name,
        deleted,
    )]))
}

/// Where a table operation names its table: the request (a name or, since 2024, an ARN), else
/// the table description in the response.
const TABLE_PATHS: &[&str] = &[
    "requestParameters.tableName",
    "responseElements.tableDescription.tableArn",
    "responseElements.tableDescription.tableName",
];

fn table(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    table_change(ev, TABLE_PATHS, false)
}

fn delete_table(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    table_change(ev, TABLE_PATHS, true)
}

fn table_by_arn(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    table_change(ev, &["requestParameters.resourceArn"], false)
}

fn restored_table(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    let paths = [
        "requestParameters.targetTableName",
        "responseElements.tableDescription.tableArn",
        "responseElements.tableDescription.tableName",
    ];
    table_change(ev, &paths, false)
}

// ---------------------------------------------------------------------------------------------
// KMS.

/// The key an event is about: the request's `keyId` (id or ARN), else the created key, else
/// the key ARN KMS names in `resources` or the response (service events have no request), else
/// the id in the service event details. An alias is skipped: it does not say which key it
/// pointed to when the call was made.
fn key_of<'e>(ev: &'e CloudTrailEvent) -> Result<(Option<Arn<'e>>, &'e str), ChangeError> {
    let from_resources = ev
        .resources
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            r.get("ARN")
                .and_then(Value::as_str)
                .filter(|arn| arn.contains(":key/"))
        });
    let candidates = [
        ev.text("requestParameters.keyId"),
        ev.text("responseElements.keyMetadata.arn"),
        ev.text("responseElements.keyMetadata.keyId"),
    ]
    .into_iter()
    .flatten()
    .chain(from_resources)
    .chain(
        [
            ev.text("responseElements.keyId"),
            ev.text("serviceEventDetails.keyId"),
        ]
        .into_iter()
        .flatten(),
    );
    let mut seen = Vec::new();
    for raw in candidates {
        match key_ref(raw) {
            Some(key) => return Ok(key),
            None => seen.push(raw),
        }
    }
    let field = "requestParameters.keyId or responseElements.keyMetadata.keyId or resources[].ARN \
                 or responseElements.keyId or serviceEventDetails.keyId";
    Err(match seen.first() {
        Some(raw) => ev.field_error(field, &format!("names {raw:?}, an alias or not a key")),
        None => ev.field_error(field, "is missing"),
    })
}

fn key_change(ev: &CloudTrailEvent, deleted: bool) -> Result<Change, ChangeError> {
    let (arn, id) = key_of(ev)?;
    Ok(ev.resource(arn.as_ref(), KEY, id, deleted))
}

fn key(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    Ok(Outcome::Changed(vec![key_change(ev, false)?]))
}

fn delete_key(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    Ok(Outcome::Changed(vec![key_change(ev, true)?]))
}

/// The key of the event, and the same key (a multi-Region key keeps its id) in the region named
/// at `region_path`.
fn key_in_two_regions(ev: &CloudTrailEvent, region_path: &str) -> Result<Outcome, ChangeError> {
    let here = key_change(ev, false)?;
    let other_region = ev.require(&[region_path])?;
    let mut there = here.clone();
    if let Change::Resource(r) = &mut there {
        r.region = other_region.to_string();
    }
    let mut all = vec![here];
    if there != all[0] {
        all.push(there);
    }
    Ok(Outcome::Changed(all))
}

fn replicate_key(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    key_in_two_regions(ev, "requestParameters.replicaRegion")
}

fn update_primary_region(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    key_in_two_regions(ev, "requestParameters.primaryRegion")
}

// ---------------------------------------------------------------------------------------------
// Organizations. Account documents are global (region `global`).

fn org_target(target_id: &str) -> Outcome {
    Outcome::Changed(vec![Change::OrgTarget {
        target_id: target_id.to_string(),
    }])
}

fn attach_policy(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    Ok(org_target(ev.require(&["requestParameters.targetId"])?))
}

fn update_policy(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    let policy_id = ev.require(&["requestParameters.policyId"])?;
    Ok(Outcome::Changed(vec![Change::OrgPolicy {
        policy_id: policy_id.to_string(),
    }]))
}

fn policy_type(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    Ok(org_target(ev.require(&["requestParameters.rootId"])?))
}

fn move_account(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    Ok(org_target(ev.require(&["requestParameters.accountId"])?))
}

fn create_account(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    match ev.text("responseElements.createAccountStatus.accountId") {
        Some(account_id) => Ok(org_target(account_id)),
        None => Ok(Outcome::Ignored {
            reason: "account creation in progress: its CreateAccountResult names the account"
                .into(),
        }),
    }
}

fn create_account_result(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    let state = ev.require(&["serviceEventDetails.createAccountStatus.state"])?;
    if state != "SUCCEEDED" {
        return Ok(Outcome::Ignored {
            reason: format!("account creation ended {state}: no account joined"),
        });
    }
    Ok(org_target(ev.require(&[
        "serviceEventDetails.createAccountStatus.accountId",
    ])?))
}

fn invite_account(_ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    Ok(Outcome::Ignored {
        reason: "invitation sent: the account joins when it accepts (AcceptHandshake)".into(),
    })
}

/// The account that accepted an invitation: the `ACCOUNT` party of the handshake, else the
/// account that called (an invited account accepts for itself). A handshake of another kind
/// (enabling all features) makes no account join.
fn accept_handshake(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    if let Some(action) = ev.text("responseElements.handshake.action") {
        if !action.eq_ignore_ascii_case("invite") {
            return Ok(Outcome::Ignored {
                reason: format!("handshake {action} accepted: no account joined"),
            });
        }
    }
    let party = ev
        .get("responseElements.handshake.parties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|p| p.get("type").and_then(Value::as_str) == Some("ACCOUNT"))
        .and_then(|p| p.get("id").and_then(Value::as_str))
        .filter(|id| !id.is_empty());
    Ok(org_target(party.unwrap_or(&ev.account)))
}

fn account_gone(account_id: &str) -> Outcome {
    Outcome::Changed(vec![Change::Resource(ResourceChange {
        account_id: account_id.to_string(),
        region: GLOBAL.to_string(),
        resource_type: ACCOUNT,
        resource_id: account_id.to_string(),
        deleted: true,
    })])
}

fn remove_account(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    let account_id = ev.require(&["requestParameters.accountId"])?;
    Ok(account_gone(account_id))
}

fn leave_organization(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    // The member account calls LeaveOrganization for itself.
    Ok(account_gone(&ev.account))
}

// ---------------------------------------------------------------------------------------------
// AWS Config. The region's document (`account/region`) holds recorders, their status,
// delivery channels and aggregators; the account roll-up holds the recorders of every region;
// the organization roll-up the aggregators.

fn config_region(ev: &CloudTrailEvent) -> Change {
    ev.resource(
        None,
        CONFIG_REGION,
        format!("{}/{}", ev.account, ev.region),
        false,
    )
}

fn config_recorder(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    let account = Change::Resource(ResourceChange {
        account_id: ev.account.clone(),
        region: GLOBAL.to_string(),
        resource_type: CONFIG_ACCOUNT,
        resource_id: ev.account.clone(),
        deleted: false,
    });
    Ok(Outcome::Changed(vec![config_region(ev), account]))
}

fn config_channel(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    Ok(Outcome::Changed(vec![config_region(ev)]))
}

fn config_aggregator(ev: &CloudTrailEvent) -> Result<Outcome, ChangeError> {
    let organization = Change::ConfigOrganization {
        account_id: ev.account.clone(),
    };
    Ok(Outcome::Changed(vec![config_region(ev), organization]))
}

// ---------------------------------------------------------------------------------------------
// SQS batches and input files.

/// The messages of a Lambda SQS event (`Records[]`), each with its `messageId` (what
/// `batchItemFailures` names) and its body parsed as an event. A message whose body is not
/// JSON or not a CloudTrail event is an error of that message only; an input that is not an
/// SQS batch at all, or a message without a `messageId` (which no failure could name), is an
/// error of the whole batch.
#[allow(clippy::type_complexity)]
pub fn parse_sqs_batch(
    batch: &Value,
) -> Result<Vec<(String, Result<Envelope, ChangeError>)>, ChangeError> {
    let records = batch
        .get("Records")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ChangeError::NotSqsBatch(format!("no `Records` array in {}", kind(batch)))
        })?;
    let mut messages = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        match record.get("eventSource").and_then(Value::as_str) {
            None | Some("aws:sqs") => {}
            Some(other) => {
                return Err(ChangeError::NotSqsBatch(format!(
                    "Records[{i}] comes from {other:?}, not aws:sqs"
                )))
            }
        }
        let message_id = record
            .get("messageId")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| ChangeError::NotSqsBatch(format!("Records[{i}] has no messageId")))?;
        let parsed = match record.get("body") {
            Some(Value::String(body)) => Envelope::parse_str(body),
            Some(other) => Err(ChangeError::NotJson(format!(
                "body is {}, not a string",
                kind(other)
            ))),
            None => Err(ChangeError::NotJson("the message has no body".into())),
        };
        messages.push((message_id.to_string(), parsed));
    }
    Ok(messages)
}

/// Reads what `vigil event FILE` accepts: an SQS batch (labels are message ids), a CloudTrail
/// log file `{"Records": [...]}` (labels are `Records[i]`), or one event (label: the
/// EventBridge id or the `eventID`).
#[allow(clippy::type_complexity)]
pub fn parse_input(
    value: &Value,
) -> Result<Vec<(String, Result<Envelope, ChangeError>)>, ChangeError> {
    if let Some(records) = value.get("Records").and_then(Value::as_array) {
        let sqs = records.first().is_some_and(|r| {
            r.get("messageId").is_some() || r.get("eventSource") == Some(&Value::from("aws:sqs"))
        });
        if sqs {
            return parse_sqs_batch(value);
        }
        return Ok(records
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("Records[{i}]"), Envelope::parse(r)))
            .collect());
    }
    let label = ["id", "eventID"]
        .iter()
        .find_map(|k| value.get(*k).and_then(Value::as_str))
        .unwrap_or("event")
        .to_string();
    Ok(vec![(label, Envelope::parse(value))])
}

// ---------------------------------------------------------------------------------------------
// Coalescing.

/// A change seen in one message of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// What the change came from (the SQS message id), to name it in `batchItemFailures`.
    pub source: String,
    /// `eventTime` of the event (`YYYY-MM-DDThh:mm:ssZ`).
    pub event_time: String,
    /// The change.
    pub change: Change,
}

/// The changes of a batch, one per document (or group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coalesced {
    /// The change as of the latest event (a delete after an update stays a delete; a create
    /// after a delete is not one).
    pub change: Change,
    /// `eventTime` of the latest event.
    pub event_time: String,
    /// Every message that saw it, in batch order, each once.
    pub sources: Vec<String>,
}

/// Merges the changes of a batch: one entry per document (same account, region, type and id)
/// or group, in the order each was first seen; its `deleted` flag is that of the latest
/// event by `eventTime` (at equal times, the later in the batch).
pub fn coalesce(observations: impl IntoIterator<Item = Observation>) -> Vec<Coalesced> {
    let mut merged: Vec<Coalesced> = Vec::new();
    let mut index: HashMap<Change, usize> = HashMap::new();
    for obs in observations {
        let identity = obs.change.identity();
        match index.get(&identity) {
            Some(&i) => {
                let entry = &mut merged[i];
                if !entry.sources.contains(&obs.source) {
                    entry.sources.push(obs.source);
                }
                if obs.event_time >= entry.event_time {
                    entry.event_time = obs.event_time;
                    entry.change = obs.change;
                }
            }
            None => {
                index.insert(identity, merged.len());
                merged.push(Coalesced {
                    change: obs.change,
                    event_time: obs.event_time,
                    sources: vec![obs.source],
                });
            }
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RESOURCE_TYPES;
    use serde_json::json;
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    const ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
    /// Account and region of the records built in these tests.
    const ACCT: &str = "111122223333";
    const REG: &str = "eu-west-1";

    fn fixtures() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/events")
    }

    fn fixture(rel: &str) -> Value {
        let path = fixtures().join(rel);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn event_of(value: &Value) -> CloudTrailEvent {
        Envelope::parse(value)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_event()
    }

    fn outcome_of(rel: &str) -> Outcome {
        let ev = event_of(&fixture(rel));
        changes(&ev).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn res(account: &str, region: &str, resource_type: &'static str, id: &str) -> Change {
        Change::Resource(ResourceChange {
            account_id: account.into(),
            region: region.into(),
            resource_type,
            resource_id: id.into(),
            deleted: false,
        })
    }

    fn gone(account: &str, region: &str, resource_type: &'static str, id: &str) -> Change {
        match res(account, region, resource_type, id) {
            Change::Resource(r) => Change::Resource(ResourceChange { deleted: true, ..r }),
            other => other,
        }
    }

    fn target(id: &str) -> Change {
        Change::OrgTarget {
            target_id: id.into(),
        }
    }

    /// A record built in the test from the API reference, for an event with no published
    /// sample: only the fields CloudTrail always writes and the parameters of the operation.
    fn built(source: &str, name: &str, request: Value, response: Value) -> Value {
        json!({
            "eventVersion": "1.08",
            "eventTime": "2024-01-01T00:00:00Z",
            "eventSource": source,
            "eventName": name,
            "awsRegion": REG,
            "requestParameters": request,
            "responseElements": response,
            "eventID": format!("built-{name}"),
            "readOnly": false,
            "eventType": "AwsApiCall",
            "recipientAccountId": ACCT,
        })
    }

    enum Input {
        /// A published sample under `fixtures/events/`.
        Fixture(&'static str),
        /// A record built from the API reference (no published sample found).
        Built(Value),
    }

    enum Expect {
        Changed(Vec<Change>),
        Ignored,
    }

    struct Case {
        source: &'static str,
        operation: &'static str,
        input: Input,
        expect: Expect,
    }

    fn case(source: &'static str, operation: &'static str, input: Input, expect: Expect) -> Case {
        Case {
            source,
            operation,
            input,
            expect,
        }
    }

    fn fx(rel: &'static str) -> Input {
        Input::Fixture(rel)
    }

    fn one(change: Change) -> Expect {
        Expect::Changed(vec![change])
    }

    /// One case (at least) for every row of [`SUPPORTED`].
    #[rustfmt::skip]
    fn cases() -> Vec<Case> {
        use Expect::Ignored;
        use Input::Built;
        let fun = |id: &str| one(res(ACCT, REG, FUNCTION, id));
        let layer = |id: &str| one(res(ACCT, REG, LAYER_VERSION, id));
        let rest = |id: &str| one(res(ACCT, REG, REST_API, id));
        let http = |id: &str| one(res(ACCT, REG, HTTP_API, id));
        let tbl = |id: &str| one(res(ACCT, REG, TABLE, id));
        let cfg_region = |account: &str, region: &str| {
            res(account, region, CONFIG_REGION, &format!("{account}/{region}"))
        };
        let cfg_account = |account: &str| res(account, GLOBAL, CONFIG_ACCOUNT, account);
        let recorder = |name: &str| {
            let b = built(CONFIG, name, json!({"configurationRecorderName": "default"}), Value::Null);
            (Built(b), Expect::Changed(vec![cfg_region(ACCT, REG), cfg_account(ACCT)]))
        };
        let doc_recorder = Expect::Changed(vec![
            cfg_region("222222222222", "us-west-2"),
            cfg_account("222222222222"),
        ]);
        let key_us_west_2 = || one(res(ACCT, "us-west-2", KEY, ID));
        let mut all = vec![
            // Lambda functions.
            case(LAMBDA, "CreateFunction", fx("cloudtrail/lambda/CreateFunction20150331.json"),
                one(res("1010101010101", "us-east-1", FUNCTION, "cloudtrail-events-test"))),
            // functionName is an ARN here.
            case(LAMBDA, "UpdateFunctionConfiguration",
                fx("cloudtrail/lambda/UpdateFunctionConfiguration20150331v2.json"),
                one(res("712967571683", "eugov-eastcentral-1r", FUNCTION,
                    "stratus-red-team-lambda-layer-simpleLambda"))),
            case(LAMBDA, "UpdateFunctionCode", fx("cloudtrail/lambda/UpdateFunctionCode20150331v2.json"),
                one(res("266106314375", "ap-westeast-2r", FUNCTION, "stratus-red-team-olc-func-vayhjqkdav"))),
            // The 2015 sample's eventName has no version suffix.
            case(LAMBDA, "DeleteFunction", fx("cloudtrail/lambda/DeleteFunction.json"),
                one(gone("999999999999", "us-east-1", FUNCTION, "basic-node-task"))),
            case(LAMBDA, "DeleteFunction",
                Built(built(LAMBDA, "DeleteFunction20150331",
                    json!({"functionName": "orders-api", "qualifier": "3"}), Value::Null)),
                fun("orders-api")),
            case(LAMBDA, "AddPermission", fx("cloudtrail/lambda/AddPermission20150331v2.json"),
                one(res("880896431042", "ca-centralnorth-1r", FUNCTION, "stratus-red-team-backdoor-f-func"))),
            case(LAMBDA, "RemovePermission", fx("cloudtrail/lambda/RemovePermission.json"),
                one(res("123456789012", "us-west-2", FUNCTION, "my-lambda-function"))),
            case(LAMBDA, "CreateFunctionUrlConfig",
                Built(built(LAMBDA, "CreateFunctionUrlConfig",
                    json!({"functionName": "orders-api", "authType": "NONE"}),
                    json!({"functionArn": "arn:aws:lambda:eu-west-1:111122223333:function:orders-api",
                           "functionUrl": "https://abcdefghij.lambda-url.eu-west-1.on.aws/",
                           "authType": "NONE"}))),
                fun("orders-api")),
            case(LAMBDA, "UpdateFunctionUrlConfig",
                Built(built(LAMBDA, "UpdateFunctionUrlConfig",
                    json!({"functionName": "orders-api", "qualifier": "live", "authType": "AWS_IAM"}),
                    Value::Null)),
                fun("orders-api")),
            // An ARN of another account names the account that owns the function.
            case(LAMBDA, "DeleteFunctionUrlConfig",
                Built(built(LAMBDA, "DeleteFunctionUrlConfig",
                    json!({"functionName": "arn:aws:lambda:eu-west-1:444455556666:function:orders-api"}),
                    Value::Null)),
                one(res("444455556666", REG, FUNCTION, "orders-api"))),
            case(LAMBDA, "PutFunctionEventInvokeConfig",
                Built(built(LAMBDA, "PutFunctionEventInvokeConfig",
                    json!({"functionName": "orders-api:live", "maximumRetryAttempts": 0}), Value::Null)),
                fun("orders-api")),
            case(LAMBDA, "UpdateFunctionEventInvokeConfig",
                Built(built(LAMBDA, "UpdateFunctionEventInvokeConfig",
                    json!({"functionName": "111122223333:function:orders-api"}), Value::Null)),
                fun("orders-api")),
            case(LAMBDA, "DeleteFunctionEventInvokeConfig",
                Built(built(LAMBDA, "DeleteFunctionEventInvokeConfig",
                    json!({"functionName": "orders-api"}), Value::Null)),
                fun("orders-api")),
            case(LAMBDA, "PutFunctionCodeSigningConfig",
                Built(built(LAMBDA, "PutFunctionCodeSigningConfig",
                    json!({"functionName": "orders-api", "codeSigningConfigArn":
                        "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-0123456789abcdef0"}),
                    Value::Null)),
                fun("orders-api")),
            case(LAMBDA, "DeleteFunctionCodeSigningConfig",
                Built(built(LAMBDA, "DeleteFunctionCodeSigningConfig",
                    json!({"functionName": "orders-api"}), Value::Null)),
                fun("orders-api")),
            case(LAMBDA, "PublishVersion",
                Built(built(LAMBDA, "PublishVersion20150331", json!({"functionName": "orders-api"}),
                    json!({"functionName": "orders-api", "version": "3"}))),
                fun("orders-api")),
            case(LAMBDA, "CreateAlias",
                Built(built(LAMBDA, "CreateAlias20150331",
                    json!({"functionName": "orders-api", "name": "live", "functionVersion": "3"}), Value::Null)),
                fun("orders-api")),
            case(LAMBDA, "UpdateAlias",
                Built(built(LAMBDA, "UpdateAlias20150331",
                    json!({"functionName": "orders-api", "name": "live", "functionVersion": "4"}), Value::Null)),
                fun("orders-api")),
            case(LAMBDA, "DeleteAlias",
                Built(built(LAMBDA, "DeleteAlias20150331",
                    json!({"functionName": "orders-api", "name": "live"}), Value::Null)),
                fun("orders-api")),
            case(LAMBDA, "TagResource",
                Built(built(LAMBDA, "TagResource20170331v2",
                    json!({"resource": "arn:aws:lambda:eu-west-1:111122223333:function:orders-api",
                           "tags": {"owner": "payments"}}), Value::Null)),
                fun("orders-api")),
            case(LAMBDA, "UntagResource",
                Built(built(LAMBDA, "UntagResource20170331v2",
                    json!({"resource": "arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-0123456789abcdef0",
                           "tagKeys": ["owner"]}), Value::Null)),
                Ignored),
            // Lambda layer versions.
            case(LAMBDA, "PublishLayerVersion",
                Built(built(LAMBDA, "PublishLayerVersion20181031", json!({"layerName": "shared-libs"}),
                    json!({"layerArn": "arn:aws:lambda:eu-west-1:111122223333:layer:shared-libs",
                           "layerVersionArn": "arn:aws:lambda:eu-west-1:111122223333:layer:shared-libs:4",
                           "version": 4}))),
                layer("shared-libs:4")),
            case(LAMBDA, "AddLayerVersionPermission",
                Built(built(LAMBDA, "AddLayerVersionPermission20181031",
                    json!({"layerName": "shared-libs", "versionNumber": 4, "statementId": "org",
                           "action": "lambda:GetLayerVersion", "principal": "*",
                           "organizationId": "o-a1b2c3d4e5"}), Value::Null)),
                layer("shared-libs:4")),
            case(LAMBDA, "RemoveLayerVersionPermission",
                Built(built(LAMBDA, "RemoveLayerVersionPermission20181031",
                    json!({"layerName": "arn:aws:lambda:eu-west-1:111122223333:layer:shared-libs",
                           "versionNumber": "4", "statementId": "org"}), Value::Null)),
                layer("shared-libs:4")),
            case(LAMBDA, "DeleteLayerVersion",
                Built(built(LAMBDA, "DeleteLayerVersion20181031",
                    json!({"layerName": "shared-libs", "versionNumber": 2}), Value::Null)),
                one(gone(ACCT, REG, LAYER_VERSION, "shared-libs:2"))),
            // API Gateway REST APIs.
            case(APIGATEWAY, "CreateRestApi",
                Built(built(APIGATEWAY, "CreateRestApi",
                    json!({"createRestApiInput": {"name": "orders",
                        "endpointConfiguration": {"types": ["REGIONAL"]}}, "template": false}),
                    json!({"id": "a1b2c3d4e5", "name": "orders"}))),
                rest("a1b2c3d4e5")),
            case(APIGATEWAY, "ImportRestApi",
                Built(built(APIGATEWAY, "ImportRestApi", json!({"failOnWarnings": true}),
                    json!({"self": {"restApiId": "a1b2c3d4e5"}}))),
                rest("a1b2c3d4e5")),
            case(APIGATEWAY, "PutRestApi",
                Built(built(APIGATEWAY, "PutRestApi", json!({"restApiId": "a1b2c3d4e5", "mode": "overwrite"}),
                    Value::Null)),
                rest("a1b2c3d4e5")),
            case(APIGATEWAY, "UpdateRestApi",
                Built(built(APIGATEWAY, "UpdateRestApi",
                    json!({"restApiId": "a1b2c3d4e5", "patchOperations": [{"op": "replace", "path": "/policy"}]}),
                    Value::Null)),
                rest("a1b2c3d4e5")),
            case(APIGATEWAY, "DeleteRestApi",
                Built(built(APIGATEWAY, "DeleteRestApi", json!({"restApiId": "a1b2c3d4e5"}), Value::Null)),
                one(gone(ACCT, REG, REST_API, "a1b2c3d4e5"))),
            case(APIGATEWAY, "PutMethod",
                Built(built(APIGATEWAY, "PutMethod",
                    json!({"restApiId": "a1b2c3d4e5", "resourceId": "r1s2t3", "httpMethod": "GET",
                           "putMethodInput": {"authorizationType": "NONE"}}), Value::Null)),
                rest("a1b2c3d4e5")),
            case(APIGATEWAY, "UpdateMethod",
                Built(built(APIGATEWAY, "UpdateMethod",
                    json!({"restApiId": "a1b2c3d4e5", "resourceId": "r1s2t3", "httpMethod": "GET"}),
                    Value::Null)),
                rest("a1b2c3d4e5")),
            case(APIGATEWAY, "DeleteMethod",
                Built(built(APIGATEWAY, "DeleteMethod",
                    json!({"restApiId": "a1b2c3d4e5", "resourceId": "r1s2t3", "httpMethod": "GET"}),
                    Value::Null)),
                rest("a1b2c3d4e5")),
            case(APIGATEWAY, "DeleteResource",
                Built(built(APIGATEWAY, "DeleteResource",
                    json!({"restApiId": "a1b2c3d4e5", "resourceId": "r1s2t3"}), Value::Null)),
                rest("a1b2c3d4e5")),
            // API Gateway HTTP and WebSocket APIs.
            case(APIGATEWAY, "CreateApi",
                Built(built(APIGATEWAY, "CreateApi", json!({"name": "orders", "protocolType": "HTTP"}),
                    json!({"apiId": "x9y8z7w6v5", "protocolType": "HTTP"}))),
                http("x9y8z7w6v5")),
            case(APIGATEWAY, "ImportApi",
                Built(built(APIGATEWAY, "ImportApi", json!({"failOnWarnings": true}),
                    json!({"apiId": "x9y8z7w6v5"}))),
                http("x9y8z7w6v5")),
            case(APIGATEWAY, "ReimportApi",
                Built(built(APIGATEWAY, "ReimportApi", json!({"apiId": "x9y8z7w6v5"}), Value::Null)),
                http("x9y8z7w6v5")),
            case(APIGATEWAY, "UpdateApi",
                Built(built(APIGATEWAY, "UpdateApi", json!({"apiId": "x9y8z7w6v5"}), Value::Null)),
                http("x9y8z7w6v5")),
            case(APIGATEWAY, "DeleteApi",
                Built(built(APIGATEWAY, "DeleteApi", json!({"apiId": "x9y8z7w6v5"}), Value::Null)),
                one(gone(ACCT, REG, HTTP_API, "x9y8z7w6v5"))),
            case(APIGATEWAY, "CreateRoute",
                Built(built(APIGATEWAY, "CreateRoute",
                    json!({"apiId": "x9y8z7w6v5", "routeKey": "GET /orders", "authorizationType": "NONE"}),
                    json!({"routeId": "abc1234"}))),
                http("x9y8z7w6v5")),
            case(APIGATEWAY, "UpdateRoute",
                Built(built(APIGATEWAY, "UpdateRoute",
                    json!({"apiId": "x9y8z7w6v5", "routeId": "abc1234", "authorizationType": "AWS_IAM"}),
                    Value::Null)),
                http("x9y8z7w6v5")),
            case(APIGATEWAY, "DeleteRoute",
                Built(built(APIGATEWAY, "DeleteRoute", json!({"apiId": "x9y8z7w6v5", "routeId": "abc1234"}),
                    Value::Null)),
                http("x9y8z7w6v5")),
            // Both APIs: told apart by restApiId / apiId.
            case(APIGATEWAY, "CreateStage", fx("cloudtrail/apigateway/CreateStage.json"),
                one(res("012345678901", "us-east-1", REST_API, "abcdef74gh"))),
            case(APIGATEWAY, "UpdateStage",
                Built(built(APIGATEWAY, "UpdateStage",
                    json!({"apiId": "x9y8z7w6v5", "stageName": "$default"}), Value::Null)),
                http("x9y8z7w6v5")),
            case(APIGATEWAY, "UpdateStage",
                Built(built(APIGATEWAY, "UpdateStage",
                    json!({"restApiId": "a1b2c3d4e5", "stageName": "prod",
                           "patchOperations": [{"op": "replace", "path": "/accessLogSettings/destinationArn"}]}),
                    Value::Null)),
                rest("a1b2c3d4e5")),
            case(APIGATEWAY, "DeleteStage",
                Built(built(APIGATEWAY, "DeleteStage", json!({"restApiId": "a1b2c3d4e5", "stageName": "prod"}),
                    Value::Null)),
                rest("a1b2c3d4e5")),
            case(APIGATEWAY, "CreateDeployment",
                Built(built(APIGATEWAY, "CreateDeployment", json!({"apiId": "x9y8z7w6v5"}), Value::Null)),
                http("x9y8z7w6v5")),
            // A stage's tags: the REST API is evaluated again.
            case(APIGATEWAY, "TagResource", fx("cloudtrail/apigateway/TagResource.json"),
                one(res("012345678901", "us-east-1", REST_API, "abcdef74gh"))),
            case(APIGATEWAY, "UntagResource",
                Built(built(APIGATEWAY, "UntagResource",
                    json!({"resourceArn": "arn:aws:apigateway:eu-west-1::/domainnames/private.example.com+abc123",
                           "tagKeys": ["team"]}), Value::Null)),
                one(res(ACCT, REG, DOMAIN_NAME, "private.example.com+abc123"))),
            case(APIGATEWAY, "UntagResource",
                Built(built(APIGATEWAY, "UntagResource",
                    json!({"resourceArn": "arn:aws:apigateway:eu-west-1::/usageplans/up1234",
                           "tagKeys": ["team"]}), Value::Null)),
                Ignored),
            case(APIGATEWAY, "CreateDomainName",
                Built(built(APIGATEWAY, "CreateDomainName",
                    json!({"domainName": "private.example.com",
                           "endpointConfiguration": {"types": ["PRIVATE"]}}),
                    json!({"domainName": "private.example.com", "domainNameId": "abc123"}))),
                one(res(ACCT, REG, DOMAIN_NAME, "private.example.com+abc123"))),
            case(APIGATEWAY, "UpdateDomainName",
                Built(built(APIGATEWAY, "UpdateDomainName", json!({"domainName": "api.example.com"}),
                    Value::Null)),
                one(res(ACCT, REG, DOMAIN_NAME, "api.example.com"))),
            case(APIGATEWAY, "DeleteDomainName",
                Built(built(APIGATEWAY, "DeleteDomainName", json!({"domainName": "api.example.com"}),
                    Value::Null)),
                one(gone(ACCT, REG, DOMAIN_NAME, "api.example.com"))),
            // DynamoDB.
            case(DYNAMODB, "CreateTable", fx("cloudtrail/dynamodb/CreateTable.json"),
                one(res("111122223333", "us-west-2", TABLE, "Music"))),
            // The published UpdateTable request has no tableName: the response names the table.
            case(DYNAMODB, "UpdateTable", fx("cloudtrail/dynamodb/UpdateTable.json"),
                one(res("111122223333", "us-west-2", TABLE, "Music"))),
            case(DYNAMODB, "DeleteTable", fx("cloudtrail/dynamodb/DeleteTable.json"),
                one(gone("111122223333", "us-west-2", TABLE, "Music"))),
            case(DYNAMODB, "UpdateContinuousBackups",
                Built(built(DYNAMODB, "UpdateContinuousBackups",
                    json!({"tableName": "orders",
                           "pointInTimeRecoverySpecification": {"pointInTimeRecoveryEnabled": false}}),
                    Value::Null)),
                tbl("orders")),
            case(DYNAMODB, "UpdateContinuousBackups",
                Built(built(DYNAMODB, "UpdateContinuousBackups",
                    json!({"tableName": "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"}), Value::Null)),
                tbl("orders")),
            case(DYNAMODB, "PutResourcePolicy",
                Built(built(DYNAMODB, "PutResourcePolicy",
                    json!({"resourceArn": "arn:aws:dynamodb:eu-west-1:111122223333:table/orders",
                           "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"}), Value::Null)),
                tbl("orders")),
            case(DYNAMODB, "DeleteResourcePolicy",
                Built(built(DYNAMODB, "DeleteResourcePolicy",
                    json!({"resourceArn": "arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/2024-01-01T00:00:00.000"}),
                    Value::Null)),
                tbl("orders")),
            case(DYNAMODB, "TagResource",
                Built(built(DYNAMODB, "TagResource",
                    json!({"resourceArn": "arn:aws:dynamodb:eu-west-1:111122223333:table/orders",
                           "tags": [{"key": "owner", "value": "payments"}]}), Value::Null)),
                tbl("orders")),
            case(DYNAMODB, "UntagResource",
                Built(built(DYNAMODB, "UntagResource",
                    json!({"resourceArn": "arn:aws:dynamodb:eu-west-1:111122223333:table/orders",
                           "tagKeys": ["owner"]}), Value::Null)),
                tbl("orders")),
            case(DYNAMODB, "RestoreTableFromBackup",
                Built(built(DYNAMODB, "RestoreTableFromBackup",
                    json!({"targetTableName": "orders-restored", "backupArn":
                        "arn:aws:dynamodb:eu-west-1:111122223333:table/orders/backup/01234567890123-abcdefgh"}),
                    Value::Null)),
                tbl("orders-restored")),
            case(DYNAMODB, "RestoreTableToPointInTime",
                Built(built(DYNAMODB, "RestoreTableToPointInTime",
                    json!({"sourceTableName": "orders", "targetTableName": "orders-pitr"}), Value::Null)),
                tbl("orders-pitr")),
            // KMS: the samples use one key id; awsRegion and the key ARN disagree in some of
            // them, and the ARN wins when the event names the key by ARN.
            case(KMS, "CreateKey", fx("cloudtrail/kms/CreateKey.json"), key_us_west_2()),
            case(KMS, "PutKeyPolicy", fx("cloudtrail/kms/PutKeyPolicy.json"), key_us_west_2()),
            case(KMS, "ScheduleKeyDeletion", fx("cloudtrail/kms/ScheduleKeyDeletion.json"),
                one(res(ACCT, "us-east-1", KEY, ID))),
            case(KMS, "CancelKeyDeletion", fx("cloudtrail/kms/CancelKeyDeletion.json"), key_us_west_2()),
            case(KMS, "DeleteKey", fx("cloudtrail/kms/DeleteKey.json"), one(gone(ACCT, "us-west-2", KEY, ID))),
            case(KMS, "DisableKey", fx("cloudtrail/kms/DisableKey.json"), one(res(ACCT, "us-east-1", KEY, ID))),
            case(KMS, "EnableKey", fx("cloudtrail/kms/EnableKey.json"), one(res(ACCT, "us-east-1", KEY, ID))),
            case(KMS, "EnableKeyRotation", fx("cloudtrail/kms/EnableKeyRotation.json"), key_us_west_2()),
            case(KMS, "DisableKeyRotation", fx("cloudtrail/kms/DisableKeyRotation.json"), key_us_west_2()),
            case(KMS, "UpdateKeyDescription", fx("cloudtrail/kms/UpdateKeyDescription.json"), key_us_west_2()),
            case(KMS, "ImportKeyMaterial", fx("cloudtrail/kms/ImportKeyMaterial.json"), key_us_west_2()),
            case(KMS, "DeleteImportedKeyMaterial",
                Built(built(KMS, "DeleteImportedKeyMaterial", json!({"keyId": ID}), Value::Null)),
                one(res(ACCT, REG, KEY, ID))),
            case(KMS, "DeleteExpiredKeyMaterial", fx("cloudtrail/kms/DeleteExpiredKeyMaterial.json"),
                key_us_west_2()),
            case(KMS, "TagResource", fx("cloudtrail/kms/TagResource.json"), key_us_west_2()),
            case(KMS, "UntagResource", fx("cloudtrail/kms/UntagResource.json"), key_us_west_2()),
            case(KMS, "ReplicateKey",
                Built(built(KMS, "ReplicateKey",
                    json!({"keyId": "mrk-1234abcd12ab34cd56ef1234567890ab", "replicaRegion": "us-west-2"}),
                    Value::Null)),
                Expect::Changed(vec![
                    res(ACCT, REG, KEY, "mrk-1234abcd12ab34cd56ef1234567890ab"),
                    res(ACCT, "us-west-2", KEY, "mrk-1234abcd12ab34cd56ef1234567890ab"),
                ])),
            case(KMS, "UpdatePrimaryRegion", fx("cloudtrail/kms/UpdatePrimaryRegion.json"),
                Expect::Changed(vec![
                    res(ACCT, "us-west-2", KEY, "mrk-1234abcd12ab34cd56ef1234567890ab"),
                    res(ACCT, "ap-northeast-1", KEY, "mrk-1234abcd12ab34cd56ef1234567890ab"),
                ])),
            // Organizations.
            case(ORGANIZATIONS, "AttachPolicy",
                Built(built(ORGANIZATIONS, "AttachPolicy",
                    json!({"policyId": "p-examplepolicyid111", "targetId": "ou-examplerootid111-exampleouid111"}),
                    Value::Null)),
                one(target("ou-examplerootid111-exampleouid111"))),
            // The published AttachPolicy sample is a call that failed.
            case(ORGANIZATIONS, "AttachPolicy", fx("cloudtrail/organizations/AttachPolicy.json"), Ignored),
            case(ORGANIZATIONS, "DetachPolicy",
                Built(built(ORGANIZATIONS, "DetachPolicy",
                    json!({"policyId": "p-examplepolicyid111", "targetId": "444455556666"}), Value::Null)),
                one(target("444455556666"))),
            case(ORGANIZATIONS, "UpdatePolicy",
                Built(built(ORGANIZATIONS, "UpdatePolicy",
                    json!({"policyId": "p-examplepolicyid111", "content": "{\"Version\":\"2012-10-17\"}"}),
                    Value::Null)),
                one(Change::OrgPolicy { policy_id: "p-examplepolicyid111".into() })),
            case(ORGANIZATIONS, "EnablePolicyType",
                Built(built(ORGANIZATIONS, "EnablePolicyType",
                    json!({"rootId": "r-a1b2", "policyType": "SERVICE_CONTROL_POLICY"}), Value::Null)),
                one(target("r-a1b2"))),
            case(ORGANIZATIONS, "DisablePolicyType",
                Built(built(ORGANIZATIONS, "DisablePolicyType",
                    json!({"rootId": "r-a1b2", "policyType": "TAG_POLICY"}), Value::Null)),
                one(target("r-a1b2"))),
            case(ORGANIZATIONS, "MoveAccount", fx("cloudtrail/organizations/MoveAccount.json"),
                one(target("549271133721"))),
            case(ORGANIZATIONS, "CreateAccount", fx("cloudtrail/organizations/CreateAccount.json"), Ignored),
            case(ORGANIZATIONS, "CreateAccountResult", fx("cloudtrail/organizations/CreateAccountResult.json"),
                one(target("444455556666"))),
            case(ORGANIZATIONS, "InviteAccountToOrganization",
                fx("cloudtrail/organizations/InviteAccountToOrganization.json"), Ignored),
            case(ORGANIZATIONS, "AcceptHandshake",
                Built(built(ORGANIZATIONS, "AcceptHandshake", json!({"handshakeId": "h-examplehandshakeid111"}),
                    json!({"handshake": {"id": "h-examplehandshakeid111", "action": "INVITE",
                        "state": "ACCEPTED", "parties": [
                            {"type": "ORGANIZATION", "id": "o-exampleorgid"},
                            {"type": "ACCOUNT", "id": "222222222222"}]}}))),
                one(target("222222222222"))),
            case(ORGANIZATIONS, "AcceptHandshake",
                Built(built(ORGANIZATIONS, "AcceptHandshake", json!({"handshakeId": "h-examplehandshakeid222"}),
                    json!({"handshake": {"id": "h-examplehandshakeid222", "action": "ENABLE_ALL_FEATURES",
                        "state": "ACCEPTED"}}))),
                Ignored),
            case(ORGANIZATIONS, "CloseAccount", fx("cloudtrail/organizations/CloseAccount.json"),
                one(target("555555555555"))),
            case(ORGANIZATIONS, "RemoveAccountFromOrganization",
                fx("cloudtrail/organizations/RemoveAccountFromOrganization.json"),
                one(gone("588801414845", GLOBAL, ACCOUNT, "588801414845"))),
            // The published LeaveOrganization sample was denied.
            case(ORGANIZATIONS, "LeaveOrganization", fx("cloudtrail/organizations/LeaveOrganization.json"),
                Ignored),
            case(ORGANIZATIONS, "LeaveOrganization",
                Built(built(ORGANIZATIONS, "LeaveOrganization", Value::Null, Value::Null)),
                one(gone(ACCT, GLOBAL, ACCOUNT, ACCT))),
            // AWS Config.
            case(CONFIG, "PutConfigurationRecorder", fx("cloudtrail/config/PutConfigurationRecorder.json"),
                doc_recorder),
            case(CONFIG, "StartConfigurationRecorder", fx("cloudtrail/config/StartConfigurationRecorder.json"),
                Expect::Changed(vec![cfg_region("222222222222", "us-west-2"), cfg_account("222222222222")])),
            case(CONFIG, "StopConfigurationRecorder", fx("cloudtrail/config/StopConfigurationRecorder.json"),
                Expect::Changed(vec![cfg_region("222222222222", "us-west-2"), cfg_account("222222222222")])),
            case(CONFIG, "PutDeliveryChannel", fx("cloudtrail/config/PutDeliveryChannel.json"),
                one(cfg_region("222222222222", "us-west-2"))),
            case(CONFIG, "DeleteDeliveryChannel", fx("cloudtrail/config/DeleteDeliveryChannel.json"),
                one(cfg_region("222222222222", "us-west-2"))),
            case(CONFIG, "PutConfigurationAggregator",
                Built(built(CONFIG, "PutConfigurationAggregator",
                    json!({"configurationAggregatorName": "organization",
                           "organizationAggregationSource": {"allAwsRegions": true,
                               "roleArn": "arn:aws:iam::111122223333:role/aggregator"}}), Value::Null)),
                Expect::Changed(vec![cfg_region(ACCT, REG),
                    Change::ConfigOrganization { account_id: ACCT.into() }])),
            case(CONFIG, "DeleteConfigurationAggregator",
                Built(built(CONFIG, "DeleteConfigurationAggregator",
                    json!({"configurationAggregatorName": "organization"}), Value::Null)),
                Expect::Changed(vec![cfg_region(ACCT, REG),
                    Change::ConfigOrganization { account_id: ACCT.into() }])),
        ];
        for name in [
            "DeleteConfigurationRecorder",
            "PutServiceLinkedConfigurationRecorder",
            "DeleteServiceLinkedConfigurationRecorder",
            "AssociateResourceTypes",
            "DisassociateResourceTypes",
        ] {
            let (input, expect) = recorder(name);
            let operation = SUPPORTED
                .iter()
                .find(|s| s.operation == name)
                .map(|s| s.operation)
                .unwrap_or_else(|| panic!("{name} is not supported"));
            all.push(case(CONFIG, operation, input, expect));
        }
        all
    }

    #[test]
    fn every_supported_event_maps_as_expected() {
        for c in cases() {
            let (value, label) = match &c.input {
                Input::Fixture(rel) => (fixture(rel), rel.to_string()),
                Input::Built(v) => (v.clone(), format!("built {}", c.operation)),
            };
            let ev = event_of(&value);
            let row = lookup(&ev.event_source, &ev.event_name).unwrap_or_else(|| {
                panic!(
                    "{label}: {} {} is not supported",
                    ev.event_source, ev.event_name
                )
            });
            assert_eq!(
                (row.event_source, row.operation),
                (c.source, c.operation),
                "{label}"
            );
            let outcome = changes(&ev).unwrap_or_else(|e| panic!("{label}: {e}"));
            match (&c.expect, &outcome) {
                (Expect::Changed(want), Outcome::Changed(got)) => {
                    assert_eq!(got, want, "{label}");
                    for change in got {
                        let rt = match change {
                            Change::Resource(r) => r.resource_type,
                            Change::OrgTarget { .. } | Change::OrgPolicy { .. } => ACCOUNT,
                            Change::ConfigOrganization { .. } => CONFIG_ORGANIZATION,
                        };
                        assert!(
                            row.resource_types.contains(&rt),
                            "{label}: {rt} not in its row"
                        );
                    }
                }
                (Expect::Ignored, Outcome::Ignored { reason }) => {
                    assert!(!reason.is_empty(), "{label}")
                }
                (_, other) => panic!("{label}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn every_supported_event_has_a_case_and_every_supported_fixture_is_used() {
        let all = cases();
        let covered: BTreeSet<(&str, &str)> = all.iter().map(|c| (c.source, c.operation)).collect();
        for row in SUPPORTED {
            assert!(
                covered.contains(&(row.event_source, row.operation)),
                "no test case for {} {}",
                row.event_source,
                row.operation
            );
        }
        let used: BTreeSet<String> = all
            .iter()
            .filter_map(|c| match c.input {
                Input::Fixture(rel) => Some(rel.to_string()),
                Input::Built(_) => None,
            })
            .collect();
        for rel in cloudtrail_fixtures() {
            let ev = event_of(&fixture(&rel));
            if lookup(&ev.event_source, &ev.event_name).is_some() {
                assert!(
                    used.contains(&rel),
                    "{rel} is a supported event but no case uses it"
                );
            }
        }
    }

    /// Every file under `fixtures/events/cloudtrail/`, relative to `fixtures/events/`.
    fn cloudtrail_fixtures() -> Vec<String> {
        let root = fixtures();
        let mut files = Vec::new();
        let dirs = std::fs::read_dir(root.join("cloudtrail")).expect("fixtures/events/cloudtrail");
        for dir in dirs.flatten() {
            for file in std::fs::read_dir(dir.path())
                .expect("a fixture directory")
                .flatten()
            {
                let path = file.path();
                if path.extension().is_some_and(|e| e == "json") {
                    let rel = path.strip_prefix(&root).expect("under fixtures/events");
                    files.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        files.sort();
        files
    }

    #[test]
    fn fixtures_are_named_after_their_event() {
        let files = cloudtrail_fixtures();
        assert!(files.len() >= 40, "{} fixtures", files.len());
        for rel in files {
            let value = fixture(&rel);
            let envelope = Envelope::parse(&value).unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert!(
                matches!(envelope, Envelope::EventBridge { .. }),
                "{rel}: not an envelope"
            );
            let ev = envelope.event();
            let path = Path::new(&rel);
            let service = path
                .parent()
                .and_then(Path::file_name)
                .and_then(|s| s.to_str());
            let stem = path.file_stem().and_then(|s| s.to_str());
            assert_eq!(stem, Some(ev.event_name.as_str()), "{rel}");
            assert_eq!(
                service,
                ev.event_source.strip_suffix(".amazonaws.com"),
                "{rel}"
            );
            assert_eq!(
                value["source"].as_str(),
                Some(format!("aws.{}", service.unwrap_or_default()).as_str()),
                "{rel}"
            );
        }
    }

    #[test]
    fn unsupported_events_are_reported_not_errors() {
        for rel in [
            "cloudtrail/lambda/GetFunction.json",
            "cloudtrail/s3/CreateBucket.json",
            "cloudtrail/dynamodb/DescribeTable.json",
            "cloudtrail/kms/DescribeKey.json",
            "cloudtrail/config/DescribeConfigurationRecorders.json",
            "cloudtrail/organizations/CreateOrganizationalUnit.json",
        ] {
            let ev = event_of(&fixture(rel));
            assert_eq!(
                outcome_of(rel),
                Outcome::Unsupported {
                    event_source: ev.event_source.clone(),
                    event_name: ev.event_name.clone(),
                },
                "{rel}"
            );
        }
    }

    #[test]
    fn failed_calls_and_dry_runs_changed_nothing() {
        for (rel, code) in [
            (
                "cloudtrail/organizations/AttachPolicy.json",
                "PolicyTypeNotEnabledException",
            ),
            (
                "cloudtrail/organizations/LeaveOrganization.json",
                "AccessDenied",
            ),
        ] {
            match outcome_of(rel) {
                Outcome::Ignored { reason } => assert!(reason.contains(code), "{rel}: {reason}"),
                other => panic!("{rel}: {other:?}"),
            }
        }
        let mut dry = fixture("cloudtrail/lambda/UpdateFunctionCode20150331v2.json");
        dry["detail"]["requestParameters"]["dryRun"] = Value::Bool(true);
        assert!(matches!(
            changes(&event_of(&dry)),
            Ok(Outcome::Ignored { .. })
        ));
    }

    #[test]
    fn a_supported_event_without_its_resource_is_an_error_naming_the_field_and_the_event() {
        let mut value = fixture("cloudtrail/dynamodb/DeleteTable.json");
        value["detail"]["requestParameters"] = json!({});
        value["detail"]["responseElements"] = Value::Null;
        let err = changes(&event_of(&value)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("a954451c-c2fc-4561-8aea-7a30ba1fdf52"),
            "{text}"
        );
        assert!(text.contains("requestParameters.tableName"), "{text}");
        assert!(text.contains("DeleteTable"), "{text}");

        // Stage events name restApiId (v1) or apiId (v2); neither is an error naming both.
        let stage = built(
            APIGATEWAY,
            "UpdateStage",
            json!({"stageName": "prod"}),
            Value::Null,
        );
        let text = changes(&event_of(&stage)).unwrap_err().to_string();
        assert!(
            text.contains("restApiId or requestParameters.apiId"),
            "{text}"
        );

        // A function "name" that is another service's ARN.
        let bad = built(
            LAMBDA,
            "AddPermission20150331v2",
            json!({"functionName": "arn:aws:s3:::bucket"}),
            Value::Null,
        );
        assert!(matches!(
            changes(&event_of(&bad)),
            Err(ChangeError::Field { .. })
        ));

        // A layer event without a version.
        let no_version = built(
            LAMBDA,
            "AddLayerVersionPermission20181031",
            json!({"layerName": "shared-libs"}),
            Value::Null,
        );
        let text = changes(&event_of(&no_version)).unwrap_err().to_string();
        assert!(text.contains("versionNumber"), "{text}");

        // Organizations: a policy attachment without its target.
        let attach = built(
            ORGANIZATIONS,
            "AttachPolicy",
            json!({"policyId": "p-1"}),
            Value::Null,
        );
        let text = changes(&event_of(&attach)).unwrap_err().to_string();
        assert!(
            text.contains("requestParameters.targetId") && text.contains("built-AttachPolicy"),
            "{text}"
        );
    }

    #[test]
    fn a_kms_alias_is_resolved_through_the_key_arn_or_refused() {
        let alias_only = built(
            KMS,
            "DisableKey",
            json!({"keyId": "alias/orders"}),
            Value::Null,
        );
        let text = changes(&event_of(&alias_only)).unwrap_err().to_string();
        assert!(text.contains("alias/orders"), "{text}");
        let mut with_resources = alias_only.clone();
        with_resources["resources"] = json!([{"accountId": ACCT, "type": "AWS::KMS::Key",
            "ARN": format!("arn:aws:kms:eu-west-1:111122223333:key/{ID}")}]);
        assert_eq!(
            changes(&event_of(&with_resources)),
            Ok(Outcome::Changed(vec![res(ACCT, REG, KEY, ID)]))
        );
        let nothing = built(KMS, "EnableKeyRotation", json!({}), Value::Null);
        let text = changes(&event_of(&nothing)).unwrap_err().to_string();
        assert!(
            text.contains("requestParameters.keyId") && text.contains("is missing"),
            "{text}"
        );
    }

    #[test]
    fn a_non_cloudtrail_eventbridge_event_is_an_error_with_a_clear_message() {
        let err = Envelope::parse(&fixture("eventbridge/ScheduledEvent.json")).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, ChangeError::NotCloudTrail(_)), "{err:?}");
        assert!(
            text.contains("Scheduled Event") && text.contains("aws.events"),
            "{text}"
        );
        assert!(
            text.contains("53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa"),
            "{text}"
        );

        assert!(matches!(
            Envelope::parse(&json!([1, 2])),
            Err(ChangeError::NotCloudTrail(_))
        ));
        let sns = json!({"Type": "Notification", "MessageId": "m", "Message": "{}"});
        let text = Envelope::parse(&sns).unwrap_err().to_string();
        assert!(text.contains("SNS notification"), "{text}");
        let batch = fixture("sqs/batch.json");
        let text = Envelope::parse(&batch).unwrap_err().to_string();
        assert!(text.contains("parse_sqs_batch"), "{text}");
    }

    #[test]
    fn envelope_and_record_fields_are_checked() {
        let good = fixture("cloudtrail/kms/DisableKey.json");
        let field_of = |value: &Value| match Envelope::parse(value) {
            Err(ChangeError::Field { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let mut no_detail = good.clone();
        no_detail.as_object_mut().map(|o| o.remove("detail"));
        assert_eq!(field_of(&no_detail), "detail");
        let mut no_id = good.clone();
        no_id.as_object_mut().map(|o| o.remove("id"));
        assert_eq!(field_of(&no_id), "id");
        for key in ["eventSource", "eventName", "eventID", "eventTime"] {
            let mut v = good.clone();
            v["detail"].as_object_mut().map(|o| o.remove(key));
            assert_eq!(field_of(&v), key);
        }
        let mut bad_time = good.clone();
        bad_time["detail"]["eventTime"] = json!("2014-11-04 00:52:43");
        assert_eq!(field_of(&bad_time), "eventTime");
        let mut bad_read_only = good.clone();
        bad_read_only["detail"]["readOnly"] = json!(1);
        assert_eq!(field_of(&bad_read_only), "readOnly");
        // No recipientAccountId: the envelope's account; neither: an error.
        let mut no_recipient = good.clone();
        no_recipient["detail"]
            .as_object_mut()
            .map(|o| o.remove("recipientAccountId"));
        no_recipient["account"] = json!("444455556666");
        assert_eq!(event_of(&no_recipient).account, "444455556666");
        no_recipient.as_object_mut().map(|o| o.remove("account"));
        assert_eq!(field_of(&no_recipient), "recipientAccountId");
    }

    #[test]
    fn the_recipient_account_is_taken_from_the_envelope_when_the_record_has_none() {
        // The published MoveAccount event has no recipientAccountId.
        let value = fixture("cloudtrail/organizations/MoveAccount.json");
        assert!(value["detail"].get("recipientAccountId").is_none());
        let envelope = Envelope::parse(&value).expect("MoveAccount");
        match &envelope {
            Envelope::EventBridge {
                id,
                detail_type,
                event,
            } => {
                assert_eq!(id, "579d06ba-c104-8760-5882-bd2a3275791d");
                assert_eq!(detail_type, DETAIL_TYPE_API_CALL);
                assert_eq!(event.account, "538235518685");
                assert_eq!(event.read_only, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn service_events_arrive_with_their_own_detail_type() {
        let value = fixture("cloudtrail/kms/DeleteKey.json");
        assert_eq!(value["detail-type"], DETAIL_TYPE_SERVICE_EVENT);
        let ev = event_of(&value);
        assert_eq!(ev.event_type.as_deref(), Some("AwsServiceEvent"));
        assert_eq!(ev.request_parameters, Value::Null);
    }

    #[test]
    fn a_bare_cloudtrail_record_is_read_like_its_envelope() {
        let value = fixture("cloudtrail/dynamodb/DeleteTable.json");
        let record = Envelope::parse(&value["detail"]).expect("record");
        assert!(matches!(record, Envelope::Record(_)));
        assert_eq!(record.event(), &event_of(&value));
        assert_eq!(changes(record.event()), changes(&event_of(&value)));
    }

    #[test]
    fn an_sqs_batch_yields_each_message_with_its_own_result() {
        let batch = fixture("sqs/batch.json");
        let messages = parse_sqs_batch(&batch).expect("an SQS batch");
        assert_eq!(messages.len(), 2);
        let (id, first) = &messages[0];
        assert_eq!(id, "059f36b4-87a3-44ab-83d2-661975830a7d");
        let first = first.as_ref().expect("an EventBridge event");
        assert_eq!(
            changes(first.event()),
            Ok(Outcome::Changed(vec![res(
                "111122223333",
                "us-west-2",
                TABLE,
                "Music"
            )]))
        );
        // The second message is the documentation's "Test message.": not JSON.
        let (id, second) = &messages[1];
        assert_eq!(id, "2e1424d4-f796-459a-8184-9c92662be6da");
        match second {
            Err(ChangeError::NotJson(text)) => assert!(text.contains("Test message."), "{text}"),
            other => panic!("{other:?}"),
        }
        assert!(second
            .as_ref()
            .unwrap_err()
            .to_string()
            .starts_with("message body is not JSON"));
    }

    #[test]
    fn what_is_not_an_sqs_batch_fails_as_a_whole() {
        let scheduled = fixture("eventbridge/ScheduledEvent.json");
        assert!(matches!(
            parse_sqs_batch(&scheduled),
            Err(ChangeError::NotSqsBatch(_))
        ));
        let log_file = json!({"Records": [fixture("cloudtrail/kms/DisableKey.json")["detail"]]});
        let text = parse_sqs_batch(&log_file).unwrap_err().to_string();
        assert!(text.contains("kms.amazonaws.com"), "{text}");
        let mut no_id = fixture("sqs/batch.json");
        no_id["Records"][1]
            .as_object_mut()
            .map(|o| o.remove("messageId"));
        let text = parse_sqs_batch(&no_id).unwrap_err().to_string();
        assert!(text.contains("Records[1] has no messageId"), "{text}");
        let mut not_text = fixture("sqs/batch.json");
        not_text["Records"][0]["body"] = json!({"detail-type": DETAIL_TYPE_API_CALL});
        let messages = parse_sqs_batch(&not_text).expect("a batch");
        assert!(matches!(messages[0].1, Err(ChangeError::NotJson(_))));
    }

    #[test]
    fn an_input_file_is_an_sqs_batch_a_log_file_or_one_event() {
        let sqs = parse_input(&fixture("sqs/batch.json")).expect("sqs");
        assert_eq!(sqs.len(), 2);
        assert_eq!(sqs[0].0, "059f36b4-87a3-44ab-83d2-661975830a7d");
        let log_file = json!({"Records": [
            fixture("cloudtrail/dynamodb/CreateTable.json")["detail"],
            fixture("cloudtrail/dynamodb/DeleteTable.json")["detail"],
        ]});
        let records = parse_input(&log_file).expect("log file");
        assert_eq!(
            records.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(),
            ["Records[0]", "Records[1]"]
        );
        assert!(records
            .iter()
            .all(|(_, r)| matches!(r, Ok(Envelope::Record(_)))));
        let single = parse_input(&fixture("cloudtrail/kms/CreateKey.json")).expect("event");
        assert_eq!(single.len(), 1);
        assert!(single[0].1.is_ok());
        let scheduled = parse_input(&fixture("eventbridge/ScheduledEvent.json")).expect("event");
        assert_eq!(scheduled[0].0, "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa");
        assert!(scheduled[0].1.is_err());
    }

    #[test]
    fn event_names_with_an_api_version_name_their_operation() {
        for (name, op) in [
            (
                "UpdateFunctionConfiguration20150331v2",
                "UpdateFunctionConfiguration",
            ),
            ("CreateFunction20150331", "CreateFunction"),
            ("PublishLayerVersion20181031", "PublishLayerVersion"),
            ("TagResource20170331v2", "TagResource"),
            ("DeleteFunction", "DeleteFunction"),
            ("PutKeyPolicy", "PutKeyPolicy"),
            ("Ec2v2", "Ec2v2"),
            ("v2", "v2"),
            ("20150331", "20150331"),
            ("Get2015033", "Get2015033"),
        ] {
            assert_eq!(operation_name(name), op, "{name}");
        }
        assert!(lookup(LAMBDA, "UpdateFunctionConfiguration20150331v3").is_some());
        assert!(lookup(KMS, "UpdateFunctionConfiguration20150331v2").is_none());
    }

    #[test]
    fn function_layer_table_and_key_names_are_normalised() {
        let names = [
            "orders-api",
            "orders-api:live",
            "111122223333:function:orders-api",
            "111122223333:function:orders-api:3",
            "arn:aws:lambda:eu-west-1:111122223333:function:orders-api",
            "arn:aws:lambda:eu-west-1:111122223333:function:orders-api:$LATEST",
        ];
        for raw in names {
            assert_eq!(
                function_ref(raw).map(|(_, n, _)| n),
                Some("orders-api"),
                "{raw}"
            );
        }
        assert_eq!(
            function_ref("arn:aws:lambda:eu-west-1:1:function:f:live").and_then(|r| r.2),
            Some("live")
        );
        for bad in [
            "",
            "arn:aws:s3:::b",
            "arn:aws:lambda:eu-west-1:1:layer:x",
            "x/y",
            "abc:function:f",
        ] {
            assert!(function_ref(bad).is_none(), "{bad}");
        }
        assert_eq!(
            layer_ref("arn:aws:lambda:eu-west-1:1:layer:libs:7").map(|r| (r.1, r.2)),
            Some(("libs", Some("7")))
        );
        assert_eq!(
            table_ref("arn:aws:dynamodb:eu-west-1:1:table/t/index/i").map(|r| r.1),
            Some("t")
        );
        assert!(table_ref("arn:aws:dynamodb:eu-west-1:1:global-table/t").is_none());
        assert_eq!(
            key_ref(&format!("arn:aws:kms:eu-west-1:1:key/{ID}")).map(|r| r.1),
            Some(ID)
        );
        assert!(key_ref("alias/orders").is_none());
        assert!(key_ref("arn:aws:kms:eu-west-1:1:alias/orders").is_none());
    }

    #[test]
    fn the_supported_table_is_consistent() {
        let mut seen = BTreeSet::new();
        for row in SUPPORTED {
            assert!(
                seen.insert((row.event_source, row.operation)),
                "{} twice",
                row.operation
            );
            assert_eq!(
                operation_name(row.event_name),
                row.operation,
                "{}",
                row.event_name
            );
            assert!(
                !row.resource_types.is_empty() && !row.effect.is_empty(),
                "{}",
                row.operation
            );
            for rt in row.resource_types {
                assert!(
                    RESOURCE_TYPES.contains(rt),
                    "{}: {rt} is not collected",
                    row.operation
                );
            }
        }
        assert_eq!(supported_events().len(), SUPPORTED.len());
        let sources: BTreeSet<&str> = SUPPORTED.iter().map(|s| s.event_source).collect();
        assert_eq!(sources.len(), 6, "{sources:?}");
    }

    fn obs(source: &str, time: &str, change: Change) -> Observation {
        Observation {
            source: source.into(),
            event_time: time.into(),
            change,
        }
    }

    #[test]
    fn coalescing_keeps_one_change_per_document_as_of_the_latest_event() {
        let f = |deleted: bool| {
            if deleted {
                gone(ACCT, REG, FUNCTION, "orders-api")
            } else {
                res(ACCT, REG, FUNCTION, "orders-api")
            }
        };
        let t = res(ACCT, REG, TABLE, "orders");
        let merged = coalesce([
            obs("m1", "2024-01-01T00:00:01Z", f(false)),
            obs("m2", "2024-01-01T00:00:00Z", t.clone()),
            // Delivered out of order: the delete (later eventTime) wins over the update.
            obs("m3", "2024-01-01T00:00:05Z", f(true)),
            obs("m4", "2024-01-01T00:00:03Z", f(false)),
            // The same message delivered twice.
            obs("m2", "2024-01-01T00:00:00Z", t.clone()),
            obs("m5", "2024-01-01T00:00:00Z", target("ou-1")),
            obs("m6", "2024-01-01T00:00:09Z", target("ou-1")),
        ]);
        assert_eq!(merged.len(), 3);
        assert_eq!(merged[0].change, f(true));
        assert_eq!(merged[0].event_time, "2024-01-01T00:00:05Z");
        assert_eq!(merged[0].sources, ["m1", "m3", "m4"]);
        assert_eq!(merged[1].change, t);
        assert_eq!(merged[1].sources, ["m2"]);
        assert_eq!(merged[2].sources, ["m5", "m6"]);

        // Deleted, then created again: not deleted.
        let merged = coalesce([
            obs("a", "2024-01-01T00:00:01Z", f(true)),
            obs("b", "2024-01-01T00:00:02Z", f(false)),
        ]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].change, f(false));

        // Same time: the later in the batch wins.
        let merged = coalesce([
            obs("a", "2024-01-01T00:00:01Z", f(false)),
            obs("b", "2024-01-01T00:00:01Z", f(true)),
        ]);
        assert_eq!(merged[0].change, f(true));

        // Other accounts, regions and types stay apart.
        let merged = coalesce([
            obs("a", "2024-01-01T00:00:01Z", res(ACCT, REG, FUNCTION, "x")),
            obs(
                "b",
                "2024-01-01T00:00:01Z",
                res("444455556666", REG, FUNCTION, "x"),
            ),
            obs(
                "c",
                "2024-01-01T00:00:01Z",
                res(ACCT, "us-east-1", FUNCTION, "x"),
            ),
            obs("d", "2024-01-01T00:00:01Z", res(ACCT, REG, TABLE, "x")),
        ]);
        assert_eq!(merged.len(), 4);
    }

    #[test]
    fn a_batch_maps_and_coalesces_end_to_end() {
        // The published UpdateTable event twice (a redelivery) and the DeleteTable of the same
        // table: one change, deleted, naming every message.
        let update =
            serde_json::to_string(&fixture("cloudtrail/dynamodb/UpdateTable.json")).expect("json");
        let delete =
            serde_json::to_string(&fixture("cloudtrail/dynamodb/DeleteTable.json")).expect("json");
        let batch = json!({"Records": [
            {"messageId": "m1", "body": update, "eventSource": "aws:sqs"},
            {"messageId": "m2", "body": delete, "eventSource": "aws:sqs"},
            {"messageId": "m3", "body": update, "eventSource": "aws:sqs"},
        ]});
        let mut observations = Vec::new();
        for (id, parsed) in parse_sqs_batch(&batch).expect("batch") {
            let ev = parsed.expect("event").into_event();
            if let Outcome::Changed(all) = changes(&ev).expect("changes") {
                observations.extend(all.into_iter().map(|c| obs(&id, &ev.event_time, c)));
            }
        }
        let merged = coalesce(observations);
        assert_eq!(merged.len(), 1);
        assert_eq!(
            merged[0].change,
            gone("111122223333", "us-west-2", TABLE, "Music")
        );
        assert_eq!(merged[0].sources, ["m1", "m2", "m3"]);
    }
}
