#!/usr/bin/env bash
# The whole test suite (the README's test command): starts the project's LocalStack (local S3),
# runs every test (unit tests and the `it` integration binary) against a local folder and S3,
# then stops LocalStack again. Extra arguments go to `cargo test` (e.g. a test name filter).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash localstack/s3.sh start
trap 'bash localstack/s3.sh stop' EXIT
eval "$(bash localstack/s3.sh env)"
POKELAKE_TEST_PYTHON="$(bash tests/python/setup.sh)"   # DuckDB, pyarrow, polars, pandas
export POKELAKE_TEST_PYTHON
export POKELAKE_TEST_S3_REQUIRED=1

cargo test --all-targets "$@"
