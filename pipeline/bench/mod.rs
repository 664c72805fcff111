//! `pokelake bench`: bronze → silver → gold at backfill scale, measured against DuckDB in the
//! same run.
//!
//! - Reads: nothing outside its own lake (a fresh temp folder, or an empty `--lake` folder).
//! - Writes: a generated bronze lake ([`generate`]), then runs each measured step as a child
//!   process of this same binary ([`child`]): `silver --full-refresh` over N days, DuckDB doing
//!   the same bronze → distinct typed records job (`bench/duckdb_silver.py`, in the venv of
//!   `tests/python/setup.sh`), one incremental `silver` of day N+1, `gold` over U users × C cards,
//!   one user's `query --file user_collection` from a cold process, and `images --sample` over
//!   the pictures of two sample sets (in a second lake built by `run --source sample`).
//! - Guarantees: the inputs are a pure function of (seed, days, scale, users, cards per user);
//!   each step's peak RSS is its own process's (`wait4`), never the harness's.
//! - Reports, per step: wall time, records/s, MB/s of bronze JSON, peak RSS, bytes written;
//!   then the pokelake/DuckDB ratios of wall time and peak RSS, and the images step's images per
//!   second and bytes saved by WebP.
pub mod child;
pub mod generate;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use serde::Serialize;

use crate::devapi::Catalog;
use crate::lake::Lake;
use crate::{Error, Result};

const DUCKDB_SCRIPT: &str = include_str!("duckdb_silver.py");

/// What to generate and run.
#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    /// Bronze days of the full replay (the incremental step adds one more).
    pub days: u32,
    /// Cards in the catalogue, each on every day.
    pub scale: usize,
    pub users: usize,
    pub cards_per_user: usize,
    /// The lake folder; `None`: a temp folder, removed at the end.
    pub lake: Option<PathBuf>,
    pub skip_duckdb: bool,
    /// Python with `duckdb`; `None`: the venv of `tests/python/setup.sh` (made on first use).
    pub python: Option<PathBuf>,
}

/// Generation, run in a child of the harness (so the harness stays small: a child's peak RSS
/// counts the memory of the process it was spawned from).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stage {
    /// Bronze days `from_day .. from_day + days`.
    Bronze,
    /// The users' collections.
    Collections,
}

/// Runs one generation `stage` into the lake folder `lake` and prints what it wrote as JSON.
pub async fn generate_stage(opts: &Options, stage: Stage, from_day: u32) -> Result<()> {
    let dir = opts
        .lake
        .as_ref()
        .ok_or_else(|| Error::Usage("bench --stage needs --lake".into()))?;
    let lake = Lake::open(&dir.display().to_string())?;
    let sets = generate::sets_for(opts.seed, opts.scale);
    let out = match stage {
        Stage::Bronze => {
            let days = from_day..from_day + opts.days;
            let b = generate::bronze(&lake, opts.seed, sets, opts.scale, days).await?;
            serde_json::to_string(&b)
        }
        Stage::Collections => {
            let catalog = Catalog::generate(opts.seed, sets, from_day);
            let rows = generate::collections(
                &lake,
                opts.seed,
                &catalog,
                opts.scale,
                opts.users,
                opts.cards_per_user,
            )
            .await?;
            serde_json::to_string(&rows)
        }
    };
    println!("{}", out.expect("plain data serializes"));
    Ok(())
}

/// One measured step.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: String,
    pub wall_s: f64,
    /// Records the step processed (bronze records, collection rows, rows shown).
    pub records: u64,
    /// Bronze JSON the step read, bytes (0 when it reads none).
    pub bronze_bytes: u64,
    pub peak_rss_bytes: u64,
    /// Bytes of the files the step wrote.
    pub output_bytes: u64,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub seed: u64,
    pub days: u32,
    pub scale: usize,
    pub users: usize,
    pub cards_per_user: usize,
    pub cores: usize,
    pub bronze: generate::Bronze,
    pub generate_s: f64,
    pub collections_s: f64,
    pub steps: Vec<Step>,
    /// pokelake full replay / DuckDB: wall time and peak RSS (lower is better for pokelake).
    pub wall_ratio: Option<f64>,
    pub rss_ratio: Option<f64>,
    /// The images step's summary: images per second, bytes saved by WebP.
    pub images: crate::images::Summary,
}

