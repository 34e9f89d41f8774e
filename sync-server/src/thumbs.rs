//! Printing copies of photos: a small JPEG per photo, made once, so a
//! report with a thousand photos embeds a few megabytes instead of decoding
//! and embedding a thousand camera originals. A worker makes them soon
//! after photos arrive; a report makes any still missing itself.

use crate::AppState;
use walkthrough_core::PhotoHash;

/// The longer edge of a printing copy, in pixels (about 5 cm at 160 dpi).
pub const PRINT_EDGE: u32 = 320;
const QUALITY: u8 = 75;

/// The printing copy of `hash`, made and kept if missing. `None` when the
/// photo is not on the server or cannot be decoded.
pub fn get_or_make(st: &AppState, hash: &PhotoHash) -> Option<Vec<u8>> {
    match st.store.thumb(hash) {
        Ok(Some(bytes)) => return Some(bytes),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(%hash, error = %e, "reading a printing copy");
            return None;
        }
    }
    let (_, original) = st.store.get_blob(hash).ok()??;
    match walkthrough_client::photos::thumbnail_jpeg(&original, PRINT_EDGE, QUALITY) {
        Ok(bytes) => {
            if let Err(e) = st.store.put_thumb(hash, &bytes) {
                tracing::warn!(%hash, error = %e, "storing a printing copy");
            }
            Some(bytes)
        }
        Err(e) => {
            tracing::warn!(%hash, error = %e, "a stored photo cannot be printed");
            None
        }
    }
}

/// Make the missing printing copies, a few at a time, until told to stop.
pub async fn run(st: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let idle = std::time::Duration::from_secs(2);
    while !*stop.borrow() {
        let st2 = st.clone();
        let made = tokio::task::spawn_blocking(move || {
            let todo = st2.store.blobs_without_thumb(16).unwrap_or_default();
            let mut stored = 0;
            for hash in &todo {
                let done = get_or_make(&st2, hash).is_some()
                    // Undecodable: an empty copy, so it is not tried again.
                    || st2.store.put_thumb(hash, &[]).is_ok();
                stored += usize::from(done && st2.store.thumb(hash).is_ok_and(|t| t.is_some()));
            }
            // Nothing stored (the database refuses): wait before trying again.
            stored
        })
        .await
        .unwrap_or(0);
        if made == 0 {
            tokio::select! {
                _ = stop.changed() => {}
                _ = tokio::time::sleep(idle) => {}
            }
        }
    }
}
