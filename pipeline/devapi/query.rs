//! The Lucene-like `q` filter and `orderBy` of the Pokémon TCG API, for the subset clients send.
//!
//! Grammar (whitespace separates; `AND` may be written but is implied):
//! ```text
//! query   := clause*                      all clauses must match
//! clause  := unary ("OR" unary)*          OR binds tighter than the implied AND
//! unary   := ("-" | "NOT ")? primary
//! primary := "(" query ")" | field ":" value
//! value   := '"' text '"' | ("[" | "{") lo " TO " hi ("]" | "}") | word
//! ```
//! Strings compare case-insensitively; a `*` in a value is a wildcard (any run of characters),
//! otherwise the match is exact. Range ends are inclusive with `[`/`]`, exclusive with `{`/`}`
//! (mixable), `*` is an open end; bounds compare numerically when both sides are numbers (hp "120" is one), else as
//! text. A field that is an array (types, subtypes, nationalPokedexNumbers, …) matches if any
//! element does; a missing field matches nothing (so `-field:x` matches it).

use std::cmp::Ordering;

use serde_json::Value;

/// Fields `q` and `orderBy` accept on `/v2/cards`.
pub(crate) const CARD_FIELDS: &[&str] = &[
    "id",
    "name",
    "supertype",
    "subtypes",
    "types",
    "rarity",
    "hp",
    "nationalPokedexNumbers",
    "set.id",
    "set.name",
    "set.series",
    "set.releaseDate",
    "set.ptcgoCode",
    "number",
    "artist",
    "regulationMark",
    "evolvesFrom",
    "evolvesTo",
    "level",
    "convertedRetreatCost",
    "legalities.standard",
    "legalities.expanded",
    "legalities.unlimited",
];

/// Fields `q` and `orderBy` accept on `/v2/sets`.
pub(crate) const SET_FIELDS: &[&str] = &[
    "id",
    "name",
    "series",
    "ptcgoCode",
    "releaseDate",
    "updatedAt",
    "total",
    "printedTotal",
    "legalities.standard",
    "legalities.expanded",
    "legalities.unlimited",
];

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    All(Vec<Expr>),
    Any(Vec<Expr>),
    Not(Box<Expr>),
    Term { field: String, pat: Pattern },
}

/// One `field:value` right-hand side.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Pattern {
    /// Lower-cased exact text.
    Exact(String),
    /// Lower-cased text with `*` wildcards.
    Glob(String),
    /// Bounds (`None` = open) and whether each is inclusive (`[`/`]`) or exclusive (`{`/`}`).
    Range {
        lo: Option<String>,
        hi: Option<String>,
        lo_incl: bool,
        hi_incl: bool,
    },
}

struct Parser<'a> {
    s: &'a [char],
    i: usize,
    fields: &'a [&'a str],
}

