//! vigil's policy engine: loads Rego rules (built-in library and user directories), validates
//! them at load time, and evaluates resource documents into findings with regorus.

pub mod builtins;
pub mod docs;
mod input;
pub mod metadata;
pub mod params;
pub mod testing;

use include_dir::{include_dir, Dir};
use input::Converter;
use metadata::RuleMeta;
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use regorus::Engine;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vigil_model::{fingerprint, AccountContext, Document, Finding, OrgInfo, SmolStr, Status};

/// The built-in policy library, embedded in the binary.
pub static BUILTIN_POLICIES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/policies");

/// A policy that could not be loaded: where, and why. Displayed as `location: message`.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {message}")]
pub struct LoadError {
    /// `file`, `file:line` or `file:line:col`.
    pub location: String,
    pub message: String,
}

impl LoadError {
    pub(crate) fn new(location: impl Into<String>, message: impl Into<String>) -> Self {
        LoadError {
            location: location.into(),
            message: message.into(),
        }
    }
}

/// One Rego file, from the embedded library or from disk.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    /// `builtin:lambda/no_vpc.rego` or the path as given on disk.
    pub name: String,
    pub text: String,
}

impl PolicyFile {
    pub fn is_test(&self) -> bool {
        self.name.ends_with("_test.rego")
    }
}

/// Every `.rego` file of the embedded library, sorted by name.
pub fn builtin_files() -> Vec<PolicyFile> {
    let mut out = Vec::new();
    collect_embedded(&BUILTIN_POLICIES, &mut out);
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn collect_embedded(dir: &Dir<'_>, out: &mut Vec<PolicyFile>) {
    for f in dir.files() {
        if f.path().extension().is_some_and(|e| e == "rego") {
            out.push(PolicyFile {
                name: format!("builtin:{}", f.path().display()),
                text: f.contents_utf8().unwrap_or_default().to_string(),
            });
        }
    }
    for d in dir.dirs() {
        collect_embedded(d, out);
    }
}

/// Every `.rego` file under `dir` (recursively), sorted by path.
pub fn dir_files(dir: &Path) -> Result<Vec<PolicyFile>, LoadError> {
    let meta = std::fs::metadata(dir).map_err(|e| {
        LoadError::new(
            dir.display().to_string(),
            format!("cannot read policy directory: {e}"),
        )
    })?;
    if !meta.is_dir() {
        return Err(LoadError::new(
            dir.display().to_string(),
            "is not a directory",
        ));
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths)?;
    paths.sort();
    if paths.is_empty() {
        return Err(LoadError::new(
            dir.display().to_string(),
            "contains no .rego files",
        ));
    }
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| {
                LoadError::new(p.display().to_string(), format!("cannot read: {e}"))
            })?;
            Ok(PolicyFile {
                name: p.display().to_string(),
                text,
            })
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let rd = std::fs::read_dir(dir).map_err(|e| {
        LoadError::new(
            dir.display().to_string(),
            format!("cannot read policy directory: {e}"),
        )
    })?;
    for entry in rd {
        let entry = entry.map_err(|e| LoadError::new(dir.display().to_string(), e.to_string()))?;
        let p = entry.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "rego") {
            out.push(p);
        }
    }
    Ok(())
}

/// Which regorus execution path evaluates rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Backend {
    /// The compiled bytecode VM (RVM) for every rule it runs identically to the interpreter on
    /// the fixture documents at load time; the interpreter for the others. The default.
    #[default]
    Auto,
    /// The tree-walking interpreter only (`eval_rule`).
    Interpreter,
}

/// Where policies come from.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Evaluation path; see [`Backend`].
    pub backend: Backend,
    /// Leave out the embedded library (used by `rules test DIR`).
    pub without_builtin: bool,
    /// User policy directories (`--policies DIR`, repeatable).
    pub dirs: Vec<PathBuf>,
    /// Parameter overrides and where they came from (for error messages).
    pub params: Option<(String, Value)>,
}

/// Loaded, validated rules with a prepared engine.
#[derive(Clone)]
pub struct PolicySet {
    engine: Engine,
    /// Compiled RVM program per rule (parallel to `rules`); `None` = the rule runs on the
    /// interpreter (it did not compile, or did not give identical results at load time).
    programs: Arc<Vec<Option<Arc<Program>>>>,
    /// `data` as the RVM sees it.
    data: regorus::Value,
    /// `data` as JSON (params, organization, test fixtures), to rebuild it with another
    /// organization.
    data_json: Arc<Value>,
    rules: Arc<Vec<RuleMeta>>,
    /// `data.<package>.__vigil_verdict` per rule, parallel to `rules`: the rule's `deny` and
    /// `error` sets in one evaluation (see [`verdict_policy`]).
    verdict_paths: Arc<Vec<String>>,
    /// Indices into `rules` for each resource type.
    by_type: Arc<HashMap<String, Vec<usize>>>,
    params: Arc<Value>,
    /// Instructions one VM execution may run; past it the interpreter decides.
    vm_instruction_limit: usize,
}

