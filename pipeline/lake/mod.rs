//! The only door to storage.
//!
//! - Reads: a lake URI (`./lake`, `/abs/dir`, `file:///abs/dir`, `s3://bucket/prefix`, `memory://`).
//! - Writes: objects under the lake root, through one [`object_store::ObjectStore`], whatever the backend.
//! - Guarantees: bronze keys are written create-only ([`Lake::put_create`]) and never deleted or
//!   overwritten ([`Lake::put_overwrite`] and [`Lake::delete`] refuse them); a put is atomic on every
//!   backend (S3 PUT, local temp file + rename), so a reader sees a whole object or none.
//! - Commit point: whatever a caller writes last; the lake itself has no transactions.
pub mod crash;
pub mod keys;
pub mod lock;
mod s3;

use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::{
    local::LocalFileSystem, memory::InMemory, path::Path, ObjectMeta, ObjectStore, ObjectStoreExt,
    PutMode, PutOptions, PutPayload,
};
use url::Url;

use crate::{Error, Result};

/// A lake: an object store plus the root prefix every key is relative to.
#[derive(Clone, Debug)]
pub struct Lake {
    store: Arc<dyn ObjectStore>,
    /// Root of the lake inside the store (no leading or trailing `/`).
    root: Path,
    /// Base URL of the store as DataFusion knows it (`file:///`, `s3://bucket/`, `memory:///`).
    base_url: Url,
    uri: String,
    /// The folder of a local lake (for [`Lake::sweep_temp_files`]).
    local: Option<std::path::PathBuf>,
}

/// What a create-only put did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// The object did not exist and now holds the bytes.
    Created,
    /// An object was already at the key; nothing was written.
    AlreadyExists,
}

impl Lake {
    /// Opens the lake named by `uri`. A local folder is created when missing.
    ///
    /// Errors: [`Error::LakeUri`] for an unknown scheme or a bad path; [`Error::LakeConfig`] for an
    /// S3 lake whose environment cannot work (plain HTTP not allowed, no credentials).
    pub fn open(uri: &str) -> Result<Lake> {
        Lake::open_with(uri, true)
    }

    /// Opens an existing lake for reading: a local folder that does not exist is an error
    /// ([`Error::LakeUri`]) instead of being created.
    pub fn open_existing(uri: &str) -> Result<Lake> {
        Lake::open_with(uri, false)
    }

