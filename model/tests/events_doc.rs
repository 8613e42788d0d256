//! docs/events.md lists the supported change events: its table must say what
//! `vigil_model::change::supported_events()` maps, row for row (eventSource, eventName, the
//! resource types re-evaluated, the effect).
//!
//! After changing the table of supported events, regenerate the documentation's table with
//! `VIGIL_UPDATE_DOCS=1 cargo test -p vigil-model --test events_doc` (it rewrites the lines
//! between the markers and nothing else) and review the diff.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use vigil_model::change::supported_events;

const BEGIN: &str = "<!-- supported-events:begin (generated: see model/tests/events_doc.rs) -->";
const END: &str = "<!-- supported-events:end -->";
const HEADER: &str = "| eventSource | eventName | re-evaluates | effect |";
const RULE: &str = "|---|---|---|---|";

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/events.md")
}

/// One row of the table: what the test compares.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    event_source: String,
    event_name: String,
    resource_types: BTreeSet<String>,
    effect: String,
}

fn expected_rows() -> Vec<Row> {
    supported_events()
        .iter()
        .map(|s| Row {
            event_source: s.event_source.to_string(),
            event_name: s.event_name.to_string(),
            resource_types: s.resource_types.iter().map(|t| t.to_string()).collect(),
            effect: s.effect.to_string(),
        })
        .collect()
}

/// The table as the documentation shows it, in the order of the supported events.
fn render() -> String {
    let mut out = vec![HEADER.to_string(), RULE.to_string()];
    for s in supported_events() {
        let types: Vec<String> = s.resource_types.iter().map(|t| format!("`{t}`")).collect();
        out.push(format!(
            "| `{}` | `{}` | {} | {} |",
            s.event_source,
            s.event_name,
            types.join(", "),
            s.effect
        ));
    }
    out.join("\n")
}

fn code(cell: &str, what: &str, line: &str) -> String {
    cell.strip_prefix('`')
        .and_then(|c| c.strip_suffix('`'))
        .unwrap_or_else(|| panic!("{what} is not in backticks: {line}"))
        .to_string()
}

/// The rows of the table between the markers.
fn documented_rows(doc: &str) -> Vec<Row> {
    let start = doc.find(BEGIN).expect("docs/events.md has no begin marker") + BEGIN.len();
    let end = doc[start..]
        .find(END)
        .expect("docs/events.md has no end marker")
        + start;
    let mut lines = doc[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    assert_eq!(lines.next(), Some(HEADER), "table header");
    assert_eq!(lines.next(), Some(RULE), "table header rule");
    lines
        .map(|line| {
            let cells: Vec<&str> = line
                .strip_prefix('|')
                .and_then(|l| l.strip_suffix('|'))
                .unwrap_or_else(|| panic!("not a table row: {line}"))
                .split('|')
                .map(str::trim)
                .collect();
            assert_eq!(cells.len(), 4, "four cells: {line}");
            Row {
                event_source: code(cells[0], "eventSource", line),
                event_name: code(cells[1], "eventName", line),
                resource_types: cells[2]
                    .split(',')
                    .map(|t| code(t.trim(), "a resource type", line))
                    .collect(),
                effect: cells[3].to_string(),
            }
        })
        .collect()
}

#[test]
fn events_doc_lists_exactly_the_supported_events() {
    let path = doc_path();
    let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));

    if std::env::var_os("VIGIL_UPDATE_DOCS").is_some() {
        let start = doc.find(BEGIN).expect("begin marker") + BEGIN.len();
        let end = doc[start..].find(END).expect("end marker") + start;
        let updated = format!("{}\n{}\n{}", &doc[..start], render(), &doc[end..]);
        if updated != doc {
            std::fs::write(&path, updated).unwrap();
        }
        return;
    }

    let documented = documented_rows(&doc);
    let expected = expected_rows();
    let key = |r: &Row| (r.event_source.clone(), r.event_name.clone());
    let doc_by_key: BTreeMap<_, _> = documented.iter().map(|r| (key(r), r)).collect();
    let exp_by_key: BTreeMap<_, _> = expected.iter().map(|r| (key(r), r)).collect();
    assert_eq!(doc_by_key.len(), documented.len(), "a row is listed twice");

    let mut problems = Vec::new();
    for (k, r) in &exp_by_key {
        match doc_by_key.get(k) {
            None => problems.push(format!("missing: {} {}", k.0, k.1)),
            Some(d) if d.resource_types != r.resource_types => problems.push(format!(
                "{} {}: documented types {:?}, mapped {:?}",
                k.0, k.1, d.resource_types, r.resource_types
            )),
            Some(d) if d.effect != r.effect => problems.push(format!(
                "{} {}: documented effect {:?}, table says {:?}",
                k.0, k.1, d.effect, r.effect
            )),
            Some(_) => {}
        }
    }
    for k in doc_by_key.keys() {
        if !exp_by_key.contains_key(k) {
            problems.push(format!("documented but not supported: {} {}", k.0, k.1));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/events.md and vigil_model::change::supported_events() disagree \
         (regenerate: VIGIL_UPDATE_DOCS=1 cargo test -p vigil-model --test events_doc):\n  {}",
        problems.join("\n  ")
    );
    // Same order too, so the generated table and the source read alike.
    assert_eq!(
        documented.iter().map(key).collect::<Vec<_>>(),
        expected.iter().map(key).collect::<Vec<_>>(),
        "rows are in another order than the table of supported events"
    );
}

#[test]
fn every_row_names_a_known_resource_type() {
    for s in supported_events() {
        assert!(
            !s.resource_types.is_empty(),
            "{} {}",
            s.event_source,
            s.event_name
        );
        for t in s.resource_types {
            assert!(
                vigil_model::RESOURCE_TYPES.contains(t),
                "{} {}: {t} is not a resource type vigil collects",
                s.event_source,
                s.event_name
            );
        }
    }
}
