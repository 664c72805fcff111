//! Collection files parsed and validated; [`super::ops`] lands what passes as one event.
//!
//! Input: CSV with a header line, columns `card_id,quantity[,variant,condition,acquired_at,price_paid]`
//! in any order (a UTF-8 BOM and CRLF line ends are accepted, blank lines skipped, fields may be
//! "quoted"), or the JSON that [`super::export`] writes (`{"format": ..., "rows": [...]}`, or a bare
//! array of rows). A `.json` name or a first character `{`/`[` picks JSON.
//!
//! Every problem is one line naming file, line (JSON: `rows[i]`) and field, e.g.
//! `collection.csv:3: quantity "-2": must be a whole number ≥ 1`. Nothing is written while a
//! problem remains, unless `skip_bad_rows`: then the bad rows are left out, reported, and recorded
//! in the event (`skipped_rows`, `skipped`). A problem with the file itself (empty, not UTF-8, bad
//! header, no rows) always refuses it.
use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::NaiveDate;
use serde_json::Value;

use super::{Row, CONDITIONS, MAX_QUANTITY};
use crate::{Error, Result};

/// The CSV columns, required first.
pub const COLUMNS: &[&str] = &[
    "card_id",
    "quantity",
    "variant",
    "condition",
    "acquired_at",
    "price_paid",
];
const HEADER_HELP: &str = "card_id,quantity[,variant,condition,acquired_at,price_paid]";

/// One valid row of an input and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Line number (CSV) or row index + 1 (JSON): orders problems, identifies skipped rows.
    pub pos: usize,
    /// The location prefix of its problems: `file:3`, `file: rows[2]` or `command line`.
    pub at: String,
    /// How another problem names it: `line 3`, `rows[2]`.
    pub place: String,
    pub row: Row,
    /// A removal of every copy held (`remove --card` without `--quantity`).
    pub all: bool,
}

/// An input split into valid rows and problem lines.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The file as named to the user.
    pub file: String,
    pub lines: Vec<Line>,
    /// (pos, one-line problem).
    pub problems: Vec<(usize, String)>,
}

/// Parses `bytes` (CSV or JSON, see the module doc) named `file` in messages.
///
/// Errors: [`Error::Rejected`] for a problem with the file as a whole (row problems are returned
/// in [`Parsed::problems`]).
pub fn parse(file: &str, bytes: &[u8]) -> Result<Parsed> {
    let fatal = |p: String| Error::Rejected {
        problems: vec![p],
        hint: format!("{file}: nothing written"),
    };
    let text =
        std::str::from_utf8(bytes).map_err(|e| fatal(format!("{file}: not UTF-8 text: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(fatal(format!(
            "{file}: empty file; expected a header line {HEADER_HELP}"
        )));
    }
    let json =
        file.to_ascii_lowercase().ends_with(".json") || text.trim_start().starts_with(['{', '[']);
    let parsed = if json {
        parse_json(file, text)
    } else {
        parse_csv(file, text)
    };
    parsed.map_err(fatal)
}

fn parse_csv(file: &str, text: &str) -> std::result::Result<Parsed, String> {
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty());
    let (hline, header) = lines.next().expect("the text is not blank");
    let bad_header = |detail: String| format!("{file}:{hline}: header: {detail}");
    let names: Vec<String> = split_csv(header)
        .map_err(bad_header)?
        .iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    let mut seen = BTreeSet::new();
    for n in &names {
        if !COLUMNS.contains(&n.as_str()) {
            return Err(bad_header(format!(
                "unknown column {n:?}; expected {HEADER_HELP} (a header line is required)"
            )));
        }
        if !seen.insert(n) {
            return Err(bad_header(format!("column {n:?} appears twice")));
        }
    }
    for required in &COLUMNS[..2] {
        if !names.iter().any(|n| n == required) {
            return Err(bad_header(format!(
                "missing column {required:?}; expected {HEADER_HELP}"
            )));
        }
    }
    let mut out = Parsed {
        file: file.to_string(),
        ..Default::default()
    };
    let mut data_lines = 0;
    for (n, line) in lines {
        data_lines += 1;
        let at = format!("{file}:{n}");
        let fields = match split_csv(line) {
            Ok(f) if f.len() == names.len() => f,
            Ok(f) => {
                let detail = format!("{} fields, the header has {}", f.len(), names.len());
                out.problems.push((n, format!("{at}: {detail}")));
                continue;
            }
            Err(e) => {
                out.problems.push((n, format!("{at}: {e}")));
                continue;
            }
        };
        let get = |col: &str| {
            names
                .iter()
                .position(|c| c == col)
                .map(|i| fields[i].trim().to_string())
        };
        if let Some(row) = build_row(&at, n, &get, &mut out.problems) {
            out.lines.push(Line {
                pos: n,
                at,
                place: format!("line {n}"),
                row,
                all: false,
            });
        }
    }
    if data_lines == 0 {
        return Err(format!("{file}: no rows after the header"));
    }
    Ok(out)
}

