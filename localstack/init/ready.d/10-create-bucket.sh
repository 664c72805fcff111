#!/usr/bin/env bash
# LocalStack init hook (runs inside the container when LocalStack is ready):
# create the pokelake bucket. Idempotent.
set -euo pipefail

bucket="${POKELAKE_BUCKET:-pokelake}"

if awslocal s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
  echo "pokelake: bucket '$bucket' already exists"
else
  awslocal s3api create-bucket --bucket "$bucket" >/dev/null
  echo "pokelake: created bucket '$bucket'"
fi