    fn open_with(uri: &str, create: bool) -> Result<Lake> {
        let bad = |reason: &str| Error::LakeUri {
            uri: uri.to_string(),
            reason: reason.to_string(),
        };
        if let Some(rest) = uri.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(bad("no bucket after s3://"));
            }
            let store = s3::build(uri, bucket)?;
            let base_url =
                Url::parse(&format!("s3://{bucket}/")).map_err(|e| bad(&e.to_string()))?;
            return Ok(Lake::new(uri, Arc::new(store), prefix, base_url));
        }
        if uri == "memory://" || uri == "memory:///" {
            let base_url = Url::parse("memory:///").expect("static URL");
            return Ok(Lake::new(uri, Arc::new(InMemory::new()), "", base_url));
        }
        let dir = match uri.split_once("://") {
            Some(("file", rest)) => std::path::PathBuf::from(rest),
            Some((scheme, _)) => {
                return Err(bad(&format!(
                    "unknown scheme {scheme:?}; use a folder path, file://, s3:// or memory://"
                )))
            }
            None => std::path::PathBuf::from(uri),
        };
        if dir.as_os_str().is_empty() {
            return Err(bad("empty path"));
        }
        if !create && !dir.is_dir() {
            return Err(bad(
                "no lake here (no such folder); `pokelake run` or `ingest` makes one",
            ));
        }
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let abs = std::fs::canonicalize(&dir).map_err(|source| Error::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let root = abs
            .to_str()
            .ok_or_else(|| bad("the folder path is not UTF-8"))?
            .trim_start_matches('/')
            .to_string();
        let base_url = Url::parse("file:///").expect("static URL");
        let mut lake = Lake::new(uri, Arc::new(LocalFileSystem::new()), &root, base_url);
        lake.local = Some(abs);
        Ok(lake)
    }

    fn new(uri: &str, store: Arc<dyn ObjectStore>, root: &str, base_url: Url) -> Lake {
        Lake {
            store,
            root: Path::from(root.trim_matches('/')),
            base_url,
            uri: uri.to_string(),
            local: None,
        }
    }

    /// Removes the temp files a writer killed in the middle of a put leaves in a folder lake
    /// (object_store writes `<key>#<n>`, then renames it; no reader lists them) and returns how
    /// many. Only the lock holder may call it, so no live writer's temp file is touched; S3
    /// puts leave nothing behind.
    ///
    /// Errors: [`Error::Io`] naming the folder or file that could not be read or removed.
    pub fn sweep_temp_files(&self) -> Result<usize> {
        let Some(root) = &self.local else {
            return Ok(0);
        };
        let io = |path: &std::path::Path, source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let is_temp = |name: &str| {
            name.rsplit_once('#')
                .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        let (mut dirs, mut removed) = (vec![root.clone()], 0);
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
                let entry = entry.map_err(|e| io(&dir, e))?;
                let path = entry.path();
                if entry.file_type().map_err(|e| io(&path, e))?.is_dir() {
                    dirs.push(path);
                } else if is_temp(&entry.file_name().to_string_lossy()) {
                    std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// The URI the lake was opened with.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The underlying store (for DataFusion registration).
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// The store's base URL as DataFusion resolves it (`file:///`, `s3://bucket/`, `memory:///`).
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// A URL DataFusion can list: the lake root joined with `key` (a folder key ends with `/`).
    pub fn url_of(&self, key: &str) -> String {
        let root = self.root.as_ref();
        let sep = if root.is_empty() { "" } else { "/" };
        format!("{}{root}{sep}{key}", self.base_url)
    }

    /// The store path of a lake key.
    pub fn path(&self, key: &str) -> Path {
        let key = key.trim_matches('/');
        if self.root.as_ref().is_empty() {
            Path::from(key)
        } else {
            Path::from(format!("{}/{key}", self.root))
        }
    }

    /// The lake key of a store path (the inverse of [`Lake::path`]).
    pub fn key_of(&self, path: &Path) -> String {
        let p = path.as_ref();
        let root = self.root.as_ref();
        if root.is_empty() {
            p.to_string()
        } else {
            p.strip_prefix(root)
                .map(|k| k.trim_start_matches('/'))
                .unwrap_or(p)
                .to_string()
        }
    }

    /// Writes `bytes` at `key` only if nothing is there (`PutMode::Create`).
    pub async fn put_create(&self, key: &str, bytes: Bytes) -> Result<Put> {
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .store
            .put_opts(&self.path(key), PutPayload::from(bytes), opts)
            .await
        {
            Ok(_) => {
                crash::wrote(key);
                Ok(Put::Created)
            }
            Err(object_store::Error::AlreadyExists { .. }) => Ok(Put::AlreadyExists),
            Err(e) => Err(Error::store(key, e)),
        }
    }

    /// Writes `bytes` at `key`, replacing what is there; refused for bronze keys.
    pub async fn put_overwrite(&self, key: &str, bytes: Bytes) -> Result<()> {
        refuse_bronze(key)?;
        self.store
            .put(&self.path(key), PutPayload::from(bytes))
            .await
            .map_err(|e| Error::store(key, e))?;
        crash::wrote(key);
        Ok(())
    }

    /// Reads the object at `key`.
    pub async fn get(&self, key: &str) -> Result<Bytes> {
        self.read(key).await.map_err(|e| Error::store(key, e))
    }

    /// Reads the object at `key`, or `None` when there is none.
    pub async fn get_opt(&self, key: &str) -> Result<Option<Bytes>> {
        match self.read(key).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(Error::store(key, e)),
        }
    }

    /// The bytes at `key`. The store retries a request that fails, but not a body cut short
    /// after the answer began (an overloaded S3 endpoint does that): such a read is made
    /// again, up to 3 times in all.
    async fn read(&self, key: &str) -> object_store::Result<Bytes> {
        let path = self.path(key);
        let mut attempt = 1;
        loop {
            match self.store.get(&path).await?.bytes().await {
                Ok(bytes) => return Ok(bytes),
                Err(e) if attempt < 3 => {
                    tracing::warn!(%key, attempt, "body cut short, reading again: {e}");
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Every object below `prefix` (recursive), as `(key, meta)` sorted by key.
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, ObjectMeta)>> {
        let path = self.path(prefix);
        let mut out: Vec<(String, ObjectMeta)> = self
            .store
            .list(Some(&path))
            .map_ok(|m| (self.key_of(&m.location), m))
            .try_collect()
            .await
            .map_err(|e| Error::store(prefix, e))?;
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Names of the folders directly below `prefix` (e.g. the tables under `bronze/`).
    pub async fn list_dirs(&self, prefix: &str) -> Result<Vec<String>> {
        let res = self
            .store
            .list_with_delimiter(Some(&self.path(prefix)))
            .await;
        let res = match res {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(Error::store(prefix, e)),
        };
        let mut dirs: Vec<String> = res
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect();
        dirs.sort();
        Ok(dirs)
    }

    /// Deletes the object at `key` (absent is fine); refused for bronze keys.
    pub async fn delete(&self, key: &str) -> Result<()> {
        refuse_bronze(key)?;
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {
                crash::wrote(key);
                Ok(())
            }
            Err(e) => Err(Error::store(key, e)),
        }
    }

    /// Checks within seconds that the lake answers (a listing of `_runs/`), before any work starts.
    pub async fn check(&self) -> Result<()> {
        let probe = self.list(keys::RUNS);
        match tokio::time::timeout(std::time::Duration::from_secs(20), probe).await {
            Ok(r) => r.map(|_| ()),
            Err(_) => Err(Error::LakeConfig {
                uri: self.uri.clone(),
                reason: "no answer within 20 s; check AWS_ENDPOINT_URL and credentials".into(),
            }),
        }
    }
}

/// Writer settings for every Parquet file pokelake writes: zstd(3), 64k-row row groups, page
/// statistics (so readers prune by row group and page).
pub fn parquet_props() -> parquet::file::properties::WriterProperties {
    use parquet::basic::{Compression, ZstdLevel};
    parquet::file::properties::WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("valid level"),
        ))
        .set_max_row_group_row_count(Some(65_536))
        .set_statistics_enabled(parquet::file::properties::EnabledStatistics::Page)
        .build()
}

/// Encodes `batches` (each of `schema`) as one Parquet file written with `props`.
///
/// Errors: [`Error::Encode`] naming `what` (a table or key).
pub fn encode_parquet(
    what: &str,
    schema: arrow::datatypes::SchemaRef,
    batches: &[arrow::record_batch::RecordBatch],
    props: parquet::file::properties::WriterProperties,
) -> Result<Bytes> {
    let enc = |e: parquet::errors::ParquetError| Error::encode(what, e);
    let mut buf = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, schema, Some(props)).map_err(enc)?;
    for b in batches {
        w.write(b).map_err(enc)?;
    }
    w.close().map_err(enc)?;
    Ok(Bytes::from(buf))
}

fn refuse_bronze(key: &str) -> Result<()> {
    if key.trim_start_matches('/').starts_with("bronze/") {
        return Err(Error::ImmutableBronze {
            key: key.to_string(),
        });
    }
    Ok(())
}