/// Splits one CSV line into fields; `"` quotes a field, `""` inside it is a quote.
fn split_csv(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => cur.push(c),
            (false, ',') => out.push(std::mem::take(&mut cur)),
            (false, '"') if cur.trim().is_empty() => {
                cur.clear();
                quoted = true;
            }
            (false, c) => cur.push(c),
        }
    }
    if quoted {
        return Err("unterminated quote".into());
    }
    out.push(cur);
    Ok(out)
}

fn parse_json(file: &str, text: &str) -> std::result::Result<Parsed, String> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| format!("{file}: not valid JSON: {e}"))?;
    let shape = || format!("{file}: expected {{\"rows\": [...]}} or an array of rows");
    let rows = match &doc {
        Value::Array(rows) => rows,
        Value::Object(o) => {
            if let Some(f) = o.get("format").filter(|f| **f != super::export::FORMAT) {
                return Err(format!(
                    "{file}: format {f}: expected {:?}",
                    super::export::FORMAT
                ));
            }
            o.get("rows").and_then(Value::as_array).ok_or_else(shape)?
        }
        _ => return Err(shape()),
    };
    if rows.is_empty() {
        return Err(format!("{file}: no rows"));
    }
    let mut out = Parsed {
        file: file.to_string(),
        ..Default::default()
    };
    for (i, r) in rows.iter().enumerate() {
        let (pos, at) = (i + 1, format!("{file}: rows[{i}]"));
        let Some(obj) = r.as_object() else {
            out.problems.push((pos, format!("{at}: must be an object")));
            continue;
        };
        let mut ok = true;
        for k in obj.keys().filter(|k| !COLUMNS.contains(&k.as_str())) {
            let detail = format!("unknown field {k:?}; expected {}", COLUMNS.join(", "));
            out.problems.push((pos, format!("{at}: {detail}")));
            ok = false;
        }
        for k in COLUMNS[..2].iter().filter(|k| !obj.contains_key(**k)) {
            out.problems
                .push((pos, format!("{at}: missing field {k:?}")));
            ok = false;
        }
        let get = |col: &str| match obj.get(col) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(v) => Some(v.to_string()),
        };
        if let (Some(row), true) = (build_row(&at, pos, &get, &mut out.problems), ok) {
            out.lines.push(Line {
                pos,
                at,
                place: format!("rows[{i}]"),
                row,
                all: false,
            });
        }
    }
    Ok(out)
}

