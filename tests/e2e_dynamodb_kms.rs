//! End-to-end: DynamoDB tables and KMS keys of a real moto organization seeded from
//! fixtures/scenarios/dynamodb-kms.json, scanned by the vigil binary across accounts and
//! regions, with the service's default page sizes and with one item per page; AWS Backup
//! selections, which moto does not implement, through the fault proxy answering from
//! fixtures/recorded/backup.

mod support;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use support::{
    closed_accounts, comparable_findings as comparable, read_json, run, stderr, vigil, FaultProxy,
    Moto, Seeded, TempDir,
};

const SCENARIO: &str = "fixtures/scenarios/dynamodb-kms.json";
const REGIONS: &str = "us-east-1,eu-west-1";
const TABLE: &str = "AWS::DynamoDB::Table";
const KEY: &str = "AWS::KMS::Key";
/// The scenario key whose policy denies kms:DescribeKey to everyone: an error record, no document.
const UNDESCRIBABLE: &str = "alias/sandbox-locked";
const TABLE_RULES: [&str; 6] = [
    "VGL-DDB-001",
    "VGL-DDB-002",
    "VGL-DDB-003",
    "VGL-DDB-004",
    "VGL-DDB-005",
    "VGL-DDB-006",
];
const KEY_RULES: [&str; 4] = ["VGL-KMS-001", "VGL-KMS-002", "VGL-KMS-003", "VGL-KMS-004"];

/// (resource type, account key, region, name): tables by name, keys by their alias.
type Ident = (String, String, String, String);

fn scenario() -> Value {
    read_json(&support::root().join(SCENARIO))
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

/// Scenario items of a section that the scan must see (accounts that are not closed).
fn scanned<'a>(sc: &'a Value, section: &str) -> Vec<&'a Value> {
    let closed = closed_accounts(sc);
    sc[section]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !closed.contains(&s(&i["account"])))
        .collect()
}

/// The documents the scan must produce, from the scenario.
fn expected_documents(sc: &Value) -> BTreeSet<Ident> {
    let mut out = BTreeSet::new();
    for t in scanned(sc, "dynamodb_tables") {
        out.insert((
            TABLE.into(),
            s(&t["account"]),
            s(&t["region"]),
            s(&t["name"]),
        ));
    }
    for k in scanned(sc, "kms_keys") {
        if k["alias"] != UNDESCRIBABLE {
            out.insert((
                KEY.into(),
                s(&k["account"]),
                s(&k["region"]),
                s(&k["alias"]),
            ));
        }
    }
    out
}

/// A document's name in the scenario: the table name, or the key's (only) alias.
fn name_of(doc: &Value) -> String {
    if doc["resourceType"] == KEY {
        let aliases = doc["supplementaryConfiguration"]["aliases"]
            .as_array()
            .unwrap();
        assert_eq!(aliases.len(), 1, "{doc}");
        s(&aliases[0])
    } else {
        s(&doc["resourceId"])
    }
}

fn ident(doc: &Value, seeded: &Seeded) -> Ident {
    (
        s(&doc["resourceType"]),
        seeded.key_of(doc["awsAccountId"].as_str().unwrap()),
        s(&doc["awsRegion"]),
        name_of(doc),
    )
}

/// Snapshot documents by their scenario identity (each identity exactly once).
fn documents(snap: &Value, seeded: &Seeded) -> BTreeMap<Ident, Value> {
    let docs = snap["documents"].as_array().unwrap();
    let map: BTreeMap<Ident, Value> = docs.iter().map(|d| (ident(d, seeded), d.clone())).collect();
    assert_eq!(map.len(), docs.len(), "a resource was emitted twice");
    map
}

fn scan(moto: &Moto, tmp: &TempDir, tag: &str, extra: &[&str]) -> (Option<i32>, Value, Value) {
    scan_at(&moto.endpoint, tmp, tag, extra)
}

fn scan_at(
    endpoint: &str,
    tmp: &TempDir,
    tag: &str,
    extra: &[&str],
) -> (Option<i32>, Value, Value) {
    let (report, snap) = (
        tmp.path(&format!("{tag}-report.json")),
        tmp.path(&format!("{tag}-snap.json")),
    );
    let out = run(vigil()
        .args(["scan", "--endpoint-url", endpoint, "--regions", REGIONS])
        .args(["--services", "dynamodb,kms", "--format", "json", "--output"])
        .arg(&report)
        .arg("--snapshot-out")
        .arg(&snap)
        .args(extra));
    assert!(
        matches!(out.status.code(), Some(0..=3)),
        "stderr: {}",
        stderr(&out)
    );
    (out.status.code(), read_json(&report), read_json(&snap))
}

