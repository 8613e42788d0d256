//! SNS messages: new and resolved findings as SNS messages that subscribers filter on message
//! attributes (`severity`, `account_id`, `rule_id`, `change`).
//!
//! Building messages is pure ([`change_messages`], [`first_run_messages`]): one message per
//! (account, rule, change, severity) group, split so that every message (subject, body and
//! attributes) stays under the SNS limit with a safety margin. A body is a readable text part,
//! one line per finding, then a `--- findings (JSON) ---` line and the findings as a JSON array.
//! Publishing is the run's (`vigil_run::notify::sns`).

use serde::Serialize;
use std::collections::BTreeMap;
use vigil_model::{report_order, Change, Finding, Severity};

/// SNS's limit for one message: body, subject and attributes together.
pub const SNS_MAX_BYTES: usize = 256 * 1024;
/// Subjects must be shorter than 100 characters.
pub const MAX_SUBJECT: usize = 99;
/// The line between a message's text part and its JSON part.
pub const JSON_SEPARATOR: &str = "--- findings (JSON) ---";
/// Longest message, remediation or title carried for one finding (longer ones are cut), so
/// that any single finding fits in a message.
const MAX_FIELD: usize = 4000;

/// How messages are built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageOptions {
    /// Largest message (subject + body + attribute names, types and values), in bytes.
    pub max_bytes: usize,
    /// The body's format.
    pub format: SnsFormat,
    /// Where this run's full reports are (the Lambda mode's report bucket): a line of every
    /// message links to them ([`MessageOptions::finish`]).
    pub report_links: Vec<String>,
}

impl Default for MessageOptions {
    fn default() -> Self {
        // A margin below the limit for what SNS adds or counts differently.
        MessageOptions {
            max_bytes: SNS_MAX_BYTES - 16 * 1024,
            format: SnsFormat::Text,
            report_links: Vec::new(),
        }
    }
}

/// The most bytes the report line may add to a message: the margin between `max_bytes` and
/// SNS's limit is larger.
const MAX_LINKS_LINE: usize = 2048;

impl MessageOptions {
    /// Built messages as they are published: the report links after the first line of the
    /// body (before the findings), then in the chosen [`SnsFormat`].
    pub fn finish(&self, mut messages: Vec<Message>) -> Vec<Message> {
        if !self.report_links.is_empty() {
            let mut line = format!("Full report: {}", self.report_links.join(" "));
            if line.len() > MAX_LINKS_LINE {
                line = format!("Full report: {}", self.report_links[0]);
            }
            for m in &mut messages {
                let at = m.body.find('\n').map_or(m.body.len(), |i| i + 1);
                let mut l = line.clone();
                l.push('\n');
                if at == m.body.len() && !m.body.ends_with('\n') {
                    l.insert(0, '\n');
                }
                m.body.insert_str(at, &l);
            }
        }
        self.format.apply(messages)
    }
}

/// How a message body is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SnsFormat {
    /// Readable lines, then the findings as JSON (email, SQS, Lambda subscribers).
    #[default]
    Text,
    /// An AWS Chatbot (Amazon Q Developer in chat applications) custom notification, which it
    /// renders in Slack, Microsoft Teams or Amazon Chime: see [`chatbot`].
    Chatbot,
}

impl SnsFormat {
    /// `messages` in this format (the subject and the attributes stay: filter policies work
    /// the same).
    pub fn apply(self, messages: Vec<Message>) -> Vec<Message> {
        match self {
            SnsFormat::Text => messages,
            SnsFormat::Chatbot => messages.iter().map(chatbot).collect(),
        }
    }
}

/// Text for a chat message: Slack and Teams read `<…>` as links and mentions (`<!channel>`,
/// `<@U123>`) and `@name` as a mention; `&`, `<` and `>` become entities and a zero-width
/// space follows each `@`, so account-controlled text notifies no one and links nowhere.
fn chat_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("@\u{200B}"),
            c => out.push(c),
        }
    }
    out
}

