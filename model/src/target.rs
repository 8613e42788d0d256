//! Single resources to collect and evaluate again: `vigil scan --resource ARN` ("did my fix
//! work?") and the change events of the continuous mode ([`crate::change`]).
//!
//! A [`Target`] names one document as the collectors write it: its type, its `resourceId`, its
//! region and (when known) its account. [`Target::from_arn`] reads the ARNs of the resources
//! vigil collects; [`resource_arn`] writes the ARN a collector gives a document, so that the
//! fingerprints of a resource that is gone (deleted since the last run) can still be named.

use crate::change::{Change, ResourceChange};
use crate::{Document, OrgInfo, GLOBAL};

/// One document to collect and evaluate again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    /// The account that owns it; `None` when the ARN does not say (API Gateway ARNs carry no
    /// account): every account scanned is searched.
    pub account_id: Option<String>,
    /// Its region, [`GLOBAL`] for account-wide documents.
    pub region: String,
    /// Its `resourceType`.
    pub resource_type: &'static str,
    /// Its `resourceId`; empty for every document of the type in the account (an
    /// organization policy change re-evaluates every account's organization document).
    pub resource_id: String,
}

impl From<&ResourceChange> for Target {
    fn from(c: &ResourceChange) -> Target {
        Target {
            account_id: Some(c.account_id.clone()),
            region: c.region.clone(),
            resource_type: c.resource_type,
            resource_id: c.resource_id.clone(),
        }
    }
}

fn bad(arn: &str, why: &str) -> String {
    format!("{arn}: {why}")
}

fn account_id(s: &str) -> Option<String> {
    (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.to_string())
}

fn region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty())
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// A resource name part of an ARN: not empty, no separator.
fn name(s: &str) -> Option<&str> {
    (!s.is_empty() && !s.contains([':', '/'])).then_some(s)
}

