//! Where evaluation time goes: each fixture document type evaluated alone, on one thread
//! (microseconds per rule evaluation and per document). Run by hand:
//! `cargo run --release -p vigil-rules --example per_type` (see benches/README.md).

use std::collections::BTreeMap;
use std::time::Instant;
use vigil_model::{AccountContext, Document, OrgInfo};
use vigil_rules::{LoadOptions, PolicySet};

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/documents");
    let mut by_type: BTreeMap<String, Vec<Document>> = BTreeMap::new();
    for service in std::fs::read_dir(dir).expect("fixtures/documents") {
        for f in std::fs::read_dir(service.expect("entry").path()).expect("service dir") {
            let p = f.expect("entry").path();
            if p.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&p).expect("fixture");
                let d: Document = serde_json::from_str(&text).expect("fixture document");
                by_type.entry(d.resource_type.clone()).or_default().push(d);
            }
        }
    }
    // With arguments: only the policy directories given (e.g. one rule and `lib/`), without the
    // built-in library, to see what one rule costs.
    let dirs: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let options = LoadOptions {
        without_builtin: !dirs.is_empty(),
        dirs,
        ..Default::default()
    };
    let start = Instant::now();
    let set = PolicySet::load(&options).expect("policies");
    println!(
        "load: {} rules ({} on the compiled VM) in {:.1} ms",
        set.rules().len(),
        set.compiled_rules(),
        start.elapsed().as_secs_f64() * 1e3
    );
    let (acct, org) = (AccountContext::default(), OrgInfo::default());
    println!(
        "{:<36} {:>5} {:>6} {:>10} {:>10}",
        "type", "docs", "rules", "µs/eval", "µs/doc"
    );
    for (ty, docs) in &by_type {
        let rules = set.rules_for(ty).count();
        if rules == 0 {
            continue;
        }
        let mut ev = set.evaluator();
        let mut out = Vec::new();
        // Warm up, then about 2,000 documents cycling through the fixtures of this type.
        let n = 2_000usize;
        for d in docs.iter().cycle().take(200) {
            ev.evaluate(d, &acct, &org, &mut out);
        }
        out.clear();
        let start = Instant::now();
        for d in docs.iter().cycle().take(n) {
            ev.evaluate(d, &acct, &org, &mut out);
        }
        let us = start.elapsed().as_secs_f64() * 1e6;
        println!(
            "{ty:<36} {:>5} {rules:>6} {:>10.1} {:>10.1}",
            docs.len(),
            us / (n * rules.max(1)) as f64,
            us / n as f64
        );
    }
}