/// `m` as an AWS Chatbot custom notification, the documented event format
/// (<https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html>): `version`
/// "1.0", `source` "custom", an `id`, `content` (`textType` "client-markdown", `title` = the
/// subject, `description` = the readable lines, `keywords`), `metadata` (`summary`,
/// `eventType` `vigil:new|resolved|summary`, `relatedResources` = the resources' ARNs, and the
/// message attributes as `additionalContext`). The findings' JSON part is left out (a chat
/// channel shows text); subscribers that need it keep a text-format topic.
pub fn chatbot(m: &Message) -> Message {
    let (text, json) = match m.body.split_once(&format!("{JSON_SEPARATOR}\n")) {
        Some((t, j)) => (t, Some(j)),
        None => (m.body.as_str(), None),
    };
    let arns: Vec<String> = json
        .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| {
            f.get("resource_arn")
                .and_then(|a| a.as_str())
                .map(str::to_string)
        })
        .filter(|a| !a.is_empty())
        .collect::<std::collections::BTreeSet<String>>()
        .into_iter()
        .collect();
    let keywords: Vec<String> = ["change", "severity", "rule_id", "account_id"]
        .iter()
        .filter_map(|k| m.attributes.get(*k))
        .map(|v| chat_text(v))
        .collect();
    let id = {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(m.subject.as_bytes());
        for fp in &m.fingerprints {
            h.update(fp.as_bytes());
        }
        h.finalize()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let body = serde_json::json!({
        "version": "1.0",
        "source": "custom",
        "id": id,
        "content": {
            "textType": "client-markdown",
            "title": chat_text(&m.subject),
            "description": chat_text(text.trim_end()),
            "keywords": keywords,
        },
        "metadata": {
            "summary": chat_text(&m.subject),
            "eventType": format!("vigil:{}", m.change()),
            "relatedResources": arns,
            "additionalContext": m.attributes,
        },
    });
    Message {
        body: body.to_string(),
        ..m.clone()
    }
}

/// One SNS message, ready to publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// ASCII, no line breaks, at most [`MAX_SUBJECT`] characters.
    pub subject: String,
    pub body: String,
    /// Message attributes (all of SNS type `String`).
    pub attributes: BTreeMap<String, String>,
    /// Fingerprints of the findings it carries (none for a summary).
    pub fingerprints: Vec<String>,
    /// Findings it carries.
    pub findings: usize,
}

impl Message {
    /// Bytes SNS counts against its limit: body, subject, attribute names, types and values.
    pub fn size(&self) -> usize {
        self.subject.len()
            + self.body.len()
            + self
                .attributes
                .iter()
                .map(|(k, v)| k.len() + "String".len() + v.len())
                .sum::<usize>()
    }

    /// The `change` attribute: `new`, `resolved` or `summary`.
    pub fn change(&self) -> &str {
        self.attributes.get("change").map_or("", String::as_str)
    }
}

/// One message per (account, rule, change, severity) group of `findings` (each with `change`
/// new or resolved; other findings are ignored), split to stay under `opts.max_bytes`.
/// Groups come most severe first, new before resolved.
pub fn change_messages(findings: &[Finding], opts: &MessageOptions) -> Vec<Message> {
    type Key<'a> = (Change, std::cmp::Reverse<Severity>, &'a str, &'a str);
    let mut groups: BTreeMap<Key<'_>, Vec<Finding>> = BTreeMap::new();
    for f in findings {
        let Some(change @ (Change::New | Change::Resolved)) = f.change else {
            continue;
        };
        groups
            .entry((
                change,
                std::cmp::Reverse(f.severity),
                f.account_id.as_str(),
                f.rule_id.as_str(),
            ))
            .or_default()
            .push(carried(f));
    }
    let mut out = Vec::new();
    for ((change, _, _, _), mut group) in groups {
        group.sort_by(|a, b| {
            (&a.region, &a.resource_arn, &a.resource_id, &a.message).cmp(&(
                &b.region,
                &b.resource_arn,
                &b.resource_id,
                &b.message,
            ))
        });
        out.extend(group_messages(change, &group, opts));
    }
    out
}