/// regorus' default (25,000 instructions) is reached by the SCP rules on an organization with a
/// few large whitelists; the interpreter, which has no limit, would then decide instead, about
/// three times slower. Rego evaluation always terminates, so this only bounds pathological
/// policies.
const VM_INSTRUCTION_LIMIT: usize = 10_000_000;

/// A rule package lives under this prefix; other packages are helper libraries.
pub const RULE_PACKAGE_PREFIX: &str = "vigil.rules.";

/// Adds one file to `engine`, mapping regorus' parse errors to a `LoadError` naming the file.
fn add_file(engine: &mut Engine, file: &PolicyFile) -> Result<String, LoadError> {
    let pkg = engine
        .add_policy(file.name.clone(), file.text.clone())
        .map_err(|e| {
            let one = first_line_of_parse_error(&e.to_string());
            match one.strip_prefix(&format!("{}:", file.name)) {
                // `file:line:col: message` → location `file:line:col`
                Some(rest) => {
                    let (pos, m) = rest.split_once(": ").unwrap_or((rest, "syntax error"));
                    LoadError::new(format!("{}:{pos}", file.name), m.to_string())
                }
                None => LoadError::new(file.name.clone(), one),
            }
        })?;
    Ok(pkg.trim_start_matches("data.").to_string())
}

