//! `pokelake images`: download the card images silver lists, store them in the lake, publish
//! `silver_tcg_card_images` (also a step of `pokelake run --images`).
//!
//! Examples:
//!   pokelake images                                   # ./lake, from the live image host
//!   pokelake images --sample                          # a lake built with --source sample
//!   pokelake images --image-base-url https://cdn.example.com/lake
//!   pokelake run --all --source sample --images       # the whole job with the image step
//!
//! Exit 0 when the table was written, misses and broken images included (they are rows, and
//! misses are retried by the next run); 1 on a lake or usage error.
use std::time::Duration;

use clap::Args;

use super::{locked, open_lake, Exit, SummaryFormat};
use crate::devapi::{DevApi, DevApiConfig, IMAGE_HOST};
use crate::images::{self, Options, Summary};
use crate::lake::Lake;
use crate::progress::ProgressMode;
use crate::source::http::HttpConfig;
use crate::{Error, Result};

/// How the image step fetches and publishes (shared by `images` and `run --images`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Images")]
pub struct ImageArgs {
    /// Image downloads a minute (0 = no limit): the image host's own throttle.
    #[arg(long, env = "POKELAKE_IMAGE_RATE_PER_MINUTE", default_value_t = 300.0)]
    pub image_rate_per_minute: f64,
    /// Image downloads in flight at once.
    #[arg(long, env = "POKELAKE_IMAGE_CONCURRENCY", default_value_t = 4)]
    pub image_concurrency: usize,
    /// Public base URL of the lake's objects (e.g. a CDN in front of the bucket): the table's
    /// public_* columns are `<base>/images/sha256/...`; none when unset.
    #[arg(long, env = "POKELAKE_IMAGE_BASE_URL")]
    pub image_base_url: Option<String>,
    /// Fetch URLs starting with FROM from TO instead (FROM=TO, repeatable): a mirror. The table
    /// keeps the URL silver lists.
    #[arg(long = "image-mirror", value_name = "FROM=TO", value_parser = parse_mirror)]
    pub image_mirrors: Vec<(String, String)>,
}

#[derive(Debug, Clone, Args)]
pub struct ImagesArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// The lake was built with `--source sample`: serve its image host
    /// (https://images.example.test) from an in-process sample API.
    #[arg(long)]
    pub sample: bool,
    /// Summary format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: SummaryFormat,
}

fn parse_mirror(s: &str) -> std::result::Result<(String, String), String> {
    match s.split_once('=') {
        Some((from, to)) if !from.is_empty() && !to.is_empty() => {
            Ok((from.to_string(), to.trim_end_matches('/').to_string()))
        }
        _ => Err(format!(
            "{s:?}: expected FROM=TO, e.g. https://images.pokemontcg.io=http://mirror.local/ptcg"
        )),
    }
}

pub async fn run(args: ImagesArgs, lake: &str, progress: ProgressMode) -> Result<Exit> {
    let lake = open_lake(lake).await?;
    let run_id = format!("images-{}", crate::bronze::new_run_id());
    let s = locked(
        &lake,
        &run_id,
        step(&args.image, &lake, &run_id, progress, args.sample),
    )
    .await?;
    if args.format == SummaryFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&s).expect("summary serializes")
        );
    } else {
        print!("{}", summary(&s, lake.uri()));
    }
    Ok(Exit::Ok)
}

/// The image step: with `sample`, an in-process sample API plays the sample's image host
/// (unthrottled) for the duration of the step.
///
/// Errors: as [`images::run`]; [`Error::Io`] when the sample API cannot start.
pub(crate) async fn step(
    args: &ImageArgs,
    lake: &Lake,
    run_id: &str,
    progress: ProgressMode,
    sample: bool,
) -> Result<Summary> {
    let rate = if sample {
        0.0
    } else {
        args.image_rate_per_minute
    };
    let mut opts = Options {
        http: HttpConfig {
            per_minute: (rate > 0.0).then_some(rate),
            concurrency: args.image_concurrency.max(1),
            timeout: Duration::from_secs(60),
            ..HttpConfig::default()
        },
        mirrors: args.image_mirrors.clone(),
        public_base_url: args.image_base_url.clone(),
        run_id: run_id.to_string(),
        progress,
    };
    let api = if sample {
        let cfg = DevApiConfig {
            sets: 1,
            ..DevApiConfig::default()
        };
        let api = DevApi::start(cfg).await.map_err(|e| Error::Io {
            path: "sample API on 127.0.0.1".into(),
            source: e,
        })?;
        opts.mirrors
            .push((IMAGE_HOST.to_string(), api.images_url()));
        Some(api)
    } else {
        None
    };
    let result = images::run(lake, &opts).await;
    if let Some(api) = api {
        api.shutdown().await;
    }
    result
}

/// The text summary: counts, the benchmark line, the table written.
pub(crate) fn summary(s: &Summary, lake: &str) -> String {
    let mb = |b: u64| b as f64 / 1_048_576.0;
    let saved_pct = if s.original_bytes > 0 {
        100.0 * s.bytes_saved as f64 / s.original_bytes as f64
    } else {
        0.0
    };
    format!(
        "images  {lake}\n  \
         cards    {} with {} image URLs; {} already done, {} URLs fetched ({} requests)\n  \
         result   {} downloaded, {} stored, {} reused, {} missing, {} broken; {} objects created\n  \
         bench    {:.1} images/s over {:.2} s; originals {:.2} MB → WebP {:.2} MB, saved {:.2} MB ({saved_pct:.0}%)\n  \
         wrote    silver_tcg_card_images {} rows\n",
        s.cards,
        s.images,
        s.already,
        s.fetched_urls,
        s.requests,
        s.downloaded,
        s.stored,
        s.reused,
        s.missing,
        s.broken,
        s.objects_created,
        s.images_per_second,
        s.seconds,
        mb(s.original_bytes),
        mb(s.webp_bytes),
        s.bytes_saved as f64 / 1_048_576.0,
        s.rows,
    )
}
