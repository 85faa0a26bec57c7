//! The emulator's background worker: orders paid after the configured delay, and notifications
//! POSTed to loopback `notify_url`s, retried on WeChat Pay's schedule (shortened).

use super::emulator::State;
use super::jobs::{Delivery, Job};
use super::orders;
use super::{events, notify};
use crate::catalogue::notifications::Notification;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// WeChat Pay's retry schedule in units of 15 s: 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h
/// (APIv3 payment notification page: 总计 24h4m).
const SCHEDULE: [u32; 15] = [
    1, 1, 2, 12, 40, 80, 120, 120, 120, 240, 720, 720, 720, 1440, 1440,
];

/// The APIv2 payment notification page's schedule, in units of 15 s:
/// 15/15/30/180/1800/1800/1800/1800/3600 seconds.
const SCHEDULE_V2: [u32; 9] = [1, 1, 2, 12, 120, 120, 120, 120, 240];

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
            name,
            subject,
            content,
            fill,
            sign_type,
        } => {
            let n = match events::find(&name) {
                Ok(n) => n,
                Err(_) => return,
            };
            let content = events::prepare(&state, &mchid, n, &content, fill);
            deliver(state, mchid, url, subject, n, content, sign_type).await
        }
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
    subject: String,
    n: &'static Notification,
    content: crate::error::Result<Value>,
    sign_type: Option<crate::v2::SignType>,
) {
    let base = state
        .flows
        .config
        .retry_base
        .unwrap_or(Duration::from_secs(1));
    let mut d = Delivery {
        url: url.clone(),
        event_type: n.event_type.clone().unwrap_or_else(|| n.name.clone()),
        subject,
        attempt: 0,
        status: None,
        outcome: "skipped".into(),
        error: None,
        next_retry_seconds: None,
    };
    let content = match content {
        Ok(c) => c,
        Err(e) => {
            d.error = Some(e.to_string());
            record(&state, d);
            return;
        }
    };
    if !notify::loopback(&url) {
        d.error = Some("not a loopback URL: the emulator never calls out".into());
        record(&state, d);
        return;
    }
    let schedule: &[u32] = match n.protocol {
        crate::catalogue::Protocol::V3 => &SCHEDULE,
        crate::catalogue::Protocol::V2 => &SCHEDULE_V2,
    };
    for attempt in 0..=schedule.len() {
        if attempt > 0 {
            state.flows.clock.wait(base * schedule[attempt - 1]).await;
        }
        d.attempt = attempt as u32 + 1;
        let sent = events::send_once(state.clone(), &mchid, &url, n, &content, sign_type).await;
        let last = attempt == schedule.len();
        match sent {
            Ok((status, true)) => {
                d.status = Some(status);
                d.outcome = "delivered".into();
                d.error = None;
                d.next_retry_seconds = None;
                record(&state, d);
                return;
            }
            Ok((status, false)) => {
                d.status = Some(status);
                d.error = Some(format!(
                    "the handler answered {status}, not the success the documentation's answer table asks for"
                ));
            }
            Err(e) => {
                d.status = None;
                d.error = Some(e.to_string());
            }
        }
        d.outcome = if last { "gave-up" } else { "failed" }.into();
        d.next_retry_seconds = schedule.get(attempt).map(|units| units * 15);
        record(&state, d.clone());
    }
}