/// regorus renders parse errors over several lines (`--> file:line:col`, the source excerpt,
/// then `error: message`); one line `file:line:col: message` is what a user needs.
fn first_line_of_parse_error(msg: &str) -> String {
    let location = msg
        .lines()
        .find_map(|l| l.trim().strip_prefix("--> "))
        .map(str::trim);
    let message = msg
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(str::trim);
    match (location, message) {
        (Some(loc), Some(m)) => format!("{loc}: {m}"),
        (Some(loc), None) => format!("{loc}: syntax error"),
        _ => msg
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

impl PolicySet {
    /// Loads and validates policies; nothing is evaluated yet.
    pub fn load(opts: &LoadOptions) -> Result<PolicySet, LoadError> {
        let mut files = Vec::new();
        if !opts.without_builtin {
            files.extend(builtin_files().into_iter().filter(|f| !f.is_test()));
        }
        for d in &opts.dirs {
            files.extend(dir_files(d)?.into_iter().filter(|f| !f.is_test()));
        }
        let mut params = params::defaults();
        if let Some((src, over)) = &opts.params {
            params::merge(&mut params, over).map_err(|m| LoadError::new(src.clone(), m))?;
            params::validate(&params).map_err(|m| LoadError::new(src.clone(), m))?;
        }
        let mut set = Self::from_files(&files, params, json!({}))?;
        if opts.backend == Backend::Auto {
            set.compile_programs();
        }
        Ok(set)
    }

    /// Builds a set from explicit files. `extra_data` is merged into `data` (test fixtures).
    pub fn from_files(
        files: &[PolicyFile],
        params: Value,
        extra_data: Value,
    ) -> Result<PolicySet, LoadError> {
        let mut engine = Engine::new();
        engine.set_rego_v0(false);
        let mut rules = Vec::new();
        let mut packages: BTreeMap<String, String> = BTreeMap::new();
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        let mut verdicts = Vec::new();
        for file in files {
            let pkg = add_file(&mut engine, file)?;
            if let Some(m) = builtins::missing_builtins(&file.text).into_iter().next() {
                return Err(LoadError::new(
                    format!("{}:{}", file.name, m.line),
                    format!(
                        "calls {}, a builtin vigil's Rego engine (regorus) does not provide",
                        m.name
                    ),
                ));
            }
            if let Some(prev) = packages.insert(pkg.clone(), file.name.clone()) {
                return Err(LoadError::new(
                    file.name.clone(),
                    format!("package {pkg} is already declared in {prev}; one rule per package"),
                ));
            }
            if file.is_test() || !pkg.starts_with(RULE_PACKAGE_PREFIX) {
                continue;
            }
            let meta = metadata::parse(&file.text, &pkg, &file.name)
                .map_err(|e| LoadError::new(format!("{}:{}", file.name, e.line), e.message))?;
            if let Some(prev) = ids.insert(meta.id.clone(), file.name.clone()) {
                let line = metadata::line_of_key(&file.text, "id").unwrap_or(1);
                return Err(LoadError::new(
                    format!("{}:{line}", file.name),
                    format!("duplicate rule id {} (also used by {prev})", meta.id),
                ));
            }
            let has_deny = engine
                .has_declared_rule_rooted_at(&file.name, "deny")
                .map_err(|e| LoadError::new(file.name.clone(), e.to_string()))?;
            if !has_deny {
                let line = metadata::package_of(&file.text)
                    .map(|(_, l)| l)
                    .unwrap_or(1);
                return Err(LoadError::new(
                    format!("{}:{line}", file.name),
                    format!("rule {} declares no 'deny' rule (expected `deny contains msg if {{ ... }}`)", meta.id),
                ));
            }
            let has_error = engine
                .has_declared_rule_rooted_at(&file.name, "error")
                .map_err(|e| LoadError::new(file.name.clone(), e.to_string()))?;
            verdicts.push(verdict_policy(&file.name, &pkg, has_error));
            rules.push(meta);
        }
        for v in &verdicts {
            add_file(&mut engine, v)?;
        }
        let mut data = params::as_data(&params);
        if let Some(vigil) = data.get_mut("vigil").and_then(Value::as_object_mut) {
            vigil.insert(
                "organization".into(),
                organization_data(&OrgInfo::default(), std::iter::empty()),
            );
        }
        if let (Value::Object(d), Value::Object(extra)) = (&mut data, extra_data) {
            d.extend(extra);
        }
        engine
            .add_data(regorus::Value::from(data.clone()))
            .map_err(|e| LoadError::new("data", e.to_string()))?;
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        let verdict_paths: Vec<String> = rules
            .iter()
            .map(|r| format!("data.{}.{VERDICT_RULE}", r.package))
            .collect();
        let mut by_type: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            for t in &r.resource_types {
                by_type.entry(t.clone()).or_default().push(i);
            }
        }
        let data_value = regorus::Value::from(data.clone());
        let mut set = PolicySet {
            engine,
            programs: Arc::new(Vec::new()),
            data: data_value,
            data_json: Arc::new(data),
            rules: Arc::new(rules),
            verdict_paths: Arc::new(verdict_paths),
            by_type: Arc::new(by_type),
            params: Arc::new(params),
            vm_instruction_limit: VM_INSTRUCTION_LIMIT,
        };
        set.smoke_test()?;
        Ok(set)
    }

    /// Evaluates every rule once against an empty input so that errors regorus only raises
    /// when it prepares or runs a rule surface at load time, not in the middle of a scan.
    fn smoke_test(&mut self) -> Result<(), LoadError> {
        self.engine.set_input(regorus::Value::from(
            json!({"resource": {}, "account": {}, "org": {}}),
        ));
        for (i, path) in self.verdict_paths.iter().enumerate() {
            let problem = match self.engine.eval_rule(path.clone()) {
                Err(e) => Some(e.to_string()),
                Ok(v) => Verdict::of(&v).err(),
            };
            if let Some(e) = problem {
                let r = &self.rules[i];
                return Err(LoadError::new(
                    r.source.clone(),
                    format!("rule {} does not evaluate: {e}", r.id),
                ));
            }
        }
        Ok(())
    }

    /// Compiles each rule to an RVM program and keeps it only where it gives exactly the
    /// interpreter's result on every fixture document of the rule's resource types (and on an
    /// empty document): RVM is several times faster, but differs from the interpreter on some
    /// constructs (`x := <undefined>` does not stop a body there), so equivalence is checked
    /// rather than assumed. At evaluation, a VM error sends the rule to the interpreter.
    fn compile_programs(&mut self) {
        let fixtures = testing::fixture_documents();
        let mut programs = Vec::with_capacity(self.rules.len());
        for (i, rule) in self.rules.iter().enumerate() {
            let path = self.verdict_paths[i].clone();
            let program = self
                .engine
                .compile_with_entrypoint(&path.as_str().into())
                .ok()
                .and_then(|cp| Compiler::compile_from_policy(&cp, &[path.as_str()]).ok())
                .map(|p| {
                    let mut p = Arc::unwrap_or_clone(p);
                    slim(&mut p);
                    Arc::new(p)
                });
            let verified = program.filter(|p| {
                let Some(mut vm) = new_vm(p, &self.data, self.vm_instruction_limit) else {
                    return false;
                };
                let mut inputs = vec![regorus::Value::from(
                    json!({"resource": {}, "account": {}, "org": {}}),
                )];
                // Built as evaluation builds them.
                inputs.extend(
                    fixtures
                        .iter()
                        .filter(|d| rule.resource_types.contains(&d.resource_type))
                        .map(|d| {
                            let account = AccountContext {
                                id: d.aws_account_id.clone(),
                                ..Default::default()
                            };
                            input_value(d, &account, &OrgInfo::default())
                        }),
                );
                inputs.into_iter().all(|input| {
                    self.engine.set_input(input.clone());
                    let expected = self.engine.eval_rule(path.clone());
                    vm.set_input(input);
                    match (expected, vm.execute()) {
                        (Ok(a), Ok(b)) => Verdict::of(&a) == Verdict::of(&b),
                        _ => false,
                    }
                })
            });
            programs.push(verified);
        }
        self.programs = Arc::new(programs);
    }

    /// This set with `data.vigil.organization` describing `org` and its member accounts
    /// (`account_ids`: every account of the organization, scanned or not), which the rules that
    /// ask "is this principal outside the organization?" read.
    pub fn with_organization<'a>(
        &self,
        org: &OrgInfo,
        account_ids: impl Iterator<Item = &'a str>,
    ) -> PolicySet {
        let mut data = Value::clone(&self.data_json);
        if let Some(vigil) = data.get_mut("vigil").and_then(Value::as_object_mut) {
            vigil.insert("organization".into(), organization_data(org, account_ids));
        }
        let mut set = self.clone();
        set.engine.clear_data();
        // `data` is a JSON object, which is all add_data asks of it.
        let _ = set.engine.add_data(regorus::Value::from(data.clone()));
        set.data = regorus::Value::from(data.clone());
        set.data_json = Arc::new(data);
        set
    }

    /// How many rules run on the compiled VM (the rest use the interpreter).
    pub fn compiled_rules(&self) -> usize {
        self.programs.iter().filter(|p| p.is_some()).count()
    }

    /// The loaded rules, sorted by id.
    pub fn rules(&self) -> &[RuleMeta] {
        &self.rules
    }

    /// The effective parameters.
    pub fn params(&self) -> &Value {
        &self.params
    }

    /// A rule by id.
    pub fn rule(&self, id: &str) -> Option<&RuleMeta> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The rules that apply to a resource type.
    pub fn rules_for(&self, resource_type: &str) -> impl Iterator<Item = &RuleMeta> {
        self.by_type
            .get(resource_type)
            .into_iter()
            .flatten()
            .map(|&i| &self.rules[i])
    }

    /// A fresh evaluator: one per worker thread (evaluation needs `&mut Engine`).
    pub fn evaluator(&self) -> Evaluator {
        let vms = self
            .programs
            .iter()
            .map(|p| {
                // `data` was accepted when the program was verified.
                p.as_ref()
                    .and_then(|p| new_vm(p, &self.data, self.vm_instruction_limit))
            })
            .collect();
        let texts = self
            .rules
            .iter()
            .map(|r| RuleTexts {
                id: SmolStr::new(&r.id),
                title: SmolStr::new(&r.title),
                remediation: SmolStr::new(&r.remediation),
                related: r.related.clone(),
            })
            .collect();
        Evaluator {
            set: self.clone(),
            vms,
            texts,
            converter: Converter::default(),
            context: None,
        }
    }

    /// Direct access to the prepared engine (tests and the `rules test` runner).
    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }
}

