//! Layer 2 of the emulator, the documented surface: which calls exist and what they look like.
//!
//! - `routes.rs`: the path templates, from the catalogue (1,143 documented calls) and scripts.
//! - `request.rs`: a verified call's values, read once (path, query, JSON, `meta`, APIv2 fields).
//! - `checks.rs`: the documented field checks (required, type, enum, sensitive fields).
//! - `synth.rs`: the documented default answer, in the documented shape.
//! - `documented.rs`: a verified call against the surface (route, checks, default answer).
//! - `answers.rs`: scripted answers ([`Server::on`](crate::mock::Server::on)).
//! - `notifications.rs`: a documented notification's content (synthesized from its table, the
//!   caller's values merged) and its sealing.
//!
//! It may use the protocol layer (`protocol/`), never the state or the front: a call a flow
//! answers is routed by the dispatch above (`state/dispatch.rs`), which asks this layer for the
//! checks and the default answer.

pub(crate) mod answers;
pub(crate) mod checks;
pub(crate) mod documented;
pub(crate) mod notifications;
pub(crate) mod request;
pub(crate) mod routes;
pub(crate) mod synth;
