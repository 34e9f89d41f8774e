//! What a tablet does without a UI: the SQLite store (documents, read model,
//! sync state, photos), the photo pipeline and the sync client. Used by the
//! Tauri app, the simulator and the tests.

pub mod app;
pub mod error;
pub mod offline;
pub mod photos;
pub mod store;
pub mod sync;
pub mod tls;

pub use error::{Error, Result};
pub use store::Store;
