//! The policy input `{"resource", "account", "org"}` as a regorus value, built straight from a
//! document's parts.
//!
//! Converting a document was a third of the evaluation time: through a `serde_json::json!`
//! copy first, then through serde's visitor (one allocation per object key, a `BTreeMap`
//! insert per entry). [`Converter`] walks the `serde_json` tree directly, shares one allocation
//! per distinct object key (AWS documents repeat the same few hundred field names), and builds
//! each object from its entries in key order at once, the order coming from the object's shape
//! (its keys in document order, seen before in documents of the same type). The values it
//! builds are equal to what `regorus::Value::from(serde_json::Value)` gives (unit tests check it
//! on every fixture document); numbers go through that very path.

use regorus::Value as RValue;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use vigil_model::Document;

/// Object keys are short: a word-at-a-time multiplicative hash (FxHash's) costs a few cycles,
/// where SipHash would cost about what the allocation it saves costs.
#[derive(Default)]
struct KeyHasher(u64);

impl KeyHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
}

/// Converts documents into policy inputs; one per evaluator (not shared between threads, so
/// key reuse costs no synchronisation beyond the reference count).
pub(crate) struct Converter {
    /// Every distinct object key seen (up to `MAX_KEYS`).
    keys: HashMap<Box<str>, RValue, BuildHasherDefault<KeyHasher>>,
    /// Objects by the hash of their keys in document order: documents of a type share a few
    /// dozen shapes, and a known shape gives its keys in sorted order without looking each key
    /// up or sorting them again.
    shapes: HashMap<u64, Arc<Shape>, BuildHasherDefault<KeyHasher>>,
}

/// The keys of an object in document order, and the order that sorts them.
struct Shape {
    keys: Box<[RValue]>,
    /// `keys[order[0]]`, `keys[order[1]]`, ... are sorted.
    order: Box<[usize]>,
}

impl Shape {
    /// `m` has exactly these keys, in this order.
    fn fits(&self, m: &Map<String, Value>) -> bool {
        self.keys.len() == m.len()
            && self
                .keys
                .iter()
                .zip(m.keys())
                .all(|(a, b)| matches!(a, RValue::String(a) if **a == **b))
    }
}

impl Default for Converter {
    fn default() -> Self {
        Converter {
            keys: HashMap::with_capacity_and_hasher(512, Default::default()),
            shapes: HashMap::with_capacity_and_hasher(128, Default::default()),
        }
    }
}

impl Converter {
    /// Distinct keys kept; past this (documents with many user-chosen keys, such as tags or
    /// environment variable names) keys are allocated per document, as before.
    const MAX_KEYS: usize = 8192;
    /// Distinct object shapes kept; past this, objects are built key by key.
    const MAX_SHAPES: usize = 4096;

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
            Value::Object(m) => self.map(m),
        }
    }

    fn map(&mut self, m: &Map<String, Value>) -> RValue {
        let mut h = KeyHasher::default();
        for k in m.keys() {
            h.write(k.as_bytes());
            h.add(0xff);
        }
        let hash = h.finish();
        let shape = match self.shapes.get(&hash) {
            Some(shape) if shape.fits(m) => shape.clone(),
            _ => {
                let shape = Arc::new(self.shape(m));
                if self.shapes.len() < Self::MAX_SHAPES {
                    self.shapes.insert(hash, shape.clone());
                }
                shape
            }
        };
        let values: Vec<&Value> = m.values().collect();
        let entries: Vec<(RValue, RValue)> = shape
            .order
            .iter()
            .map(|&j| (shape.keys[j].clone(), self.value(values[j])))
            .collect();
        object(entries)
    }

    fn shape(&mut self, m: &Map<String, Value>) -> Shape {
        let keys: Box<[RValue]> = m.keys().map(|k| self.key(k)).collect();
        let names: Vec<&String> = m.keys().collect();
        // Sorted by key as text: the order regorus keeps string keys in.
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_unstable_by(|&a, &b| names[a].cmp(names[b]));
        Shape {
            keys,
            order: order.into_boxed_slice(),
        }
    }

    /// `input.resource`, in the document's serde shape (camelCase).
    pub(crate) fn resource(&mut self, doc: &Document) -> RValue {
        let tags = self.map(&doc.tags);
        let configuration = self.value(&doc.configuration);
        let supplementary = self.value(&doc.supplementary_configuration);
        // In key order.
        let mut entries = vec![
            (self.key("arn"), text(&doc.arn)),
            (self.key("awsAccountId"), text(&doc.aws_account_id)),
            (self.key("awsRegion"), text(&doc.aws_region)),
        ];
        // As serde writes it: only when a field could not be read.
        if !doc.collection_errors.is_empty() {
            let errors = self.context(&doc.collection_errors);
            entries.push((self.key("collectionErrors"), errors));
        }
        entries.extend([
            (self.key("configuration"), configuration),
            (self.key("resourceId"), text(&doc.resource_id)),
            (self.key("resourceType"), text(&doc.resource_type)),
            (self.key("supplementaryConfiguration"), supplementary),
            (self.key("tags"), tags),
        ]);
        object(entries)
    }

    /// `{"resource", "account", "org"}`.
    pub(crate) fn input(&mut self, resource: RValue, account: RValue, org: RValue) -> RValue {
        // In key order.
        object(vec![
            (self.key("account"), account),
            (self.key("org"), org),
            (self.key("resource"), resource),
        ])
    }

    /// `input.account` / `input.org`: small, and the same for every document of an account.
    pub(crate) fn context<T: serde::Serialize>(&mut self, x: &T) -> RValue {
        self.value(&serde_json::to_value(x).unwrap_or_default())
    }
}

fn text(s: &str) -> RValue {
    RValue::String(s.into())
}

/// An object from its entries (distinct keys). In key order, they take one pass to build;
/// any other order is sorted first.
fn object(entries: Vec<(RValue, RValue)>) -> RValue {
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
        // The same keys in another order, other keys, other values: each object its own.
        for v in [
            json!([{"b": 1, "a": 2}, {"a": 2, "b": 1}, {"a": 3, "b": [4]}, {"a": 1, "bb": 2}]),
            json!([{"ab": 1, "c": 2}, {"a": 1, "bc": 2}, {"abc": 1}, {"a": {"b": {"a": 1}}}]),
        ] {
            assert_eq!(c.value(&v), serde_path(&v), "{v}");
        }
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
