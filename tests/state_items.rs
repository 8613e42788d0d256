//! The state table's per-item conditional writes against moto's DynamoDB, step by step: the
//! order of observations decides, whoever writes first (issue 15: a scheduled run and change
//! events side by side, without a global lock). Each step is a write two observers could
//! race on; the test makes the interleavings happen deterministically instead of hoping a
//! race does.

mod support;

use support::Moto;
use vigil_run::notify::state::{StateTable, StoredFinding, FAILING, RESOLVED};

const T1: i64 = 1_764_925_200_000; // 2025-12-05T09:00:00Z in ms
const T2: i64 = T1 + 60_000;
const T3: i64 = T2 + 60_000;
const T4: i64 = T3 + 60_000;

fn finding(at: i64) -> StoredFinding {
    StoredFinding {
        fingerprint: "fp-ledger-pitr".into(),
        rule_id: "VGL-DDB-001".into(),
        account_id: "111122223333".into(),
        region: "eu-west-1".into(),
        resource_type: "AWS::DynamoDB::Table".into(),
        resource_id: "payments-ledger".into(),
        resource_arn: "arn:aws:dynamodb:eu-west-1:111122223333:table/payments-ledger".into(),
        severity: vigil_model::Severity::High,
        title: "DynamoDB table has point-in-time recovery disabled".into(),
        message: "PITR off".into(),
        first_seen: "2025-12-05T09:00:00Z".into(),
        last_seen: "2025-12-05T09:00:00Z".into(),
        status: FAILING.into(),
        observed_ms: Some(at),
        expires_at: None,
    }
}

async fn item(table: &StateTable) -> Option<StoredFinding> {
    table
        .get_findings(&["fp-ledger-pitr".to_string()])
        .await
        .unwrap()
        .into_iter()
        .next()
}

#[test]
fn the_newest_observation_wins_whoever_writes_first() {
    let moto = Moto::start();
    support::python_json("notify_setup.py", &moto.endpoint, &["setup"]);
    // Moto's test credentials, for this process's SDK configuration only.
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/vigil-test-config");
    std::env::set_var(
        "AWS_SHARED_CREDENTIALS_FILE",
        "/nonexistent/vigil-test-credentials",
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sdk = vigil_scanner::aws::base_config("us-east-1", Some(&moto.endpoint)).await;
        let table = StateTable::new(&sdk, "vigil-state");
        let fp = "fp-ledger-pitr";

        // A scheduled run observed the failure at T1, an event at T2; the event claims first.
        // The run's claim comes second and is older: not claimed (it notifies nothing).
        assert!(
            table.claim_new(&finding(T2)).await.unwrap(),
            "the event claims the new failure"
        );
        assert!(
            !table.claim_new(&finding(T1)).await.unwrap(),
            "an older claim loses"
        );
        assert!(
            !table.claim_new(&finding(T3)).await.unwrap(),
            "a failure already recorded is not new"
        );
        assert_eq!(item(&table).await.unwrap().observed_ms, Some(T2));

        // Seen failing again: the newer observation moves on, an older one does not.
        assert!(!table.touch(&finding(T1)).await.unwrap());
        assert!(table.touch(&finding(T3)).await.unwrap());
        assert_eq!(item(&table).await.unwrap().observed_ms, Some(T3));

        // Fixed, observed at T4: resolved once; an older or repeated resolution is not claimed.
        assert!(!table
            .claim_resolved(fp, T2, "2025-12-05T09:01:00Z")
            .await
            .unwrap());
        assert!(table
            .claim_resolved(fp, T4, "2025-12-05T09:03:00Z")
            .await
            .unwrap());
        assert!(!table
            .claim_resolved(fp, T4 + 1, "2025-12-05T09:03:00Z")
            .await
            .unwrap());
        let resolved = item(&table).await.unwrap();
        assert_eq!(
            (resolved.status.as_str(), resolved.observed_ms),
            (RESOLVED, Some(T4))
        );
        assert!(resolved.expires_at.is_some(), "a resolved record expires");
        // A scheduled run that saw it failing before the fix cannot bring it back...
        assert!(!table.claim_new(&finding(T3)).await.unwrap());
        assert!(!table.touch(&finding(T3)).await.unwrap());
        // ...a newer observation of a new failure can.
        assert!(table.claim_new(&finding(T4 + 2)).await.unwrap());

        // A claim whose message was not published is undone, but only while it is that claim.
        assert!(
            !table.undo_new(&finding(T3)).await.unwrap(),
            "not this claim"
        );
        assert!(table.undo_new(&finding(T4 + 2)).await.unwrap());
        assert!(
            item(&table).await.is_none(),
            "the next observation notifies it again"
        );
        assert!(table.claim_new(&finding(T4 + 3)).await.unwrap());
        assert!(table
            .claim_resolved(fp, T4 + 4, "2025-12-05T09:04:00Z")
            .await
            .unwrap());
        assert!(
            !table.undo_resolved(&finding(T4 + 3), T4 + 5).await.unwrap(),
            "not this claim"
        );
        assert!(table.undo_resolved(&finding(T4 + 3), T4 + 4).await.unwrap());
        let back = item(&table).await.unwrap();
        assert_eq!(
            (back.status.as_str(), back.observed_ms),
            (FAILING, Some(T4 + 3))
        );

        // The scheduled path's table read skips resolved records.
        assert!(table
            .claim_resolved(fp, T4 + 6, "2025-12-05T09:05:00Z")
            .await
            .unwrap());
        assert!(table.load().await.unwrap().findings.is_empty());
    });
}
