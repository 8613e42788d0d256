//! What vigil collects: each service and the resource types its collector describes.
//!
//! The collectors in `vigil-scanner` are the source of this table: each declares its service
//! name and resource types, and the table in `services/generated.rs` is written from the scanner's
//! registry (a scanner test fails while it is stale). It lives here because the crates that
//! need it without collecting anything (rule validation, reports) must not depend on the
//! scanner and its AWS SDKs.

mod generated;

pub use generated::{RESOURCE_TYPES, SERVICES};

/// A service vigil collects and the resource types its collector emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The name used by `--services` and in error records (`lambda`).
    pub name: &'static str,
    /// The `resourceType` of its documents (`AWS::Lambda::Function`).
    pub resource_types: &'static [&'static str],
}

/// The service a resource type belongs to (`AWS::Lambda::Function` → `lambda`).
pub fn service_of_resource_type(resource_type: &str) -> Option<&'static str> {
    SERVICES
        .iter()
        .find(|s| s.resource_types.contains(&resource_type))
        .map(|s| s.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_types_are_the_services_types_and_map_back() {
        let flat: Vec<&str> = SERVICES
            .iter()
            .flat_map(|s| s.resource_types.iter().copied())
            .collect();
        assert_eq!(flat, RESOURCE_TYPES);
        for s in SERVICES {
            for t in s.resource_types {
                assert_eq!(service_of_resource_type(t), Some(s.name));
            }
        }
        assert_eq!(service_of_resource_type("AWS::EC2::Instance"), None);
    }
}