/// Parses `q` against the allowed `fields`; `Err` is the message for a 400 answer.
pub(crate) fn parse(q: &str, fields: &[&str]) -> Result<Expr, String> {
    let chars: Vec<char> = q.chars().collect();
    let mut p = Parser {
        s: &chars,
        i: 0,
        fields,
    };
    let e = p.clauses()?;
    if p.i < chars.len() {
        return Err(format!("unexpected '{}' at position {}", chars[p.i], p.i));
    }
    Ok(e)
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
    }

    /// Consumes `word` if it follows as a whole word.
    fn keyword(&mut self, word: &str) -> bool {
        let n = word.chars().count();
        let end = self.i + n;
        let matches = end <= self.s.len()
            && self.s[self.i..end].iter().copied().eq(word.chars())
            && self
                .s
                .get(end)
                .is_none_or(|c| c.is_whitespace() || *c == '(');
        if matches {
            self.i = end;
        }
        matches
    }

    fn clauses(&mut self) -> Result<Expr, String> {
        let mut all = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None | Some(')') => break,
                _ if self.keyword("AND") => {
                    if all.is_empty() {
                        return Err("AND without a term before it".into());
                    }
                    continue;
                }
                _ => all.push(self.or_clause()?),
            }
        }
        Ok(Expr::All(all))
    }

    fn or_clause(&mut self) -> Result<Expr, String> {
        let mut any = vec![self.unary()?];
        loop {
            let save = self.i;
            self.skip_ws();
            if !self.keyword("OR") {
                self.i = save;
                break;
            }
            self.skip_ws();
            if matches!(self.peek(), None | Some(')')) {
                return Err("OR without a term after it".into());
            }
            any.push(self.unary()?);
        }
        Ok(if any.len() == 1 {
            any.remove(0)
        } else {
            Expr::Any(any)
        })
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.peek() == Some('-') || self.keyword("NOT") {
            if self.peek() == Some('-') {
                self.i += 1;
            }
            self.skip_ws();
            return Ok(Expr::Not(Box::new(self.primary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        if self.peek() == Some('(') {
            self.i += 1;
            let inner = self.clauses()?;
            if self.peek() != Some(')') {
                return Err("unbalanced '('".into());
            }
            self.i += 1;
            if matches!(&inner, Expr::All(v) if v.is_empty()) {
                return Err("empty parentheses".into());
            }
            return Ok(inner);
        }
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '_')
        {
            self.i += 1;
        }
        let field: String = self.s[start..self.i].iter().collect();
        if self.peek() != Some(':') || field.is_empty() {
            return Err(format!("expected field:value at position {start}"));
        }
        if !self.fields.contains(&field.as_str()) {
            return Err(format!("unknown field '{field}'"));
        }
        self.i += 1;
        let pat = self.value()?;
        Ok(Expr::Term { field, pat })
    }

    fn value(&mut self) -> Result<Pattern, String> {
        match self.peek() {
            Some('"') => {
                self.i += 1;
                let mut text = String::new();
                loop {
                    match self.peek() {
                        None => return Err("unterminated quoted value".into()),
                        Some('"') => break,
                        Some('\\') if self.s.get(self.i + 1).is_some() => {
                            text.push(self.s[self.i + 1]);
                            self.i += 2;
                        }
                        Some(c) => {
                            text.push(c);
                            self.i += 1;
                        }
                    }
                }
                self.i += 1;
                Ok(text_pattern(&text))
            }
            Some(open @ ('[' | '{')) => {
                let start = self.i + 1;
                let end = (start..self.s.len())
                    .find(|k| matches!(self.s[*k], ']' | '}'))
                    .ok_or_else(|| format!("unterminated range '{open}'"))?;
                let close = self.s[end];
                self.i = end + 1;
                let inner: String = self.s[start..end].iter().collect();
                let parts: Vec<&str> = inner.split_whitespace().collect();
                let [lo, "TO", hi] = parts.as_slice() else {
                    return Err(format!(
                        "malformed range '{open}{inner}{close}', expected [a TO b]"
                    ));
                };
                let bound = |b: &str| (b != "*").then(|| b.to_lowercase());
                Ok(Pattern::Range {
                    lo: bound(lo),
                    hi: bound(hi),
                    lo_incl: open == '[',
                    hi_incl: close == ']',
                })
            }
            Some('(') => Err("grouped values like field:(a OR b) are not supported".into()),
            _ => {
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|c| !c.is_whitespace() && c != ')' && c != '(')
                {
                    self.i += 1;
                }
                if self.i == start {
                    return Err(format!("missing value at position {start}"));
                }
                Ok(text_pattern(
                    &self.s[start..self.i].iter().collect::<String>(),
                ))
            }
        }
    }
}

fn text_pattern(text: &str) -> Pattern {
    let t = text.to_lowercase();
    if t.contains('*') {
        Pattern::Glob(t)
    } else {
        Pattern::Exact(t)
    }
}

/// The leaf values of a dotted field path, arrays fanned out at any level, as text.
pub(crate) fn leaves(v: &Value, path: &str) -> Vec<String> {
    let mut cur = vec![v];
    for seg in path.split('.') {
        let mut next = Vec::new();
        for x in cur {
            let child = match x {
                Value::Object(m) => m.get(seg),
                _ => None,
            };
            match child {
                Some(Value::Array(a)) => next.extend(a.iter()),
                Some(c) => next.push(c),
                None => {}
            }
        }
        cur = next;
    }
    cur.into_iter()
        .filter_map(|x| match x {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
        .collect()
}

impl Expr {
    /// Whether the JSON object `v` matches.
    pub(crate) fn matches(&self, v: &Value) -> bool {
        match self {
            Expr::All(xs) => xs.iter().all(|x| x.matches(v)),
            Expr::Any(xs) => xs.iter().any(|x| x.matches(v)),
            Expr::Not(x) => !x.matches(v),
            Expr::Term { field, pat } => leaves(v, field).iter().any(|leaf| pat.matches(leaf)),
        }
    }
}

impl Pattern {
    fn matches(&self, leaf: &str) -> bool {
        let leaf = leaf.to_lowercase();
        match self {
            Pattern::Exact(t) => leaf == *t,
            Pattern::Glob(g) => glob(g, &leaf),
            Pattern::Range {
                lo,
                hi,
                lo_incl,
                hi_incl,
            } => {
                let ok = |o: Ordering, want: Ordering, incl: bool| {
                    o == want || (incl && o == Ordering::Equal)
                };
                lo.as_ref()
                    .is_none_or(|b| ok(compare_bound(&leaf, b), Ordering::Greater, *lo_incl))
                    && hi
                        .as_ref()
                        .is_none_or(|b| ok(compare_bound(&leaf, b), Ordering::Less, *hi_incl))
            }
        }
    }
}

fn compare_bound(leaf: &str, bound: &str) -> Ordering {
    match (leaf.parse::<f64>(), bound.parse::<f64>()) {
        (Ok(a), Ok(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        _ => leaf.cmp(bound),
    }
}

/// `*`-wildcard match over chars.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return text == pattern;
    }
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(k) => rest = &rest[k + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Compares with runs of digits as numbers ("base1-2" < "base1-10", "12" < "12a" < "13"),
/// case-insensitively, then by raw text for a total order.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (x, y): (Vec<char>, Vec<char>) = (
        a.to_lowercase().chars().collect(),
        b.to_lowercase().chars().collect(),
    );
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        if x[i].is_ascii_digit() && y[j].is_ascii_digit() {
            let (si, sj) = (i, j);
            while i < x.len() && x[i].is_ascii_digit() {
                i += 1;
            }
            while j < y.len() && y[j].is_ascii_digit() {
                j += 1;
            }
            let na: String = x[si..i].iter().skip_while(|c| **c == '0').collect();
            let nb: String = y[sj..j].iter().skip_while(|c| **c == '0').collect();
            let o = na.len().cmp(&nb.len()).then_with(|| na.cmp(&nb));
            if o != Ordering::Equal {
                return o;
            }
        } else {
            if x[i] != y[j] {
                return x[i].cmp(&y[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (x.len() - i).cmp(&(y.len() - j)).then_with(|| a.cmp(b))
}

/// One `orderBy` key: field and whether descending.
pub(crate) type OrderKey = (String, bool);

/// Parses `orderBy` ("name", "-set.releaseDate", "set.releaseDate,number").
pub(crate) fn parse_order(s: &str, fields: &[&str]) -> Result<Vec<OrderKey>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| {
            let (desc, f) = k.strip_prefix('-').map_or((false, k), |f| (true, f));
            if fields.contains(&f) {
                Ok((f.to_string(), desc))
            } else {
                Err(format!("cannot order by unknown field '{f}'"))
            }
        })
        .collect()
}

/// Stable sort by the keys (missing values last); ties keep the input (natural) order.
pub(crate) fn sort(items: &mut [&Value], keys: &[OrderKey]) {
    items.sort_by(|a, b| {
        keys.iter()
            .map(|(f, desc)| {
                let (x, y) = (
                    leaves(a, f).into_iter().next(),
                    leaves(b, f).into_iter().next(),
                );
                match (x, y) {
                    (Some(x), Some(y)) if *desc => natural_cmp(&y, &x),
                    (Some(x), Some(y)) => natural_cmp(&x, &y),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                }
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
}
