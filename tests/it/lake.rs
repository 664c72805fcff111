//! The lake door: the same behaviour on a folder and on S3.
use bytes::Bytes;
use pokelake::lake::{Lake, Put};
use pokelake::Error;

use crate::support::lakes;

#[tokio::test]
async fn create_only_puts_never_overwrite() {
    for t in lakes("lake_create") {
        let key = "bronze/tcg_cards/year=2026/month=01/day=01/r/0000-0001.json";
        assert_eq!(
            t.lake
                .put_create(key, Bytes::from_static(b"first"))
                .await
                .unwrap(),
            Put::Created
        );
        assert_eq!(
            t.lake
                .put_create(key, Bytes::from_static(b"second"))
                .await
                .unwrap(),
            Put::AlreadyExists,
            "{}",
            t.kind
        );
        assert_eq!(t.lake.get(key).await.unwrap(), Bytes::from_static(b"first"));
        assert!(matches!(
            t.lake.put_overwrite(key, Bytes::new()).await,
            Err(Error::ImmutableBronze { .. })
        ));
        assert!(matches!(
            t.lake.delete(key).await,
            Err(Error::ImmutableBronze { .. })
        ));
        assert_eq!(
            t.lake.get(key).await.unwrap(),
            Bytes::from_static(b"first"),
            "{}",
            t.kind
        );
        assert_eq!(
            t.lake.list_dirs("bronze/").await.unwrap(),
            vec!["tcg_cards".to_string()]
        );
    }
}

#[test]
fn lake_uris_are_checked() {
    let e = Lake::open("ftp://x/y").unwrap_err().to_string();
    assert_eq!(e, "lake URI \"ftp://x/y\": unknown scheme \"ftp\"; use a folder path, file://, s3:// or memory://");
    assert!(Lake::open("s3://")
        .unwrap_err()
        .to_string()
        .contains("no bucket"));
}

#[tokio::test]
async fn the_run_lock_admits_one_holder_and_expires_when_abandoned() {
    use pokelake::lake::lock::Lock;
    use std::time::Duration;
    for t in lakes("lake_lock") {
        let held = Lock::acquire(&t.lake, "run", "run-A", Duration::from_secs(60))
            .await
            .unwrap();
        match Lock::acquire(&t.lake, "run", "run-B", Duration::from_secs(60)).await {
            Err(Error::Locked { owner, .. }) => assert_eq!(owner, "run-A", "{}", t.kind),
            other => panic!("{}: expected Locked, got {:?}", t.kind, other.map(|_| ())),
        }
        held.release().await.unwrap();
        // Released: the next owner takes it at once; abandoned (dropped) after a 1 s lease: it expires.
        let b = Lock::acquire(&t.lake, "run", "run-B", Duration::from_secs(1))
            .await
            .unwrap();
        drop(b);
        let e = Lock::acquire(&t.lake, "run", "run-C", Duration::from_secs(60))
            .await
            .err()
            .unwrap();
        assert!(
            e.to_string().starts_with("locked by run run-B since "),
            "{e}"
        );
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let c = Lock::acquire(&t.lake, "run", "run-C", Duration::from_secs(60))
            .await
            .unwrap();
        c.release().await.unwrap();
    }
}

/// A lock object that cannot be parsed (a lease renewal cut off by a kill) holds the lock for
/// an unknown owner until its store time plus the TTL, then is taken over.
#[tokio::test]
async fn an_unreadable_lock_object_is_judged_by_its_store_time() {
    use pokelake::lake::lock::Lock;
    use std::time::Duration;
    for t in lakes("lake_lock_unreadable") {
        let key = "_lock/run/0000000001.json";
        assert_eq!(
            t.lake
                .put_create(key, Bytes::from_static(b"{\"owner\":\"run-A\",\"si"))
                .await
                .unwrap(),
            Put::Created
        );
        let e = Lock::acquire(&t.lake, "run", "run-B", Duration::from_secs(2))
            .await
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .starts_with(&format!("locked by run unknown (unreadable {key}) since ")),
            "{}: {e}",
            t.kind
        );
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let b = Lock::acquire(&t.lake, "run", "run-B", Duration::from_secs(2))
            .await
            .unwrap();
        b.release().await.unwrap();
    }
}
