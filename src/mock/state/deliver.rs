//! The emulator's background worker: orders paid after the configured delay, and notifications
//! POSTed to loopback `notify_url`s, retried on WeChat Pay's schedule (shortened).

use super::emulator::State;
use super::jobs::{Delivery, Job};
use super::notify;
use super::orders;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// WeChat Pay's retry schedule in units of 15 s: 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h.
const SCHEDULE: [u32; 15] = [
    1, 1, 2, 12, 40, 80, 120, 120, 120, 240, 720, 720, 720, 1440, 1440,
];

/// Runs jobs until the channel closes or the task is aborted (its tasks go with it).
pub(crate) async fn worker(state: Arc<State>, mut jobs: tokio::sync::mpsc::UnboundedReceiver<Job>) {
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            job = jobs.recv() => {
                let Some(job) = job else { break };
                tasks.spawn(run(state.clone(), job));
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
}

async fn run(state: Arc<State>, job: Job) {
    match job {
        Job::AutoPay {
            mchid,
            out_trade_no,
            after,
        } => {
            tokio::time::sleep(after).await;
            let _ = orders::pay(&state, Some(&mchid), &out_trade_no);
        }
        Job::Notify {
            mchid,
            url,
            event_type,
            subject,
            resource,
            v2,
        } => deliver(state, mchid, url, (event_type, subject), resource, v2).await,
    }
}

fn record(state: &State, d: Delivery) {
    state
        .flows
        .deliveries
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(d);
}

async fn deliver(
    state: Arc<State>,
    mchid: String,
    url: String,
    (event_type, subject): (String, String),
    resource: Value,
    v2: bool,
) {
    let base = state
        .flows
        .config
        .retry_base
        .unwrap_or(Duration::from_secs(1));
    let mut d = Delivery {
        url: url.clone(),
        event_type: event_type.clone(),
        subject,
        attempt: 0,
        status: None,
        outcome: "skipped".into(),
        error: None,
    };
    if !notify::loopback(&url) {
        d.error = Some("not a loopback URL: the emulator never calls out".into());
        record(&state, d);
        return;
    }
    for attempt in 0..=SCHEDULE.len() {
        if attempt > 0 {
            tokio::time::sleep(base * SCHEDULE[attempt - 1]).await;
        }
        d.attempt = attempt as u32 + 1;
        let sent = if v2 {
            let fields = resource.as_object().cloned().unwrap_or_default();
            match notify::send_v2(state.clone(), mchid.clone(), url.clone(), fields).await {
                // A 2xx whose reply is not `SUCCESS` is a failure too.
                Ok((status, false)) if status.is_success() => {
                    Ok(http::StatusCode::UNPROCESSABLE_ENTITY)
                }
                Ok((status, _)) => Ok(status),
                Err(e) => Err(e),
            }
        } else {
            notify::send(
                state.clone(),
                mchid.clone(),
                url.clone(),
                event_type.clone(),
                resource.clone(),
            )
            .await
        };
        let last = attempt == SCHEDULE.len();
        match sent {
            Ok(status) if status.is_success() => {
                d.status = Some(status.as_u16());
                d.outcome = "delivered".into();
                d.error = None;
                record(&state, d);
                return;
            }
            Ok(status) => {
                d.status = Some(status.as_u16());
                d.error = Some(format!("the handler answered {status}"));
            }
            Err(e) => {
                d.status = None;
                d.error = Some(e.to_string());
            }
        }
        d.outcome = if last { "gave-up" } else { "failed" }.into();
        record(&state, d.clone());
    }
}