fn calls(report: &Value, op: &str) -> u64 {
    report["scan"]["api_calls_by_operation"][op]
        .as_u64()
        .unwrap_or(0)
}

/// (account key, region, resource name, rule) of every finding with `status`; key findings
/// are named by the key's alias.
fn with_status(
    report: &Value,
    seeded: &Seeded,
    key_alias: &BTreeMap<String, String>,
    status: &str,
) -> BTreeSet<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == status)
        .map(|f| {
            let id = s(&f["resource_id"]);
            (
                seeded.key_of(f["account_id"].as_str().unwrap()),
                s(&f["region"]),
                key_alias.get(&id).cloned().unwrap_or(id),
                s(&f["rule_id"]),
            )
        })
        .collect()
}

fn expected_failures(sc: &Value) -> BTreeSet<(String, String, String, String)> {
    sc["expected_failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                s(&e["account"]),
                s(&e["region"]),
                s(&e["resource"]),
                s(&e["rule"]),
            )
        })
        .collect()
}

#[test]
fn scan_collects_every_table_and_key_and_finds_exactly_the_seeded_violations() {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    let sc = scenario();
    let tmp = TempDir::new("e2e-ddb-kms");

    let (code, report, snap) = scan(&moto, &tmp, "default", &[]);
    // The undescribable key makes the scan partial.
    assert_eq!(code, Some(3));

    // Exactly the scenario's documents: per type × account × region, nothing from the closed
    // account, nothing for the key that cannot be described.
    let docs = documents(&snap, &seeded);
    let expected = expected_documents(&sc);
    assert_eq!(docs.keys().cloned().collect::<BTreeSet<_>>(), expected);
    let n_tables = expected.iter().filter(|i| i.0 == TABLE).count();
    let n_keys = expected.iter().filter(|i| i.0 == KEY).count();
    assert_eq!((n_tables, n_keys), (9, 12));
    assert_eq!(report["scan"]["resources"], expected.len());
    assert_eq!(report["scan"]["evaluated"], report["scan"]["resources"]);
    for (id, d) in &docs {
        assert_eq!(d["awsAccountId"], seeded.id(&id.1), "{id:?}");
    }

    // The one error: DescribeKey denied by the key policy, recorded for that key only.
    let locked_id = {
        let errors = report["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert_eq!(e["account_id"], seeded.id("sandbox"));
        assert_eq!(e["region"], "us-east-1");
        assert_eq!(e["service"], "kms");
        assert_eq!(e["operation"], "DescribeKey");
        assert_eq!(e["code"], "AccessDeniedException");
        s(&e["resource"])
    };
    assert!(docs.values().all(|d| d["resourceId"] != locked_id.as_str()));
    assert_eq!(snap["errors"], report["errors"]);

    let doc = |ty: &str, acct: &str, region: &str, name: &str| -> &Value {
        &docs[&(ty.into(), acct.into(), region.into(), name.into())]
    };

    // Tables.
    let ledger = doc(TABLE, "payments", "eu-west-1", "payments-ledger");
    let data_key = doc(KEY, "payments", "eu-west-1", "alias/payments-data");
    assert_eq!(
        ledger["arn"],
        format!(
            "arn:aws:dynamodb:eu-west-1:{}:table/payments-ledger",
            seeded.id("payments")
        )
    );
    assert_eq!(ledger["configuration"]["tableArn"], ledger["arn"]);
    assert_eq!(
        ledger["configuration"]["sseDescription"],
        json!({"status": "ENABLED", "sseType": "KMS", "kmsMasterKeyArn": data_key["arn"], "inaccessibleEncryptionDateTime": null})
    );
    assert_eq!(
        ledger["configuration"]["billingModeSummary"]["billingMode"],
        "PAY_PER_REQUEST"
    );
    assert_eq!(ledger["configuration"]["deletionProtectionEnabled"], true);
    assert_eq!(ledger["configuration"]["tableStatus"], "ACTIVE");
    assert_eq!(
        ledger["configuration"]["keySchema"],
        json!([{"attributeName": "pk", "keyType": "HASH"}])
    );
    assert_eq!(
        ledger["tags"],
        json!({"owner": "payments", "data": "confidential"})
    );
    let pitr = &ledger["supplementaryConfiguration"]["continuousBackups"];
    assert_eq!(pitr["continuousBackupsStatus"], "ENABLED");
    assert_eq!(
        pitr["pointInTimeRecoveryDescription"]["pointInTimeRecoveryStatus"],
        "ENABLED"
    );

    let sessions = doc(TABLE, "payments", "eu-west-1", "payments-sessions");
    assert_eq!(sessions["configuration"]["sseDescription"], Value::Null);
    assert_eq!(
        sessions["configuration"]["billingModeSummary"]["billingMode"],
        "PROVISIONED"
    );
    assert_eq!(
        sessions["configuration"]["provisionedThroughput"]["readCapacityUnits"],
        5
    );
    assert_eq!(
        sessions["configuration"]["deletionProtectionEnabled"],
        false
    );
    assert_eq!(sessions["tags"], json!({}));
    assert_eq!(
        sessions["supplementaryConfiguration"]["continuousBackups"]
            ["pointInTimeRecoveryDescription"]["pointInTimeRecoveryStatus"],
        "DISABLED"
    );

    // Resource policies, auto scaling and backup selections.
    let analytics_id = seeded.id("analytics");
    assert_eq!(
        ledger["supplementaryConfiguration"]["resourcePolicy"]["Statement"][0],
        json!({"Sid": "AnalyticsRead", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{analytics_id}:root")}, "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": ledger["arn"]})
    );
    assert_eq!(
        sessions["supplementaryConfiguration"]["resourcePolicy"],
        Value::Null
    );
    let target = json!({"minCapacity": 5, "maxCapacity": 100, "suspendedState": null});
    assert_eq!(
        sessions["supplementaryConfiguration"]["autoScaling"],
        json!({"readCapacityUnits": target, "writeCapacityUnits": null})
    );
    let rates = doc(TABLE, "payments", "us-east-1", "payments-rates");
    assert_eq!(
        rates["supplementaryConfiguration"]["autoScaling"],
        json!({"readCapacityUnits": target, "writeCapacityUnits": target})
    );
    // Auto scaling is read for provisioned tables only; no backup plan exists in plain moto.
    for (id, d) in &docs {
        let sup = d["supplementaryConfiguration"].as_object().unwrap();
        if id.0 == TABLE {
            let provisioned =
                d["configuration"]["billingModeSummary"]["billingMode"] == "PROVISIONED";
            assert_eq!(sup.contains_key("autoScaling"), provisioned, "{id:?}");
            assert_eq!(sup["backupSelections"], json!([]), "{id:?}");
            assert!(sup.contains_key("resourcePolicy"), "{id:?}");
            assert!(d.get("collectionErrors").is_none(), "{id:?}");
        }
    }

    // Keys.
    assert_eq!(data_key["resourceId"], data_key["configuration"]["keyId"]);
    assert_eq!(
        data_key["arn"],
        format!(
            "arn:aws:kms:eu-west-1:{}:key/{}",
            seeded.id("payments"),
            s(&data_key["resourceId"])
        )
    );
    let c = &data_key["configuration"];
    assert_eq!(
        (
            &c["keyManager"],
            &c["keySpec"],
            &c["keyUsage"],
            &c["keyState"],
            &c["origin"],
            &c["multiRegion"],
            &c["description"]
        ),
        (
            &json!("CUSTOMER"),
            &json!("SYMMETRIC_DEFAULT"),
            &json!("ENCRYPT_DECRYPT"),
            &json!("Enabled"),
            &json!("AWS_KMS"),
            &json!(false),
            &json!("payments table data")
        )
    );
    let created = s(&c["creationDate"]);
    assert!(
        created.len() >= 20 && created.as_bytes()[10] == b'T' && created.ends_with('Z'),
        "RFC 3339: {created}"
    );
    assert_eq!(data_key["tags"], json!({"owner": "payments"}));
    assert_eq!(
        data_key["supplementaryConfiguration"]["keyRotationEnabled"],
        true
    );
    assert_eq!(
        data_key["supplementaryConfiguration"]["policy"]["Statement"][0]["Principal"]["AWS"],
        format!("arn:aws:iam::{}:root", seeded.id("payments"))
    );

    let signing = doc(KEY, "payments", "us-east-1", "alias/payments-signing");
    assert_eq!(signing["configuration"]["keySpec"], "RSA_2048");
    assert_eq!(signing["configuration"]["keyUsage"], "SIGN_VERIFY");
    assert_eq!(
        signing["supplementaryConfiguration"]["keyRotationEnabled"],
        Value::Null,
        "rotation does not apply to asymmetric keys"
    );
    assert!(signing["supplementaryConfiguration"]["policy"].is_object());

    let legacy = doc(KEY, "payments", "eu-west-1", "alias/payments-legacy");
    assert_eq!(
        legacy["supplementaryConfiguration"]["keyRotationEnabled"],
        false
    );

    let shared = doc(KEY, "analytics", "eu-west-1", "alias/analytics-shared");
    assert_eq!(
        shared["supplementaryConfiguration"]["policy"]["Statement"][1],
        json!({"Sid": "AllowEveryone", "Effect": "Allow", "Principal": "*", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"})
    );
    let org_key = doc(KEY, "analytics", "eu-west-1", "alias/analytics-org");
    assert_eq!(
        org_key["supplementaryConfiguration"]["policy"]["Statement"][1]["Condition"],
        json!({"StringEquals": {"aws:PrincipalOrgID": seeded.org_id}})
    );

    let archive = doc(KEY, "analytics", "us-east-1", "alias/analytics-archive");
    assert_eq!(archive["configuration"]["keyState"], "Disabled");
    assert_eq!(archive["configuration"]["enabled"], false);
    let retiring = doc(KEY, "analytics", "us-east-1", "alias/analytics-retiring");
    assert_eq!(retiring["configuration"]["keyState"], "PendingDeletion");
    assert!(retiring["configuration"]["deletionDate"].is_string());

    // API calls: every listed key is described once; each customer-managed key's policy is
    // fetched exactly once (all scenario keys are customer-managed), rotation only for the
    // symmetric ones.
    let customer_keys = n_keys as u64;
    let symmetric = scanned(&sc, "kms_keys")
        .iter()
        .filter(|k| k["alias"] != UNDESCRIBABLE && k.get("key_spec").is_none())
        .count() as u64;
    assert_eq!(calls(&report, "KMS:DescribeKey"), customer_keys + 1);
    assert_eq!(calls(&report, "KMS:GetKeyPolicy"), customer_keys);
    assert_eq!(calls(&report, "KMS:GetKeyRotationStatus"), symmetric);
    // Aliases are listed once per scope that has keys, not once per key.
    let key_scopes: BTreeSet<(String, String)> = scanned(&sc, "kms_keys")
        .iter()
        .map(|k| (s(&k["account"]), s(&k["region"])))
        .collect();
    assert!(key_scopes.len() < n_keys);
    assert_eq!(calls(&report, "KMS:ListAliases"), key_scopes.len() as u64);
    assert_eq!(calls(&report, "DynamoDB:DescribeTable"), n_tables as u64);
    assert_eq!(
        calls(&report, "DynamoDB:DescribeContinuousBackups"),
        n_tables as u64
    );
    let scopes = report["scan"]["accounts"].as_u64().unwrap() * 2;
    assert_eq!(scopes, 8, "management + 3 active members × 2 regions");
    assert_eq!(calls(&report, "DynamoDB:ListTables"), scopes);
    // Per table one GetResourcePolicy; per scope with tables one ListBackupPlans (no plan, so
    // no selection is listed) and, where a table is provisioned, one DescribeScalableTargets.
    let table_scopes = |provisioned_only: bool| -> u64 {
        scanned(&sc, "dynamodb_tables")
            .iter()
            .filter(|t| !provisioned_only || t["billing"] == "PROVISIONED")
            .map(|t| (s(&t["account"]), s(&t["region"])))
            .collect::<BTreeSet<_>>()
            .len() as u64
    };
    assert_eq!(
        calls(&report, "DynamoDB:GetResourcePolicy"),
        n_tables as u64
    );
    assert_eq!(
        calls(&report, "Backup:ListBackupPlans"),
        table_scopes(false)
    );
    assert_eq!(table_scopes(false), 5);
    assert_eq!(calls(&report, "Backup:ListBackupSelections"), 0);
    assert_eq!(calls(&report, "Backup:GetBackupSelection"), 0);
    assert_eq!(
        calls(&report, "Application Auto Scaling:DescribeScalableTargets"),
        table_scopes(true)
    );
    assert_eq!(table_scopes(true), 2);

    // One item per page: the same documents, through more ListTables pages (one per table
    // and scope, at least one per scope). moto ignores Limit on ListKeys, ListAliases and
    // ListResourceTags, so those stay one page each there.
    let (code1, report1, snap1) = scan(&moto, &tmp, "page1", &["--page-size", "1"]);
    assert_eq!(code1, Some(3));
    assert_eq!(documents(&snap1, &seeded), docs);
    let mut per_scope: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (ty, acct, region, _) in &expected {
        if ty == TABLE {
            *per_scope.entry((acct.clone(), region.clone())).or_default() += 1;
        }
    }
    let pages: u64 = per_scope.values().sum::<u64>() + (scopes - per_scope.len() as u64);
    assert_eq!(pages, 12);
    assert_eq!(calls(&report1, "DynamoDB:ListTables"), pages);
    assert_eq!(calls(&report1, "KMS:GetKeyPolicy"), customer_keys);
    assert_eq!(report1["errors"], report["errors"]);

    // Findings: exactly the seeded failures; every other (resource, rule) pair passes.
    let key_alias: BTreeMap<String, String> = docs
        .iter()
        .filter(|(id, _)| id.0 == KEY)
        .map(|(id, d)| (s(&d["resourceId"]), id.3.clone()))
        .collect();
    let expected_fail = expected_failures(&sc);
    assert_eq!(
        with_status(&report, &seeded, &key_alias, "fail"),
        expected_fail
    );
    let mut all_pairs = BTreeSet::new();
    for (ty, acct, region, name) in &expected {
        let rules: &[&str] = if ty == TABLE {
            &TABLE_RULES
        } else {
            &KEY_RULES
        };
        for rule in rules {
            all_pairs.insert((acct.clone(), region.clone(), name.clone(), rule.to_string()));
        }
    }
    assert!(expected_fail.is_subset(&all_pairs));
    assert_eq!(
        with_status(&report, &seeded, &key_alias, "pass"),
        all_pairs
            .difference(&expected_fail)
            .cloned()
            .collect::<BTreeSet<_>>()
    );
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        n_tables * TABLE_RULES.len() + n_keys * KEY_RULES.len(),
        "one finding per rule × resource, no error findings for a single key's failure"
    );
    assert_eq!(report["summary"]["fail"], expected_fail.len());
    assert_eq!(report["summary"]["error"], 0);
    assert_eq!(
        (
            &report["summary"]["by_severity"]["critical"],
            &report["summary"]["by_severity"]["high"],
            &report["summary"]["by_severity"]["medium"],
            &report["summary"]["by_severity"]["low"]
        ),
        (&json!(2), &json!(3), &json!(17), &json!(2))
    );
    let message = |rule: &str, name: &str| -> String {
        let f = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                f["rule_id"] == rule
                    && f["status"] == "fail"
                    && key_alias
                        .get(f["resource_id"].as_str().unwrap())
                        .map_or(f["resource_id"] == name, |a| a == name)
            })
            .unwrap_or_else(|| panic!("no {rule} failure for {name}"));
        s(&f["message"])
    };
    assert_eq!(
        message("VGL-KMS-002", "alias/analytics-shared"),
        format!(
            "key {} (alias/analytics-shared): policy statement AllowEveryone allows principal * to call kms:Encrypt, kms:Decrypt, kms:GenerateDataKey* without a condition restricting the caller",
            s(&shared["resourceId"])
        )
    );
    assert_eq!(
        message("VGL-KMS-001", "alias/analytics-archive"),
        format!(
            "key {} (alias/analytics-archive) has automatic rotation disabled (key state: Disabled)",
            s(&archive["resourceId"])
        )
    );
    assert_eq!(
        message("VGL-DDB-003", "payments-sessions"),
        "table payments-sessions uses PROVISIONED billing (5 read / 5 write capacity units), not on-demand (PAY_PER_REQUEST)"
    );
    assert_eq!(
        message("VGL-DDB-002", "analytics-raw"),
        "table analytics-raw is encrypted with the AWS-owned key, not a KMS key (no SSE description)"
    );
    assert_eq!(
        message("VGL-DDB-001", "analytics-events"),
        "table analytics-events has point-in-time recovery disabled (status: DISABLED)"
    );
    assert_eq!(
        message("VGL-DDB-004", "analytics-raw"),
        "table analytics-raw has deletion protection disabled"
    );
    assert_eq!(
        message("VGL-DDB-005", "payments-ledger"),
        "table payments-ledger is not in any AWS Backup plan (no backup plan in eu-west-1 has a resource selection)"
    );
    assert_eq!(
        message("VGL-DDB-006", "analytics-events"),
        "table analytics-events: resource policy statement VendorExport lets account 444455556666 call dynamodb:Scan"
    );
    let partner = doc(KEY, "payments", "eu-west-1", "alias/payments-partner");
    assert_eq!(
        message("VGL-KMS-004", "alias/payments-partner"),
        format!(
            "key {} (alias/payments-partner): policy statement PartnerDecrypt lets account 444455556666 call kms:Decrypt, kms:DescribeKey",
            s(&partner["resourceId"])
        )
    );
    assert_eq!(
        message("VGL-KMS-003", "alias/analytics-archive"),
        format!(
            "key {} (alias/analytics-archive) is disabled",
            s(&archive["resourceId"])
        )
    );
    assert_eq!(
        message("VGL-KMS-003", "alias/analytics-retiring"),
        format!(
            "key {} (alias/analytics-retiring) is scheduled for deletion (key state: PendingDeletion, deletion on {})",
            s(&retiring["resourceId"]),
            s(&retiring["configuration"]["deletionDate"])
        )
    );
    // Small pages change nothing in the findings.
    assert_eq!(comparable(&report1), comparable(&report));

    // Offline evaluation of the snapshot gives the same findings.
    let ev_path = tmp.path("evaluate.json");
    let ev = run(vigil()
        .arg("evaluate")
        .arg(tmp.path("default-snap.json"))
        .args(["--format", "json", "--output"])
        .arg(&ev_path));
    assert_eq!(
        ev.status.code(),
        Some(3),
        "the snapshot carries the error record; stderr: {}",
        stderr(&ev)
    );
    let ev_report = read_json(&ev_path);
    assert_eq!(comparable(&ev_report), comparable(&report));
    assert_eq!(ev_report["errors"], report["errors"]);
}

#[test]
fn account_scope_and_params_change_exactly_the_expected_findings() {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    let sc = scenario();
    let tmp = TempDir::new("e2e-ddb-kms-params");
    let members = format!("{},{}", seeded.id("payments"), seeded.id("analytics"));

    // Without the sandbox account (where the undescribable key lives) the scan is complete:
    // exit 1 for the failures, no errors.
    let (code, report, snap) = scan(&moto, &tmp, "members", &["--accounts", &members]);
    let report_members = report.clone();
    assert_eq!(code, Some(1));
    assert_eq!(report["errors"], json!([]));
    let key_alias: BTreeMap<String, String> = documents(&snap, &seeded)
        .into_iter()
        .filter(|(id, _)| id.0 == KEY)
        .map(|(id, d)| (s(&d["resourceId"]), id.3))
        .collect();
    let expected_fail: BTreeSet<_> = expected_failures(&sc)
        .into_iter()
        .filter(|f| f.0 == "payments" || f.0 == "analytics")
        .collect();
    assert_eq!(
        with_status(&report, &seeded, &key_alias, "fail"),
        expected_fail
    );

    // Allowing one provisioned table by name removes exactly its VGL-DDB-003 failure; the
    // other provisioned table still fails.
    let params = tmp.path("params.json");
    std::fs::write(
        &params,
        r#"{"dynamodb": {"provisioned_allowed": ["payments-rates"]}}"#,
    )
    .unwrap();
    let (code, report, _) = scan(
        &moto,
        &tmp,
        "params",
        &["--accounts", &members, "--params", params.to_str().unwrap()],
    );
    assert_eq!(code, Some(1));
    let mut want = expected_fail.clone();
    assert!(want.remove(&(
        "payments".to_string(),
        "us-east-1".to_string(),
        "payments-rates".to_string(),
        "VGL-DDB-003".to_string()
    )));
    assert_eq!(with_status(&report, &seeded, &key_alias, "fail"), want);

    // Letting auto scaling exempt provisioned tables removes the failure of payments-rates,
    // whose read and write capacity both scale; payments-sessions scales its reads only and
    // still fails, now saying so. Not requiring backup plans removes every VGL-DDB-005 failure.
    std::fs::write(
        &params,
        r#"{"dynamodb": {"provisioned_with_autoscaling_allowed": true, "backup_plan_required": false}}"#,
    )
    .unwrap();
    let (code, report, _) = scan(
        &moto,
        &tmp,
        "autoscaling",
        &["--accounts", &members, "--params", params.to_str().unwrap()],
    );
    assert_eq!(code, Some(1));
    let want: BTreeSet<_> = expected_fail
        .iter()
        .filter(|f| f.3 != "VGL-DDB-005" && !(f.2 == "payments-rates" && f.3 == "VGL-DDB-003"))
        .cloned()
        .collect();
    assert_eq!(want.len(), expected_fail.len() - 7);
    assert_eq!(with_status(&report, &seeded, &key_alias, "fail"), want);
    assert_eq!(report["summary"]["error"], 0);
    let sessions = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "VGL-DDB-003" && f["resource_id"] == "payments-sessions")
        .unwrap();
    assert_eq!(
        sessions["message"],
        "table payments-sessions uses PROVISIONED billing (5 read / 5 write capacity units), not on-demand (PAY_PER_REQUEST); auto scaling covers its read capacity only"
    );

    // --fail-on critical: only the public key policy and the table shared outside the
    // organization are critical, both in analytics; payments' keys (one shared with an outside
    // account: high) have nothing at that level.
    let critical: BTreeSet<(String, String)> = report_members["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail" && f["severity"] == "critical")
        .map(|f| {
            (
                seeded.key_of(f["account_id"].as_str().unwrap()),
                s(&f["rule_id"]),
            )
        })
        .collect();
    assert_eq!(
        critical,
        [("analytics", "VGL-DDB-006"), ("analytics", "VGL-KMS-002")]
            .iter()
            .map(|(a, r)| (a.to_string(), r.to_string()))
            .collect()
    );
    let out = run(vigil()
        .args([
            "scan",
            "--endpoint-url",
            &moto.endpoint,
            "--regions",
            REGIONS,
        ])
        .args(["--services", "kms", "--accounts", seeded.id("payments")])
        .args(["--fail-on", "critical", "--format", "json"]));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let out = run(vigil()
        .args([
            "scan",
            "--endpoint-url",
            &moto.endpoint,
            "--regions",
            "eu-west-1",
        ])
        .args(["--services", "kms", "--accounts", seeded.id("analytics")])
        .args(["--fail-on", "critical", "--format", "json"]));
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fails: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .collect();
    assert_eq!(fails.len(), 1);
    assert_eq!(fails[0]["rule_id"], "VGL-KMS-002");
    assert_eq!(fails[0]["severity"], "critical");

    // The organization the rules see is the whole organization, not the accounts --accounts
    // kept: payments-ledger grants the analytics account, which this scan leaves out, and that
    // grant is still inside the organization (VGL-DDB-006 passes, nothing critical).
    let out = run(vigil()
        .args([
            "scan",
            "--endpoint-url",
            &moto.endpoint,
            "--regions",
            "eu-west-1",
        ])
        .args([
            "--services",
            "dynamodb",
            "--accounts",
            seeded.id("payments"),
        ])
        .args(["--params", params.to_str().unwrap()])
        .args(["--fail-on", "critical", "--format", "json"]));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ledger: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "VGL-DDB-006" && f["resource_id"] == "payments-ledger")
        .collect();
    assert_eq!(ledger.len(), 1, "{report}");
    assert_eq!(ledger[0]["status"], "pass");
}