/// A VM loaded with `program` and `data`; `None` if the VM rejects `data`.
fn new_vm(
    program: &Arc<Program>,
    data: &regorus::Value,
    instruction_limit: usize,
) -> Option<RegoVM> {
    let mut vm = RegoVM::new();
    vm.load_program(program.clone());
    vm.set_data(data.clone()).ok()?;
    vm.set_max_instructions(instruction_limit);
    Some(vm)
}

/// Prepares a compiled program for many executions. regorus 0.14.1's VM clones a rule's
/// `RuleInfo` on every rule and function call, cached result or not, and with it the rule's
/// name, its parameter names and its per-definition tables: several allocations per call,
/// about a sixth of the VM's work on vigil's library. The VM never reads the names when it runs (they
/// serve listings and serialisation), and it reads the tables with a default for a missing entry
/// (no `else` body, no destructuring block). So the names are dropped and a table that holds
/// only that default is emptied; the clone then allocates nothing. The program is verified
/// against the interpreter after this, like any other.
fn slim(program: &mut Program) {
    for rule in &mut program.rule_infos {
        rule.name = String::new();
        if let Some(f) = &mut rule.function_info {
            f.param_names = Vec::new();
        }
        if rule.destructuring_blocks.iter().all(Option::is_none) {
            rule.destructuring_blocks = Vec::new();
        }
        if rule.else_bodies.iter().flatten().all(|is_else| !is_else) {
            rule.else_bodies = Vec::new();
        }
    }
}

/// A rule's id, title and remediation, shared by all of its findings without copies.
struct RuleTexts {
    id: SmolStr,
    title: SmolStr,
    remediation: SmolStr,
    related: Arc<vigil_model::Related>,
}

