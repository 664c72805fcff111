//! The record hash straight from a record's JSON text, without building a `serde_json::Value`.
//!
//! Gives the same canonical text as [`super::canonical::canonical_json`] (keys sorted by their
//! UTF-8 bytes, no whitespace, strings and numbers as `serde_json` prints them), so the same
//! `record_hash` ([`super::canonical::record_hash`] stays the definition; the tests compare the
//! two). One pass over the bytes into one reused buffer: an object's members are written in
//! input order, then reordered in place by their keys. A string without a backslash and an
//! integer of at most 18 digits are copied as they are (that is how `serde_json` prints them);
//! escapes and floats go through `serde_json` to print exactly as it does.
//!
//! `None` for text that is not one JSON value, or an object with a repeated key: the caller
//! then takes the `serde_json::Value` path (which reports text that does not parse).
use sha2::{Digest, Sha256};

/// Reusable state: the canonical text buffer and a scratch buffer for reordering.
#[derive(Default)]
pub struct Hasher {
    out: Vec<u8>,
    scratch: Vec<u8>,
}

/// A record's hash and its top-level `"id"` when that is a string.
#[derive(Debug, Clone, PartialEq)]
pub struct Hashed {
    pub hash: String,
    pub id: Option<String>,
}

impl Hasher {
    /// Hex sha256 of the canonical form of `json` (one JSON value); `None` if it does not parse.
    pub fn hash(&mut self, json: &str) -> Option<String> {
        self.record(json).map(|h| h.hash)
    }

