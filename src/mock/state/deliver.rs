//! The emulator's background worker: orders paid after the configured delay, and notifications
//! POSTed to loopback `notify_url`s, retried on WeChat Pay's schedule (shortened).

use super::emulator::State;
use super::events::Attempt;
use super::jobs::{Delivery, Job};
use super::orders;
use super::{brand_coupons, events, notify};
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
            let d = delivery(
                &url,
                n.event_type.clone().unwrap_or_else(|| n.name.clone()),
                subject,
            );
            let mut d = d;
            d.name = n.name.clone();
            let content = match content {
                Ok(c) => c,
                Err(e) => return skip(&state, d, e.to_string()),
            };
            d.resource = content.clone();
            let schedule: &[u32] = match n.protocol {
                crate::catalogue::Protocol::V3 => &SCHEDULE,
                crate::catalogue::Protocol::V2 => &SCHEDULE_V2,
            };
            let what = What::Documented {
                mchid,
                n,
                content,
                sign_type,
            };
            deliver(state, d, schedule, what).await
        }
        Job::BrandNotify {
            brand_id,
            url,
            event_type,
            subject,
            resource,
        } => {
            let mut d = delivery(&url, event_type.clone(), subject);
            d.name = event_type.clone();
            d.resource = resource.clone();
            let what = What::Brand {
                brand_id,
                event_type,
                resource,
            };
            deliver(state, d, &SCHEDULE, what).await
        }
    }
}

/// What one delivery sends: a documented notification to a merchant, or a product-coupon
/// notification to a brand.
enum What {
    Documented {
        mchid: String,
        n: &'static Notification,
        content: Value,
        sign_type: Option<crate::v2::SignType>,
    },
    Brand {
        brand_id: String,
        event_type: String,
        resource: Value,
    },
}

impl What {
    async fn send_once(&self, state: Arc<State>, url: &str) -> crate::error::Result<Attempt> {
        match self {
            What::Documented {
                mchid,
                n,
                content,
                sign_type,
            } => events::send_once(state, mchid, url, n, content, *sign_type).await,
            What::Brand {
                brand_id,
                event_type,
                resource,
            } => brand_coupons::send_once(state, brand_id, url, event_type, resource)
                .await
                .map(|(status, accepted)| Attempt {
                    status,
                    accepted,
                    envelope: String::new(),
                    reply: String::new(),
                }),
        }
    }
}

fn delivery(url: &str, event_type: String, subject: String) -> Delivery {
    Delivery {
        url: url.to_string(),
        event_type,
        subject,
        attempt: 0,
        status: None,
        outcome: "skipped".into(),
        error: None,
        next_retry_seconds: None,
        name: String::new(),
        resource: Value::Null,
        envelope: None,
        reply: None,
        millis: None,
    }
}

fn skip(state: &State, mut d: Delivery, why: String) {
    d.error = Some(why);
    record(state, d);
}

fn record(state: &State, d: Delivery) {
    state
        .flows
        .deliveries
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(d);
}

async fn deliver(state: Arc<State>, mut d: Delivery, schedule: &[u32], what: What) {
    let base = state
        .flows
        .config
        .retry_base
        .unwrap_or(Duration::from_secs(1));
    let url = d.url.clone();
    if !notify::loopback(&url) {
        return skip(
            &state,
            d,
            "not a loopback URL: the emulator never calls out".into(),
        );
    }
    for attempt in 0..=schedule.len() {
        if attempt > 0 {
            state.flows.clock.wait(base * schedule[attempt - 1]).await;
        }
        d.attempt = attempt as u32 + 1;
        let started = std::time::Instant::now();
        let sent = what.send_once(state.clone(), &url).await;
        d.millis = Some(started.elapsed().as_millis() as u64);
        let last = attempt == schedule.len();
        // The body as sent and the handler's reply, for the dashboard (a brand's: not kept).
        let sent = sent.map(|a| {
            if !a.envelope.is_empty() {
                d.envelope = Some(a.envelope);
                d.reply = Some(a.reply);
            }
            (a.status, a.accepted)
        });
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
