//! Lake configuration from the environment: unknown schemes here; plain-HTTP endpoints, endpoint
//! precedence, missing credentials and profiles are issue 10 case 8 in `field_cases`, with
//! [`ingest`]. Each fails within seconds, before any API call, writing nothing.
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::bin;

pub(crate) const AWS_VARS: [&str; 8] = [
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
pub(crate) fn ingest(lake: &str, env: &[(&str, &str)]) -> (Output, Duration) {
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

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
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
