//! The policy input `{"resource", "account", "org"}` as a regorus value, built straight from a
//! document's parts.
//!
//! Converting a document was a third of the evaluation time: through a `serde_json::json!`
//! copy first, then through serde's visitor (one allocation per object key, a `BTreeMap`
//! insert per entry). [`Converter`] walks the `serde_json` tree directly, builds each object
//! from its sorted entries at once, and shares one allocation per distinct object key (AWS
//! documents repeat the same few hundred field names). The values it builds are equal to what
//! `regorus::Value::from(serde_json::Value)` gives (a unit test checks it on every fixture
//! document); numbers go through that very path.

use regorus::Value as RValue;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use vigil_model::Document;

/// FNV-1a: object keys are short, and SipHash costs more than the allocation it saves.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Converts documents into policy inputs; one per evaluator (not shared between threads, so
/// key reuse costs no synchronisation beyond the reference count).
pub(crate) struct Converter {
    keys: HashMap<Box<str>, RValue, BuildHasherDefault<Fnv>>,
}

impl Default for Converter {
    fn default() -> Self {
        Converter {
            keys: HashMap::with_capacity_and_hasher(512, Default::default()),
        }
    }
}

impl Converter {
    /// Distinct keys kept; past this (documents with many user-chosen keys, such as tags or
    /// environment variable names) keys are allocated per document, as before.
    const MAX_KEYS: usize = 8192;

    fn key(&mut self, k: &str) -> RValue {
        if let Some(v) = self.keys.get(k) {
            return v.clone();
        }
        let v = RValue::String(k.into());
        if self.keys.len() < Self::MAX_KEYS {
            self.keys.insert(k.into(), v.clone());
        }
        v
    }

    /// A JSON value as regorus' value.
    pub(crate) fn value(&mut self, v: &Value) -> RValue {
        match v {
            Value::Null => RValue::Null,
            Value::Bool(b) => RValue::Bool(*b),
            // Exactly what serde deserialisation gives (integers, floats, and whatever
            // serde_json's features make of a number).
            Value::Number(_) => serde_path(v),
            Value::String(s) => RValue::String(s.as_str().into()),
            Value::Array(a) => RValue::from(a.iter().map(|x| self.value(x)).collect::<Vec<_>>()),
            Value::Object(m) => {
                let entries: Vec<(RValue, RValue)> = m
                    .iter()
                    .map(|(k, x)| (self.key(k), self.value(x)))
                    .collect();
                object(entries)
            }
        }
    }

    /// `input.resource`, in the document's serde shape (camelCase).
    pub(crate) fn resource(&mut self, doc: &Document) -> RValue {
        let tags: Vec<(RValue, RValue)> = doc
            .tags
            .iter()
            .map(|(k, v)| (self.key(k), self.value(v)))
            .collect();
        let entries = vec![
            (self.key("resourceType"), text(&doc.resource_type)),
            (self.key("resourceId"), text(&doc.resource_id)),
            (self.key("arn"), text(&doc.arn)),
            (self.key("awsAccountId"), text(&doc.aws_account_id)),
            (self.key("awsRegion"), text(&doc.aws_region)),
            (self.key("tags"), object(tags)),
            (self.key("configuration"), self.value(&doc.configuration)),
            (
                self.key("supplementaryConfiguration"),
                self.value(&doc.supplementary_configuration),
            ),
        ];
        object(entries)
    }

    /// `{"resource", "account", "org"}`.
    pub(crate) fn input(&mut self, resource: RValue, account: RValue, org: RValue) -> RValue {
        let entries = vec![
            (self.key("resource"), resource),
            (self.key("account"), account),
            (self.key("org"), org),
        ];
        object(entries)
    }

    /// `input.account` / `input.org`: small, and the same for every document of an account.
    pub(crate) fn context<T: serde::Serialize>(&mut self, x: &T) -> RValue {
        self.value(&serde_json::to_value(x).unwrap_or_default())
    }
}

fn text(s: &str) -> RValue {
    RValue::String(s.into())
}

/// An object from its entries (keys distinct, any order).
fn object(mut entries: Vec<(RValue, RValue)>) -> RValue {
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // From sorted entries a BTreeMap is built in one pass.
    RValue::from(entries.into_iter().collect::<BTreeMap<_, _>>())
}

/// regorus' own conversion (serde deserialisation), the reference for [`Converter`].
pub(crate) fn serde_path(v: &Value) -> RValue {
    use serde::Deserialize;
    RValue::deserialize(v).unwrap_or(RValue::Undefined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_convert_exactly_as_regorus_converts_their_json() {
        let docs = crate::testing::fixture_documents();
        assert!(docs.len() > 10);
        let mut c = Converter::default();
        // Twice: the second pass uses the shared keys.
        for _ in 0..2 {
            for d in &docs {
                let reference = RValue::from(serde_json::to_value(d).unwrap());
                assert_eq!(c.resource(d), reference, "{}", d.resource_id);
                assert_eq!(
                    c.resource(d).to_json_str().unwrap(),
                    reference.to_json_str().unwrap()
                );
            }
        }
    }

    #[test]
    fn every_json_shape_converts_as_regorus_converts_it() {
        let v = json!({
            "z": 1, "a": [1, -2, 3.5, 1e300, 18446744073709551615u64, -9223372036854775808i64],
            "m": {"b": null, "a": true, "": false, "é": "ü"},
            "e": {}, "l": [], "s": "", "nested": [{"k": [{"k": {"k": 0.1}}]}]
        });
        let mut c = Converter::default();
        assert_eq!(c.value(&v), RValue::from(v.clone()));
        assert_eq!(c.value(&v), serde_path(&v));
        assert_eq!(
            c.value(&v).to_json_str().unwrap(),
            RValue::from(v).to_json_str().unwrap()
        );
    }

    #[test]
    fn past_the_key_limit_keys_are_still_converted() {
        let mut c = Converter::default();
        let big: serde_json::Map<String, Value> = (0..Converter::MAX_KEYS + 10)
            .map(|i| (format!("k{i}"), json!(i)))
            .collect();
        let v = Value::Object(big);
        assert_eq!(c.value(&v), RValue::from(v.clone()));
        assert_eq!(c.keys.len(), Converter::MAX_KEYS);
        assert_eq!(c.value(&v), RValue::from(v));
    }
}
