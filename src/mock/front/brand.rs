//! The server's methods for the brand API: the brands it knows, a brand client builder, and
//! product-coupon notifications as WeChat Pay sends them to a brand.

use super::server::Server;
use crate::builder::ClientBuilder;
use crate::error::Result;
use crate::mock::protocol::brand::{self, Brand};
use http::HeaderMap;
use serde_json::Value;

impl Server {
    /// A brand the emulator knows ([`ServerBuilder::brand`](crate::mock::ServerBuilder::brand)).
    pub fn brand(&self, brand_id: &str) -> Option<&Brand> {
        self.shared.state.brands.get(brand_id).map(|e| &e.brand)
    }

    /// A client builder that signs as brand `brand_id`: its id, certificate serial and key, the
    /// WeChat Pay public key (in either key mode: brands verify with it only), the brand API
    /// key, the emulator's base URI and CA.
    ///
    /// ```no_run
    /// # async fn run() -> wechatpay::Result<()> {
    /// use wechatpay::mock::{Brand, Server};
    /// let server = Server::builder().brand(Brand::generate("1001")?).start().await?;
    /// let client = server.brand_client_builder("1001").unwrap().build()?;
    /// let coupon = client
    ///     .chain("brand/marketing/product-coupon/product-coupons/{product_coupon_id}")
    ///     .get(serde_json::json!({ "product_coupon_id": "200000001" }))
    ///     .await?;
    /// println!("{}", coupon.json()?);
    /// # Ok(()) }
    /// ```
    pub fn brand_client_builder(&self, brand_id: &str) -> Option<ClientBuilder> {
        let b = self.brand(brand_id)?;
        Some(
            ClientBuilder::new()
                .brand_id(&b.brand_id)
                .serial(&b.serial)
                .private_key(b.private_key_pem.as_bytes())
                .public_key(self.public_key_id(), self.public_key_pem())
                .brand_api_key(b.brand_api_key.as_bytes())
                .base_uri(self.url())
                .add_root_certificate(self.ca_pem()),
        )
    }

    /// A product-coupon notification (e.g. `PRODUCT_COUPON.SEND`) as WeChat Pay would send it
    /// to brand `brand_id`, without sending it: the `Wechatpay-*` headers under the public key
    /// id and the JSON envelope whose `resource` is sealed with AES-256-GCM under the brand API
    /// key. The signature faults apply.
    pub fn brand_notification(
        &self,
        brand_id: &str,
        event_type: &str,
        resource: &Value,
    ) -> Result<(HeaderMap, Vec<u8>)> {
        let faults = self.shared.state.faults();
        brand::notification(
            &self.shared.state.keys,
            &self.shared.state.brands,
            &faults,
            brand_id,
            event_type,
            resource,
        )
    }
}

/// The admin API's `POST /__emulator/brand-notify/{brand_id}`: `{"event_type", "resource",
/// "to", "retry"}` sends a product-coupon notification to `to`, or to the URL the brand set
/// with `notify-configs`; once (answering the handler's status), or with `"retry": true`
/// queued for the worker, retried on WeChat Pay's schedule and listed in the deliveries.
pub(crate) async fn admin(
    state: &std::sync::Arc<crate::mock::state::emulator::State>,
    method: &http::Method,
    parts: &[&str],
    body: &Value,
) -> Option<(http::StatusCode, Value)> {
    use crate::mock::state::{brand_coupons, jobs::Job};
    use http::StatusCode;
    use serde_json::json;
    let ("POST", ["brand-notify", brand_id]) = (method.as_str(), parts) else {
        return None;
    };
    let bad = |code: StatusCode, why: String| {
        Some((code, json!({ "code": "PARAM_ERROR", "message": why })))
    };
    let Some(entry) = state.brands.get(*brand_id) else {
        return bad(
            StatusCode::NOT_FOUND,
            format!("the emulator has no brand {brand_id}"),
        );
    };
    let url = match body["to"].as_str() {
        Some(u) => u.to_string(),
        None => match brand_coupons::notify_config(entry) {
            Some((u, _)) => u,
            None => {
                return bad(
                    StatusCode::BAD_REQUEST,
                    "`to` is required: the brand set no notify_url (notify-configs)".into(),
                )
            }
        },
    };
    let event_type = body["event_type"]
        .as_str()
        .unwrap_or(brand_coupons::SEND_EVENT)
        .to_string();
    let resource = body.get("resource").cloned().unwrap_or(json!({}));
    if body["retry"].as_bool() == Some(true) {
        state.flows.job(Job::BrandNotify {
            brand_id: brand_id.to_string(),
            url,
            subject: event_type.clone(),
            event_type: event_type.clone(),
            resource,
        });
        return Some((StatusCode::ACCEPTED, json!({ "scheduled": event_type })));
    }
    Some(
        match brand_coupons::send_once(state.clone(), brand_id, &url, &event_type, &resource).await
        {
            Ok((status, accepted)) => (
                StatusCode::OK,
                json!({ "event_type": event_type, "status": status, "accepted": accepted }),
            ),
            Err(crate::error::Error::Argument { reason, .. }) => {
                return bad(StatusCode::BAD_REQUEST, reason)
            }
            Err(e) => (
                StatusCode::BAD_GATEWAY,
                json!({ "code": "NOT_DELIVERED", "message": e.to_string() }),
            ),
        },
    )
}
