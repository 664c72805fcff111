//! The one integration-test binary: every lake behaviour runs on a local folder and on S3
//! (LocalStack, started by `tests/run.sh`), against the project's own sample API server.
mod bad_input;
mod collection;
mod config;
mod field_cases;
mod images;
mod ingest;
mod lake;
mod multi_source;
mod proxy;
mod query;
mod readers;
mod reliability;
mod run;
mod silver;
mod species;
mod support;
mod tcgdex;
