//! AWS names as vigil accepts them from every adapter (command line, vigil.toml, the Lambda's
//! environment and events): regions, account ids, role names, services, topic and table ARNs.
//! Each checker returns the accepted value or a message that names the problem.

pub fn parse_region(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s == "all" {
        return Ok(s.to_string());
    }
    if s.is_empty() {
        return Err(
            "empty region name (regions are comma-separated, e.g. eu-west-1,us-east-1)".into(),
        );
    }
    let parts: Vec<&str> = s.split('-').collect();
    let ok = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts[0].len() == 2
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}' is not an AWS region name (e.g. eu-west-1)"))
    }
}

pub fn parse_account_id(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.len() == 12 && s.chars().all(|c| c.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}' is not a 12-digit AWS account id"))
    }
}

pub fn parse_role_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "'{s}' is not a valid IAM role name (1-64 characters: letters, digits and +=,.@_-)"
        ))
    }
}

pub fn parse_service(s: &str) -> Result<String, String> {
    let s = s.trim();
    if vigil_scanner::SERVICES.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "unknown service '{s}' (known: {})",
            vigil_scanner::SERVICES.join(", ")
        ))
    }
}

pub fn parse_url(s: &str) -> Result<String, String> {
    let ok = (s.starts_with("http://") || s.starts_with("https://")) && s.len() > "https://".len();
    if ok {
        Ok(s.trim_end_matches('/').to_string())
    } else {
        Err(format!("'{s}' is not an http(s) URL"))
    }
}

/// `arn:<partition>:sns:<region>:<account>:<topic>`; FIFO topics are refused (vigil sends no
/// message group).
pub fn parse_sns_topic_arn(s: &str) -> Result<String, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sns"
        && parse_region(parts[3]).is_ok_and(|r| r != "all")
        && parse_account_id(parts[4]).is_ok()
        && (1..=256).contains(&parts[5].len())
        && parts[5]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(s.to_string())
    } else if s.ends_with(".fifo") {
        Err(format!(
            "'{s}': FIFO topics are not supported (use a standard topic)"
        ))
    } else {
        Err(format!(
            "'{s}' is not an SNS topic ARN (arn:aws:sns:<region>:<account-id>:<topic-name>)"
        ))
    }
}

/// A DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .) or a table ARN.
pub fn parse_state_table(s: &str) -> Result<String, String> {
    let name_ok = |n: &str| {
        (3..=255).contains(&n.len())
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    };
    let ok = match s.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            parts.len() == 5
                && parts[0].starts_with("aws")
                && parts[1] == "dynamodb"
                && parse_region(parts[2]).is_ok_and(|r| r != "all")
                && parse_account_id(parts[3]).is_ok()
                && parts[4].strip_prefix("table/").is_some_and(name_ok)
        }
        None => name_ok(s),
    };
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "'{s}' is not a DynamoDB table name (3-255 characters: letters, digits, _ - .) or table ARN"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_flags_are_validated() {
        assert!(parse_sns_topic_arn("arn:aws:sns:eu-west-1:111122223333:vigil-findings").is_ok());
        assert!(parse_sns_topic_arn("arn:aws-us-gov:sns:us-gov-west-1:111122223333:t_1").is_ok());
        for bad in [
            "vigil-findings",
            "arn:aws:sqs:eu-west-1:111122223333:q",
            "arn:aws:sns:eu-west-1:1111:t",
            "arn:aws:sns:EU:111122223333:t",
            "arn:aws:sns:eu-west-1:111122223333:",
            "arn:aws:sns:eu-west-1:111122223333:a b",
        ] {
            assert!(parse_sns_topic_arn(bad).is_err(), "{bad}");
        }
        assert!(
            parse_sns_topic_arn("arn:aws:sns:eu-west-1:111122223333:t.fifo")
                .unwrap_err()
                .contains("FIFO")
        );
        assert!(parse_state_table("vigil-state").is_ok());
        assert!(
            parse_state_table("arn:aws:dynamodb:eu-west-1:111122223333:table/vigil.state").is_ok()
        );
        for bad in [
            "ab",
            "vigil state",
            "arn:aws:dynamodb:eu-west-1:111122223333:vigil",
            &"x".repeat(256),
        ] {
            assert!(parse_state_table(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validators_reject_bad_values() {
        assert!(parse_region("eu-west-1").is_ok());
        assert!(parse_region("all").is_ok());
        assert!(parse_region("us-gov-west-1").is_ok());
        assert!(parse_region("").is_err());
        assert!(parse_region("EU-WEST-1").is_err());
        assert!(parse_region("euwest1").is_err());
        assert!(parse_account_id("12345").is_err());
        assert!(parse_role_name("Vigil Audit").is_err());
        assert!(parse_role_name("VigilAuditRole").is_ok());
        assert!(parse_service("ec2").is_err());
    }
}