/// A finding as a message carries it: long fields cut.
fn carried(f: &Finding) -> Finding {
    let mut f = f.clone();
    f.message = cut(&f.message).unwrap_or(f.message);
    if let Some(c) = cut(&f.remediation) {
        f.remediation = c.into();
    }
    if let Some(c) = cut(&f.title) {
        f.title = c.into();
    }
    f
}

/// `text` cut to MAX_FIELD bytes (at a character boundary) and marked, when longer.
fn cut(text: &str) -> Option<String> {
    if text.len() <= MAX_FIELD {
        return None;
    }
    let mut end = MAX_FIELD;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(format!("{} [cut]", &text[..end]))
}

/// Messages of one group (same change, severity, account and rule).
fn group_messages(change: Change, group: &[Finding], opts: &MessageOptions) -> Vec<Message> {
    let first = &group[0];
    let attributes = attributes(
        change.as_str(),
        Some(first.severity),
        Some(&first.account_id),
        Some(&first.rule_id),
    );
    let lines: Vec<String> = group.iter().map(|f| text_line(change, f)).collect();
    let jsons: Vec<String> = group
        .iter()
        .map(|f| serde_json::to_string(f).expect("a finding serializes"))
        .collect();
    // Upper bound of everything but the findings: the header with the largest count and part
    // numbers, the longest subject.
    let fixed = header(change, first, group.len(), Some((99_999, 99_999))).len()
        + JSON_SEPARATOR.len()
        + 4
        + MAX_SUBJECT
        + attributes
            .iter()
            .map(|(k, v)| k.len() + "String".len() + v.len())
            .sum::<usize>();
    let mut chunks: Vec<std::ops::Range<usize>> = Vec::new();
    let (mut start, mut size) = (0, fixed);
    for i in 0..group.len() {
        let cost = lines[i].len() + 1 + jsons[i].len() + 1;
        if i > start && size + cost > opts.max_bytes {
            chunks.push(start..i);
            (start, size) = (i, fixed);
        }
        size += cost;
    }
    chunks.push(start..group.len());
    let parts = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, range)| {
            let part = (parts > 1).then_some((i + 1, parts));
            let n = range.len();
            let mut body = header(change, first, n, part);
            for l in &lines[range.clone()] {
                body.push_str(l);
                body.push('\n');
            }
            body.push_str(JSON_SEPARATOR);
            body.push('\n');
            body.push('[');
            body.push_str(&jsons[range.clone()].join(","));
            body.push_str("]\n");
            let mut fingerprints: Vec<String> =
                group[range].iter().map(|f| f.fingerprint.clone()).collect();
            fingerprints.dedup();
            Message {
                subject: subject(
                    &format!(
                        "vigil: {n} {} {} {} in {}",
                        change.as_str(),
                        first.severity,
                        first.rule_id,
                        first.account_id
                    ),
                    part,
                ),
                body,
                attributes: attributes.clone(),
                fingerprints,
                findings: n,
            }
        })
        .collect()
}

fn header(change: Change, f: &Finding, n: usize, part: Option<(usize, usize)>) -> String {
    let what = match change {
        Change::Resolved => "resolved",
        _ => "new",
    };
    let plural = if n == 1 { "finding" } else { "findings" };
    let mut h = format!(
        "{n} {what} {} {plural} of {}: {}\nAccount: {}",
        f.severity,
        f.rule_id,
        one_line(&f.title),
        f.account_id
    );
    if !f.account_name.is_empty() && f.account_name != f.account_id {
        h.push_str(&format!(" ({})", one_line(&f.account_name)));
    }
    h.push('\n');
    if let Some((i, k)) = part {
        h.push_str(&format!("Part {i} of {k}\n"));
    }
    h.push('\n');
    h
}

