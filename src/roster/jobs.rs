//! The export worker. It claims a queued job with a conditional write (so two instances never
//! run the same job) and keeps a lease on it while it works; it streams the job's rows from the
//! database in keyset pages (never the whole set in memory) to a writer thread, records the
//! progress the job's page shows, and audits the finished export with its row count. Files
//! whose hour has passed are deleted by the same worker.
use super::export::{self, FileWriter, WriteError};
use super::repo::{self, jobs::Job, ExportRow};
use super::service::{RosterError, RosterResult};
use super::JobStatus;
use crate::server::audit;
use crate::server::state::AppState;
use std::path::PathBuf;

/// A worker that has not renewed its lease for this long is taken for dead; its job starts over.
pub const LEASE_SECS: i64 = 120;
/// Rows per keyset page.
pub const PAGE_ROWS: i64 = 5_000;

/// Where export files live.
pub fn export_dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("exports")
}

/// One pass: deletes expired files, then runs every job waiting; returns how many it ran.
pub async fn tick(state: &AppState, owner: &str) -> RosterResult<usize> {
    sweep(state).await?;
    let mut ran = 0;
    while let Some(job) = repo::jobs::claim_job(&state.db.pool, owner, state.now(), LEASE_SECS).await? {
        let id = job.id;
        if let Err(e) = run_job(state, owner, job).await {
            tracing::error!(job = id, error = %e, "export failed");
            let mut tx = state.db.begin_write().await?;
            repo::jobs::finish(&mut tx, id, owner, JobStatus::Failed, None, 0, state.now()).await?;
            tx.commit().await?;
        }
        ran += 1;
    }
    Ok(ran)
}

/// Runs the worker until the process ends.
pub async fn run(state: AppState) {
    let owner = format!("{}-{}", std::process::id(), crate::server::crypto::random_token());
    loop {
        let ran = tick(&state, &owner).await;
        state.metrics.engine_run("exports", ran.is_ok());
        if let Err(e) = ran {
            tracing::error!(error = %e, "export worker tick failed");
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Deletes the files of jobs past their hour and marks them expired; forgets the sealed rows
/// of uploads never confirmed.
pub async fn sweep(state: &AppState) -> RosterResult<usize> {
    repo::imports::purge_expired_batches(&state.db.pool, state.now()).await?;
    let expired = repo::jobs::expired_jobs(&state.db.pool, state.now()).await?;
    let dir = export_dir(state);
    for (id, file) in &expired {
        if let Some(name) = file {
            let _ = std::fs::remove_file(dir.join(name));
        }
        let _ = std::fs::remove_file(dir.join(part_name(*id)));
        repo::jobs::mark_expired(&state.db.pool, *id).await?;
    }
    Ok(expired.len())
}

fn part_name(id: i64) -> String {
    format!("{id}.part")
}

/// Writes one job's file and records it done, with its audit row.
pub async fn run_job(state: &AppState, owner: &str, job: Job) -> RosterResult<i64> {
    let dir = export_dir(state);
    std::fs::create_dir_all(&dir)?;
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp)?;
    let file_name = format!("{}-{}.{}", job.id, crate::server::crypto::random_token(), job.format.as_str());
    let part = dir.join(part_name(job.id));
    // The writer runs on a thread of its own; pages reach it through a short queue, so the
    // database read of the next page overlaps the writing of this one.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ExportRow>>(2);
    let keys = state.keys.clone();
    let (kind, format, reveal) = (job.kind, job.format, job.reveal);
    let part_for_writer = part.clone();
    let writer = tokio::task::spawn_blocking(move || -> Result<i64, WriteError> {
        let mut file = FileWriter::create(format, &part_for_writer, &tmp, &export::header(kind))?;
        let mut rows = 0;
        while let Some(page) = rx.blocking_recv() {
            for r in &page {
                let full = match (&r.sealed, reveal) {
                    (Some((key_id, cipher, key)), true) => {
                        Some(keys.open_id(*key_id, cipher, &format!("application:{key}")).map_err(|_| WriteError::Sealed(r.id))?)
                    }
                    _ => None,
                };
                let cells = export::cells(kind, r, full.as_deref());
                file.row(cells.iter().map(String::as_str))?;
                rows += 1;
            }
        }
        file.finish()?;
        Ok(rows)
    });
    let mut after = 0;
    let mut sent = 0i64;
    let mut lost = false;
    loop {
        let page = repo::export_page(&state.db.pool, job.kind, job.org_id, &job.scope, job.reveal, after, PAGE_ROWS).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        sent += page.len() as i64;
        if tx.send(page).await.is_err() {
            break; // the writer stopped: its error is reported below
        }
        if !repo::jobs::progress(&state.db.pool, job.id, owner, sent, state.now() + LEASE_SECS).await? {
            lost = true; // another worker took the job over
            break;
        }
    }
    drop(tx);
    let written = writer.await.map_err(|e| RosterError::Worker(e.to_string()))?;
    if lost {
        let _ = std::fs::remove_file(&part);
        return Err(RosterError::Worker("lease lost".into()));
    }
    let rows = match written {
        Ok(rows) => rows,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e.into());
        }
    };
    std::fs::rename(&part, dir.join(&file_name))?;
    let now = state.now();
    let mut db = state.db.begin_write().await?;
    if !repo::jobs::finish(&mut db, job.id, owner, JobStatus::Done, Some(&file_name), rows, now).await? {
        drop(db);
        let _ = std::fs::remove_file(dir.join(&file_name));
        return Err(RosterError::Worker("lease lost".into()));
    }
    let detail =
        format!("{} {} {} rows {rows}", job.kind.as_str(), job.format.as_str(), if job.reveal { "full numbers" } else { "masked" });
    audit::record(
        &mut db,
        state,
        now,
        audit::Entry {
            admin_id: Some(job.admin_id),
            org_id: Some(job.org_id),
            action: audit::Action::Export,
            target: audit::Target::Export(job.id),
            ip: "worker",
            outcome: audit::Outcome::Ok,
            detail: &detail,
        },
    )
    .await?;
    db.commit().await?;
    tracing::info!(job = job.id, rows, "export written");
    Ok(rows)
}
