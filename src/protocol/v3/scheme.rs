//! Who signs an APIv3-style request: the `Authorization` scheme token, the pair that names the
//! signer (`mchid` or `brand_id`), the order of the pairs, the paths the scheme's calls live
//! under, and what its answers and notifications are verified and decrypted with. The string
//! signed and the algorithm (SHA256withRSA) are the same for every scheme here; a third identity
//! is one more constant.

/// An APIv3-style signature scheme: a merchant's or a brand's.
///
/// ```
/// use wechatpay::v3::Scheme;
/// assert_eq!(Scheme::for_path("brand/card-member/cards"), &Scheme::BRAND);
/// assert_eq!(Scheme::for_path("v3/pay/transactions/native"), &Scheme::MERCHANT);
/// let h = Scheme::BRAND.authorization("1001", "3493DE0D9BB4EB98A8C65EAA7E8EE887EC24B71A",
///     1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", "SIG==");
/// assert_eq!(h, "WECHATPAY-BRAND-SHA256-RSA2048 brand_id=\"1001\",nonce_str=\"593BEC0C930BF1AFEB40B4A08C8FB242\",timestamp=\"1554208460\",serial_no=\"3493DE0D9BB4EB98A8C65EAA7E8EE887EC24B71A\",signature=\"SIG==\"");
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct Scheme {
    /// The `Authorization` scheme token.
    pub name: &'static str,
    /// The key of the pair naming the signer.
    pub id_field: &'static str,
    /// Who signs, in words, for error messages: `merchant`, `brand`.
    pub signer: &'static str,
    /// The path prefix (relative to the base URI) of this scheme's calls; `None`: every path
    /// no other scheme claims.
    pub prefix: Option<&'static str>,
    /// The pairs in the order they are written (`id` stands for [`id_field`](Self::id_field)).
    order: [Pair; 5],
    /// The builder setting of the key that decrypts its notifications.
    pub notification_key: &'static str,
    /// That key's name in WeChat Pay's documents.
    pub notification_key_name: &'static str,
    /// Whether answers may be signed by a downloadable platform certificate; a brand's are
    /// verified with the WeChat Pay public key only.
    pub platform_certificates: bool,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Pair {
    Id,
    Serial,
    Timestamp,
    Nonce,
    Signature,
}

impl Scheme {
    /// A merchant's APIv3 scheme, `WECHATPAY2-SHA256-RSA2048 mchid="…",…`.
    pub const MERCHANT: Scheme = Scheme {
        name: "WECHATPAY2-SHA256-RSA2048",
        id_field: "mchid",
        signer: "merchant",
        prefix: None,
        order: [
            Pair::Id,
            Pair::Serial,
            Pair::Timestamp,
            Pair::Nonce,
            Pair::Signature,
        ],
        notification_key: "apiv3_key",
        notification_key_name: "APIv3 key",
        platform_certificates: true,
    };

    /// A brand's scheme (品牌经营平台, calls under `brand/`),
    /// `WECHATPAY-BRAND-SHA256-RSA2048 brand_id="…",…`, its pairs in the order of WeChat Pay's
    /// signing rules and Go utility (`brand_id, nonce_str, timestamp, serial_no, signature`).
    pub const BRAND: Scheme = Scheme {
        name: "WECHATPAY-BRAND-SHA256-RSA2048",
        id_field: "brand_id",
        signer: "brand",
        prefix: Some("brand/"),
        order: [
            Pair::Id,
            Pair::Nonce,
            Pair::Timestamp,
            Pair::Serial,
            Pair::Signature,
        ],
        notification_key: "brand_api_key",
        notification_key_name: "brand API key (品牌API密钥)",
        platform_certificates: false,
    };

    /// A merchant's 国密 scheme (feature `shangmi` signs it), `WECHATPAY2-SM2-WITH-SM3 mchid="…",…`:
    /// the merchant's pairs in the merchant's order (the official Java SDK's
    /// `WechatPay2Credential` with its `SM2Signer`), SM2 with SM3 in place of RSA, the same
    /// paths; callbacks sealed AEAD_SM4_GCM under a key derived from the APIv3 key.
    pub const SHANGMI: Scheme = Scheme {
        name: "WECHATPAY2-SM2-WITH-SM3",
        signer: "merchant (国密)",
        ..Scheme::MERCHANT
    };

    /// Every scheme, the ones with a prefix first.
    pub const ALL: [&'static Scheme; 3] = [&Scheme::BRAND, &Scheme::MERCHANT, &Scheme::SHANGMI];

    /// The scheme that signs calls to `path` (relative to the base URI, no leading `/`).
    pub fn for_path(path: &str) -> &'static Scheme {
        Scheme::ALL
            .into_iter()
            .find(|s| s.prefix.is_none_or(|p| path.starts_with(p)))
            .unwrap_or(&Scheme::MERCHANT)
    }

    /// The scheme whose token starts an `Authorization` value, with the pairs after it.
    pub fn parse_token(authorization: &str) -> Option<(&'static Scheme, &str)> {
        let (token, rest) = authorization.split_once(' ')?;
        Scheme::ALL
            .into_iter()
            .find(|s| s.name == token)
            .map(|s| (s, rest))
    }

    /// The `Authorization` header value, the pairs in this scheme's order.
    pub fn authorization(
        &self,
        id: &str,
        serial: &str,
        timestamp: i64,
        nonce: &str,
        signature_b64: &str,
    ) -> String {
        // Sized exactly, the timestamp written in place: the header is built for every call,
        // and a string whose length is its capacity becomes the header's bytes without a copy
        // or another allocation.
        let digits = |mut n: u64| {
            let mut d = 1;
            while n >= 10 {
                n /= 10;
                d += 1;
            }
            d
        };
        let pairs = self.order.iter().map(|pair| match pair {
            Pair::Id => (self.id_field, id),
            Pair::Serial => ("serial_no", serial),
            Pair::Timestamp => ("timestamp", ""),
            Pair::Nonce => ("nonce_str", nonce),
            Pair::Signature => ("signature", signature_b64),
        });
        let len = self.name.len()
            + pairs
                .clone()
                .map(|(k, v)| k.len() + v.len() + 4)
                .sum::<usize>()
            + digits(timestamp.unsigned_abs())
            + usize::from(timestamp < 0);
        let mut out = String::with_capacity(len);
        out.push_str(self.name);
        for (i, (pair, (key, value))) in self.order.iter().zip(pairs).enumerate() {
            out.push(if i == 0 { ' ' } else { ',' });
            out.push_str(key);
            out.push_str("=\"");
            if let Pair::Timestamp = pair {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("{timestamp}"));
            } else {
                out.push_str(value);
            }
            out.push('"');
        }
        debug_assert_eq!(out.len(), out.capacity());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Scheme;

    #[test]
    fn the_authorization_value_is_sized_exactly() {
        let sig = "S".repeat(344);
        for scheme in [Scheme::MERCHANT, Scheme::BRAND, Scheme::SHANGMI] {
            for ts in [0, 9, 10, 1_554_208_460, -1, -42, i64::MAX, i64::MIN] {
                let h = scheme.authorization("1900000001", "SERIAL", ts, "NONCE", &sig);
                assert_eq!(h.len(), h.capacity(), "{} at {ts}", scheme.name);
                assert!(h.contains(&format!("timestamp=\"{ts}\"")), "{h}");
            }
        }
    }
}
