//! Table contracts: `schemas/<table>.json` read into Arrow schemas. The only reader of `schemas/`.
//!
//! A contract lists each column's name, type, nullability and meaning. Types are
//! `string`, `int32`, `int64`, `float64`, `boolean`, `date`, `timestamp_ms`, `timestamp_us`
//! (both UTC) and `list<T>` of those. Writers build their batches from [`Contract::arrow_schema`],
//! so the contract and the files cannot drift; [`Contract::check`] compares a written schema.
//!
//! A column marked `"partition": true` lives only in the Hive folder names of the table's files
//! (`price_date=2025-01-06/`), never inside them: [`Contract::file_schema`] is the schema of each
//! file, [`Contract::arrow_schema`] the table as a reader sees it (partition columns last), and
//! [`Contract::partition_columns`] what the query layer registers them as.
//!
//! A contract may derive its columns from another (`"derive": {"from": T, "drop": [..]}`): its
//! own columns first, then `T`'s that it neither names nor drops, in `T`'s order. The four bronze
//! records tables of the second sources take `bronze_tcg_cards`/`_sets`' columns this way, and the
//! per-source silver tables the typed columns of `silver_tcg_cards`/`_sets`, so they cannot drift.
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::Deserialize;

use crate::{Error, Result};

/// Every contract, compiled into the binary from `schemas/`.
const CONTRACTS: &[(&str, &str)] = &[
    (
        "bronze_api_calls",
        include_str!("../../schemas/bronze_api_calls.json"),
    ),
    (
        "bronze_tcg_cards",
        include_str!("../../schemas/bronze_tcg_cards.json"),
    ),
    (
        "bronze_tcg_sets",
        include_str!("../../schemas/bronze_tcg_sets.json"),
    ),
    (
        "bronze_tcgdex_cards",
        include_str!("../../schemas/bronze_tcgdex_cards.json"),
    ),
    (
        "bronze_tcgdex_sets",
        include_str!("../../schemas/bronze_tcgdex_sets.json"),
    ),
    (
        "bronze_pokemontcg_data_cards",
        include_str!("../../schemas/bronze_pokemontcg_data_cards.json"),
    ),
    (
        "bronze_pokemontcg_data_sets",
        include_str!("../../schemas/bronze_pokemontcg_data_sets.json"),
    ),
    (
        "silver_tcg_cards",
        include_str!("../../schemas/silver_tcg_cards.json"),
    ),
    (
        "silver_tcg_card_versions",
        include_str!("../../schemas/silver_tcg_card_versions.json"),
    ),
    (
        "silver_tcg_sets",
        include_str!("../../schemas/silver_tcg_sets.json"),
    ),
    (
        "silver_tcg_card_sources",
        include_str!("../../schemas/silver_tcg_card_sources.json"),
    ),
    (
        "silver_tcg_set_sources",
        include_str!("../../schemas/silver_tcg_set_sources.json"),
    ),
    (
        "silver_tcg_card_prices",
        include_str!("../../schemas/silver_tcg_card_prices.json"),
    ),
    (
        "silver_pokemon_master",
        include_str!("../../schemas/silver_pokemon_master.json"),
    ),
    (
        "silver_data_quality",
        include_str!("../../schemas/silver_data_quality.json"),
    ),
    (
        "silver_watermark",
        include_str!("../../schemas/silver_watermark.json"),
    ),
    (
        "silver_tcg_card_images",
        include_str!("../../schemas/silver_tcg_card_images.json"),
    ),
    (
        "gold_pokemon_generations",
        include_str!("../../schemas/gold_pokemon_generations.json"),
    ),
    (
        "gold_user_collections",
        include_str!("../../schemas/gold_user_collections.json"),
    ),
    (
        "gold_collection_completion",
        include_str!("../../schemas/gold_collection_completion.json"),
    ),
    (
        "gold_collection_value_history",
        include_str!("../../schemas/gold_collection_value_history.json"),
    ),
    (
        "gold_data_quality",
        include_str!("../../schemas/gold_data_quality.json"),
    ),
];

/// One table's contract.
#[derive(Debug, Clone, Deserialize)]
pub struct Contract {
    pub table: String,
    pub layer: String,
    pub description: String,
    pub columns: Vec<Column>,
    /// For a table typed from API records (`silver_tcg_cards`, `silver_tcg_sets`): every field
    /// of the source record with its documented JSON type (`string`, `number`, `array`,
    /// `object`, `boolean`); empty for other tables. A record's departures from it are its
    /// `source_drift` (see `silver::typed::source_drift`).
    #[serde(default)]
    pub source_fields: std::collections::BTreeMap<String, String>,
    /// Columns taken from another contract (see the module docs).
    #[serde(default)]
    derive: Option<Derive>,
}

/// `"derive"`: the contract whose columns this one continues, and those it leaves out.
#[derive(Debug, Clone, Deserialize)]
struct Derive {
    from: String,
    #[serde(default)]
    drop: Vec<String>,
}

/// One column of a contract.
#[derive(Debug, Clone, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
    pub nullable: bool,
    pub description: String,
    /// A Hive partition column: in the folder names only, not in the files.
    #[serde(default)]
    pub partition: bool,
}

