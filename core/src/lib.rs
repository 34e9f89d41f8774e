//! The Walkthrough domain core.
//!
//! Everything the tablet and the server must agree on lives here, once: the
//! model of a mock-inspection project, the rules of rounds, rechecks,
//! deadlines and KPIs, and the Automerge schema of the unit and project
//! documents. The crate does no IO (no files, sockets, databases or clocks it
//! reads by itself); callers pass in times and ids and carry out the result.

pub mod defect;
pub mod dispatch;
pub mod doc;
pub mod error;
pub mod ids;
pub mod kpi;
pub mod listmap;
pub mod model;
pub mod names;
pub mod risk;
pub mod rules;
pub mod setup;
pub mod time;
pub mod wire;

pub use error::{Error, Result};
pub use ids::*;
pub use time::Time;