/// Builds a row from its fields (`get(column)`, `None` when absent), pushing one problem per
/// invalid field; `None` when any field is invalid.
pub(super) fn build_row(
    at: &str,
    pos: usize,
    get: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<(usize, String)>,
) -> Option<Row> {
    let before = problems.len();
    let mut check = |col: &str, check: &dyn Fn(&str) -> std::result::Result<(), String>| {
        let value = get(col).unwrap_or_default();
        if let Err(reason) = check(&value) {
            problems.push((pos, format!("{at}: {col} {value:?}: {reason}")));
        }
        value
    };
    let card_id = check("card_id", &|v| {
        if v.is_empty() {
            Err("must not be empty".into())
        } else {
            Ok(())
        }
    });
    let qty = check("quantity", &|v| quantity(v).map(|_| ()));
    let variant = check("variant", &|v| {
        let ok = v.len() <= 40 && v.chars().all(|c| c.is_ascii_alphanumeric());
        if ok {
            Ok(())
        } else {
            Err("must be a tcgplayer variant key, letters and digits only (normal, holofoil, reverseHolofoil, ...)".into())
        }
    });
    let condition = check("condition", &|v| {
        if v.is_empty() || CONDITIONS.contains(&v.to_ascii_uppercase().as_str()) {
            Ok(())
        } else {
            Err(format!(
                "must be one of {}, or empty",
                CONDITIONS.join(", ")
            ))
        }
    });
    let acquired_at = check("acquired_at", &|v| {
        let ok =
            v.is_empty() || (v.len() == 10 && NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok());
        if ok {
            Ok(())
        } else {
            Err("must be a date YYYY-MM-DD".into())
        }
    });
    let price_paid = check("price_paid", &|v| {
        if v.is_empty() || price(v).is_some() {
            Ok(())
        } else {
            Err("must be a decimal ≥ 0 (e.g. 12.50)".into())
        }
    });
    if problems.len() > before {
        return None;
    }
    let opt = |s: String| (!s.is_empty()).then_some(s);
    Some(Row {
        card_id,
        quantity: quantity(&qty).ok()?,
        variant: opt(variant).unwrap_or_else(|| "normal".into()),
        condition: opt(condition).map(|c| c.to_ascii_uppercase()),
        acquired_at: opt(acquired_at),
        price_paid: price(&price_paid),
    })
}

/// A quantity: a whole number 1 to [`MAX_QUANTITY`].
pub fn quantity(v: &str) -> std::result::Result<i64, String> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be a whole number ≥ 1".into());
    }
    match v.parse::<i64>() {
        Ok(0) => Err("must be a whole number ≥ 1".into()),
        Ok(q) if q <= MAX_QUANTITY => Ok(q),
        _ => Err(format!("must be at most {MAX_QUANTITY}")),
    }
}

