//! S3 from the standard AWS environment, with the checks object_store leaves to the caller.
//!
//! Read: `AWS_ENDPOINT_URL_S3` (wins) or `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (default `us-east-1`), `AWS_ALLOW_HTTP`.
//! A plain-`http://` endpoint needs `AWS_ALLOW_HTTP=true`; without static credentials (or a web
//! identity / container credential source) the lake is refused at once instead of waiting on the
//! instance-metadata address: object_store has no `~/.aws` profile support.
//!
//! Failed requests (5xx, throttling, connection errors, timeouts) are retried with backoff for
//! up to `POKELAKE_S3_RETRY_SECS` seconds (default 180, object_store's own default), so a short
//! S3 outage is ridden out and a long one fails the command naming the key.
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};

use crate::{Error, Result};

/// Variables pokelake reads for an S3 lake, listed in errors.
pub const S3_VARS: &str = "AWS_ENDPOINT_URL_S3 | AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_ALLOW_HTTP";

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub(super) fn build(uri: &str, bucket: &str) -> Result<AmazonS3> {
    let config = |reason: String| Error::LakeConfig {
        uri: uri.to_string(),
        reason,
    };
    let endpoint = var("AWS_ENDPOINT_URL_S3").or_else(|| var("AWS_ENDPOINT_URL"));
    let allow_http = var("AWS_ALLOW_HTTP").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    if let Some(ep) = &endpoint {
        if ep.starts_with("http://") && !allow_http {
            return Err(config(format!(
                "endpoint {ep} is plain HTTP; set AWS_ALLOW_HTTP=true to allow it"
            )));
        }
        builder = builder
            .with_endpoint(ep)
            .with_config(AmazonS3ConfigKey::VirtualHostedStyleRequest, "false");
        if ep.starts_with("http://") {
            tracing::info!(endpoint = %ep, "S3 endpoint is plain HTTP (AWS_ALLOW_HTTP=true)");
        }
    }
    if let Some(secs) = var("POKELAKE_S3_RETRY_SECS") {
        let secs: f64 = secs.trim().parse().map_err(|_| {
            config(format!(
                "POKELAKE_S3_RETRY_SECS={secs:?} is not a number of seconds"
            ))
        })?;
        builder = builder.with_retry(object_store::RetryConfig {
            retry_timeout: std::time::Duration::from_secs_f64(secs.max(0.0)),
            ..Default::default()
        });
    }
    if var("AWS_REGION").is_none() && var("AWS_DEFAULT_REGION").is_none() {
        builder = builder.with_region("us-east-1");
    }
    let has_static = var("AWS_ACCESS_KEY_ID").is_some() && var("AWS_SECRET_ACCESS_KEY").is_some();
    let has_dynamic = var("AWS_WEB_IDENTITY_TOKEN_FILE").is_some()
        || var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || var("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some();
    if !has_static && !has_dynamic {
        return Err(config(format!(
            "no AWS credentials in the environment (profiles in ~/.aws are not read); set {S3_VARS}"
        )));
    }
    builder
        .build()
        .map_err(|e| config(format!("{e}; pokelake reads {S3_VARS}")))
}
