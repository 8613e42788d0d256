//! The Lambda adapter: environment and events.

use super::*;

#[test]
fn the_environment_is_read_by_clap_and_errors_name_the_variable() {
    // The only test of this binary that touches VIGIL_* variables.
    let set = |vars: &[(&str, &str)]| {
        for a in LambdaEnv::command().get_arguments() {
            std::env::remove_var(a.get_env().unwrap());
        }
        vars.iter().for_each(|(k, v)| std::env::set_var(k, v));
        LambdaEnv::from_env()
    };
    let e = set(&[]).unwrap();
    assert_eq!(
        (e.role_name.as_str(), e.concurrency),
        ("VigilAuditRole", 16)
    );
    let e = set(&[
        ("VIGIL_REGIONS", "eu-west-1, us-east-1"),
        ("VIGIL_SERVICES", " "),
    ])
    .unwrap();
    assert_eq!(e.regions, ["eu-west-1", "us-east-1"]);
    assert!(e.services.is_empty(), "blank is unset");
    assert!(!e.security_hub, "Security Hub is opt-in");
    assert!(set(&[("VIGIL_SECURITY_HUB", "true")]).unwrap().security_hub);
    assert!(
        !set(&[("VIGIL_SECURITY_HUB", "false")])
            .unwrap()
            .security_hub
    );
    for (var, val) in [
        ("VIGIL_SECURITY_HUB", "maybe"),
        ("VIGIL_REGIONS", "eu-west-1,mars"),
        ("VIGIL_CONCURRENCY", "0"),
        ("VIGIL_SNS_TOPIC_ARN", "t"),
        ("VIGIL_EXTERNAL_ID", "z"),
    ] {
        let err = set(&[(var, val)]).unwrap_err();
        assert!(err.starts_with(var), "{var}={val}: {err}");
    }
    assert!(!set(&[("VIGIL_EXTERNAL_ID", "z")])
        .unwrap_err()
        .contains("'z'"));
    set(&[]).unwrap();
}

#[test]
fn events_scheduled_detail_and_override() {
    let scheduled =
        serde_json::json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
    assert_eq!(parse_event(&scheduled).unwrap(), Override::default());
    let custom = serde_json::json!({"detail-type": "x", "detail": {"regions": ["us-east-1"]}});
    assert_eq!(
        parse_event(&custom).unwrap().regions.unwrap(),
        ["us-east-1"]
    );
    for (bad, want) in [
        (serde_json::json!({"acounts": []}), "acounts"),
        (serde_json::json!({"accounts": ["12"]}), "accounts"),
        (serde_json::json!([1]), "JSON object"),
    ] {
        assert!(parse_event(&bad).unwrap_err().contains(want), "{bad}");
    }
}
