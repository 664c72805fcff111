//! Lake configuration from the environment: plain-HTTP endpoints, endpoint precedence, missing
//! credentials, unknown schemes. Each fails within seconds, before any API call, writing nothing.
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::bin;

const AWS_VARS: [&str; 8] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ALLOW_HTTP",
    "AWS_DEFAULT_REGION",
];

/// `pokelake ingest --set base1 --source sample` with exactly `env` as the AWS environment.
fn ingest(lake: &str, env: &[(&str, &str)]) -> (Output, Duration) {
    let mut cmd = Command::new(bin());
    cmd.args([
        "ingest", "--set", "base1", "--source", "sample", "--lake", lake,
    ]);
    for v in AWS_VARS {
        cmd.env_remove(v);
    }
    cmd.envs(env.iter().copied());
    let start = Instant::now();
    let out = cmd.output().unwrap();
    (out, start.elapsed())
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_plain_http_endpoint_needs_aws_allow_http() {
    let (out, took) = ingest(
        "s3://pokelake/t/cfg-http",
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "error: lake s3://pokelake/t/cfg-http: endpoint http://127.0.0.1:4566 is plain HTTP; set AWS_ALLOW_HTTP=true to allow it"
    );
    assert!(took < Duration::from_secs(5));
}

#[test]
fn missing_credentials_fail_at_once_listing_the_variables() {
    let (out, took) = ingest(
        "s3://pokelake/t/cfg-creds",
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            ("AWS_ALLOW_HTTP", "true"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(
        e.contains("no AWS credentials in the environment (profiles in ~/.aws are not read)"),
        "{e}"
    );
    assert!(
        e.contains("AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"),
        "{e}"
    );
    assert!(took < Duration::from_secs(5));
}

#[test]
fn an_unknown_scheme_is_a_usage_error() {
    let (out, _) = ingest("gs://bucket/lake", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown scheme \"gs\""),
        "{}",
        stderr(&out)
    );
}

/// Needs LocalStack (`POKELAKE_TEST_S3`); skipped loudly without it unless S3 is required.
#[test]
fn aws_endpoint_url_s3_wins_over_aws_endpoint_url() {
    let Ok(base) = std::env::var("POKELAKE_TEST_S3") else {
        assert!(
            std::env::var("POKELAKE_TEST_S3_REQUIRED").is_err(),
            "S3 is required"
        );
        eprintln!(
            "SKIPPING aws_endpoint_url_s3_wins_over_aws_endpoint_url: POKELAKE_TEST_S3 is not set"
        );
        return;
    };
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let lake = format!("{base}/t/cfg-endpoint-{}", std::process::id());
    let (out, _) = ingest(
        &lake,
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_ENDPOINT_URL_S3", &endpoint),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_ALLOW_HTTP", "true"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("succeeded"), "{stdout}");
    for secret in ["AWS_SECRET_ACCESS_KEY=test", "secret_access_key"] {
        assert!(!stdout.contains(secret) && !stderr(&out).contains(secret));
    }
}
