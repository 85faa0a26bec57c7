//! A client's state, split by concern so that each stage takes only the part it reads: the
//! identity that signs (`protocol`), the trust store (`keys`), the policies (`policy`) and the
//! transport (`exchange`). The client holds one `Context` in an `Arc`, shared by its clones.

use crate::answer::response::Response;
use crate::error::Result;
use crate::exchange::{Exchange, Sender};
use crate::keys::Trust;
use crate::policy::Policies;
use crate::protocol::identity::Identity;
use crate::request::media::Media;
use crate::request::prepared::PreparedRequest;
use http::Method;
use serde_json::Value;

/// Everything a call needs, shared by every clone of a client and every chain.
#[derive(Clone)]
pub(crate) struct Context {
    pub identity: Identity,
    pub trust: Trust,
    pub policies: Policies,
    pub exchange: Exchange,
}

impl Context {
    /// Prepares and signs one attempt of a call.
    pub(crate) fn prepare(
        &self,
        method: Method,
        template: &str,
        args: &Value,
        media: Option<&Media>,
    ) -> Result<PreparedRequest> {
        crate::request::pipeline::prepare(
            &self.identity,
            &self.policies,
            &self.trust.keyring,
            method,
            template,
            args,
            media,
        )
    }

    /// What sending a call reads. An answer naming an unknown serial comes back here, to the
    /// certificate download of `rotation`.
    pub(crate) fn sender(&self) -> Sender<'_> {
        Sender {
            transport: &self.exchange.transport,
            policies: &self.policies,
            keyring: &self.trust.keyring,
            apiv2_secret: self.identity.apiv2_secret(),
            refresh: self,
            mchid: &self.identity.id,
        }
    }

    /// Runs a call through the attempt loop; `make` prepares each attempt.
    pub(crate) async fn run<F>(
        &self,
        method: &Method,
        template: &str,
        make: impl Fn() -> F,
    ) -> Result<Response>
    where
        F: std::future::Future<Output = Result<PreparedRequest>>,
    {
        crate::exchange::attempts::run(&self.sender(), method, template, make).await
    }
}
