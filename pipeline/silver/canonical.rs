//! Canonical JSON and the record hash: equal records hash the same whatever their key order or
//! whitespace.
//!
//! Canonical form: object keys sorted by their UTF-8 bytes, recursively; no whitespace; strings
//! escaped and numbers printed as `serde_json` prints them (so `1.0` stays `1.0`, `1` stays `1`).
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical JSON text of `v`.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// Hex sha256 of the canonical JSON of `v`: the `record_hash` of every silver table.
pub fn record_hash(v: &Value) -> String {
    let digest = Sha256::digest(canonical_json(v).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reordered_keys_and_whitespace_hash_the_same() {
        let a: Value = serde_json::from_str(
            r#"{"id":"base1-4","name":"Charizard","set":{"id":"base1","total":102},"hp":"120"}"#,
        )
        .unwrap();
        let b: Value = serde_json::from_str(
            "{ \"hp\": \"120\",\n \"set\": {\"total\": 102, \"id\": \"base1\"}, \"name\": \"Charizard\", \"id\": \"base1-4\" }",
        )
        .unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            canonical_json(&a),
            r#"{"hp":"120","id":"base1-4","name":"Charizard","set":{"id":"base1","total":102}}"#
        );
        assert_eq!(record_hash(&a), record_hash(&b));
        assert_eq!(record_hash(&a).len(), 64);
    }

    #[test]
    fn any_change_of_value_or_array_order_changes_the_hash() {
        let a: Value = serde_json::from_str(r#"{"types":["Fire","Water"],"p":1.5}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"types":["Water","Fire"],"p":1.5}"#).unwrap();
        let c: Value = serde_json::from_str(r#"{"types":["Fire","Water"],"p":1.51}"#).unwrap();
        assert_ne!(record_hash(&a), record_hash(&b));
        assert_ne!(record_hash(&a), record_hash(&c));
    }

    #[test]
    fn escapes_are_canonical() {
        let a: Value = serde_json::from_str(r#"{"n":"Flab\u00e9b\u00e9 \"x\""}"#).unwrap();
        let b: Value = serde_json::from_str("{\"n\":\"Flabébé \\\"x\\\"\"}").unwrap();
        assert_eq!(canonical_json(&a), "{\"n\":\"Flabébé \\\"x\\\"\"}");
        assert_eq!(record_hash(&a), record_hash(&b));
    }
}