/// A price: digits with an optional decimal part (`12`, `12.50`).
fn price(v: &str) -> Option<f64> {
    let (int, frac) = v.split_once('.').unwrap_or((v, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    v.parse::<f64>().ok().filter(|p| p.is_finite())
}

/// Adds a problem for each row whose card_id is not in `known`.
pub fn check_cards(parsed: &mut Parsed, known: &HashSet<String>) {
    for l in &parsed.lines {
        if !known.contains(&l.row.card_id) {
            parsed.problems.push((
                l.pos,
                format!(
                    "{}: card_id {:?}: unknown card (not in silver_tcg_cards)",
                    l.at, l.row.card_id
                ),
            ));
        }
    }
}

/// Adds a problem for each row repeating an earlier row's (card_id, variant).
pub fn check_duplicates(parsed: &mut Parsed) {
    let mut first: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for l in &parsed.lines {
        let id = (l.row.card_id.as_str(), l.row.variant.as_str());
        match first.get(&id) {
            Some(place) => parsed.problems.push((
                l.pos,
                format!(
                    "{}: card_id {:?} variant {:?}: duplicate of {place}",
                    l.at, id.0, id.1
                ),
            )),
            None => {
                first.insert(id, &l.place);
            }
        }
    }
}

/// The rows to land: all of them when there is no problem; without the bad ones under
/// `skip_bad_rows`. Returns (rows, skipped row count, problems sorted by position).
///
/// Errors: [`Error::Rejected`] (nothing written) with every problem, when there is one and
/// `skip_bad_rows` is off, or when no valid row remains.
pub fn settle(
    mut parsed: Parsed,
    skip: bool,
    verb: &str,
) -> Result<(Vec<Line>, usize, Vec<String>)> {
    parsed.problems.sort_by_key(|(pos, _)| *pos);
    let bad: BTreeSet<usize> = parsed.problems.iter().map(|(p, _)| *p).collect();
    let problems: Vec<String> = parsed.problems.into_iter().map(|(_, t)| t).collect();
    let file = &parsed.file;
    if !problems.is_empty() && !skip {
        return Err(Error::Rejected {
            problems,
            hint: format!(
                "{file}: nothing {verb}; fix the rows above, or pass --skip-bad-rows to {} the valid ones",
                if verb == "removed" { "remove" } else { "import" }
            ),
        });
    }
    let lines: Vec<Line> = parsed
        .lines
        .into_iter()
        .filter(|l| !bad.contains(&l.pos))
        .collect();
    if lines.is_empty() {
        return Err(Error::Rejected {
            problems,
            hint: format!("{file}: nothing {verb}: no valid row"),
        });
    }
    Ok((lines, bad.len(), problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(file: &str, text: &str) -> Vec<String> {
        let mut p = parse(file, text.as_bytes()).unwrap();
        check_duplicates(&mut p);
        p.problems.sort();
        p.problems.into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn csv_with_bom_crlf_quotes_and_defaults() {
        let text = "\u{feff}Card_ID,quantity,variant,condition,acquired_at,price_paid\r\n\
                    base1-4,2,holofoil,nm,2024-01-05,12.50\r\n\r\n\"base1-58\",1,,,,\r\n";
        let p = parse("c.csv", text.as_bytes()).unwrap();
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let rows: Vec<&Row> = p.lines.iter().map(|l| &l.row).collect();
        assert_eq!(rows[0].condition.as_deref(), Some("NM"));
        assert_eq!(rows[0].price_paid, Some(12.5));
        assert_eq!(rows[1].variant, "normal");
        assert_eq!((p.lines[0].pos, p.lines[1].pos), (2, 4));
    }

    #[test]
    fn each_bad_field_is_one_line_naming_file_line_and_field() {
        let text = "card_id,quantity,variant,condition,acquired_at,price_paid\n\
                    a,-2,,,,\n\
                    b,1.5,,,,\n\
                    c,1,holo foil,Good,2024-13-01,-1\n\
                    d,1\n\
                    a,3,,,,\n";
        assert_eq!(
            problems("c.csv", text),
            vec![
                "c.csv:2: quantity \"-2\": must be a whole number ≥ 1",
                "c.csv:3: quantity \"1.5\": must be a whole number ≥ 1",
                "c.csv:4: acquired_at \"2024-13-01\": must be a date YYYY-MM-DD",
                "c.csv:4: condition \"Good\": must be one of M, NM, LP, MP, HP, D, or empty",
                "c.csv:4: price_paid \"-1\": must be a decimal ≥ 0 (e.g. 12.50)",
                "c.csv:4: variant \"holo foil\": must be a tcgplayer variant key, letters and digits only (normal, holofoil, reverseHolofoil, ...)",
                "c.csv:5: 2 fields, the header has 6",
            ]
        );
        let dup = "card_id,quantity\na,1\nb,1\na,2\n";
        assert_eq!(
            problems("d.csv", dup),
            vec!["d.csv:4: card_id \"a\" variant \"normal\": duplicate of line 2"]
        );
    }

    #[test]
    fn file_level_problems_refuse_the_file() {
        let first = |file: &str, text: &str| match parse(file, text.as_bytes()) {
            Err(Error::Rejected { problems, .. }) => problems[0].clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            first("e.csv", "\u{feff}\r\n"),
            "e.csv: empty file; expected a header line card_id,quantity[,variant,condition,acquired_at,price_paid]"
        );
        assert_eq!(
            first("e.csv", "card_id,qty\n"),
            "e.csv:1: header: unknown column \"qty\"; expected card_id,quantity[,variant,condition,acquired_at,price_paid] (a header line is required)"
        );
        assert_eq!(
            first("e.csv", "card_id,variant\nx,y\n"),
            "e.csv:1: header: missing column \"quantity\"; expected card_id,quantity[,variant,condition,acquired_at,price_paid]"
        );
        assert_eq!(
            first("e.csv", "card_id,quantity\n"),
            "e.csv: no rows after the header"
        );
        assert_eq!(first("e.json", "{\"rows\": []}"), "e.json: no rows");
    }

    #[test]
    fn json_rows_are_checked_like_csv_rows() {
        let text = r#"{"rows": [
            {"card_id": "a", "quantity": 2, "price_paid": 1.25},
            {"card_id": "b", "quantity": 0, "qty": 1},
            {"quantity": 1}
        ]}"#;
        assert_eq!(
            problems("j.json", text),
            vec![
                "j.json: rows[1]: quantity \"0\": must be a whole number ≥ 1",
                "j.json: rows[1]: unknown field \"qty\"; expected card_id, quantity, variant, condition, acquired_at, price_paid",
                "j.json: rows[2]: card_id \"\": must not be empty",
                "j.json: rows[2]: missing field \"card_id\"",
            ]
        );
    }
}
