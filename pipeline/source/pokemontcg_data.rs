//! The frozen pokemon-tcg-data repository as a file source (`--source pokemontcg-data:<path>`):
//! a local checkout of github.com/PokemonTCG/pokemon-tcg-data, so a historical backfill needs no
//! API call at all.
//!
//! - Reads: `<path>/sets/en.json` (an array of set objects) and `<path>/cards/en/<set id>.json`
//!   (an array of that set's cards), in the Pokémon TCG API v2's record shapes.
//! - Lands: each file's bytes, unchanged, as one bronze object, like a response: tables
//!   `pokemontcg_data_sets` and `pokemontcg_data_cards` with the layout and guarantees of every
//!   bronze table (create-only, same-day resume). Each file is one planned query whose `endpoint`
//!   is its path inside the checkout (`cards/en/base1.json`) and whose `params` is
//!   `commit=<sha>` when the checkout is a git repository (read from `.git/HEAD` and its ref,
//!   loose or packed), so the call log's row for the file names the data's version.
//! - Checks: a file must be a JSON array, else the run reports it (one line naming the file) and
//!   it does not land. `--all` reads every card file, `--set <id>` the files of those sets (an id
//!   without a file is refused before anything lands); other selections are refused.
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::Utc;

use super::http::HttpConfig;
use super::{Selection, Source};
use crate::bronze::{Lander, QuerySpec};
use crate::{Error, Result};

/// The source's name in the call log and run manifests.
pub const NAME: &str = "pokemontcg-data";
/// Bronze table of `sets/en.json`.
pub const SETS_TABLE: &str = "pokemontcg_data_sets";
/// Bronze table of `cards/en/*.json`.
pub const CARDS_TABLE: &str = "pokemontcg_data_cards";
/// The set file inside a checkout.
pub const SETS_FILE: &str = "sets/en.json";
/// The folder of card files inside a checkout.
pub const CARDS_DIR: &str = "cards/en";

/// A local checkout of the data repository.
pub struct PokemontcgData {
    root: PathBuf,
}

impl PokemontcgData {
    /// A source reading the checkout at `root`.
    pub fn new(root: impl Into<PathBuf>) -> PokemontcgData {
        PokemontcgData { root: root.into() }
    }

    /// The card files `selection` asks for, as paths inside the checkout, sorted.
    fn card_files(&self, selection: &Selection) -> Result<Vec<String>> {
        let dir = self.root.join(CARDS_DIR);
        match selection {
            Selection::All => {
                let entries = std::fs::read_dir(&dir).map_err(|e| io(&dir, e))?;
                let mut files = Vec::new();
                for entry in entries {
                    let name = entry.map_err(|e| io(&dir, e))?.file_name();
                    let name = name.to_string_lossy();
                    if name.ends_with(".json") {
                        files.push(format!("{CARDS_DIR}/{name}"));
                    }
                }
                files.sort();
                Ok(files)
            }
            Selection::Sets(ids) => {
                let missing: Vec<&String> = ids
                    .iter()
                    .filter(|id| !dir.join(format!("{id}.json")).is_file())
                    .collect();
                if !missing.is_empty() {
                    return Err(Error::Usage(format!(
                        "{NAME}: no card file for set {missing:?} in {}",
                        dir.display()
                    )));
                }
                Ok(ids
                    .iter()
                    .map(|id| format!("{CARDS_DIR}/{id}.json"))
                    .collect())
            }
            other => Err(Error::Usage(format!(
                "{NAME} cannot serve {other}: use --all or --set with this source"
            ))),
        }
    }
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The commit a checkout is at: `.git/HEAD` holds either a commit id (detached) or
/// `ref: refs/heads/<branch>`, whose commit is in `.git/<ref>` or in `.git/packed-refs`.
/// `None` when `root` is not a git checkout (or its HEAD cannot be resolved).
pub fn git_commit(root: &Path) -> Option<String> {
    let git = root.join(".git");
    let head = std::fs::read_to_string(git.join("HEAD")).ok()?;
    let head = head.trim();
    let is_sha = |s: &str| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let Some(reference) = head.strip_prefix("ref:").map(str::trim) else {
        return is_sha(head).then(|| head.to_ascii_lowercase());
    };
    if let Ok(loose) = std::fs::read_to_string(git.join(reference)) {
        let loose = loose.trim();
        return is_sha(loose).then(|| loose.to_ascii_lowercase());
    }
    let packed = std::fs::read_to_string(git.join("packed-refs")).ok()?;
    packed.lines().find_map(|l| {
        let (sha, name) = l.split_once(' ')?;
        (name.trim() == reference && is_sha(sha)).then(|| sha.to_ascii_lowercase())
    })
}

/// A file's bytes count when they are a JSON array.
fn check_array(path: &Path, body: &[u8]) -> Result<()> {
    serde_json::from_slice::<Vec<&serde_json::value::RawValue>>(body)
        .map(|_| ())
        .map_err(|e| Error::Json {
            location: path.display().to_string(),
            detail: format!("not a JSON array: {e}"),
        })
}

#[async_trait]
impl Source for PokemontcgData {
    fn name(&self) -> &str {
        NAME
    }