impl Contract {
    /// The contract of `table`. Errors: [`Error::Contract`] when there is none or it is malformed.
    pub fn load(table: &str) -> Result<Contract> {
        let (_, text) = CONTRACTS
            .iter()
            .find(|(name, _)| *name == table)
            .ok_or_else(|| contract_error(table, "*", "no contract in schemas/"))?;
        let mut c: Contract = serde_json::from_str(text)
            .map_err(|e| contract_error(table, "*", &format!("schemas/{table}.json: {e}")))?;
        if let Some(d) = c.derive.take() {
            let base = Contract::load(&d.from)?;
            for name in &d.drop {
                if !base.columns.iter().any(|col| &col.name == name) {
                    let detail = format!("derive drops {name:?}, which {} lacks", d.from);
                    return Err(contract_error(table, name, &detail));
                }
            }
            let inherited: Vec<Column> = base
                .columns
                .into_iter()
                .filter(|b| {
                    !d.drop.contains(&b.name) && !c.columns.iter().any(|o| o.name == b.name)
                })
                .collect();
            c.columns.extend(inherited);
        }
        for col in &c.columns {
            parse_type(&col.data_type).ok_or_else(|| {
                contract_error(
                    table,
                    &col.name,
                    &format!("unknown type {:?}", col.data_type),
                )
            })?;
        }
        if let Some(i) = c.columns.iter().position(|col| col.partition) {
            if let Some(col) = c.columns[i..].iter().find(|col| !col.partition) {
                let detail = "partition columns come last (readers append them after the file's)";
                return Err(contract_error(table, &col.name, detail));
            }
        }
        Ok(c)
    }

    /// Names of every table with a contract.
    pub fn tables() -> impl Iterator<Item = &'static str> {
        CONTRACTS.iter().map(|(n, _)| *n)
    }

    /// The Arrow schema the contract describes.
    pub fn arrow_schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| {
                let t = parse_type(&c.data_type).expect("checked in load");
                Field::new(&c.name, t, c.nullable)
            })
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// The schema of each of the table's files: [`Contract::arrow_schema`] without the partition
    /// columns.
    pub fn file_schema(&self) -> SchemaRef {
        let full = self.arrow_schema();
        let fields: Vec<Field> = self
            .columns
            .iter()
            .zip(full.fields())
            .filter(|(c, _)| !c.partition)
            .map(|(_, f)| f.as_ref().clone())
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// The partition columns, in folder order, with their types.
    pub fn partition_columns(&self) -> Vec<(String, DataType)> {
        self.columns
            .iter()
            .filter(|c| c.partition)
            .map(|c| {
                (
                    c.name.clone(),
                    parse_type(&c.data_type).expect("checked in load"),
                )
            })
            .collect()
    }

    /// Compares a written schema with the contract: same names, order, types and nullability.
    ///
    /// Errors: [`Error::Contract`] naming the first column that differs.
    pub fn check(&self, actual: &Schema) -> Result<()> {
        self.compare(&self.arrow_schema(), actual)
    }

    /// Compares the schema of one written file with [`Contract::file_schema`].
    pub fn check_file(&self, actual: &Schema) -> Result<()> {
        self.compare(&self.file_schema(), actual)
    }

    fn compare(&self, expected: &Schema, actual: &Schema) -> Result<()> {
        if expected.fields().len() != actual.fields().len() {
            return Err(contract_error(
                &self.table,
                "*",
                &format!(
                    "{} columns written, {} in the contract",
                    actual.fields().len(),
                    expected.fields().len()
                ),
            ));
        }
        for (e, a) in expected.fields().iter().zip(actual.fields()) {
            if e.name() != a.name()
                || e.data_type() != a.data_type()
                || e.is_nullable() != a.is_nullable()
            {
                return Err(contract_error(
                    &self.table,
                    e.name(),
                    &format!(
                        "written as {} {} (nullable {}), contract says {} (nullable {})",
                        a.name(),
                        a.data_type(),
                        a.is_nullable(),
                        e.data_type(),
                        e.is_nullable()
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn contract_error(table: &str, column: &str, detail: &str) -> Error {
    Error::Contract {
        table: table.to_string(),
        column: column.to_string(),
        detail: detail.to_string(),
    }
}

fn parse_type(t: &str) -> Option<DataType> {
    let utc = || Some(Arc::from("UTC"));
    Some(match t.trim() {
        "string" => DataType::Utf8,
        "int32" => DataType::Int32,
        "int64" => DataType::Int64,
        "float64" => DataType::Float64,
        "boolean" => DataType::Boolean,
        "date" => DataType::Date32,
        "timestamp_ms" => DataType::Timestamp(TimeUnit::Millisecond, utc()),
        "timestamp_us" => DataType::Timestamp(TimeUnit::Microsecond, utc()),
        other => {
            let inner = other.strip_prefix("list<")?.strip_suffix('>')?;
            DataType::List(Arc::new(Field::new("item", parse_type(inner)?, true)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contract_loads() {
        for t in Contract::tables() {
            let c = Contract::load(t).unwrap();
            assert_eq!(c.table, t);
            assert!(!c.columns.is_empty());
        }
    }

    #[test]
    fn lists_and_timestamps_parse() {
        assert_eq!(
            parse_type("list<int32>"),
            Some(DataType::List(Arc::new(Field::new(
                "item",
                DataType::Int32,
                true
            ))))
        );
        assert!(parse_type("timestamp_ns").is_none());
    }
}
