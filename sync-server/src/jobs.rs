//! Background jobs (issuing a report): each runs on a thread of its own,
//! one at a time, and reports its stage and progress, so the server keeps
//! answering sync while a large report is laid out and the page that
//! started it can show how far it is. Jobs live in memory; a job cut off by
//! a restart is simply not found afterwards (it stored nothing half-done).

use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use walkthrough_core::{ProjectId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for the job before it to finish.
    Queued,
    Running,
    Done,
    Failed,
}

/// A job as its starter sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: String,
    pub project: ProjectId,
    pub kind: String,
    pub by: UserId,
    pub state: JobState,
    /// What it is doing now (`reading`, `computing`, `workbook`, `appendix`,
    /// `photos`, `writing`, `storing`).
    pub stage: String,
    pub done: u64,
    pub total: u64,
    /// Epoch milliseconds.
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// Why it failed, in words.
    pub error: Option<String>,
    /// What it made (for an issued report: its metadata).
    pub result: Option<Value>,
}

#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, JobView>>,
    /// Held by the running job: one large report at a time.
    running: Arc<Mutex<()>>,
    /// How long finished jobs ran, by kind (`/metrics`).
    pub durations: crate::observe::HistogramVec,
}

/// Finished jobs are forgotten after this long.
const KEEP_MILLIS: i64 = 24 * 3600 * 1000;

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Jobs {
    fn update(&self, id: &str, f: impl FnOnce(&mut JobView)) {
        if let Some(job) = self.jobs.lock().unwrap_or_else(|e| e.into_inner()).get_mut(id) {
            f(job);
        }
    }

    pub fn get(&self, id: &str) -> Option<JobView> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
    }

    /// Start `work` in the background; it is told how to report progress
    /// and returns what it made or why it failed.
    pub fn start(
        self: &Arc<Self>,
        project: ProjectId,
        kind: &str,
        by: UserId,
        work: impl FnOnce(&dyn Fn(&str, u64, u64)) -> Result<Value, String> + Send + 'static,
    ) -> JobView {
        let id = format!("job-{}", uuid::Uuid::now_v7().simple());
        let view = JobView {
            id: id.clone(),
            project,
            kind: kind.to_owned(),
            by,
            state: JobState::Queued,
            stage: "queued".into(),
            done: 0,
            total: 0,
            started_at: now(),
            finished_at: None,
            error: None,
            result: None,
        };
        {
            let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
            let cutoff = now() - KEEP_MILLIS;
            jobs.retain(|_, j| j.finished_at.is_none_or(|t| t > cutoff));
            jobs.insert(id.clone(), view.clone());
        }
        let me = self.clone();
        std::thread::spawn(move || {
            let running = me.running.clone();
            let _turn = running.lock().unwrap_or_else(|e| e.into_inner());
            me.update(&id, |j| j.state = JobState::Running);
            let ran = std::time::Instant::now();
            let progress = |stage: &str, done: u64, total: u64| {
                me.update(&id, |j| {
                    j.stage = stage.to_owned();
                    j.done = done;
                    j.total = total;
                })
            };
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&progress)))
                .unwrap_or_else(|_| Err("the job stopped on an internal error".into()));
            if let Some(kind) = me.get(&id).map(|j| j.kind) {
                me.durations.observe(&kind, ran.elapsed().as_secs_f64());
            }
            me.update(&id, |j| {
                j.finished_at = Some(now());
                match outcome {
                    Ok(result) => {
                        j.state = JobState::Done;
                        j.stage = "done".into();
                        j.result = Some(result);
                    }
                    Err(e) => {
                        j.state = JobState::Failed;
                        j.error = Some(e);
                    }
                }
            });
        });
        view
    }
}