    async fn ingest(&self, selection: &Selection, lander: &Lander) -> Result<()> {
        let sets_path = self.root.join(SETS_FILE);
        if !sets_path.is_file() {
            return Err(Error::Usage(format!(
                "{NAME}: {} is not a checkout of pokemon-tcg-data (no {SETS_FILE})",
                self.root.display()
            )));
        }
        let files = self.card_files(selection)?;
        let commit = git_commit(&self.root);
        let params: Vec<(String, String)> = commit
            .iter()
            .map(|c| ("commit".to_string(), c.clone()))
            .collect();
        let base = format!("file://{}", self.root.display());
        let unthrottled = HttpConfig {
            per_minute: None,
            calls_per_day: None,
            ..HttpConfig::default()
        };
        lander.connect(NAME, &base, unthrottled).await?;
        let spec = |table: &str, file: &str| QuerySpec {
            source: NAME.to_string(),
            table: table.to_string(),
            endpoint: file.to_string(),
            params: params.clone(),
        };
        let specs = std::iter::once(spec(SETS_TABLE, SETS_FILE))
            .chain(files.iter().map(|f| spec(CARDS_TABLE, f)))
            .collect();
        let queries = lander.plan(specs).await?;
        let all = std::iter::once(SETS_FILE).chain(files.iter().map(String::as_str));
        for (q, file) in queries.into_iter().zip(all) {
            let path = self.root.join(file);
            let started_at = Utc::now();
            let read = tokio::fs::read(&path).await.map_err(|e| io(&path, e));
            let landed = match read {
                Ok(body) => match check_array(&path, &body) {
                    Ok(()) => lander
                        .read(q, Bytes::from(body), started_at)
                        .await
                        .map(|_| ()),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            if let Err(e) = landed {
                lander.page_failed(e);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_commit_reads_head_loose_and_packed_refs() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(git_commit(dir.path()), None);
        let git = dir.path().join(".git");
        std::fs::create_dir_all(git.join("refs/heads")).unwrap();
        let a = "04cd5d9961fb2d047458985c9d405954cf8fe20f";
        let b = "a42dd9ac00000000000000000000000000000000";
        std::fs::write(git.join("HEAD"), "ref: refs/heads/master\n").unwrap();
        std::fs::write(
            git.join("packed-refs"),
            format!("# pack\n{b} refs/heads/master\n"),
        )
        .unwrap();
        assert_eq!(git_commit(dir.path()).as_deref(), Some(b), "packed");
        std::fs::write(git.join("refs/heads/master"), format!("{a}\n")).unwrap();
        assert_eq!(git_commit(dir.path()).as_deref(), Some(a), "loose wins");
        std::fs::write(git.join("HEAD"), format!("{}\n", b.to_uppercase())).unwrap();
        assert_eq!(git_commit(dir.path()).as_deref(), Some(b), "detached");
        std::fs::write(git.join("HEAD"), "garbage").unwrap();
        assert_eq!(git_commit(dir.path()), None);
    }
}