/// The scenario with AWS Backup plans in payments/eu-west-1 and analytics/eu-west-1, as a
/// temporary file (plans in the shared scenario would make every plain-moto scan of it call
/// ListBackupSelections, which moto lacks).
fn scenario_with_backup_plans(tmp: &TempDir) -> String {
    let mut sc = scenario();
    sc["backup_plans"] = json!([
        {"account": "payments", "region": "eu-west-1", "name": "daily-35d"},
        {"account": "analytics", "region": "eu-west-1", "name": "daily-35d"},
    ]);
    let path = tmp.path("dynamodb-kms-backup.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&sc).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

/// Backup selections through the fault proxy, answered from fixtures/recorded/backup: every
/// plan has `payments-tables` (ARN pattern `...:table/payments-*`, NotResources
/// `...:table/payments-sessions`, a StringNotEquals tag condition) and `tagged-daily`
/// (ListOfTags backup=daily). payments-ledger is selected by its ARN, analytics-events by its
/// tag; payments-sessions is excluded; tables in regions without a plan are in none.
#[test]
fn backup_plan_selections_decide_which_tables_are_backed_up() {
    let moto = Moto::start();
    let tmp = TempDir::new("e2e-ddb-backup");
    let seeded = moto.seed(&scenario_with_backup_plans(&tmp));
    let sc = scenario();
    let proxy = FaultProxy::start(&moto.endpoint, &["--recorded", "fixtures/recorded"]);
    let members = format!("{},{}", seeded.id("payments"), seeded.id("analytics"));

    let (code, report, snap) = scan_at(&proxy.endpoint, &tmp, "backup", &["--accounts", &members]);
    assert_eq!(code, Some(1), "{}", report["errors"]);
    assert_eq!(report["errors"], json!([]));
    let stats = proxy.stats();
    assert_eq!(
        FaultProxy::count(&stats, "backup:ListBackupPlans", "forwarded"),
        4
    );
    assert_eq!(
        FaultProxy::count(&stats, "backup:ListBackupSelections", "recorded"),
        2
    );
    assert_eq!(
        FaultProxy::count(&stats, "backup:GetBackupSelection", "recorded"),
        4
    );
    assert_eq!(
        calls(&report, "Backup:ListBackupPlans"),
        4,
        "one per scope with tables"
    );
    assert_eq!(
        calls(&report, "Backup:ListBackupSelections"),
        2,
        "one per plan"
    );
    assert_eq!(
        calls(&report, "Backup:GetBackupSelection"),
        4,
        "one per selection"
    );

    let docs = documents(&snap, &seeded);
    let selections = |acct: &str, region: &str, name: &str| -> Value {
        docs[&(TABLE.into(), acct.into(), region.into(), name.into())]["supplementaryConfiguration"]
            ["backupSelections"]
            .clone()
    };
    let ledger = selections("payments", "eu-west-1", "payments-ledger");
    let ledger = ledger.as_array().unwrap();
    assert_eq!(ledger.len(), 2);
    assert_eq!(ledger[0]["backupPlanName"], "daily-35d");
    assert!(ledger[0]["backupPlanId"].as_str().unwrap().len() > 8);
    assert_eq!(
        ledger[0]["selectionId"],
        "0c6e8f2a-4b1d-4c3e-8f5a-7b9d1e3f5a7c"
    );
    assert_eq!(
        (
            &ledger[0]["selectionName"],
            &ledger[0]["resources"],
            &ledger[0]["notResources"],
            &ledger[0]["listOfTags"],
            &ledger[0]["conditions"]
        ),
        (
            &json!("payments-tables"),
            &json!(["arn:aws:dynamodb:*:*:table/payments-*"]),
            &json!(["arn:aws:dynamodb:*:*:table/payments-sessions"]),
            &json!([]),
            &json!({"stringEquals": [], "stringNotEquals": [{"conditionKey": "aws:ResourceTag/backup", "conditionValue": "none"}], "stringLike": [], "stringNotLike": []})
        )
    );
    assert_eq!(
        ledger[1]["listOfTags"],
        json!([{"conditionType": "STRINGEQUALS", "conditionKey": "backup", "conditionValue": "daily"}])
    );
    assert_eq!(
        selections("analytics", "eu-west-1", "analytics-events")
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        selections("payments", "us-east-1", "payments-orders"),
        json!([])
    );

    // Exactly the plain scan's failures, less VGL-DDB-005 for the two selected tables.
    let key_alias: BTreeMap<String, String> = docs
        .iter()
        .filter(|(id, _)| id.0 == KEY)
        .map(|(id, d)| (s(&d["resourceId"]), id.3.clone()))
        .collect();
    let key = |a: &str, r: &str, n: &str, rule: &str| {
        (
            a.to_string(),
            r.to_string(),
            n.to_string(),
            rule.to_string(),
        )
    };
    let mut want: BTreeSet<_> = expected_failures(&sc)
        .into_iter()
        .filter(|f| f.0 == "payments" || f.0 == "analytics")
        .collect();
    assert!(want.remove(&key(
        "payments",
        "eu-west-1",
        "payments-ledger",
        "VGL-DDB-005"
    )));
    assert!(want.remove(&key(
        "analytics",
        "eu-west-1",
        "analytics-events",
        "VGL-DDB-005"
    )));
    assert_eq!(with_status(&report, &seeded, &key_alias, "fail"), want);
    let finding = |rule: &str, name: &str| -> Value {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == rule && f["resource_id"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(finding("VGL-DDB-005", "payments-ledger")["status"], "pass");
    assert_eq!(finding("VGL-DDB-005", "analytics-events")["status"], "pass");
    assert_eq!(
        finding("VGL-DDB-005", "payments-sessions")["message"],
        "table payments-sessions is not in any AWS Backup plan (none of the 2 backup selections in eu-west-1 selects it; excluded by the NotResources of payments-tables (plan daily-35d))"
    );
    assert_eq!(
        finding("VGL-DDB-005", "payments-rates")["message"],
        "table payments-rates is not in any AWS Backup plan (no backup plan in us-east-1 has a resource selection)"
    );

    // A selection that cannot be read: the analytics plan's tables (analytics-events) get an
    // error instead of a verdict and the scan is partial; the payments tables keep theirs.
    let denied = format!("backup:GetBackupSelection:{}", seeded.id("analytics"));
    let proxy = FaultProxy::start(
        &moto.endpoint,
        &["--recorded", "fixtures/recorded", "--deny", &denied],
    );
    let (code, report, snap) = scan_at(&proxy.endpoint, &tmp, "denied", &["--accounts", &members]);
    assert_eq!(code, Some(3));
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (
            &errors[0]["account_id"],
            &errors[0]["region"],
            &errors[0]["service"],
            &errors[0]["operation"],
            &errors[0]["code"],
            &errors[0]["resource"]
        ),
        (
            &json!(seeded.id("analytics")),
            &json!("eu-west-1"),
            &json!("dynamodb"),
            &json!("GetBackupSelection"),
            &json!("AccessDeniedException"),
            &json!("analytics-events")
        )
    );
    let events = documents(&snap, &seeded)[&(
        TABLE.into(),
        "analytics".into(),
        "eu-west-1".into(),
        "analytics-events".into(),
    )]
        .clone();
    assert!(events["supplementaryConfiguration"]
        .get("backupSelections")
        .is_none());
    assert_eq!(
        events["collectionErrors"]["supplementaryConfiguration.backupSelections"]["operation"],
        "GetBackupSelection"
    );
    let error_findings: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "error")
        .map(|f| (s(&f["rule_id"]), s(&f["resource_id"])))
        .collect();
    assert_eq!(
        error_findings,
        vec![("VGL-DDB-005".to_string(), "analytics-events".to_string())]
    );
    // analytics-events' VGL-DDB-005 passed above and is an error now: the failures are the same.
    assert_eq!(with_status(&report, &seeded, &key_alias, "fail"), want);
    let ledger_005 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "VGL-DDB-005" && f["resource_id"] == "payments-ledger")
        .unwrap();
    assert_eq!(ledger_005["status"], "pass");
}