/// One readable line: severity, resource, region, message; remediation for a new failure.
fn text_line(change: Change, f: &Finding) -> String {
    let resource = if f.resource_arn.is_empty() {
        &f.resource_id
    } else {
        &f.resource_arn
    };
    match change {
        Change::Resolved => format!(
            "- [{}] {} ({}): resolved; it failed with: {}",
            f.severity,
            one_line(resource),
            f.region,
            one_line(&f.message)
        ),
        _ => {
            let mut l = format!(
                "- [{}] {} ({}): {}",
                f.severity,
                one_line(resource),
                f.region,
                one_line(&f.message)
            );
            if !f.remediation.is_empty() {
                l.push_str(" | Remediation: ");
                l.push_str(&one_line(&f.remediation));
            }
            l
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A subject SNS accepts: printable ASCII, no line breaks, at most [`MAX_SUBJECT`] characters
/// (cut before the part suffix, which is always kept).
fn subject(base: &str, part: Option<(usize, usize)>) -> String {
    let suffix = part.map(|(i, k)| format!(" ({i}/{k})")).unwrap_or_default();
    let mut s: String = base
        .chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect();
    let room = MAX_SUBJECT - suffix.len();
    if s.len() > room {
        s.truncate(room - 3);
        s = format!("{}...", s.trim_end());
    }
    s.push_str(&suffix);
    s
}

fn attributes(
    change: &str,
    severity: Option<Severity>,
    account_id: Option<&str>,
    rule_id: Option<&str>,
) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    a.insert("change".to_string(), change.to_string());
    if let Some(s) = severity {
        a.insert("severity".to_string(), s.as_str().to_string());
    }
    // SNS rejects empty attribute values: an attribute without a value is left out.
    for (k, v) in [("account_id", account_id), ("rule_id", rule_id)] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            a.insert(k.to_string(), v.to_string());
        }
    }
    a
}

/// What the first-run summary says about the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstRun<'a> {
    pub organization_id: &'a str,
    pub accounts: usize,
    /// Failing findings notified individually (most severe first); the rest are only counted.
    pub cap: usize,
}

/// The messages of a first run (a state table that was never written): a summary (attribute
/// `change` = `summary`, `severity` = the highest failing severity) with counts by severity,
/// account and rule, then the `cap` most severe failures as ordinary `new` messages.
pub fn first_run_messages(
    failing: &[Finding],
    first: &FirstRun<'_>,
    opts: &MessageOptions,
) -> Vec<Message> {
    let mut sorted: Vec<Finding> = failing.to_vec();
    sorted.sort_by(report_order);
    let shown: Vec<Finding> = sorted
        .iter()
        .take(first.cap)
        .cloned()
        .map(|mut f| {
            f.change = Some(Change::New);
            f
        })
        .collect();
    let mut out = vec![summary_message(&sorted, shown.len(), first, opts)];
    out.extend(change_messages(&shown, opts));
    out
}

