//! # pokelake — Pokémon TCG card data as a bronze → silver → gold Parquet lake
//!
//! ```text
//!   source/            bronze/                    silver/                 gold/              query/
//!   API clients  ──►   raw responses, byte  ──►   typed, deduplicated ──► marts for     ──►  read-only SQL
//!   (pokemontcg,       for byte, create-only      linked tables with      users and          over every
//!    tcgdex, sample,   + call log + manifest      lineage                 analysts           layer's tables
//!    pokeapi, files of
//!    pokemon-tcg-data)
//! ```
//!
//! ## The lake's key tree (relative to the lake root: a folder or `s3://bucket/prefix`)
//! ```text
//! bronze/<table>/year=YYYY/month=MM/day=DD/<run_id>/<query>-<page>.json   raw bodies, never modified
//! bronze/_calls/year=Y/month=M/day=D/<run_id>-<part>.parquet                one row per HTTP call (bronze_api_calls), in parts
//! _runs/<run_id>.json                                                     run manifest: asked, counts, outcome
//! _lock/run/<n>.json                                                      the run lock (create-only, leased)
//! staging/bronze_tcg_<name>/year=Y/month=M/day=D/<run_id>.parquet          bronze records as tables (bronze_tcg_*)
//! silver/<table>/part-0.parquet                                           silver tables (silver_<table>)
//! silver/tcg_card_prices/price_date=YYYY-MM-DD/part-0.parquet             silver prices, one file per price date
//! silver/_watermark/part-0.parquet                                        bronze pages silver consumed (commit point)
//! gold/<table>/part-0.parquet                                             gold tables (gold_<table>)
//! gold/<user table>/bucket=N/part-0.parquet                               gold user tables, 16 buckets by user
//! landing/collections/user=<id>/<YYYYMMDDTHHMMSSmmmZ>-<seq>.json          collection events (create-only)
//! images/sha256/<sha256>.<png|jpg|webp>                                card pictures and WebP renditions (create-only, [`images`])
//! ```
//! Contracts for every table are in `schemas/` ([`contract`]); transform SQL is in `queries/`.
//! Everything reaches storage through [`lake::Lake`]; nothing writes to a local disk behind it.
pub mod bench;
pub mod bronze;
pub mod cli;
pub mod collection;
pub mod contract;
pub mod devapi;
pub mod error;
pub mod gold;
pub mod images;
pub mod lake;
pub mod progress;
pub mod query;
pub mod silver;
pub mod source;

pub use error::{Error, Result};
