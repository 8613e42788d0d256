//! End-to-end: SCP chains and AWS Config set-ups seeded into a real moto organization from
//! fixtures/scenarios/org-config.json, scanned by the vigil binary with
//! `--services organizations,config`.

mod support;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use support::{
    findings_with_status, read_json, run, stderr, vigil, FaultProxy, Moto, Seeded, TempDir,
};

const SCENARIO: &str = "fixtures/scenarios/org-config.json";
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const ORG_RULES: [&str; 4] = ["VGL-ORG-001", "VGL-ORG-002", "VGL-ORG-003", "VGL-ORG-004"];
const CONFIG_RULES: [&str; 4] = [
    "VGL-CONFIG-001",
    "VGL-CONFIG-002",
    "VGL-CONFIG-003",
    "VGL-CONFIG-006",
];
/// Rules of the account roll-up (AWS::Config::Account) and of the organization's
/// (AWS::Config::Organization, management account only).
const ACCOUNT_RULE: &str = "VGL-CONFIG-005";
const ORGANIZATION_RULE: &str = "VGL-CONFIG-004";
/// moto has no DescribeDeliveryChannelStatus: the proxy answers it, failing in eu-west-1.
const RECORDED_STATUS: &str = "tests/data/recorded-delivery-status";
/// Active accounts of the scenario (the closed one is never scanned).
const SCANNED: [&str; 4] = ["management", "payments", "analytics", "sandbox"];

fn scenario() -> Value {
    read_json(&support::root().join(SCENARIO))
}

/// Scans the seeded organization; returns (exit code, JSON report, snapshot).
fn scan(endpoint: &str, tmp: &TempDir, tag: &str, extra: &[&str]) -> (Option<i32>, Value, Value) {
    let (report, snap) = (
        tmp.path(&format!("{tag}-report.json")),
        tmp.path(&format!("{tag}-snap.json")),
    );
    let out = run(vigil()
        .args(["scan", "--endpoint-url", endpoint])
        .args(["--regions", &REGIONS.join(",")])
        .args(["--services", "organizations,config"])
        .args(extra)
        .args(["--format", "json", "--output"])
        .arg(&report)
        .arg("--snapshot-out")
        .arg(&snap));
    assert!(
        report.exists(),
        "no report written; stderr: {}",
        stderr(&out)
    );
    (out.status.code(), read_json(&report), read_json(&snap))
}

fn docs_of<'a>(snap: &'a Value, resource_type: &str) -> Vec<&'a Value> {
    snap["documents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["resourceType"] == resource_type)
        .collect()
}

fn calls(report: &Value, op: &str) -> u64 {
    report["scan"]["api_calls_by_operation"][op]
        .as_u64()
        .unwrap_or(0)
}