impl Target {
    /// The service whose collector writes the document (`lambda`, `config`, ...).
    pub fn service(&self) -> &'static str {
        crate::service_of_resource_type(self.resource_type).unwrap_or("unknown")
    }

    /// Whether `doc` is the document this target names.
    pub fn matches(&self, doc: &Document) -> bool {
        doc.resource_type == self.resource_type
            && (self.resource_id.is_empty() || doc.resource_id == self.resource_id)
            && doc.aws_region == self.region
            && self
                .account_id
                .as_deref()
                .is_none_or(|a| a == doc.aws_account_id)
    }

    /// Reads the ARN of a resource vigil collects:
    /// - `arn:aws:lambda:REGION:ACCOUNT:function:NAME` (a qualifier is ignored: vigil
    ///   evaluates the function's `$LATEST` configuration) and `…:layer:NAME:VERSION`;
    /// - `arn:aws:apigateway:REGION::/restapis/ID`, `…::/apis/ID`, `…::/domainnames/NAME`
    ///   (anything after the id, such as `/stages/prod`, names the same API);
    /// - `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME` (also `…/stream/…`, `…/index/…`);
    /// - `arn:aws:kms:REGION:ACCOUNT:key/KEY-ID` (an alias names no key: an error);
    /// - `arn:aws:organizations::MANAGEMENT:account/o-…/ACCOUNT` (the account's organization
    ///   document);
    /// - the ARNs of vigil's AWS Config documents (`…:config:REGION:ACCOUNT:vigil-region`,
    ///   `…:config::ACCOUNT:vigil-account`).
    pub fn from_arn(arn: &str) -> Result<Target, String> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
            return Err(bad(
                arn,
                "not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)",
            ));
        };
        if *prefix != "arn" || !matches!(*partition, "aws" | "aws-cn" | "aws-us-gov") {
            return Err(bad(
                arn,
                "not an ARN of partition aws, aws-cn or aws-us-gov",
            ));
        }
        let regional = |what: &str| -> Result<String, String> {
            if region_name(region) {
                Ok(region.to_string())
            } else {
                Err(bad(
                    arn,
                    &format!("{what} ARNs name a region, got {region:?}"),
                ))
            }
        };
        let owner = |what: &str| -> Result<Option<String>, String> {
            account_id(account).map(Some).ok_or_else(|| {
                bad(
                    arn,
                    &format!("{what} ARNs name a 12-digit account id, got {account:?}"),
                )
            })
        };
        let target = |account_id, region, resource_type, resource_id: &str| Target {
            account_id,
            region,
            resource_type,
            resource_id: resource_id.to_string(),
        };
        match *service {
            "lambda" => {
                let fields: Vec<&str> = resource.split(':').collect();
                match fields.as_slice() {
                    ["function", n] | ["function", n, _] if name(n).is_some() => Ok(target(
                        owner("Lambda")?,
                        regional("Lambda")?,
                        "AWS::Lambda::Function",
                        n,
                    )),
                    ["layer", n, v] if name(n).is_some() && v.parse::<u64>().is_ok() => Ok(target(
                        owner("Lambda")?,
                        regional("Lambda")?,
                        "AWS::Lambda::LayerVersion",
                        &format!("{n}:{v}"),
                    )),
                    ["layer", _] => Err(bad(arn, "a layer ARN must name a version (…:layer:NAME:VERSION): vigil evaluates layer versions")),
                    _ => Err(bad(arn, "a Lambda ARN names a function (…:function:NAME) or a layer version (…:layer:NAME:VERSION)")),
                }
            }
            "apigateway" => {
                let account_id = if account.is_empty() {
                    None
                } else {
                    owner("API Gateway")?
                };
                let region = regional("API Gateway")?;
                let path: Vec<&str> = resource.split('/').collect();
                let (resource_type, id) = match path.as_slice() {
                    ["", "restapis", id, ..] => ("AWS::ApiGateway::RestApi", *id),
                    ["", "apis", id, ..] => ("AWS::ApiGatewayV2::Api", *id),
                    ["", "domainnames", id, ..] => ("AWS::ApiGateway::DomainName", *id),
                    _ => return Err(bad(arn, "an API Gateway ARN names …::/restapis/ID, …::/apis/ID or …::/domainnames/NAME")),
                };
                if id.is_empty() {
                    return Err(bad(arn, "the ARN names no API or domain"));
                }
                Ok(target(account_id, region, resource_type, id))
            }
            "dynamodb" => {
                let table = resource
                    .strip_prefix("table/")
                    .and_then(|r| name(r.split('/').next().unwrap_or_default()))
                    .ok_or_else(|| bad(arn, "a DynamoDB ARN names a table (…:table/NAME)"))?;
                Ok(target(
                    owner("DynamoDB")?,
                    regional("DynamoDB")?,
                    "AWS::DynamoDB::Table",
                    table,
                ))
            }
            "kms" => {
                if resource.starts_with("alias/") {
                    return Err(bad(arn, "an alias names no key: give the key's ARN (aws kms describe-key --key-id ALIAS)"));
                }
                let key = resource
                    .strip_prefix("key/")
                    .and_then(name)
                    .ok_or_else(|| bad(arn, "a KMS ARN names a key (…:key/KEY-ID)"))?;
                Ok(target(owner("KMS")?, regional("KMS")?, "AWS::KMS::Key", key))
            }
            "organizations" => {
                let path: Vec<&str> = resource.split('/').collect();
                match path.as_slice() {
                    ["account", org, member] if org.starts_with("o-") && account_id(member).is_some() => {
                        Ok(target(
                            Some(member.to_string()),
                            GLOBAL.to_string(),
                            "AWS::Organizations::Account",
                            member,
                        ))
                    }
                    _ => Err(bad(arn, "an Organizations ARN names an account (…:account/o-ORG/ACCOUNT)")),
                }
            }
            "config" => match *resource {
                "vigil-region" => {
                    let acct = owner("Config")?;
                    let region = regional("Config")?;
                    let id = format!("{}/{region}", acct.as_deref().unwrap_or_default());
                    Ok(target(acct, region, "AWS::Config::Region", &id))
                }
                "vigil-account" => {
                    let acct = owner("Config")?;
                    let id = acct.clone().unwrap_or_default();
                    Ok(target(acct, GLOBAL.to_string(), "AWS::Config::Account", &id))
                }
                _ => Err(bad(arn, "vigil's AWS Config documents are …:config:REGION:ACCOUNT:vigil-region and …:config::ACCOUNT:vigil-account")),
            },
            other => Err(bad(
                arn,
                &format!("vigil collects no {other:?} resources (lambda, apigateway, dynamodb, kms, organizations, config)"),
            )),
        }
    }
}

/// What to collect again for a change event: its document, or for an organization target or
/// policy every account's organization document (`AWS::Organizations::Account`, an empty id:
/// vigil does not resolve the accounts under an OU here, every account is a superset). A
/// deleted resource has nothing to collect: `None`.
pub fn of_change(c: &Change) -> Option<Target> {
    let org_account = |id: &str| Target {
        account_id: (!id.is_empty()).then(|| id.to_string()),
        region: GLOBAL.to_string(),
        resource_type: "AWS::Organizations::Account",
        resource_id: id.to_string(),
    };
    match c {
        Change::Resource(r) if r.deleted => None,
        Change::Resource(r) => Some(Target::from(r)),
        Change::OrgTarget { target_id } if account_id(target_id).is_some() => {
            Some(org_account(target_id))
        }
        Change::OrgTarget { .. } | Change::OrgPolicy { .. } => Some(org_account("")),
        Change::ConfigOrganization { account_id } => Some(Target {
            account_id: Some(account_id.clone()),
            region: GLOBAL.to_string(),
            resource_type: "AWS::Config::Organization",
            resource_id: String::new(),
        }),
    }
}

