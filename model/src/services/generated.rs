//! Generated from the collector registry (`vigil_scanner::collect::registry`): do not edit.
//! `VIGIL_UPDATE_SERVICES=1 cargo test -p vigil-scanner registry` rewrites it;
//! `cargo test -p vigil-scanner` fails while it is stale.

use super::Service;

/// Every service vigil collects, in registry order.
pub const SERVICES: &[Service] = &[
    Service {
        name: "lambda",
        resource_types: &["AWS::Lambda::Function"],
    },
    Service {
        name: "lambda-layers",
        resource_types: &["AWS::Lambda::LayerVersion"],
    },
    Service {
        name: "apigateway",
        resource_types: &["AWS::ApiGateway::RestApi"],
    },
    Service {
        name: "apigatewayv2",
        resource_types: &["AWS::ApiGatewayV2::Api"],
    },
    Service {
        name: "apigateway-domains",
        resource_types: &["AWS::ApiGateway::DomainName"],
    },
    Service {
        name: "dynamodb",
        resource_types: &["AWS::DynamoDB::Table"],
    },
    Service {
        name: "kms",
        resource_types: &["AWS::KMS::Key"],
    },
    Service {
        name: "organizations",
        resource_types: &["AWS::Organizations::Account"],
    },
    Service {
        name: "config",
        resource_types: &[
            "AWS::Config::Region",
            "AWS::Config::Account",
            "AWS::Config::Organization",
        ],
    },
];

/// Resource types vigil knows how to describe (a rule may only declare these).
pub const RESOURCE_TYPES: &[&str] = &[
    "AWS::Lambda::Function",
    "AWS::Lambda::LayerVersion",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGateway::DomainName",
    "AWS::DynamoDB::Table",
    "AWS::KMS::Key",
    "AWS::Organizations::Account",
    "AWS::Config::Region",
    "AWS::Config::Account",
    "AWS::Config::Organization",
];
