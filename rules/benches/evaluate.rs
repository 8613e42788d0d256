//! Evaluation throughput: generated documents of every collected type × their rules, on one
//! thread and on all cores. Run: `cargo bench -p vigil-rules --bench evaluate` (see benches/README.md).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use vigil_model::{AccountContext, Document, OrgInfo};
use vigil_rules::{Backend, LoadOptions, PolicySet};

/// `n` documents cycling through every fixture document with distinct ids, in the mix of a
/// real organization: one `AWS::Organizations::Account` document per 50 others (an account
/// with about 50 resources), the other types equally often.
fn documents(n: usize, with_accounts: bool) -> Vec<Document> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/documents");
    let mut base = Vec::new();
    for service in std::fs::read_dir(dir).unwrap() {
        let service = service.unwrap().path();
        for f in std::fs::read_dir(&service).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "json") {
                let d: Document =
                    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                base.push(d);
            }
        }
    }
    base.sort_by(|a, b| {
        (&a.resource_type, &a.resource_id).cmp(&(&b.resource_type, &b.resource_id))
    });
    let (accounts, others): (Vec<Document>, Vec<Document>) = base
        .into_iter()
        .partition(|d| d.resource_type == "AWS::Organizations::Account");
    (0..n)
        .map(|i| {
            let mut d = if with_accounts && i % 51 == 50 {
                accounts[(i / 51) % accounts.len()].clone()
            } else {
                others[i % others.len()].clone()
            };
            d.resource_id = format!("{}-{i}", d.resource_id);
            d.arn = format!("{}-{i}", d.arn);
            d
        })
        .collect()
}

fn evaluations(set: &PolicySet, docs: &[Document]) -> u64 {
    docs.iter()
        .map(|d| set.rules_for(&d.resource_type).count() as u64)
        .sum()
}

fn run(set: &PolicySet, docs: &[Document], threads: usize) -> usize {
    let chunk = docs.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = docs
            .chunks(chunk)
            .map(|part| {
                let mut ev = set.evaluator();
                s.spawn(move || {
                    let (acct, org) = (AccountContext::default(), OrgInfo::default());
                    let mut out = Vec::with_capacity(part.len() * 4);
                    for d in part {
                        ev.evaluate(d, &acct, &org, &mut out);
                    }
                    out.len()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

fn bench(c: &mut Criterion) {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    // "org-mix": every type, one account document per 50 resources; "resources": the same
    // without account documents (their SCP rules cost ~0.2 ms each and dominate the mix).
    for (group, with_accounts) in [("org-mix", true), ("resources", false)] {
        let docs = documents(10_000, with_accounts);
        let mut g = c.benchmark_group(group);
        g.sample_size(10);
        for (name, backend) in [
            ("interpreter", Backend::Interpreter),
            ("auto-rvm", Backend::Auto),
        ] {
            let set = PolicySet::load(&LoadOptions {
                backend,
                ..Default::default()
            })
            .unwrap();
            let evals = evaluations(&set, &docs);
            eprintln!(
                "{group}/{name}: {evals} rule evaluations per iteration, {} of {} rules on the compiled VM",
                set.compiled_rules(),
                set.rules().len()
            );
            g.throughput(Throughput::Elements(evals));
            for threads in [1, cores] {
                g.bench_with_input(
                    BenchmarkId::new(name, format!("{threads}-thread")),
                    &threads,
                    |b, &t| b.iter(|| black_box(run(&set, &docs, t))),
                );
            }
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