/// (level type, level name, policy names) from root to account.
fn chain_names(doc: &Value) -> Vec<(String, String, Vec<String>)> {
    doc["supplementaryConfiguration"]["scpChain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["type"].as_str().unwrap().to_string(),
                l["name"].as_str().unwrap().to_string(),
                l["policies"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["name"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

fn level(kind: &str, name: &str, policies: &[&str]) -> (String, String, Vec<String>) {
    (
        kind.to_string(),
        name.to_string(),
        policies.iter().map(|s| s.to_string()).collect(),
    )
}

/// Every level's policies across the Account documents.
fn chain_policies(snap: &Value) -> Vec<(String, Value)> {
    docs_of(snap, "AWS::Organizations::Account")
        .into_iter()
        .flat_map(|d| {
            d["supplementaryConfiguration"]["scpChain"]
                .as_array()
                .unwrap()
        })
        .flat_map(|l| {
            l["policies"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |p| (l["targetId"].as_str().unwrap().to_string(), p.clone()))
        })
        .collect()
}

/// What the Config rules look at in one AWS::Config::Region document.
fn config_summary(doc: &Value) -> Value {
    let c = &doc["configuration"];
    json!({
        "recorders": c["configurationRecorders"].as_array().unwrap().iter().map(|r| json!({
            "name": r["name"],
            "allSupported": r["recordingGroup"]["allSupported"],
            "includeGlobalResourceTypes": r["recordingGroup"]["includeGlobalResourceTypes"],
            "useOnly": r["recordingGroup"]["recordingStrategy"]["useOnly"],
            "resourceTypes": r["recordingGroup"]["resourceTypes"],
            "excluded": r["recordingGroup"]["exclusionByResourceTypes"]["resourceTypes"],
        })).collect::<Vec<_>>(),
        "status": c["configurationRecordersStatus"].as_array().unwrap().iter().map(|s| json!({
            "name": s["name"], "recording": s["recording"],
        })).collect::<Vec<_>>(),
        "channels": c["deliveryChannels"].as_array().unwrap().iter().map(|ch| json!({
            "name": ch["name"],
            "s3BucketName": ch["s3BucketName"],
            "snsTopicArn": ch["snsTopicArn"],
            "deliveryFrequency": ch["configSnapshotDeliveryProperties"]["deliveryFrequency"],
        })).collect::<Vec<_>>(),
        "aggregators": match &c["configurationAggregators"] {
            Value::Null => Value::Null,
            v => Value::Array(v.as_array().unwrap().iter().map(|a| a["configurationAggregatorName"].clone()).collect()),
        },
    })
}

fn recorder(all: bool, global: bool, use_only: &str, types: &[&str], excluded: &[&str]) -> Value {
    json!({"name": "default", "allSupported": all, "includeGlobalResourceTypes": global,
           "useOnly": use_only, "resourceTypes": types, "excluded": excluded})
}

fn channel(account: &str, sns: Option<String>, frequency: Option<&str>) -> Value {
    json!({"name": "default", "s3BucketName": format!("org-config-{account}"),
           "snsTopicArn": sns, "deliveryFrequency": frequency})
}

fn resource_id(seeded: &Seeded, key: &str, region: &str) -> String {
    if region == "global" {
        seeded.id(key).to_string()
    } else {
        format!("{}/{region}", seeded.id(key))
    }
}

fn sorted_documents(snap: &Value) -> Vec<Value> {
    let mut docs = snap["documents"].as_array().unwrap().clone();
    docs.sort_by_key(|d| format!("{}|{}", d["resourceType"], d["resourceId"]));
    docs
}

#[test]
fn scan_collects_scp_chains_and_config_and_finds_exactly_the_seeded_violations() {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    let sc = scenario();
    let tmp = TempDir::new("e2e-org-config");
    let proxy = FaultProxy::start(&moto.endpoint, &["--recorded", RECORDED_STATUS]);
    let (code, report, snap) = scan(&proxy.endpoint, &tmp, "default", &[]);
    assert_eq!(code, Some(1), "fail findings at or above low");
    let mgmt = seeded.id("management");
    let org_id = seeded.org_id.as_str();

    // One Account document per scanned account, global, with its Organizations ARN.
    let accounts = docs_of(&snap, "AWS::Organizations::Account");
    let by_key: BTreeMap<&str, &Value> = SCANNED
        .iter()
        .map(|k| {
            let doc = accounts
                .iter()
                .find(|d| d["resourceId"] == seeded.id(k))
                .unwrap_or_else(|| panic!("no Account document for {k}"));
            (*k, *doc)
        })
        .collect();
    assert_eq!(accounts.len(), SCANNED.len());
    let mgmt_name = snap["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == mgmt)
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    for (key, doc) in &by_key {
        let id = seeded.id(key);
        assert_eq!(doc["awsRegion"], "global", "{key}");
        assert_eq!(doc["awsAccountId"], id);
        assert_eq!(
            doc["arn"],
            format!("arn:aws:organizations::{mgmt}:account/{org_id}/{id}")
        );
        assert_eq!(doc["configuration"]["id"], id);
        assert_eq!(doc["configuration"]["status"], "ACTIVE");
        assert_eq!(doc["configuration"]["joinedMethod"], "CREATED");
        assert!(doc["configuration"]["joinedTimestamp"].is_string(), "{key}");
        assert_eq!(
            doc["configuration"]["isManagementAccount"],
            *key == "management"
        );
    }
    let payments = by_key["payments"];
    assert_eq!(payments["configuration"]["name"], "payments-prod");
    assert_eq!(
        payments["configuration"]["email"],
        "aws+payments@example.com"
    );
    assert_eq!(payments["configuration"]["ouPath"], "Root/Workloads/Prod");
    assert_eq!(
        payments["tags"],
        json!({"owner": "payments", "env": "prod"})
    );

    // The exact chain, root → OUs → account, with the SCPs of each level.
    let root = |names: &[&str]| level("ROOT", "Root", names);
    let ou = |name: &str, names: &[&str]| level("ORGANIZATIONAL_UNIT", name, names);
    let acct = |name: &str, names: &[&str]| level("ACCOUNT", name, names);
    let root_scps = ["FullAWSAccess", "deny-leave-org"];
    let expected_chains = [
        (
            "management",
            vec![root(&root_scps), acct(&mgmt_name, &["FullAWSAccess"])],
        ),
        (
            "payments",
            vec![
                root(&root_scps),
                ou("Workloads", &["platform-whitelist"]),
                ou("Prod", &["FullAWSAccess", "protect-config", "region-deny"]),
                acct("payments-prod", &["FullAWSAccess"]),
            ],
        ),
        (
            "analytics",
            vec![
                root(&root_scps),
                ou("Workloads", &["platform-whitelist"]),
                ou("Dev", &["FullAWSAccess"]),
                acct("analytics-dev", &["analytics-data"]),
            ],
        ),
        (
            "sandbox",
            vec![
                root(&root_scps),
                ou("Sandbox", &["FullAWSAccess", "sandbox-guardrail"]),
                acct("sandbox", &["FullAWSAccess"]),
            ],
        ),
    ];
    for (key, chain) in &expected_chains {
        assert_eq!(&chain_names(by_key[key]), chain, "chain of {key}");
        let levels = by_key[key]["supplementaryConfiguration"]["scpChain"]
            .as_array()
            .unwrap();
        assert!(levels[0]["targetId"].as_str().unwrap().starts_with("r-"));
        assert_eq!(levels.last().unwrap()["targetId"], seeded.id(key));
        for l in &levels[1..levels.len() - 1] {
            assert!(l["targetId"].as_str().unwrap().starts_with("ou-"), "{l}");
        }
    }
    // The Workloads OU above payments and analytics is one target.
    assert_eq!(
        by_key["payments"]["supplementaryConfiguration"]["scpChain"][1]["targetId"],
        by_key["analytics"]["supplementaryConfiguration"]["scpChain"][1]["targetId"]
    );

    // Policy documents are the parsed JSON that was attached; FullAWSAccess is AWS-managed.
    let custom: BTreeMap<&str, &Value> = sc["scps"]["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), &p["document"]))
        .collect();
    let policies = chain_policies(&snap);
    for (_, p) in &policies {
        let name = p["name"].as_str().unwrap();
        assert!(
            p["arn"].as_str().unwrap().starts_with(&format!(
                "arn:aws:organizations::{mgmt}:policy/{org_id}/service_control_policy/p-"
            )),
            "{p}"
        );
        if name == "FullAWSAccess" {
            assert_eq!(p["id"], "p-FullAWSAccess");
            assert_eq!(p["awsManaged"], true);
            assert_eq!(
                p["document"]["Statement"],
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])
            );
        } else {
            assert_eq!(p["awsManaged"], false, "{name}");
            assert_eq!(&p["document"], custom[name], "{name}");
        }
    }
    // Resource control policies (moto attaches RCPFullAWSAccess everywhere) are not SCPs,
    // and the closed account's own SCP is never read.
    let documents_text = serde_json::to_string(&snap["documents"]).unwrap();
    assert!(!documents_text.contains("RCPFullAWSAccess"));
    assert!(!documents_text.contains("retired-freeze"));
    assert!(!documents_text.contains(seeded.id("retired")));

    // Each policy document and each target's attachments are fetched once per run.
    let distinct_policies: BTreeSet<String> = policies
        .iter()
        .map(|(_, p)| p["id"].as_str().unwrap().to_string())
        .collect();
    let distinct_targets: BTreeSet<String> = docs_of(&snap, "AWS::Organizations::Account")
        .iter()
        .flat_map(|d| {
            d["supplementaryConfiguration"]["scpChain"]
                .as_array()
                .unwrap()
        })
        .map(|l| l["targetId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(distinct_policies.len(), 7, "{distinct_policies:?}");
    assert_eq!(distinct_targets.len(), 9, "root, 4 OUs, 4 accounts");
    assert_eq!(
        calls(&report, "Organizations:DescribePolicy"),
        distinct_policies.len() as u64
    );
    // Per target: its SCPs, tag policies and backup policies, once each per run.
    assert_eq!(
        calls(&report, "Organizations:ListPoliciesForTarget"),
        3 * distinct_targets.len() as u64
    );
    assert_eq!(calls(&report, "Organizations:ListRoots"), 1);
    // Tag policies: the one attached to the Workloads OU, in the chains below it; both other
    // policy types are enabled, no backup policy exists (moto creates none).
    for (key, doc) in &by_key {
        let sup = &doc["supplementaryConfiguration"];
        assert_eq!(
            sup["enabledPolicyTypes"],
            json!(["BACKUP_POLICY", "SERVICE_CONTROL_POLICY", "TAG_POLICY"]),
            "{key}"
        );
        let tagged: Vec<(String, String)> = sup["tagPolicies"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| {
                l["policies"].as_array().unwrap().iter().map(move |p| {
                    (
                        l["name"].as_str().unwrap().to_string(),
                        p["name"].as_str().unwrap().to_string(),
                    )
                })
            })
            .collect();
        let want: Vec<(String, String)> = if ["payments", "analytics"].contains(key) {
            vec![("Workloads".into(), "tag-owner".into())]
        } else {
            vec![]
        };
        assert_eq!(tagged, want, "{key}");
        let levels = |f: &str| -> Vec<Value> {
            sup[f]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["targetId"].clone())
                .collect()
        };
        assert_eq!(levels("tagPolicies"), levels("scpChain"), "{key}");
        assert_eq!(levels("backupPolicies"), levels("scpChain"), "{key}");
        assert!(sup["backupPolicies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["policies"] == json!([])));
    }
    // The org walk (OU paths) and the Organizations collector (SCP chains) share one cache:
    // the account listing, each account's and each OU's parent, and each OU's name are read
    // once per run, not once by each of them.
    let walked = snap["accounts"].as_array().unwrap().len()
        + snap["skipped_accounts"].as_array().unwrap().len();
    let ous = distinct_targets
        .iter()
        .filter(|t| t.starts_with("ou-"))
        .count();
    assert_eq!((walked, ous), (5, 4), "4 active + 1 closed account; 4 OUs");
    assert_eq!(calls(&report, "Organizations:ListAccounts"), 1);
    assert_eq!(
        calls(&report, "Organizations:ListParents"),
        (walked + ous) as u64
    );
    assert_eq!(
        calls(&report, "Organizations:DescribeOrganizationalUnit"),
        ous as u64
    );

    // AWS Config: one document per account × region, as seeded.
    let configs = docs_of(&snap, "AWS::Config::Region");
    assert_eq!(configs.len(), SCANNED.len() * REGIONS.len());
    let config_doc = |key: &str, region: &str| -> &Value {
        configs
            .iter()
            .find(|d| d["resourceId"] == resource_id(&seeded, key, region))
            .unwrap_or_else(|| panic!("no Config document for {key} {region}"))
    };
    let sns = |key: &str, region: &str| {
        Some(format!(
            "arn:aws:sns:{region}:{}:config-notify",
            seeded.id(key)
        ))
    };
    let (pay, ana, sbx) = (
        seeded.id("payments"),
        seeded.id("analytics"),
        seeded.id("sandbox"),
    );
    let on = |recording: bool| json!([{"name": "default", "recording": recording}]);
    let all_supported = "ALL_SUPPORTED_RESOURCE_TYPES";
    let nothing = |aggregators: Value| json!({"recorders": [], "status": [], "channels": [], "aggregators": aggregators});
    let expected_config = [
        (
            "management",
            "us-east-1",
            json!({
                "recorders": [recorder(true, true, all_supported, &[], &[])],
                "status": on(true),
                "channels": [channel(mgmt, sns("management", "us-east-1"), None)],
                "aggregators": ["org-aggregator", "workloads-aggregator"],
            }),
        ),
        ("management", "eu-west-1", nothing(json!([]))),
        (
            "payments",
            "us-east-1",
            json!({
                "recorders": [recorder(true, false, all_supported, &[], &[])],
                "status": on(true),
                "channels": [channel(pay, sns("payments", "us-east-1"), Some("Six_Hours"))],
                "aggregators": null,
            }),
        ),
        (
            "payments",
            "eu-west-1",
            json!({
                "recorders": [recorder(false, false, "INCLUSION_BY_RESOURCE_TYPES",
                    &["AWS::Lambda::Function", "AWS::DynamoDB::Table"], &[])],
                "status": on(true),
                "channels": [channel(pay, None, None)],
                "aggregators": null,
            }),
        ),
        (
            "analytics",
            "us-east-1",
            json!({
                "recorders": [recorder(true, false, all_supported, &[], &[])],
                "status": on(false),
                "channels": [channel(ana, sns("analytics", "us-east-1"), None)],
                "aggregators": null,
            }),
        ),
        ("analytics", "eu-west-1", nothing(Value::Null)),
        (
            "sandbox",
            "us-east-1",
            json!({
                "recorders": [recorder(false, false, "EXCLUSION_BY_RESOURCE_TYPES",
                    &[], &["AWS::EC2::Instance"])],
                "status": on(true),
                "channels": [channel(sbx, sns("sandbox", "us-east-1"), None)],
                "aggregators": null,
            }),
        ),
        (
            "sandbox",
            "eu-west-1",
            json!({
                "recorders": [recorder(true, false, all_supported, &[], &[])],
                "status": on(false),
                "channels": [],
                "aggregators": null,
            }),
        ),
    ];
    for (key, region, want) in &expected_config {
        let doc = config_doc(key, region);
        assert_eq!(&config_summary(doc), want, "Config of {key} in {region}");
        assert_eq!(doc["awsRegion"], *region);
        assert_eq!(doc["awsAccountId"], seeded.id(key));
        assert_eq!(
            doc["arn"],
            format!("arn:aws:config:{region}:{}:vigil-region", seeded.id(key))
        );
    }
    let mgmt_config = config_doc("management", "us-east-1");
    let org_agg = &mgmt_config["configuration"]["configurationAggregators"][0];
    assert_eq!(
        org_agg["organizationAggregationSource"]["allAwsRegions"],
        true
    );
    let account_agg = &mgmt_config["configuration"]["configurationAggregators"][1];
    assert_eq!(
        account_agg["accountAggregationSources"][0]["accountIds"],
        json!([pay, ana])
    );
    assert_eq!(
        account_agg["accountAggregationSources"][0]["awsRegions"],
        json!(REGIONS)
    );
    // Aggregators are read in the management account only, once per region.
    assert_eq!(
        calls(&report, "Config Service:DescribeConfigurationAggregators"),
        REGIONS.len() as u64
    );
    assert_eq!(
        calls(&report, "Config Service:DescribeConfigurationRecorders"),
        configs.len() as u64
    );

    // The delivery status is asked where there is a channel, and answered (recorded) by the
    // proxy: payments' eu-west-1 channel failed its last history delivery.
    assert_eq!(
        calls(&report, "Config Service:DescribeDeliveryChannelStatus"),
        5
    );
    let failing = &config_doc("payments", "eu-west-1")["configuration"]["deliveryChannelsStatus"];
    assert_eq!(
        failing[0]["configHistoryDeliveryInfo"]["lastStatus"],
        "Failure"
    );
    assert_eq!(
        failing[0]["configHistoryDeliveryInfo"]["lastErrorCode"],
        "NoSuchBucket"
    );
    assert_eq!(
        config_doc("sandbox", "eu-west-1")["configuration"]["deliveryChannelsStatus"],
        json!([])
    );

    // Roll-ups: one AWS::Config::Account per account with both regions read, and one
    // AWS::Config::Organization (the management account's aggregators).
    let rolled = docs_of(&snap, "AWS::Config::Account");
    assert_eq!(rolled.len(), SCANNED.len());
    for key in SCANNED {
        let doc = rolled
            .iter()
            .find(|d| d["resourceId"] == seeded.id(key))
            .unwrap_or_else(|| panic!("no AWS::Config::Account for {key}"));
        assert_eq!(doc["awsRegion"], "global");
        let regions: Vec<&Value> = doc["configuration"]["regions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["region"])
            .collect();
        assert_eq!(regions, vec!["eu-west-1", "us-east-1"], "{key}");
        assert_eq!(
            doc["configuration"]["unreadableRegions"],
            json!([]),
            "{key}"
        );
    }
    let orgs = docs_of(&snap, "AWS::Config::Organization");
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0]["resourceId"], org_id);
    assert_eq!(orgs[0]["awsAccountId"], mgmt);
    assert_eq!(
        orgs[0]["configuration"]["regions"][1]["configurationAggregators"][0]
            ["configurationAggregatorName"],
        "org-aggregator"
    );

    // Counts: every collected document is evaluated; nothing failed to be collected.
    let resources = accounts.len() + configs.len() + rolled.len() + orgs.len();
    assert_eq!(report["scan"]["resources"], resources);
    assert_eq!(report["scan"]["evaluated"], report["scan"]["resources"]);
    assert_eq!(report["errors"], json!([]));
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        accounts.len() * ORG_RULES.len() + configs.len() * CONFIG_RULES.len() + rolled.len() + 1,
        "one finding per rule × document"
    );

    // Exactly the seeded failures; every other (document, rule) pair passes.
    let expected: BTreeSet<_> = sc["expected_failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let (k, r) = (
                e["account"].as_str().unwrap(),
                e["region"].as_str().unwrap(),
            );
            (
                k.to_string(),
                r.to_string(),
                resource_id(&seeded, k, r),
                e["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(findings_with_status(&report, &seeded, "fail"), expected);
    let mut all_pairs = BTreeSet::new();
    all_pairs.insert((
        "management".to_string(),
        "global".to_string(),
        org_id.to_string(),
        ORGANIZATION_RULE.to_string(),
    ));
    for key in SCANNED {
        all_pairs.insert((
            key.to_string(),
            "global".to_string(),
            resource_id(&seeded, key, "global"),
            ACCOUNT_RULE.to_string(),
        ));
        for rule in ORG_RULES {
            all_pairs.insert((
                key.to_string(),
                "global".to_string(),
                resource_id(&seeded, key, "global"),
                rule.to_string(),
            ));
        }
        for region in REGIONS {
            for rule in CONFIG_RULES {
                all_pairs.insert((
                    key.to_string(),
                    region.to_string(),
                    resource_id(&seeded, key, region),
                    rule.to_string(),
                ));
            }
        }
    }
    assert_eq!(
        findings_with_status(&report, &seeded, "pass"),
        all_pairs.difference(&expected).cloned().collect()
    );
    let messages: BTreeSet<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail" && f["region"] == "global")
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let config_denies = "config:StopConfigurationRecorder, config:DeleteConfigurationRecorder";
    let no_region_deny = "no SCP between the root and the account restricts regions (no Deny of every action, or every action but global-service exemptions, on aws:RequestedRegion)";
    let no_tag_policy = "no tag policy is attached to the root, its OUs or the account";
    let no_global = "no recording configuration recorder records the global IAM resource types in any region (regions scanned: eu-west-1, us-east-1)";
    assert_eq!(
        messages,
        BTreeSet::from([
            (
                "VGL-ORG-002".to_string(),
                format!("account {ana} (analytics-dev): effective SCPs do not deny {config_denies}")
            ),
            (
                "VGL-ORG-001".to_string(),
                format!("account {sbx} (sandbox): effective SCPs allow services outside allowed_services: ec2, rds")
            ),
            (
                "VGL-ORG-002".to_string(),
                format!("account {sbx} (sandbox): effective SCPs do not deny {config_denies}")
            ),
            (
                "VGL-ORG-003".to_string(),
                format!("account {ana} (analytics-dev): {no_region_deny}")
            ),
            (
                "VGL-ORG-003".to_string(),
                format!("account {sbx} (sandbox): {no_region_deny}")
            ),
            (
                "VGL-ORG-004".to_string(),
                format!("account {mgmt} ({mgmt_name}): {no_tag_policy}")
            ),
            (
                "VGL-ORG-004".to_string(),
                format!("account {sbx} (sandbox): {no_tag_policy}")
            ),
            (
                "VGL-CONFIG-005".to_string(),
                format!("account {pay}: {no_global}")
            ),
            (
                "VGL-CONFIG-005".to_string(),
                format!("account {ana}: {no_global}")
            ),
        ])
    );
    let failing_delivery: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail" && f["rule_id"] == "VGL-CONFIG-006")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        failing_delivery,
        vec![format!("{pay}/eu-west-1: delivery channel default failed its last configuration history delivery: NoSuchBucket: The specified bucket does not exist")]
    );
    assert_eq!(report["summary"]["fail"], expected.len());

    // Offline evaluation of the snapshot gives the same findings.
    let ev_path = tmp.path("evaluate.json");
    let ev = run(vigil()
        .arg("evaluate")
        .arg(tmp.path("default-snap.json"))
        .args(["--format", "json", "--output"])
        .arg(&ev_path));
    assert_eq!(ev.status.code(), Some(1), "stderr: {}", stderr(&ev));
    let ev_report = read_json(&ev_path);
    assert_eq!(findings_with_status(&ev_report, &seeded, "fail"), expected);
    assert_eq!(
        findings_with_status(&ev_report, &seeded, "pass"),
        findings_with_status(&report, &seeded, "pass")
    );

    // One item per page: policies and aggregators really come in several pages, and the
    // documents are the same.
    let (code1, report1, snap1) = scan(&proxy.endpoint, &tmp, "page1", &["--page-size", "1"]);
    assert_eq!(code1, Some(1));
    assert_eq!(report1["errors"], json!([]));
    assert_eq!(sorted_documents(&snap1), sorted_documents(&snap));
    let mut per_target: BTreeMap<(String, &str), u64> = BTreeMap::new();
    for d in docs_of(&snap, "AWS::Organizations::Account") {
        for field in ["scpChain", "tagPolicies", "backupPolicies"] {
            for l in d["supplementaryConfiguration"][field].as_array().unwrap() {
                per_target.insert(
                    (l["targetId"].as_str().unwrap().to_string(), field),
                    l["policies"].as_array().unwrap().len() as u64,
                );
            }
        }
    }
    let pages: u64 = per_target.values().map(|n| (*n).max(1)).sum();
    assert!(pages > per_target.len() as u64, "some target has 2+ SCPs");
    assert_eq!(
        calls(&report1, "Organizations:ListPoliciesForTarget"),
        pages
    );
    assert_eq!(
        calls(&report1, "Organizations:DescribePolicy"),
        distinct_policies.len() as u64
    );
    assert_eq!(
        calls(&report1, "Organizations:DescribeOrganizationalUnit"),
        ous as u64
    );
    // Two aggregators in us-east-1 (two pages), none in eu-west-1 (one page).
    assert_eq!(
        calls(&report1, "Config Service:DescribeConfigurationAggregators"),
        3
    );
}

#[test]
fn account_outside_any_organization_fails_the_scp_rules_but_an_unreadable_organization_does_not() {
    let moto = Moto::start();
    let tmp = TempDir::new("e2e-standalone");
    let path = tmp.path("report.json");
    let snap_path = tmp.path("snap.json");
    let out = run(vigil()
        .args(["scan", "--endpoint-url", &moto.endpoint])
        .args([
            "--services",
            "organizations,config",
            "--format",
            "json",
            "--output",
        ])
        .arg(&path)
        .arg("--snapshot-out")
        .arg(&snap_path));
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let report = read_json(&path);
    let snap = read_json(&snap_path);
    assert_eq!(report["scan"]["organization_id"], "");
    let accounts = docs_of(&snap, "AWS::Organizations::Account");
    assert_eq!(accounts.len(), 1);
    let doc = accounts[0];
    let id = doc["resourceId"].as_str().unwrap();
    assert_eq!(doc["arn"], format!("arn:aws:iam::{id}:root"));
    assert_eq!(doc["awsRegion"], "global");
    assert_eq!(doc["supplementaryConfiguration"]["scpChain"], json!([]));
    assert_eq!(doc["configuration"]["isManagementAccount"], false);
    assert_eq!(docs_of(&snap, "AWS::Config::Region").len(), 1);
    // Nothing to read from Organizations beyond finding there is no organization.
    assert_eq!(calls(&report, "Organizations:ListPoliciesForTarget"), 0);
    assert_eq!(calls(&report, "Organizations:DescribePolicy"), 0);

    let fails: BTreeSet<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        fails,
        BTreeSet::from([
            (
                "VGL-ORG-001".to_string(),
                format!("account {id} ({id}) is in no organization: no SCP limits it to the 24 allowed services")
            ),
            (
                "VGL-ORG-002".to_string(),
                format!("account {id} ({id}): effective SCPs do not deny organizations:LeaveOrganization, config:StopConfigurationRecorder, config:DeleteConfigurationRecorder")
            ),
            (
                "VGL-CONFIG-001".to_string(),
                format!("{id}/us-east-1: no configuration recorder")
            ),
            (
                "VGL-CONFIG-003".to_string(),
                format!("{id}/us-east-1: no delivery channel, so no SNS notification")
            ),
            (
                "VGL-ORG-003".to_string(),
                format!("account {id} ({id}): no SCP between the root and the account restricts regions (no Deny of every action, or every action but global-service exemptions, on aws:RequestedRegion)")
            ),
            (
                "VGL-ORG-004".to_string(),
                format!("account {id} ({id}): no tag policy is attached to the root, its OUs or the account (TAG_POLICY is not enabled in the organization)")
            ),
            (
                "VGL-CONFIG-004".to_string(),
                format!("organization {id}: no configuration aggregator with an organization source in the management account (regions scanned: us-east-1)")
            ),
            (
                "VGL-CONFIG-005".to_string(),
                format!("account {id}: no recording configuration recorder records the global IAM resource types in any region (regions scanned: us-east-1)")
            ),
        ])
    );
    // The account's Organizations and Config::Region documents, and its Config roll-ups (the
    // caller's account stands for the organization it is not in).
    assert_eq!(report["scan"]["resources"], 4);
    assert_eq!(report["scan"]["evaluated"], 4);

    // When the organization cannot be read at all, the account is not claimed to be in none:
    // the walk's error is the finding, not a false "no SCP" failure.
    let proxy = FaultProxy::start(
        &moto.endpoint,
        &["--deny", "organizations:DescribeOrganization"],
    );
    let path = tmp.path("denied.json");
    let out = run(vigil()
        .args(["scan", "--endpoint-url", &proxy.endpoint])
        .args([
            "--services",
            "organizations,config",
            "--format",
            "json",
            "--output",
        ])
        .arg(&path));
    assert_eq!(out.status.code(), Some(3), "stderr: {}", stderr(&out));
    let report = read_json(&path);
    let errors: Vec<(&str, &str, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["service"].as_str().unwrap(),
                e["operation"].as_str().unwrap(),
                e["region"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![("organizations", "DescribeOrganization", "global")]
    );
    assert_eq!(
        report["scan"]["resources"], 2,
        "the Config region and its account roll-up only (no management account is known)"
    );
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(
            |f| !(f["rule_id"].as_str().unwrap().starts_with("VGL-ORG-") && f["status"] == "fail")
        ));
}

#[test]
fn denied_calls_fail_exactly_their_scope_and_are_not_repeated() {
    let moto = Moto::start();
    let seeded = moto.seed(SCENARIO);
    let payments = seeded.id("payments");
    let deny_status = format!("config:DescribeConfigurationRecorderStatus:{payments}");
    let proxy = FaultProxy::start(
        &moto.endpoint,
        &[
            "--deny",
            "organizations:DescribePolicy",
            "--deny",
            &deny_status,
            "--recorded",
            RECORDED_STATUS,
        ],
    );
    let tmp = TempDir::new("e2e-org-config-denied");
    let (report, snap) = (tmp.path("report.json"), tmp.path("snap.json"));
    let out = run(vigil()
        .args(["scan", "--endpoint-url", &proxy.endpoint])
        .args(["--regions", &REGIONS.join(",")])
        .args(["--services", "organizations,config"])
        .args(["--format", "json", "--output"])
        .arg(&report)
        .arg("--snapshot-out")
        .arg(&snap));
    assert_eq!(out.status.code(), Some(3), "stderr: {}", stderr(&out));
    let (report, snap) = (read_json(&report), read_json(&snap));

    // Without its policy documents no account's chain can be judged: one error per account,
    // no Account document. Payments' Config regions are not assessed; the rest is.
    let errors: BTreeSet<(String, String, String, String, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (
                seeded.key_of(&s("account_id")),
                s("region"),
                s("service"),
                s("operation"),
                s("code"),
            )
        })
        .collect();
    let mut expected = BTreeSet::new();
    for key in SCANNED {
        expected.insert((
            key.to_string(),
            "global".to_string(),
            "organizations".to_string(),
            "DescribePolicy".to_string(),
            "AccessDeniedException".to_string(),
        ));
    }
    for region in REGIONS {
        expected.insert((
            "payments".to_string(),
            region.to_string(),
            "config".to_string(),
            "DescribeConfigurationRecorderStatus".to_string(),
            "AccessDeniedException".to_string(),
        ));
    }
    assert_eq!(errors, expected);
    assert_eq!(report["errors"].as_array().unwrap().len(), expected.len());
    assert!(docs_of(&snap, "AWS::Organizations::Account").is_empty());
    let configs: BTreeSet<String> = docs_of(&snap, "AWS::Config::Region")
        .iter()
        .map(|d| d["resourceId"].as_str().unwrap().to_string())
        .collect();
    let mut want = BTreeSet::new();
    for key in SCANNED.iter().filter(|k| **k != "payments") {
        for region in REGIONS {
            want.insert(resource_id(&seeded, key, region));
        }
    }
    assert_eq!(configs, want);
    // Every account's roll-up; payments' names both regions as unreadable, and its
    // VGL-CONFIG-005 finding is an error, not a verdict.
    let rolled = docs_of(&snap, "AWS::Config::Account");
    assert_eq!(rolled.len(), SCANNED.len());
    let pay_roll = rolled.iter().find(|d| d["resourceId"] == payments).unwrap();
    assert_eq!(pay_roll["configuration"]["regions"], json!([]));
    let unread: Vec<(&str, &str)> = pay_roll["configuration"]["unreadableRegions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["region"].as_str().unwrap(),
                u["operation"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        unread,
        vec![
            ("eu-west-1", "DescribeConfigurationRecorderStatus"),
            ("us-east-1", "DescribeConfigurationRecorderStatus")
        ]
    );
    let pay_global: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["rule_id"] == "VGL-CONFIG-005"
                && f["account_id"] == payments
                && f["region"] == "global"
        })
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(pay_global, vec!["error", "error"]);
    assert_eq!(docs_of(&snap, "AWS::Config::Organization").len(), 1);
    let resources = want.len() + rolled.len() + 1;
    assert_eq!(report["scan"]["resources"], resources);
    assert_eq!(report["scan"]["evaluated"], resources);

    // A denied policy is asked for once per run, not once per account that needs it (the 7
    // distinct SCPs of the scanned accounts' chains).
    let stats = proxy.stats();
    assert_eq!(
        FaultProxy::count(&stats, "organizations:DescribePolicy", "denied"),
        7
    );
    assert_eq!(
        FaultProxy::count(&stats, "organizations:DescribePolicy", "requests"),
        7
    );
}