/// Runs the benchmark (see the module doc), one line per phase on stderr.
pub async fn run(opts: &Options) -> Result<Report> {
    let (dir, temp) = match &opts.lake {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("pokelake-bench-{}", std::process::id())),
            true,
        ),
    };
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Error::Usage(format!(
            "--lake {}: not empty; the benchmark needs an empty or new folder",
            dir.display()
        )));
    }
    let result = measure(opts, &dir).await;
    if temp {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn measure(opts: &Options, dir: &Path) -> Result<Report> {
    let lake_dir = dir.join("lake");
    let work = dir.join("work");
    std::fs::create_dir_all(&lake_dir).map_err(|source| Error::Io {
        path: lake_dir.display().to_string(),
        source,
    })?;
    let exe = std::env::current_exe().map_err(|source| Error::Io {
        path: "current executable".into(),
        source,
    })?;
    let pokelake = |args: &[&str]| {
        let mut c = Command::new(&exe);
        c.arg("--lake")
            .arg(&lake_dir)
            .args(["--progress", "off", "--log", "warn"])
            .args(args);
        c
    };

    eprintln!(
        "bench: generating {} days × {} cards into {} (no HTTP: pages written straight to bronze)",
        opts.days,
        opts.scale,
        lake_dir.display()
    );
    let seed = opts.seed.to_string();
    let scale = opts.scale.to_string();
    let generate = |stage: &str, from_day: u32, days: u32| {
        let (from, days) = (from_day.to_string(), days.to_string());
        let (users, per_user) = (opts.users.to_string(), opts.cards_per_user.to_string());
        pokelake(&[
            "bench",
            "--stage",
            stage,
            "--from-day",
            &from,
            "--days",
            &days,
            "--seed",
            &seed,
            "--scale",
            &scale,
            "--users",
            &users,
            "--cards-per-user",
            &per_user,
        ])
    };
    let ran = child::run("generate-bronze", generate("bronze", 0, opts.days), &work)?;
    let bronze: generate::Bronze = parse_json("bench --stage bronze", &ran.stdout)?;
    let generate_s = ran.wall_s;
    let mut steps = Vec::new();

    eprintln!("bench: silver full replay");
    let start = SystemTime::now();
    let ran = child::run(
        "silver-full",
        pokelake(&["silver", "--full-refresh", "--format", "json"]),
        &work,
    )?;
    steps.push(Step {
        name: format!("silver full replay ({} d)", opts.days),
        wall_s: ran.wall_s,
        records: silver_records(&ran.stdout)?,
        bronze_bytes: bronze.bytes,
        peak_rss_bytes: ran.peak_rss,
        output_bytes: written_since(&lake_dir, start),
    });

    let mut wall_ratio = None;
    let mut rss_ratio = None;
    if !opts.skip_duckdb {
        eprintln!("bench: DuckDB bronze → silver (same bronze)");
        let python = match &opts.python {
            Some(p) => p.clone(),
            None => venv_python(&work)?,
        };
        let script = work.join("duckdb_silver.py");
        std::fs::write(&script, DUCKDB_SCRIPT).map_err(|source| Error::Io {
            path: script.display().to_string(),
            source,
        })?;
        let out = work.join("duckdb_silver.parquet");
        let mut cmd = Command::new(&python);
        cmd.arg(&script).arg(&lake_dir).arg(&out);
        let ran = child::run("duckdb-silver", cmd, &work)?;
        #[derive(serde::Deserialize)]
        struct Duck {
            records: u64,
            bytes: u64,
        }
        let d: Duck = parse_json("duckdb_silver.py", &ran.stdout)?;
        let ours = &steps[0];
        wall_ratio = Some(ours.wall_s / ran.wall_s);
        rss_ratio = Some(ours.peak_rss_bytes as f64 / ran.peak_rss as f64);
        steps.push(Step {
            name: format!("duckdb same job ({} d)", opts.days),
            wall_s: ran.wall_s,
            records: d.records,
            bronze_bytes: bronze.card_bytes,
            peak_rss_bytes: ran.peak_rss,
            output_bytes: d.bytes,
        });
    }

    eprintln!("bench: silver incremental (day {})", opts.days + 1);
    let ran = child::run("generate-day", generate("bronze", opts.days, 1), &work)?;
    let extra: generate::Bronze = parse_json("bench --stage bronze", &ran.stdout)?;
    let start = SystemTime::now();
    let ran = child::run(
        "silver-incremental",
        pokelake(&["silver", "--format", "json"]),
        &work,
    )?;
    steps.push(Step {
        name: "silver incremental (+1 d)".into(),
        wall_s: ran.wall_s,
        records: silver_records(&ran.stdout)?,
        bronze_bytes: extra.bytes,
        peak_rss_bytes: ran.peak_rss,
        output_bytes: written_since(&lake_dir, start),
    });

    eprintln!(
        "bench: landing collections of {} users × {} cards",
        opts.users, opts.cards_per_user
    );
    let ran = child::run(
        "generate-collections",
        generate("collections", opts.days, 1),
        &work,
    )?;
    let rows: usize = parse_json("bench --stage collections", &ran.stdout)?;
    let collections_s = ran.wall_s;

    eprintln!("bench: gold");
    let start = SystemTime::now();
    let ran = child::run("gold", pokelake(&["gold", "--format", "json"]), &work)?;
    steps.push(Step {
        name: format!("gold ({} users × {})", opts.users, opts.cards_per_user),
        wall_s: ran.wall_s,
        records: rows as u64,
        bronze_bytes: 0,
        peak_rss_bytes: ran.peak_rss,
        output_bytes: written_since(&lake_dir, start),
    });

    if opts.users > 0 {
        eprintln!("bench: one user's collection view, cold process");
        let user = generate::user_id(opts.users / 2);
        let param = format!("user={user}");
        let ran = child::run(
            "view",
            pokelake(&[
                "query",
                "--file",
                "user_collection",
                "--param",
                &param,
                "--format",
                "csv",
            ]),
            &work,
        )?;
        let lines = ran.stdout.iter().filter(|b| **b == b'\n').count() as u64;
        steps.push(Step {
            name: "one user's view (cold)".into(),
            wall_s: ran.wall_s,
            records: lines.saturating_sub(1),
            bronze_bytes: 0,
            peak_rss_bytes: ran.peak_rss,
            output_bytes: ran.stdout.len() as u64,
        });
    }

    let images = images_step(&exe, &dir.join("images-lake"), &work)?;
    steps.push(images.0);

    Ok(Report {
        seed: opts.seed,
        days: opts.days,
        scale: opts.scale,
        users: opts.users,
        cards_per_user: opts.cards_per_user,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        bronze,
        generate_s,
        collections_s,
        steps,
        wall_ratio,
        rss_ratio,
        images: images.1,
    })
}

/// Cards of the sample the images step downloads the pictures of: [`IMAGE_SETS`] sets.
const IMAGE_SETS: &str = "2";

/// The images step: a lake of the sample API's first [`IMAGE_SETS`] sets (built unmeasured),
/// then `pokelake images --sample` measured: its downloads, stores and WebP renditions.
fn images_step(exe: &Path, lake: &Path, work: &Path) -> Result<(Step, crate::images::Summary)> {
    eprintln!("bench: images of {IMAGE_SETS} sample sets (the sample API serves the pictures)");
    let pokelake = |args: &[&str]| {
        let mut c = Command::new(exe);
        c.arg("--lake")
            .arg(lake)
            .args(["--progress", "off", "--log", "warn"])
            .args(args);
        c
    };
    let setup = [
        "run",
        "--all",
        "--source",
        "sample",
        "--sample-sets",
        IMAGE_SETS,
        "--no-species",
        "--show",
        "none",
    ];
    child::run("images-lake", pokelake(&setup), work)?;
    let start = SystemTime::now();
    let args = [
        "images",
        "--sample",
        "--image-rate-per-minute",
        "0",
        "--format",
        "json",
    ];
    let ran = child::run("images", pokelake(&args), work)?;
    let summary: crate::images::Summary = parse_json("pokelake images", &ran.stdout)?;
    let step = Step {
        name: format!("images ({} URLs)", summary.fetched_urls),
        wall_s: ran.wall_s,
        records: summary.downloaded as u64,
        bronze_bytes: 0,
        peak_rss_bytes: ran.peak_rss,
        output_bytes: written_since(lake, start),
    };
    Ok((step, summary))
}

/// A child's JSON output, `what` naming the child.
fn parse_json<T: serde::de::DeserializeOwned>(what: &str, stdout: &[u8]) -> Result<T> {
    serde_json::from_slice(stdout).map_err(|e| Error::Json {
        location: format!("output of {what}"),
        detail: e.to_string(),
    })
}

/// Records a `silver --format json` summary says it read (cards and sets).
fn silver_records(stdout: &[u8]) -> Result<u64> {
    let v: serde_json::Value = parse_json("silver --format json", stdout)?;
    let n = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
    Ok(n("card_records") + n("set_records"))
}

/// Bytes of the files under `dir` modified at or after `since` (bronze excluded).
fn written_since(dir: &Path, since: SystemTime) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                if path
                    .file_name()
                    .is_some_and(|n| n != "bronze" && n != "landing")
                {
                    stack.push(path);
                }
            } else if meta.modified().is_ok_and(|m| m >= since) {
                total += meta.len();
            }
        }
    }
    total
}