fn summary_message(
    sorted: &[Finding],
    shown: usize,
    first: &FirstRun<'_>,
    opts: &MessageOptions,
) -> Message {
    let total = sorted.len();
    let mut by_severity: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_account: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in sorted {
        *by_severity.entry(f.severity.as_str()).or_default() += 1;
        by_account
            .entry(&f.account_id)
            .or_insert((0, &f.account_name))
            .0 += 1;
        *by_rule.entry(&f.rule_id).or_default() += 1;
    }
    let showing = if shown < total {
        format!("showing {shown} of {total}; the rest are recorded")
    } else {
        format!("showing all {total}")
    };
    let org = if first.organization_id.is_empty() {
        String::new()
    } else {
        format!(" in organization {}", first.organization_id)
    };
    let build = |with_accounts: bool, accounts_in_json: bool| {
        let mut body = format!(
            "First vigil run with this state table: {total} failing {}{org} ({} accounts scanned) are recorded as the baseline. From the next run on, only new and resolved findings are notified.\n{showing}\n\nBy severity:\n",
            if total == 1 { "finding" } else { "findings" },
            first.accounts
        );
        for sev in Severity::ALL_DESC {
            if let Some(n) = by_severity.get(sev.as_str()) {
                body.push_str(&format!("  {sev}: {n}\n"));
            }
        }
        if with_accounts {
            body.push_str("By account:\n");
            for (id, (n, name)) in &by_account {
                if name.is_empty() || name == id {
                    body.push_str(&format!("  {id}: {n}\n"));
                } else {
                    body.push_str(&format!("  {id} ({}): {n}\n", one_line(name)));
                }
            }
        } else {
            body.push_str(&format!(
                "By account: {} accounts with failures (too many to list)\n",
                by_account.len()
            ));
        }
        body.push_str("By rule:\n");
        for (rule, n) in &by_rule {
            body.push_str(&format!("  {rule}: {n}\n"));
        }
        let mut json = serde_json::json!({
            "total": total,
            "shown": shown,
            "by_severity": by_severity,
            "by_rule": by_rule,
        });
        if accounts_in_json {
            json["by_account"] = by_account
                .iter()
                .map(|(id, (n, _))| (id.to_string(), serde_json::json!(n)))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        body.push_str("--- summary (JSON) ---\n");
        body.push_str(&json.to_string());
        body.push('\n');
        Message {
            subject: subject(
                &format!("vigil: first run, {total} failing findings recorded"),
                None,
            ),
            body,
            attributes: attributes("summary", sorted.first().map(|f| f.severity), None, None),
            fingerprints: Vec::new(),
            findings: 0,
        }
    };
    // An organization of thousands of accounts: drop the per-account list before the limit.
    [(true, true), (false, true), (false, false)]
        .into_iter()
        .map(|(text, json)| build(text, json))
        .find(|m| m.size() <= opts.max_bytes)
        .unwrap_or_else(|| build(false, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{fingerprint, Status};

    fn finding(rule: &str, account: &str, fn_name: &str, sev: Severity, change: Change) -> Finding {
        let arn = format!("arn:aws:lambda:eu-west-1:{account}:function:{fn_name}");
        Finding {
            rule_id: rule.into(),
            title: format!("{rule} title").into(),
            severity: sev,
            status: if change == Change::Resolved {
                Status::Pass
            } else {
                Status::Fail
            },
            account_id: account.into(),
            account_name: "payments-prod".into(),
            region: "eu-west-1".into(),
            resource_type: "AWS::Lambda::Function".into(),
            resource_id: fn_name.into(),
            resource_arn: arn.as_str().into(),
            message: format!("function {fn_name} fails {rule}"),
            remediation: "Set a KMS key.".into(),
            fingerprint: fingerprint(rule, account, "eu-west-1", &arn),
            change: Some(change),
            suppression: None,
            related: Default::default(),
        }
    }

    fn json_part(m: &Message) -> Vec<Finding> {
        let (_, json) = m
            .body
            .split_once(&format!("{JSON_SEPARATOR}\n"))
            .expect("a JSON part");
        serde_json::from_str(json).expect("the JSON part is a findings array")
    }

    /// A chat message names no one and links nowhere, whatever an account called things.
    #[test]
    fn chatbot_text_escapes_mentions_and_links() {
        let m = Message {
            subject: "vigil: 1 new high VGL-DDB-001 in 111122223333".into(),
            body: format!(
                "- [HIGH] table <!channel> @here <https://evil.example|click> & more\n\n{JSON_SEPARATOR}\n[{{\"resource_arn\": \"arn:aws:dynamodb:eu-west-1:111122223333:table/t\"}}]"
            ),
            attributes: [("change".to_string(), "new".to_string())].into_iter().collect(),
            fingerprints: vec!["fp".into()],
            findings: 1,
        };
        let c: serde_json::Value = serde_json::from_str(&chatbot(&m).body).unwrap();
        let d = c["content"]["description"].as_str().unwrap();
        assert_eq!(
            d,
            "- [HIGH] table &lt;!channel&gt; @\u{200B}here &lt;https://evil.example|click&gt; &amp; more"
        );
        assert_eq!(c["version"], "1.0");
        assert_eq!(c["source"], "custom");
        assert_eq!(
            c["metadata"]["relatedResources"],
            serde_json::json!(["arn:aws:dynamodb:eu-west-1:111122223333:table/t"])
        );
        assert_eq!(c["metadata"]["eventType"], "vigil:new");
        assert_eq!(chatbot(&m).body, chatbot(&m).body, "a stable id");
    }

    #[test]
    fn one_message_per_account_rule_and_change_with_exact_attributes() {
        let a = "111122223333";
        let fs = vec![
            finding("VGL-LAMBDA-002", a, "orders", Severity::High, Change::New),
            finding("VGL-LAMBDA-002", a, "billing", Severity::High, Change::New),
            finding("VGL-LAMBDA-002", a, "old", Severity::High, Change::Resolved),
            finding("VGL-LAMBDA-001", a, "orders", Severity::Medium, Change::New),
            finding(
                "VGL-LAMBDA-001",
                "444455556666",
                "x",
                Severity::Medium,
                Change::New,
            ),
            finding(
                "VGL-LAMBDA-003",
                a,
                "same",
                Severity::Low,
                Change::Unchanged,
            ),
        ];
        let ms = change_messages(&fs, &MessageOptions::default());
        type Row = (String, Vec<(String, String)>, usize);
        let summary: Vec<Row> = ms
            .iter()
            .map(|m| {
                (
                    m.subject.clone(),
                    m.attributes.clone().into_iter().collect(),
                    m.findings,
                )
            })
            .collect();
        let attrs = |c: &str, s: &str, acc: &str, r: &str| {
            vec![
                ("account_id".to_string(), acc.to_string()),
                ("change".to_string(), c.to_string()),
                ("rule_id".to_string(), r.to_string()),
                ("severity".to_string(), s.to_string()),
            ]
        };
        assert_eq!(
            summary,
            vec![
                (
                    "vigil: 2 new high VGL-LAMBDA-002 in 111122223333".to_string(),
                    attrs("new", "high", a, "VGL-LAMBDA-002"),
                    2
                ),
                (
                    "vigil: 1 new medium VGL-LAMBDA-001 in 111122223333".to_string(),
                    attrs("new", "medium", a, "VGL-LAMBDA-001"),
                    1
                ),
                (
                    "vigil: 1 new medium VGL-LAMBDA-001 in 444455556666".to_string(),
                    attrs("new", "medium", "444455556666", "VGL-LAMBDA-001"),
                    1
                ),
                (
                    "vigil: 1 resolved high VGL-LAMBDA-002 in 111122223333".to_string(),
                    attrs("resolved", "high", a, "VGL-LAMBDA-002"),
                    1
                ),
            ]
        );
        assert_eq!(
            ms[0].body,
            format!(
                "2 new high findings of VGL-LAMBDA-002: VGL-LAMBDA-002 title\nAccount: 111122223333 (payments-prod)\n\n\
                 - [high] arn:aws:lambda:eu-west-1:111122223333:function:billing (eu-west-1): function billing fails VGL-LAMBDA-002 | Remediation: Set a KMS key.\n\
                 - [high] arn:aws:lambda:eu-west-1:111122223333:function:orders (eu-west-1): function orders fails VGL-LAMBDA-002 | Remediation: Set a KMS key.\n\
                 {JSON_SEPARATOR}\n{}\n",
                serde_json::to_string(&vec![&fs[1], &fs[0]]).unwrap()
            )
        );
        assert!(ms[3]
            .body
            .contains("- [high] arn:aws:lambda:eu-west-1:111122223333:function:old (eu-west-1): resolved; it failed with: function old fails VGL-LAMBDA-002\n"));
        assert_eq!(json_part(&ms[3]), vec![fs[2].clone()]);
        assert_eq!(
            ms[0].fingerprints,
            vec![fs[1].fingerprint.clone(), fs[0].fingerprint.clone()]
        );
    }

    #[test]
    fn large_groups_are_split_under_the_limit_and_nothing_is_lost() {
        let fs: Vec<Finding> = (0..200)
            .map(|i| {
                let mut f = finding(
                    "VGL-LAMBDA-002",
                    "111122223333",
                    &format!("fn-{i:03}"),
                    Severity::High,
                    Change::New,
                );
                f.message = format!("function fn-{i:03} {}", "x".repeat(i * 7));
                f
            })
            .collect();
        let opts = MessageOptions {
            max_bytes: 8_000,
            ..Default::default()
        };
        let ms = change_messages(&fs, &opts);
        assert!(ms.len() > 10, "{} messages", ms.len());
        let k = ms.len();
        let mut carried = Vec::new();
        for (i, m) in ms.iter().enumerate() {
            assert!(
                m.size() <= opts.max_bytes,
                "message {i}: {} bytes",
                m.size()
            );
            assert!(m.subject.len() <= MAX_SUBJECT);
            assert!(
                m.subject.ends_with(&format!(" ({}/{k})", i + 1)),
                "{}",
                m.subject
            );
            assert!(m.body.contains(&format!("Part {} of {k}\n", i + 1)));
            let part = json_part(m);
            assert_eq!(part.len(), m.findings);
            assert!(m
                .subject
                .starts_with(&format!("vigil: {} new high", m.findings)));
            carried.extend(part);
        }
        assert_eq!(carried, fs, "every finding exactly once, in order");
    }

    #[test]
    fn every_message_links_the_runs_reports_after_its_first_line() {
        let f = finding(
            "VGL-LMB-001",
            "111122223333",
            "f",
            Severity::High,
            Change::New,
        );
        let opts = MessageOptions {
            report_links: vec!["https://console/x.html".into(), "s3://b/x.json".into()],
            ..MessageOptions::default()
        };
        let plain = change_messages(std::slice::from_ref(&f), &opts);
        let m = &opts.finish(plain.clone())[0];
        let mut lines = m.body.lines();
        assert_eq!(lines.next(), plain[0].body.lines().next());
        assert_eq!(
            lines.next(),
            Some("Full report: https://console/x.html s3://b/x.json")
        );
        // The JSON part is unchanged, the attributes too.
        assert_eq!(json_part(m), json_part(&plain[0]));
        assert_eq!(m.attributes, plain[0].attributes);
        // Without links, nothing changes; in the chat format the line is part of the text.
        assert_eq!(MessageOptions::default().finish(plain.clone()), plain);
        let chat = MessageOptions {
            format: SnsFormat::Chatbot,
            ..opts
        }
        .finish(plain);
        assert!(chat[0].body.contains("Full report: https://console/x.html"));
    }

    #[test]
    fn subjects_are_ascii_single_line_and_short() {
        let long = format!("VGL-{}", "Ü\nX".repeat(80));
        let f = finding(&long, "111122223333", "f", Severity::Critical, Change::New);
        let m = &change_messages(&[f], &MessageOptions::default())[0];
        assert!(m.subject.len() <= MAX_SUBJECT, "{}", m.subject.len());
        assert!(m.subject.chars().all(|c| (' '..='~').contains(&c)));
        assert!(m.subject.ends_with("..."));
        assert_eq!(subject("vigil: x", Some((3, 12))), "vigil: x (3/12)");
        let cut = subject(&"a".repeat(200), Some((1, 2)));
        assert_eq!(cut.len(), MAX_SUBJECT);
        assert!(cut.ends_with("... (1/2)"));
    }

    #[test]
    fn a_huge_field_is_cut_so_one_finding_always_fits() {
        let mut f = finding(
            "VGL-ORG-001",
            "111122223333",
            "f",
            Severity::High,
            Change::New,
        );
        f.message = "s".repeat(1_000_000);
        let m = &change_messages(&[f], &MessageOptions::default())[0];
        assert!(m.size() < 20_000);
        assert!(json_part(m)[0].message.ends_with(" [cut]"));
    }

    #[test]
    fn first_run_is_a_summary_and_the_most_severe_failures_up_to_the_cap() {
        let a = "111122223333";
        let mut fs = Vec::new();
        for i in 0..5 {
            fs.push(finding(
                "VGL-LAMBDA-003",
                a,
                &format!("low-{i}"),
                Severity::Low,
                Change::New,
            ));
        }
        fs.push(finding(
            "VGL-LAMBDA-004",
            a,
            "open",
            Severity::Critical,
            Change::New,
        ));
        fs.push(finding(
            "VGL-LAMBDA-002",
            "444455556666",
            "env",
            Severity::High,
            Change::New,
        ));
        for f in &mut fs {
            f.change = None;
        }
        let first = FirstRun {
            organization_id: "o-abc",
            accounts: 2,
            cap: 3,
        };
        let ms = first_run_messages(&fs, &first, &MessageOptions::default());
        assert_eq!(
            ms[0].subject,
            "vigil: first run, 7 failing findings recorded"
        );
        assert_eq!(
            ms[0].attributes.clone().into_iter().collect::<Vec<_>>(),
            vec![
                ("change".to_string(), "summary".to_string()),
                ("severity".to_string(), "critical".to_string())
            ]
        );
        assert!(ms[0]
            .body
            .contains("\nshowing 3 of 7; the rest are recorded\n"));
        assert!(ms[0]
            .body
            .contains("in organization o-abc (2 accounts scanned)"));
        assert!(ms[0].body.contains("  critical: 1\n  high: 1\n  low: 5\n"));
        assert!(ms[0].body.contains("  111122223333 (payments-prod): 6\n"));
        let (_, json) = ms[0].body.split_once("--- summary (JSON) ---\n").unwrap();
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["total"], 7);
        assert_eq!(v["shown"], 3);
        assert_eq!(v["by_account"]["444455556666"], 1);
        let rest: Vec<&str> = ms[1..].iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(
            rest,
            [
                "vigil: 1 new critical VGL-LAMBDA-004 in 111122223333",
                "vigil: 1 new high VGL-LAMBDA-002 in 444455556666",
                "vigil: 1 new low VGL-LAMBDA-003 in 111122223333",
            ]
        );
        assert_eq!(json_part(&ms[3])[0].resource_id, "low-0");
        assert_eq!(json_part(&ms[3])[0].change, Some(Change::New));

        let all = first_run_messages(
            &fs,
            &FirstRun {
                cap: 50,
                ..first.clone()
            },
            &MessageOptions::default(),
        );
        assert!(all[0].body.contains("\nshowing all 7\n"));
        assert_eq!(all[1..].iter().map(|m| m.findings).sum::<usize>(), 7);

        let none = first_run_messages(&[], &first, &MessageOptions::default());
        assert_eq!(none.len(), 1);
        assert_eq!(none[0].attributes.len(), 1, "no severity without failures");
    }

    #[test]
    fn a_summary_of_thousands_of_accounts_stays_under_the_limit() {
        let fs: Vec<Finding> = (0..20_000)
            .map(|i| {
                finding(
                    "VGL-LAMBDA-002",
                    &format!("{:012}", i),
                    "f",
                    Severity::High,
                    Change::New,
                )
            })
            .collect();
        let opts = MessageOptions::default();
        let ms = first_run_messages(
            &fs,
            &FirstRun {
                organization_id: "o-x",
                accounts: 20_000,
                cap: 0,
            },
            &opts,
        );
        assert_eq!(ms.len(), 1);
        assert!(ms[0].size() <= opts.max_bytes);
        assert!(ms[0]
            .body
            .contains("20000 accounts with failures (too many to list)"));
    }
}
