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
