//! Rule parameters (`data.vigil.params`): built-in defaults merged with user overrides.

use serde_json::{Map, Value};

/// The defaults shipped with the policy library.
pub const DEFAULT_PARAMS: &str = include_str!("../params.default.json");

/// Parameter paths whose objects are open maps (any key allowed), not records.
const OPEN_MAPS: &[&str] = &["lambda.deprecated_runtimes"];

/// Parses the embedded defaults.
pub fn defaults() -> Value {
    serde_json::from_str(DEFAULT_PARAMS)
        .expect("rules/params.default.json is valid JSON (checked by tests)")
}

/// Merges `overrides` into `base`, rejecting keys the defaults do not know and values whose
/// JSON type differs from the default's. Errors name the dotted key path.
pub fn merge(base: &mut Value, overrides: &Value) -> Result<(), String> {
    merge_at(base, overrides, "")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

fn merge_at(base: &mut Value, over: &Value, path: &str) -> Result<(), String> {
    let (Value::Object(b), Value::Object(o)) = (&mut *base, over) else {
        return Err(format!(
            "params{}: expected {}, found {}",
            if path.is_empty() {
                String::new()
            } else {
                format!(".{path}")
            },
            kind(base),
            kind(over)
        ));
    };
    let open = OPEN_MAPS.contains(&path);
    for (k, v) in o {
        let p = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        match b.get_mut(k) {
            None if open => {
                b.insert(k.clone(), v.clone());
            }
            None => {
                let known: Vec<&String> = b.keys().collect();
                return Err(format!(
                    "params.{p}: unknown parameter (known here: {})",
                    known
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            Some(existing) => {
                if let Value::Object(_) = existing {
                    merge_at(existing, v, &p)?;
                } else if std::mem::discriminant(existing) != std::mem::discriminant(v) {
                    return Err(format!(
                        "params.{p}: expected {}, found {}",
                        kind(existing),
                        kind(v)
                    ));
                } else {
                    if let (Value::Array(def), Value::Array(new)) = (&*existing, v) {
                        if let Some(first) = def.first() {
                            if let Some(bad) = new.iter().find(|x| {
                                std::mem::discriminant(*x) != std::mem::discriminant(first)
                            }) {
                                return Err(format!(
                                    "params.{p}: list items must be {}, found {}",
                                    kind(first),
                                    kind(bad)
                                ));
                            }
                        }
                    }
                    *existing = v.clone();
                }
            }
        }
    }
    Ok(())
}

/// Checks values the policies rely on beyond their JSON type, so that a bad value is a load
/// error rather than an evaluation error on every resource.
pub fn validate(params: &Value) -> Result<(), String> {
    if let Some(map) = params
        .pointer("/lambda/deprecated_runtimes")
        .and_then(Value::as_object)
    {
        for (runtime, date) in map {
            let ok = date.as_str().is_some_and(is_iso_date);
            if !ok {
                return Err(format!(
                    "params.lambda.deprecated_runtimes.{runtime}: expected a date as \"YYYY-MM-DD\", found {date}"
                ));
            }
        }
    }
    check_ids(params, "")?;
    if let Some(mode) = params.pointer("/lambda/vpc_policy") {
        if !matches!(mode.as_str(), Some("forbid" | "require" | "ignore")) {
            return Err(format!("params.lambda.vpc_policy: expected \"forbid\", \"require\" or \"ignore\", found {mode}"));
        }
    }
    if let Some(list) = params.pointer("/lambda/code_signing_required_for") {
        check_code_signing_scope(list)?;
    }
    if let Some(types) = params
        .pointer("/organizations/required_policy_types")
        .and_then(Value::as_array)
    {
        if let Some(bad) = types
            .iter()
            .find(|t| !matches!(t.as_str(), Some("TAG_POLICY" | "BACKUP_POLICY")))
        {
            return Err(format!("params.organizations.required_policy_types: expected \"TAG_POLICY\" or \"BACKUP_POLICY\", found {bad}"));
        }
    }
    Ok(())
}

/// `lambda.code_signing_required_for`: "*", account ids, or organizational-unit paths as
/// accounts' `ouPath` spells them (`Root/Workloads/Prod`); anything else would require code
/// signing nowhere without a word.
fn check_code_signing_scope(list: &Value) -> Result<(), String> {
    const KEY: &str = "params.lambda.code_signing_required_for";
    let Some(items) = list.as_array() else {
        return Err(format!("{KEY}: expected a list, found {list}"));
    };
    let ok = |s: &str| s == "*" || is_account_id(s) || s == "Root" || s.starts_with("Root/");
    if let Some(bad) = items.iter().find(|x| !x.as_str().is_some_and(ok)) {
        return Err(format!(
            "{KEY}: {bad} is not \"*\", a 12-digit AWS account id or an organizational-unit path such as \"Root/Workloads/Prod\""
        ));
    }
    Ok(())
}

/// Lists under a key ending in `accounts` hold 12-digit account ids, under a key ending in
/// `regions` region names (`eu-west-1`): a typo there would silently trust or exempt nothing.
fn check_ids(v: &Value, path: &str) -> Result<(), String> {
    let Value::Object(map) = v else {
        return Ok(());
    };
    for (k, v) in map {
        let p = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        if let Value::Array(items) = v {
            let (check, what): (fn(&str) -> bool, &str) = if k.ends_with("accounts") {
                (is_account_id, "a 12-digit AWS account id")
            } else if k.ends_with("regions") {
                (is_region_name, "an AWS region name such as \"eu-west-1\"")
            } else {
                continue;
            };
            if let Some(bad) = items.iter().find(|x| !x.as_str().is_some_and(check)) {
                return Err(format!("params.{p}: {bad} is not {what}"));
            }
        } else {
            check_ids(v, &p)?;
        }
    }
    Ok(())
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `<area>-<direction>-<n>` with an optional partition part: `eu-west-1`, `us-gov-west-1`,
/// `ap-southeast-5`, `cn-north-1`.
fn is_region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok_and(|n| n > 0)
        && parts[0].len() == 2
}

/// `YYYY-MM-DD` with a plausible month and day, years 1970..2261 (the range of int64 ns).
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    matches!((num(0..4), num(5..7), num(8..10)), (Some(y), Some(m), Some(d)) if (1970..2262).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
}

/// Wraps params as the engine's data document: `{"vigil": {"params": ...}}`.
pub fn as_data(params: &Value) -> Value {
    let mut vigil = Map::new();
    vigil.insert("params".into(), params.clone());
    let mut root = Map::new();
    root.insert("vigil".into(), Value::Object(vigil));
    Value::Object(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_parse_and_have_the_documented_sections() {
        let d = defaults();
        assert!(d["allowed_services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "lambda"));
        assert_eq!(d["lambda"]["vpc_policy"], "forbid");
    }

    #[test]
    fn merges_known_keys_and_rejects_unknown_or_mistyped() {
        let mut d = defaults();
        merge(&mut d, &json!({"lambda": {"vpc_policy": "require", "deprecated_runtimes": {"custom1": "2020-01-01"}}})).unwrap();
        assert_eq!(d["lambda"]["vpc_policy"], "require");
        assert_eq!(d["lambda"]["deprecated_runtimes"]["custom1"], "2020-01-01");
        let e = merge(&mut defaults(), &json!({"lambda": {"vpc_polcy": "x"}})).unwrap_err();
        assert!(
            e.contains("params.lambda.vpc_polcy: unknown parameter"),
            "{e}"
        );
        let e = merge(&mut defaults(), &json!({"allowed_services": "lambda"})).unwrap_err();
        assert!(
            e.contains("params.allowed_services: expected a list, found a string"),
            "{e}"
        );
        let e = merge(&mut defaults(), &json!({"allowed_services": [1]})).unwrap_err();
        assert!(e.contains("list items must be a string"), "{e}");
    }

    #[test]
    fn code_signing_scope_is_star_account_ids_or_unit_paths() {
        let mut d = defaults();
        let list = json!([
            "*",
            "111122223333",
            "Root",
            "Root/Workloads/Prod",
            "Root/Workloads/"
        ]);
        merge(
            &mut d,
            &json!({"lambda": {"code_signing_required_for": list}}),
        )
        .unwrap();
        validate(&d).unwrap();
        for bad in [
            json!("Workloads/Prod"),
            json!("1111"),
            json!(111122223333u64),
            json!(""),
        ] {
            let mut d = defaults();
            merge(
                &mut d,
                &json!({"lambda": {"code_signing_required_for": [bad]}}),
            )
            .unwrap();
            let e = validate(&d).unwrap_err();
            assert!(
                e.starts_with("params.lambda.code_signing_required_for:")
                    && e.contains("Root/Workloads/Prod"),
                "{e}"
            );
        }
    }

    #[test]
    fn validates_dates_and_modes() {
        validate(&defaults()).unwrap();
        let mut d = defaults();
        merge(
            &mut d,
            &json!({"lambda": {"deprecated_runtimes": {"x": "31/12/2024"}}}),
        )
        .unwrap();
        assert!(validate(&d).unwrap_err().contains("deprecated_runtimes.x"));
        let mut d = defaults();
        merge(&mut d, &json!({"lambda": {"vpc_policy": "sometimes"}})).unwrap();
        assert!(validate(&d).unwrap_err().contains("vpc_policy"));
    }

    #[test]
    fn required_policy_types_are_tag_or_backup_policies() {
        let mut d = defaults();
        merge(
            &mut d,
            &json!({"organizations": {"required_policy_types": ["BACKUP_POLICY", "TAG_POLICY"]}}),
        )
        .unwrap();
        validate(&d).unwrap();
        let mut d = defaults();
        merge(
            &mut d,
            &json!({"organizations": {"required_policy_types": ["SERVICE_CONTROL_POLICY"]}}),
        )
        .unwrap();
        let e = validate(&d).unwrap_err();
        assert!(
            e.contains("params.organizations.required_policy_types")
                && e.contains("\"SERVICE_CONTROL_POLICY\""),
            "{e}"
        );
    }

    #[test]
    fn account_ids_and_region_names_are_checked_by_key() {
        let mut d = defaults();
        merge(&mut d, &json!({"trusted_accounts": ["111122223333"]})).unwrap();
        validate(&d).unwrap();
        for bad in [
            "11112222333",
            "1111-2222-3333",
            "arn:aws:iam::111122223333:root",
        ] {
            let mut d = defaults();
            merge(&mut d, &json!({"trusted_accounts": [bad]})).unwrap();
            let e = validate(&d).unwrap_err();
            assert!(
                e.starts_with("params.trusted_accounts:") && e.contains("12-digit"),
                "{e}"
            );
        }
        assert!(is_region_name("eu-west-1") && is_region_name("us-gov-west-1"));
        for bad in [
            "eu-west",
            "EU-WEST-1",
            "euwest1",
            "eu-west-0",
            "europe-west-1",
            "",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
        let v = json!({"organizations": {"allowed_regions": ["eu-west-1", "eu-wset"]}});
        let e = check_ids(&v, "").unwrap_err();
        assert_eq!(
            e,
            "params.organizations.allowed_regions: \"eu-wset\" is not an AWS region name such as \"eu-west-1\""
        );
    }
}
