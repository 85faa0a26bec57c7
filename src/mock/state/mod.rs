//! Layer 3 of the emulator, state and flows: what the emulator remembers and the calls that
//! change it.
//!
//! - `emulator.rs`: the state below the front (keys, routes, scripts, faults, the flows' memory).
//! - `store.rs`: orders, refunds, bills handed out, deliveries; the trade bill's CSV.
//! - `orders.rs`: the order operations both APIs share (keep, find, close, pay).
//! - `flows.rs` (APIv3), `flows_v2.rs` (APIv2), `refunds.rs`, `bills.rs`: the flows.
//! - `fapiao.rs`: the fapiao file handed out and served unsigned with its `SM3-Digest`.
//! - `jobs.rs`, `notify.rs`, `deliver.rs`: notifications, sent to loopback URLs by a worker that
//!   retries on WeChat Pay's schedule (and pays orders automatically); `clock.rs`: the retries'
//!   waits, which "deliver due now" ends; `events.rs`: any documented notification, and those
//!   the calls without a flow schedule.
//! - `brand_coupons.rs`: the brands' product-coupon notify URL (`notify-configs`) and the
//!   notifications their coupon calls deliver.
//! - `dispatch.rs`: a request through the protocol checks, then to its script, its flow or its
//!   documented default answer.
//!
//! It may use the surface and the protocols below it, never the front.

pub(crate) mod bill_days;
pub(crate) mod bill_files;
pub(crate) mod bills;
pub(crate) mod bills_v2;
pub(crate) mod brand_coupons;
pub(crate) mod clock;
pub(crate) mod deliver;
pub(crate) mod dispatch;
pub(crate) mod emulator;
pub(crate) mod events;
pub(crate) mod fapiao;
pub(crate) mod flows;
pub(crate) mod flows_v2;
pub(crate) mod jobs;
pub(crate) mod notify;
pub(crate) mod orders;
pub(crate) mod refunds;
pub(crate) mod store;