/// Evaluates documents; owns its own engine.
pub struct Evaluator {
    set: PolicySet,
    /// One VM per rule that has a verified program.
    vms: Vec<Option<RegoVM>>,
    /// Each rule's texts as its findings share them.
    texts: Vec<RuleTexts>,
    /// Builds policy inputs, sharing object keys across documents.
    converter: Converter,
    /// The last document's account and org, and their `input.account` / `input.org` values.
    context: Option<(AccountContext, OrgInfo, regorus::Value, regorus::Value)>,
}

impl Evaluator {
    /// Evaluates every rule that applies to `doc`, appending one finding per rule (pass) or per
    /// deny message (fail). A rule that errors gives an `error` finding; the others still run.
    /// Returns how many rules applied.
    pub fn evaluate(
        &mut self,
        doc: &Document,
        account: &AccountContext,
        org: &OrgInfo,
        out: &mut Vec<Finding>,
    ) -> usize {
        let Some(idxs) = self.set.by_type.get(&doc.resource_type) else {
            return 0;
        };
        // Account and org context change once per account: convert them once.
        let stale = self
            .context
            .as_ref()
            .is_none_or(|(a, o, _, _)| a != account || o != org);
        if stale {
            let acct_value = self.converter.context(account);
            let org_value = self.converter.context(org);
            self.context = Some((account.clone(), org.clone(), acct_value, org_value));
        }
        let Some((_, _, acct_value, org_value)) = &self.context else {
            return 0;
        };
        let (acct_value, org_value) = (acct_value.clone(), org_value.clone());
        let resource = self.converter.resource(doc);
        let input = self.converter.input(resource, acct_value, org_value);
        let mut interpreter_has_input = false;
        // The document's fields, shared by its findings.
        let account_id = SmolStr::new(&doc.aws_account_id);
        let account_name = SmolStr::new(&account.name);
        let region = SmolStr::new(&doc.aws_region);
        let resource_type = SmolStr::new(&doc.resource_type);
        let resource_id = SmolStr::new(&doc.resource_id);
        let resource_arn = SmolStr::new(&doc.arn);
        for &i in idxs.iter() {
            let rule = &self.set.rules[i];
            let vm_result = self.vms.get_mut(i).and_then(Option::as_mut).map(|vm| {
                vm.set_input(input.clone());
                vm.execute()
            });
            let result = match vm_result {
                Some(Ok(v)) => Ok(v),
                // Not verified for the VM, or the VM failed where the interpreter may not
                // (an instruction limit, an unsupported construct): the interpreter decides.
                _ => {
                    if !interpreter_has_input {
                        self.set.engine.set_input(input.clone());
                        interpreter_has_input = true;
                    }
                    self.set
                        .engine
                        .eval_rule(self.set.verdict_paths[i].clone())
                        .map_err(|e| e.to_string())
                }
            };
            let fp = fingerprint(&rule.id, &doc.aws_account_id, &doc.aws_region, &doc.arn);
            let texts = &self.texts[i];
            let base = |status: Status, message: String, fingerprint: String| Finding {
                rule_id: texts.id.clone(),
                title: texts.title.clone(),
                severity: rule.severity,
                status,
                account_id: account_id.clone(),
                account_name: account_name.clone(),
                region: region.clone(),
                resource_type: resource_type.clone(),
                resource_id: resource_id.clone(),
                resource_arn: resource_arn.clone(),
                message,
                remediation: texts.remediation.clone(),
                fingerprint,
                change: None,
                suppression: None,
                related: texts.related.clone(),
            };
            match result.and_then(|v| Verdict::of(&v)) {
                Ok(Verdict { deny, error }) => {
                    if deny.is_empty() && error.is_empty() {
                        out.push(base(Status::Pass, String::new(), fp));
                        continue;
                    }
                    // A rule that could not judge part of the resource says why (`error`);
                    // what it could judge and found failing still fails.
                    let statuses = std::iter::repeat(Status::Fail)
                        .zip(deny)
                        .chain(std::iter::repeat(Status::Error).zip(error));
                    out.extend(statuses.map(|(status, m)| base(status, m, fp.clone())));
                }
                Err(e) => out.push(base(
                    Status::Error,
                    format!("rule evaluation failed: {e}"),
                    fp,
                )),
            }
        }
        idxs.len()
    }
}

/// `data.vigil.organization`: the organization's id, its management account and the ids of its
/// accounts as an object (`{"111122223333": true}`: membership is a lookup, in OPA as in regorus).
fn organization_data<'a>(org: &OrgInfo, account_ids: impl Iterator<Item = &'a str>) -> Value {
    let ids: serde_json::Map<String, Value> = account_ids
        .map(|id| (id.to_string(), Value::Bool(true)))
        .collect();
    json!({
        "id": org.id,
        "management_account_id": org.management_account_id,
        "account_ids": ids,
    })
}

