//! Printing copies of photos: a small JPEG per photo, made once, so a
//! report with a thousand photos embeds a few megabytes instead of decoding
//! and embedding a thousand camera originals. A worker makes them soon
//! after photos arrive; a report makes any still missing itself.

use crate::AppState;
use walkthrough_core::PhotoHash;

/// The longer edge of a printing copy, in pixels (about 5 cm at 160 dpi).
pub const PRINT_EDGE: u32 = 320;
const QUALITY: u8 = 75;

/// A printing copy made from the stored original: `None` when the photo is
/// not on the server, `Some(empty)` when it cannot be decoded.
fn make(st: &AppState, hash: &PhotoHash) -> Option<Vec<u8>> {
    let (_, original) = st.store.get_blob(hash).ok()??;
    Some(walkthrough_client::photos::thumbnail_jpeg(&original, PRINT_EDGE, QUALITY).unwrap_or_else(|e| {
        tracing::warn!(%hash, error = %e, "a stored photo cannot be printed");
        Vec::new()
    }))
}

/// The printing copy of `hash`, made and kept if missing. `None` when the
/// photo is not on the server or cannot be decoded now.
pub fn get_or_make(st: &AppState, hash: &PhotoHash) -> Option<Vec<u8>> {
    match st.store.thumb(hash) {
        // (An empty copy, stored for an undecodable photo, prints as a note.)
        Ok(Some(bytes)) => Some(bytes),
        Ok(None) => {
            let bytes = make(st, hash)?;
            if let Err(e) = st.store.put_thumb(hash, &bytes) {
                tracing::warn!(%hash, error = %e, "storing a printing copy");
            }
            (!bytes.is_empty()).then_some(bytes)
        }
        Err(e) => {
            tracing::warn!(%hash, error = %e, "reading a printing copy");
            None
        }
    }
}

/// The printing copy of the floor-plan image of `unit`'s unit type, if it
/// has one on the server (a fixture's plan named by path has none).
pub fn plan_copy(
    st: &AppState,
    project: &walkthrough_core::model::Project,
    unit: &walkthrough_core::UnitId,
) -> Option<Vec<u8>> {
    let plan = project.unit_type_of(unit)?.floor_plan.as_deref()?;
    get_or_make(st, &crate::parse_hash(plan).ok()?)
}

/// The screen preview of `hash` for a tablet (the tablet pipeline's own
/// `preview_jpeg`, so it is the preview the photographer's tablet holds),
/// made once and kept. `None` when the photo is not on the server, is not a
/// photo (a floor-plan PDF) or cannot be decoded.
pub fn preview(st: &AppState, hash: &PhotoHash) -> Option<Vec<u8>> {
    match st.store.preview(hash) {
        Ok(Some(bytes)) => return Some(bytes),
        Ok(None) => {}
        Err(e) => tracing::warn!(%hash, error = %e, "reading a preview"),
    }
    let (mime, original) = st.store.get_blob(hash).ok()??;
    if !mime.starts_with("image/") {
        return None;
    }
    let bytes = walkthrough_client::photos::preview_jpeg(&original)
        .map_err(|e| tracing::warn!(%hash, error = %e, "a stored photo has no preview"))
        .ok()?;
    if let Err(e) = st.store.put_preview(hash, &bytes) {
        tracing::warn!(%hash, error = %e, "storing a preview");
    }
    Some(bytes)
}

/// Make the missing printing copies, a few at a time, until told to stop.
/// An undecodable photo gets an empty copy, so it is not tried again.
pub async fn run(st: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let idle = std::time::Duration::from_secs(2);
    while !*stop.borrow() {
        let st2 = st.clone();
        let stored = tokio::task::spawn_blocking(move || {
            let todo = st2.store.blobs_without_thumb(16).unwrap_or_default();
            todo.iter().filter(|h| make(&st2, h).is_some_and(|bytes| st2.store.put_thumb(h, &bytes).is_ok())).count()
        })
        .await
        .unwrap_or(0);
        // Nothing stored (none missing, or the database refuses): wait.
        if stored == 0 {
            tokio::select! {
                _ = stop.changed() => {}
                _ = tokio::time::sleep(idle) => {}
            }
        }
    }
}