/// The venv python of `tests/python/setup.sh` (creating the venv on first use).
fn venv_python(work: &Path) -> Result<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/setup.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(&script);
    let ran = child::run("python-setup", cmd, work)?;
    let path = String::from_utf8_lossy(&ran.stdout).trim().to_string();
    if path.is_empty() {
        return Err(Error::Usage(format!(
            "{} printed no python path; give --python",
            script.display()
        )));
    }
    Ok(PathBuf::from(path))
}

/// The report as the terminal table.
pub fn render(r: &Report) -> String {
    use std::fmt::Write;
    let mb = |b: u64| b as f64 / 1e6;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "bronze: {} days + 1 × {} cards, {} pages, {} records, {:.0} MB JSON (generated in {:.1} s); \
         collections: {} users × {} cards (landed in {:.1} s); {} cores",
        r.days,
        r.scale,
        r.bronze.pages,
        r.bronze.records,
        mb(r.bronze.bytes),
        r.generate_s,
        r.users,
        r.cards_per_user,
        r.collections_s,
        r.cores
    );
    let _ = writeln!(
        s,
        "{:<30} {:>8} {:>10} {:>10} {:>8} {:>12} {:>10}",
        "step", "wall s", "records", "records/s", "MB/s", "peak RSS MB", "output MB"
    );
    for st in &r.steps {
        let per_s = |x: f64| if st.wall_s > 0.0 { x / st.wall_s } else { 0.0 };
        let mbs = if st.bronze_bytes > 0 {
            format!("{:.0}", per_s(mb(st.bronze_bytes)))
        } else {
            "-".into()
        };
        let _ = writeln!(
            s,
            "{:<30} {:>8.2} {:>10} {:>10.0} {:>8} {:>12.0} {:>10.1}",
            st.name,
            st.wall_s,
            st.records,
            per_s(st.records as f64),
            mbs,
            mb(st.peak_rss_bytes),
            mb(st.output_bytes)
        );
    }
    if let (Some(w), Some(m)) = (r.wall_ratio, r.rss_ratio) {
        let _ = writeln!(
            s,
            "pokelake/DuckDB (full replay): wall time {w:.2}× (throughput {:.2}×), peak RSS {m:.2}×",
            1.0 / w
        );
    }
    let i = &r.images;
    let saved = if i.original_bytes > 0 {
        100.0 * i.bytes_saved as f64 / i.original_bytes as f64
    } else {
        0.0
    };
    let _ = writeln!(
        s,
        "images: {:.1} images/s; WebP (734 px) {:.2} MB for {:.2} MB of originals: {saved:.0} % saved",
        i.images_per_second,
        mb(i.webp_bytes),
        mb(i.original_bytes)
    );
    s
}