/// The policy input `{"resource", "account", "org"}` as a regorus value, built straight from
/// the document's parts (the private `input` module says how, and why).
pub fn input_value(doc: &Document, account: &AccountContext, org: &OrgInfo) -> regorus::Value {
    let mut c = Converter::default();
    let resource = c.resource(doc);
    let account = c.context(account);
    let org = c.context(org);
    c.input(resource, account, org)
}

/// The rule vigil adds to every rule package: the package's `deny` and `error` sets in one
/// value, so that one evaluation (one compiled program) gives both.
const VERDICT_RULE: &str = "__vigil_verdict";

/// The generated file that defines [`VERDICT_RULE`] in `package` (a rule without an `error`
/// rule has none to report).
fn verdict_policy(source: &str, package: &str, has_error: bool) -> PolicyFile {
    let error = if has_error { "error" } else { "set()" };
    PolicyFile {
        name: format!("{source}#verdict"),
        text: format!(
            "package {package}\n\nimport rego.v1\n\n{VERDICT_RULE} := {{\"deny\": deny, \"error\": {error}}}\n"
        ),
    }
}

/// What one rule says about one resource: why it fails (`deny`) and why it could not be judged
/// (`error`).
#[derive(Debug, PartialEq, Eq)]
struct Verdict {
    deny: Vec<String>,
    error: Vec<String>,
}

impl Verdict {
    /// Reads the value of [`VERDICT_RULE`]. `deny` and `error` must be sets; a rule whose
    /// `error` is something else has an error of its own, and says so.
    fn of(v: &regorus::Value) -> Result<Verdict, String> {
        let part = |name: &str| -> Result<Vec<String>, String> {
            match &v[name] {
                regorus::Value::Set(s) => Ok(s.iter().map(message).collect()),
                regorus::Value::Undefined => Ok(Vec::new()),
                other => Err(format!(
                    "`{name}` must be a set of messages (`{name} contains msg if {{ ... }}`), found {}",
                    other.to_json_str().unwrap_or_else(|_| format!("{other:?}"))
                )),
            }
        };
        Ok(Verdict {
            deny: part("deny")?,
            error: part("error")?,
        })
    }
}