/// The ARN partition of a region.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The ARN the collector gives the document of this resource (what its fingerprints hash), for
/// a resource whose document is not at hand (deleted). `None` for a type it cannot write.
pub fn resource_arn(
    resource_type: &str,
    account: &str,
    region: &str,
    resource_id: &str,
    org: &OrgInfo,
) -> Option<String> {
    let p = partition_of(region);
    Some(match resource_type {
        "AWS::Lambda::Function" => {
            format!("arn:{p}:lambda:{region}:{account}:function:{resource_id}")
        }
        "AWS::Lambda::LayerVersion" => {
            format!("arn:{p}:lambda:{region}:{account}:layer:{resource_id}")
        }
        "AWS::ApiGateway::RestApi" => {
            format!("arn:{p}:apigateway:{region}::/restapis/{resource_id}")
        }
        "AWS::ApiGatewayV2::Api" => format!("arn:{p}:apigateway:{region}::/apis/{resource_id}"),
        "AWS::ApiGateway::DomainName" if resource_id.contains('+') => {
            format!("arn:{p}:apigateway:{region}:{account}:/domainnames/{resource_id}")
        }
        "AWS::ApiGateway::DomainName" => {
            format!("arn:{p}:apigateway:{region}::/domainnames/{resource_id}")
        }
        "AWS::DynamoDB::Table" => {
            format!("arn:{p}:dynamodb:{region}:{account}:table/{resource_id}")
        }
        "AWS::KMS::Key" => format!("arn:{p}:kms:{region}:{account}:key/{resource_id}"),
        "AWS::Organizations::Account" => format!(
            "arn:aws:organizations::{}:account/{}/{resource_id}",
            org.management_account_id, org.id
        ),
        "AWS::Config::Region" => format!("arn:{p}:config:{region}:{account}:vigil-region"),
        "AWS::Config::Account" => format!("arn:aws:config::{account}:vigil-account"),
        "AWS::Config::Organization" => {
            format!("arn:aws:config::{account}:vigil-organization/{resource_id}")
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> crate::Snapshot {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/snapshots/demo-org.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// Every document the collectors wrote for the demo organization (through moto): its ARN
    /// reads back as a target naming exactly it, and `resource_arn` writes its ARN.
    #[test]
    fn demo_documents_round_trip() {
        let snap = demo();
        let mut types = std::collections::BTreeSet::new();
        for d in &snap.documents {
            types.insert(d.resource_type.clone());
            assert_eq!(
                resource_arn(
                    &d.resource_type,
                    &d.aws_account_id,
                    &d.aws_region,
                    &d.resource_id,
                    &snap.org
                )
                .as_deref(),
                Some(d.arn.as_str()),
                "{}",
                d.resource_id
            );
            if d.resource_type == "AWS::Config::Organization" {
                continue; // named by the organization, not by an ARN a user would give
            }
            let t = Target::from_arn(&d.arn).unwrap_or_else(|e| panic!("{e}"));
            assert!(t.matches(d), "{} does not match {t:?}", d.arn);
            let others = snap.documents.iter().filter(|o| t.matches(o)).count();
            assert_eq!(others, 1, "{} matches {others} documents", d.arn);
        }
        assert_eq!(
            types.len(),
            crate::RESOURCE_TYPES.len(),
            "the demo has every type"
        );
    }

    #[test]
    fn arns_users_give() {
        let t =
            Target::from_arn("arn:aws:lambda:eu-west-1:111122223333:function:pay:prod").unwrap();
        assert_eq!(
            (
                t.account_id.as_deref(),
                t.region.as_str(),
                t.resource_type,
                t.resource_id.as_str()
            ),
            (
                Some("111122223333"),
                "eu-west-1",
                "AWS::Lambda::Function",
                "pay"
            )
        );
        let t =
            Target::from_arn("arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages/prod").unwrap();
        assert_eq!((t.account_id, t.resource_id.as_str()), (None, "a1b2c3"));
        let t =
            Target::from_arn("arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/2026")
                .unwrap();
        assert_eq!(t.resource_id, "orders");
        assert_eq!(t.service(), "dynamodb");
    }

    #[test]
    fn bad_arns_say_why() {
        for (arn, why) in [
            ("orders", "not an ARN"),
            ("arn:aws:s3:::bucket", "no \"s3\" resources"),
            (
                "arn:aws:kms:eu-west-1:111122223333:alias/app",
                "alias names no key",
            ),
            (
                "arn:aws:lambda:eu-west-1:111122223333:layer:common",
                "must name a version",
            ),
            (
                "arn:aws:dynamodb:eu-west-1:1111:table/t",
                "12-digit account id",
            ),
            (
                "arn:aws:dynamodb:europe:111122223333:table/t",
                "name a region",
            ),
            (
                "arn:aws:apigateway:eu-west-1::/usageplans/x",
                "names …::/restapis/ID",
            ),
        ] {
            let e = Target::from_arn(arn).unwrap_err();
            assert!(e.starts_with(arn) && e.contains(why), "{arn}: {e}");
        }
    }
}