    /// [`Hasher::hash`] and the value's top-level `"id"` (when it is an object whose `id` is a
    /// string, unescaped; the last one when the key repeats, as `serde_json` keeps it).
    pub fn record(&mut self, json: &str) -> Option<Hashed> {
        self.out.clear();
        let bytes = json.as_bytes();
        let mut p = Parser {
            s: bytes,
            i: 0,
            depth: 0,
            id: None,
        };
        p.value(&mut self.out, &mut self.scratch)?;
        p.ws();
        if p.i != bytes.len() {
            return None;
        }
        let id = match p.id {
            Some((s, e, false)) => Some(json[s + 1..e - 1].to_string()),
            Some((s, e, true)) => serde_json::from_str::<String>(&json[s..e]).ok(),
            None => None,
        };
        Some(Hashed {
            hash: hex(&Sha256::digest(&self.out)),
            id,
        })
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    /// Objects open around the current position.
    depth: usize,
    /// Span and escapedness of the top-level `"id"` string value.
    id: Option<(usize, usize, bool)>,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn value(&mut self, out: &mut Vec<u8>, scratch: &mut Vec<u8>) -> Option<()> {
        self.ws();
        match *self.s.get(self.i)? {
            b'{' => self.object(out, scratch),
            b'[' => {
                self.i += 1;
                out.push(b'[');
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    out.push(b']');
                    return Some(());
                }
                loop {
                    self.value(out, scratch)?;
                    self.ws();
                    match *self.s.get(self.i)? {
                        b',' => {
                            self.i += 1;
                            out.push(b',');
                        }
                        b']' => {
                            self.i += 1;
                            out.push(b']');
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => {
                let (start, end, escaped) = self.string()?;
                write_string(&self.s[start..end], escaped, out)
            }
            b't' => self.literal(b"true", out),
            b'f' => self.literal(b"false", out),
            b'n' => self.literal(b"null", out),
            _ => self.number(out),
        }
    }

    fn literal(&mut self, word: &[u8], out: &mut Vec<u8>) -> Option<()> {
        if !self.s[self.i..].starts_with(word) {
            return None;
        }
        self.i += word.len();
        out.extend_from_slice(word);
        Some(())
    }

    /// A string token at `self.i` (the opening quote): its span including the quotes, and
    /// whether it holds a backslash.
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        let start = self.i;
        self.i += 1;
        let mut escaped = false;
        loop {
            match *self.s.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some((start, self.i, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.i += 2;
                }
                b if b < 0x20 => return None,
                _ => self.i += 1,
            }
        }
    }

    fn number(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let start = self.i;
        let mut plain = true;
        while let Some(&b) = self.s.get(self.i) {
            match b {
                b'0'..=b'9' | b'-' => {}
                b'.' | b'e' | b'E' | b'+' => plain = false,
                _ => break,
            }
            self.i += 1;
        }
        let token = &self.s[start..self.i];
        let digits = token.len() - usize::from(token.first() == Some(&b'-'));
        if plain && digits > 0 && digits <= 18 && token != b"-0" && valid_integer(token) {
            out.extend_from_slice(token);
            return Some(());
        }
        let text = std::str::from_utf8(token).ok()?;
        let n: serde_json::Number = serde_json::from_str(text).ok()?;
        use std::io::Write;
        write!(out, "{n}").ok()
    }

    fn object(&mut self, out: &mut Vec<u8>, scratch: &mut Vec<u8>) -> Option<()> {
        self.i += 1;
        self.depth += 1;
        let base = out.len();
        out.push(b'{');
        // (key start, key end, member start, member end) in `out`; members are comma-separated.
        let mut members: Vec<(usize, usize, usize, usize)> = Vec::new();
        self.ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            self.depth -= 1;
            out.push(b'}');
            return Some(());
        }
        loop {
            self.ws();
            if self.s.get(self.i) != Some(&b'"') {
                return None;
            }
            let member = out.len();
            let (ks, ke, escaped) = self.string()?;
            write_string(&self.s[ks..ke], escaped, out)?;
            // The key's unescaped bytes are what canonical order compares; for an escaped key
            // they are the written key's, which differ only where it re-escapes.
            let key_end = out.len();
            self.ws();
            if self.s.get(self.i) != Some(&b':') {
                return None;
            }
            self.i += 1;
            out.push(b':');
            if self.depth == 1 && &self.s[ks..ke] == b"\"id\"" {
                self.ws();
                self.id = match self.s.get(self.i) {
                    Some(b'"') => {
                        let at = self.i;
                        let span = self.string()?;
                        self.i = at;
                        Some(span)
                    }
                    _ => None,
                };
            }
            self.value(out, scratch)?;
            members.push((member + 1, key_end - 1, member, out.len()));
            self.ws();
            match *self.s.get(self.i)? {
                b',' => {
                    self.i += 1;
                    out.push(b',');
                }
                b'}' => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        use std::cmp::Ordering::{Equal, Less};
        let sorted = members.windows(2).all(|w| key_cmp(out, w[0], w[1]) == Less);
        if !sorted {
            members.sort_by(|a, b| key_cmp(out, *a, *b));
            // A repeated key: serde_json keeps one of them; leave such text to the caller.
            if members
                .windows(2)
                .any(|w| key_cmp(out, w[0], w[1]) == Equal)
            {
                return None;
            }
            scratch.clear();
            for (i, m) in members.iter().enumerate() {
                if i > 0 {
                    scratch.push(b',');
                }
                scratch.extend_from_slice(&out[m.2..m.3]);
            }
            out.truncate(base + 1);
            out.extend_from_slice(scratch);
        }
        self.depth -= 1;
        out.push(b'}');
        Some(())
    }
}

/// Compares two members' keys as canonical order does: by their unescaped UTF-8 bytes.
fn key_cmp(
    out: &[u8],
    a: (usize, usize, usize, usize),
    b: (usize, usize, usize, usize),
) -> std::cmp::Ordering {
    let (ka, kb) = (&out[a.0..a.1], &out[b.0..b.1]);
    if !ka.contains(&b'\\') && !kb.contains(&b'\\') {
        return ka.cmp(kb);
    }
    let un = |k: &[u8]| -> Vec<u8> {
        let quoted = [b"\"", k, b"\""].concat();
        serde_json::from_slice::<String>(&quoted)
            .map(String::into_bytes)
            .unwrap_or_else(|_| k.to_vec())
    };
    un(ka).cmp(&un(kb))
}

/// Writes a string token (with its quotes; a slice of a `&str` at quotes, so UTF-8) as
/// `serde_json` prints the string it holds.
fn write_string(token: &[u8], escaped: bool, out: &mut Vec<u8>) -> Option<()> {
    if !escaped {
        out.extend_from_slice(token);
        return Some(());
    }
    let s: String = serde_json::from_slice(token).ok()?;
    serde_json::to_writer(&mut *out, &s).ok()
}

/// `-?(0|[1-9][0-9]*)`
fn valid_integer(t: &[u8]) -> bool {
    let d = t.strip_prefix(b"-").unwrap_or(t);
    !d.is_empty()
        && d.iter().all(u8::is_ascii_digit)
        && (d.len() == 1 || d[0] != b'0')
        && t.iter().skip(1).all(|b| *b != b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::silver::canonical::record_hash;
    use serde_json::Value;

    fn same(json: &str) {
        let v: Value = serde_json::from_str(json).unwrap();
        let got = Hasher::default().record(json).unwrap();
        assert_eq!(got.hash, record_hash(&v), "{json}");
        let id = v.get("id").and_then(Value::as_str).map(str::to_string);
        assert_eq!(got.id, id, "{json}");
    }

    #[test]
    fn matches_the_canonical_hash_on_tricky_text() {
        for j in [
            r#"{"b":1,"a":[1,2.50,{"z":null,"y":true}],"c":"x"}"#,
            "{ \"hp\": \"120\",\n \"set\": {\"total\": 102, \"id\": \"base1\"} }",
            r#"{"n":"Flab\u00e9b\u00e9 \"x\"","m":"\/ \n"}"#,
            r#"{"\u0062":1,"a":2,"ab":3,"é":4,"e":5}"#,
            r#"{"f":1e3,"g":-0,"h":-0.0,"i":12345678901234567890,"j":1.0,"k":0.1e-7}"#,
            r#"[]"#,
            r#"{}"#,
            r#"{"a":{},"b":[],"c":[[]]}"#,
            r#"{"x":{"id":"inner"},"id":"base1-4"}"#,
            r#"{"id":"a\u0062c","n":1}"#,
            r#"{"id":7}"#,
        ] {
            same(j);
        }
    }

    #[test]
    fn matches_the_canonical_hash_on_the_sample_catalogue() {
        let c = crate::devapi::Catalog::generate(7, 14, 3);
        for card in c.cards.iter().chain(&c.sets) {
            same(&serde_json::to_string(card).unwrap());
            same(&serde_json::to_string_pretty(card).unwrap());
        }
    }

    #[test]
    fn refuses_what_is_not_one_value() {
        let mut h = Hasher::default();
        for j in [
            "",
            "{",
            r#"{"a":1,}"#,
            "[1 2]",
            "01",
            "tru",
            r#"{"a":1} x"#,
            r#"{"a":1,"a":2}"#,
        ] {
            assert_eq!(h.hash(j), None, "{j}");
        }
    }
}
