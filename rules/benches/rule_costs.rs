//! TEMPORARY: per-rule cost on the VM.
use std::time::Instant;
use vigil_model::{AccountContext, Document, OrgInfo};
use vigil_rules::{Backend, LoadOptions, PolicySet};

fn main() {
    let pol = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    let docs = vigil_rules::testing::fixture_documents();
    let mut rules = Vec::new();
    for s in std::fs::read_dir(pol).unwrap() {
        let s = s.unwrap().path();
        if s.ends_with("lib") {
            continue;
        }
        for f in std::fs::read_dir(&s).unwrap() {
            let p = f.unwrap().path();
            if p.to_string_lossy().ends_with("_test.rego") {
                continue;
            }
            rules.push(p);
        }
    }
    rules.sort();
    {
        let (a, o) = (AccountContext::default(), OrgInfo::default());
        let mut by: std::collections::BTreeMap<String, Vec<&Document>> = Default::default();
        for d in &docs {
            by.entry(d.resource_type.clone()).or_default().push(d);
        }
        for (ty, ds) in by {
            let n = 20000 / ds.len() * ds.len();
            let t = Instant::now();
            for i in 0..n {
                std::hint::black_box(vigil_rules::input_value(ds[i % ds.len()], &a, &o));
            }
            println!(
                "convert {:<28} {:>8.2} us/doc",
                ty,
                t.elapsed().as_secs_f64() * 1e6 / n as f64
            );
        }
    }
    for r in rules {
        let dir = format!("/tmp/rc/{}", r.file_stem().unwrap().to_string_lossy());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&r, format!("{dir}/rule.rego")).unwrap();
        std::fs::copy(format!("{pol}/lib/scp.rego"), format!("{dir}/scp.rego")).unwrap();
        for backend in [Backend::Interpreter, Backend::Auto] {
            let set = PolicySet::load(&LoadOptions {
                backend,
                without_builtin: true,
                dirs: vec![dir.clone().into()],
                ..Default::default()
            })
            .unwrap();
            let ty = &set.rules()[0].resource_types;
            let mine: Vec<&Document> = docs
                .iter()
                .filter(|d| ty.contains(&d.resource_type))
                .collect();
            let mut ev = set.evaluator();
            let (a, o) = (AccountContext::default(), OrgInfo::default());
            let mut out = Vec::new();
            let n = 20000 / mine.len().max(1) * mine.len();
            let t = Instant::now();
            for i in 0..n {
                out.clear();
                ev.evaluate(mine[i % mine.len()], &a, &o, &mut out);
            }
            let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
            println!(
                "{:<28} {:?} {:>8.2} us/eval ({} docs)",
                r.file_stem().unwrap().to_string_lossy(),
                backend,
                us,
                mine.len()
            );
        }
    }
}