/// A message of a `deny` or `error` set; a non-string message is rendered as JSON.
fn message(m: &regorus::Value) -> String {
    match m {
        regorus::Value::String(s) => s.to_string(),
        other => other.to_json_str().unwrap_or_else(|_| format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule that reads a field the collector may fail to read, and says so through `error`.
    fn field_rule() -> PolicyFile {
        PolicyFile {
            name: "t/field.rego".into(),
            text: "# METADATA\n# title: t\n# custom:\n#   id: TST-FIELD-001\n#   severity: high\n#   resource_types: [AWS::Lambda::Function]\npackage vigil.rules.lambda.field\nimport rego.v1\n\ndeny contains msg if {\n  input.resource.supplementaryConfiguration.policy.public == true\n  msg := \"public\"\n}\n\nerror contains msg if {\n  e := input.resource.collectionErrors[\"supplementaryConfiguration.policy\"]\n  msg := sprintf(\"policy unreadable: %s\", [e.code])\n}\n\nerror contains \"size unknown\" if {\n  not is_number(input.resource.configuration.size)\n}\n".into(),
        }
    }

    fn lambda_doc(v: Value) -> Document {
        let mut base = json!({
            "resourceType": "AWS::Lambda::Function", "resourceId": "f", "arn": "arn:f",
            "awsAccountId": "111111111111", "awsRegion": "eu-west-1",
            "configuration": {"size": 1}
        });
        if let (Value::Object(b), Value::Object(extra)) = (&mut base, v) {
            b.extend(extra);
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn a_rule_that_cannot_judge_a_resource_says_error_on_both_backends() {
        let mut interpreted =
            PolicySet::from_files(&[field_rule()], params::defaults(), json!({})).unwrap();
        let mut compiled = interpreted.clone();
        compiled.compile_programs();
        assert_eq!(compiled.compiled_rules(), 1);
        interpreted.programs = Arc::new(vec![None]);
        let mut unreadable = lambda_doc(json!({"supplementaryConfiguration": {}}));
        unreadable.field_unreadable(
            "supplementaryConfiguration.policy",
            vigil_model::FieldError {
                operation: "GetPolicy".into(),
                code: "AccessDeniedException".into(),
                message: "denied".into(),
            },
        );
        let cases = [
            (
                lambda_doc(json!({"supplementaryConfiguration": {"policy": {"public": false}}})),
                vec![(Status::Pass, "")],
            ),
            (
                lambda_doc(json!({"supplementaryConfiguration": {"policy": {"public": true}}})),
                vec![(Status::Fail, "public")],
            ),
            (
                unreadable,
                vec![(Status::Error, "policy unreadable: AccessDeniedException")],
            ),
            (
                lambda_doc(
                    json!({"configuration": {"size": "x"}, "supplementaryConfiguration": {"policy": {"public": true}}}),
                ),
                vec![(Status::Fail, "public"), (Status::Error, "size unknown")],
            ),
        ];
        for set in [&compiled, &interpreted] {
            for (doc, want) in &cases {
                let mut out = Vec::new();
                set.evaluator().evaluate(
                    doc,
                    &AccountContext::default(),
                    &OrgInfo::default(),
                    &mut out,
                );
                let got: Vec<(Status, &str)> =
                    out.iter().map(|f| (f.status, f.message.as_str())).collect();
                assert_eq!(&got, want, "{}", serde_json::to_string(doc).unwrap());
            }
        }
    }

    #[test]
    fn rules_see_the_organization_of_the_run_on_both_backends() {
        let rule = PolicyFile {
            name: "t/org.rego".into(),
            text: "# METADATA\n# title: t\n# custom:\n#   id: TST-ORG-001\n#   severity: high\n#   resource_types: [AWS::Lambda::Function]\n#   related:\n#     fsbp: [Lambda.1]\npackage vigil.rules.lambda.org\nimport rego.v1\n\ndeny contains msg if {\n  some id in input.resource.configuration.grantees\n  not data.vigil.organization.account_ids[id]\n  msg := sprintf(\"%s is outside %s\", [id, data.vigil.organization.id])\n}\n".into(),
        };
        let mut interpreted =
            PolicySet::from_files(&[rule], params::defaults(), json!({})).unwrap();
        let mut compiled = interpreted.clone();
        compiled.compile_programs();
        assert_eq!(compiled.compiled_rules(), 1);
        interpreted.programs = Arc::new(vec![None]);
        let org = OrgInfo {
            id: "o-a1b2c3d4e5".into(),
            management_account_id: "111111111111".into(),
        };
        let doc =
            lambda_doc(json!({"configuration": {"grantees": ["111111111111", "999999999999"]}}));
        for set in [compiled, interpreted] {
            let set = set.with_organization(&org, ["111111111111", "222222222222"].into_iter());
            let mut out = Vec::new();
            set.evaluator()
                .evaluate(&doc, &AccountContext::default(), &org, &mut out);
            let got: Vec<&str> = out.iter().map(|f| f.message.as_str()).collect();
            assert_eq!(got, ["999999999999 is outside o-a1b2c3d4e5"]);
            assert_eq!(out[0].related.fsbp, ["Lambda.1"]);
        }
    }

    #[test]
    fn an_error_rule_that_is_not_a_set_is_a_load_error() {
        let f = PolicyFile {
            name: "t/bad_error.rego".into(),
            text: "# METADATA\n# title: t\n# custom:\n#   id: TST-ERR-001\n#   severity: low\n#   resource_types: [AWS::Lambda::Function]\npackage vigil.rules.lambda.bad_error\nimport rego.v1\n\ndeny contains \"x\" if false\n\nerror := \"oops\"\n".into(),
        };
        let err = PolicySet::from_files(&[f], params::defaults(), json!({}))
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains("`error` must be a set of messages"),
            "{err}"
        );
        assert!(err.to_string().contains("t/bad_error.rego"), "{err}");
    }

    #[test]
    fn account_context_follows_each_document() {
        let rule = PolicyFile {
            name: "t/acct.rego".into(),
            text: "# METADATA\n# title: t\n# custom:\n#   id: TST-ACCT-001\n#   severity: low\n#   resource_types: [AWS::Lambda::Function]\npackage vigil.rules.lambda.acct\nimport rego.v1\n\ndeny contains msg if {\n  input.account.name == \"bad\"\n  msg := sprintf(\"account %s\", [input.account.id])\n}\n".into(),
        };
        let set = PolicySet::from_files(&[rule], params::defaults(), json!({})).unwrap();
        let doc: Document = serde_json::from_value(json!({
            "resourceType": "AWS::Lambda::Function", "resourceId": "f", "arn": "arn:f",
            "awsAccountId": "111111111111", "awsRegion": "eu-west-1", "configuration": {}
        }))
        .unwrap();
        let mut ev = set.evaluator();
        let mut out = Vec::new();
        for (id, name) in [("1", "good"), ("2", "bad"), ("2", "bad"), ("3", "good")] {
            let ctx = AccountContext {
                id: id.into(),
                name: name.into(),
                ..Default::default()
            };
            ev.evaluate(&doc, &ctx, &OrgInfo::default(), &mut out);
        }
        let statuses: Vec<Status> = out.iter().map(|f| f.status).collect();
        assert_eq!(
            statuses,
            vec![Status::Pass, Status::Fail, Status::Fail, Status::Pass]
        );
        assert_eq!(out[1].message, "account 2");
    }

    fn findings_of(set: &PolicySet, docs: &[Document]) -> Vec<Finding> {
        let mut ev = set.evaluator();
        let mut out = Vec::new();
        let org = OrgInfo {
            id: "o-abc".into(),
            management_account_id: "111111111111".into(),
        };
        for d in docs {
            for name in ["prod", "sandbox"] {
                let ctx = AccountContext {
                    id: d.aws_account_id.clone(),
                    name: name.into(),
                    ..Default::default()
                };
                ev.evaluate(d, &ctx, &org, &mut out);
            }
        }
        out
    }

    #[test]
    fn the_compiled_path_gives_the_interpreters_findings_on_every_fixture_document() {
        let load = |backend| {
            PolicySet::load(&LoadOptions {
                backend,
                ..Default::default()
            })
            .unwrap()
        };
        let (auto, interpreter) = (load(Backend::Auto), load(Backend::Interpreter));
        assert_eq!(auto.compiled_rules(), auto.rules().len());
        assert_eq!(interpreter.compiled_rules(), 0);
        let docs = testing::fixture_documents();
        let expected = findings_of(&interpreter, &docs);
        assert!(expected.iter().any(|f| f.status == Status::Fail));
        assert!(expected.iter().any(|f| f.status == Status::Pass));
        assert_eq!(findings_of(&auto, &docs), expected);
    }

    #[test]
    fn a_document_the_vm_cannot_finish_is_decided_by_the_interpreter() {
        // Verified on the fixtures (no `items`), but 30,000 items exceed a VM instruction limit
        // of 25,000 (regorus' default).
        let rule = PolicyFile {
            name: "t/items.rego".into(),
            text: "# METADATA\n# title: t\n# custom:\n#   id: TST-ITEMS-001\n#   severity: low\n#   resource_types: [AWS::Lambda::Function]\npackage vigil.rules.lambda.items\nimport rego.v1\n\ndeny contains msg if {\n  some x in input.resource.configuration.items\n  x == \"bad\"\n  msg := sprintf(\"bad item in %s\", [input.resource.resourceId])\n}\n".into(),
        };
        let mut set = PolicySet::from_files(&[rule], params::defaults(), json!({})).unwrap();
        set.vm_instruction_limit = 25_000;
        set.compile_programs();
        assert_eq!(set.compiled_rules(), 1);
        let mut items = vec![json!("ok"); 30_000];
        items.push(json!("bad"));
        let doc: Document = serde_json::from_value(json!({
            "resourceType": "AWS::Lambda::Function", "resourceId": "f", "arn": "arn:f",
            "awsAccountId": "111111111111", "awsRegion": "eu-west-1",
            "configuration": {"items": items}
        }))
        .unwrap();
        let mut out = Vec::new();
        set.evaluator().evaluate(
            &doc,
            &AccountContext::default(),
            &OrgInfo::default(),
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].status, Status::Fail, "{}", out[0].message);
        assert_eq!(out[0].message, "bad item in f");
    }

    #[test]
    fn every_rego_test_of_the_library_passes() {
        let outcomes = testing::run(None).unwrap();
        assert!(outcomes.len() > 100, "{} tests", outcomes.len());
        let failed: Vec<String> = outcomes
            .iter()
            .filter(|o| !o.passed)
            .map(|o| format!("{}: {}", o.name, o.detail))
            .collect();
        assert!(failed.is_empty(), "{failed:#?}");
    }

    #[test]
    fn parse_errors_become_one_line_with_position() {
        let raw = "\n--> dir/broken.rego:15:29\n   |\n15 | deny contains msg if {[\n   |                             ^\nerror: invalid whitespace before [";
        assert_eq!(
            first_line_of_parse_error(raw),
            "dir/broken.rego:15:29: invalid whitespace before ["
        );
    }

    #[test]
    fn a_syntax_error_is_reported_with_file_line_and_column() {
        let f = PolicyFile { name: "x/bad.rego".into(), text: "package vigil.rules.lambda.bad\nimport rego.v1\n\ndeny contains msg if {\n  msg := \n}\n".into() };
        let err = PolicySet::from_files(&[f], params::defaults(), json!({}))
            .err()
            .expect("must fail");
        assert!(err.location.starts_with("x/bad.rego:"), "{err}");
        assert!(err.location.split(':').count() >= 3, "{err}");
        assert!(!err.message.is_empty(), "{err}");
    }
}
