//! Default answers in the documented shape: every required response field (and every optional
//! one the request gave a value for, and the optional top-level scalars), with a value of the
//! documented type. Values echo the
//! request where a field has a request field's name; enums take their first value; ids are
//! digits derived from a hash of the request, so the same request gets the same ids; times
//! are the time of the call, RFC 3339 at +08:00 (APIv2: `yyyyMMddHHmmss`); amounts are integers;
//! sensitive fields are base64 RSA-OAEP under the merchant's public key, holding the value the
//! request sent under that name (decrypted with the platform key) where it sent one; arrays hold
//! one element.

use super::request::Request;
use crate::catalogue::{Endpoint, Field};
use crate::mock::protocol::call::Call;
use crate::mock::protocol::keys::Merchant;
use crate::mock::protocol::notification::beijing_time;
use crate::mock::protocol::sensitive::Sensitive;
use serde_json::{Map, Number, Value};

fn required(fields: &[Field], name: &str) -> bool {
    fields.iter().any(|f| f.name == name && f.required)
}

/// The answer maker for one request.
pub(crate) struct Synth<'a> {
    seed: String,
    echo: Map<String, Value>,
    /// Opens the sensitive fields the request sent, to seal them back to the merchant.
    sensitive: Sensitive<'a>,
    mchid: &'a str,
    /// APIv2 formats (compact times and dates).
    v2: bool,
    /// The time of the call in Beijing, `yyyy-MM-ddTHH:mm:ss+08:00`.
    now: String,
}

impl<'a> Synth<'a> {
    pub(crate) fn new(call: &Call<'a>, req: &Request, sensitive: Sensitive<'a>) -> Synth<'a> {
        let mut seen = Vec::with_capacity(call.body.len() + call.path.len() + 16);
        seen.extend_from_slice(call.method.as_str().as_bytes());
        seen.extend_from_slice(call.path.as_bytes());
        seen.extend_from_slice(call.query.unwrap_or("").as_bytes());
        // APIv2 bodies carry a fresh nonce_str and sign: hash the fields without them.
        match &req.v2 {
            Some(fields) => {
                for (k, v) in fields {
                    if k != "nonce_str" && k != "sign" {
                        seen.extend_from_slice(format!("{k}={v}&").as_bytes());
                    }
                }
            }
            None => seen.extend_from_slice(call.body),
        }
        Synth {
            seed: crate::crypto::sha256_hex(&seen),
            echo: req.scalars(),
            sensitive,
            mchid: &call.entry.merchant.mchid,
            v2: req.v2.is_some(),
            now: beijing_time(crate::util::unix_now()),
        }
    }

    /// A maker seeded by `seed` alone (a notification has no request to derive values from).
    pub(crate) fn seeded(
        seed: &str,
        mchid: &'a str,
        sensitive: impl Into<Sensitive<'a>>,
        v2: bool,
    ) -> Synth<'a> {
        Synth {
            seed: crate::crypto::sha256_hex(seed.as_bytes()),
            echo: Map::new(),
            sensitive: sensitive.into(),
            mchid,
            v2,
            now: beijing_time(crate::util::unix_now()),
        }
    }

    /// The answer's top level: its required fields, the optional ones the request gave a value
    /// for, and the optional scalars (`transaction_id`, `trade_state`…: what a caller reads).
    pub(crate) fn answer(&self, fields: &[Field]) -> Map<String, Value> {
        let mut out = self.object(fields);
        for field in fields {
            let scalar = matches!(
                field.kind.as_str(),
                "string" | "integer" | "number" | "boolean"
            ) && !field.has_fields();
            let name = field.name.replace("$n", "0").replace("$m", "0");
            if scalar && !out.contains_key(&name) {
                out.insert(name, self.value(field));
            }
        }
        out
    }

    /// A JSON object of these fields: the required ones and those the request gave.
    pub(crate) fn object(&self, fields: &[Field]) -> Map<String, Value> {
        let mut out = Map::new();
        for field in fields {
            // `coupon_fee_$n`: the documentation's device for `coupon_fee_0`, `coupon_fee_1`…
            let name = field.name.replace("$n", "0").replace("$m", "0");
            if out.contains_key(&name) {
                continue; // an alternative row of the same name
            }
            let echoed = self.echoed(field);
            if let Some(v) = echoed {
                out.insert(name, v);
            } else if field.required {
                out.insert(name, self.value(field));
            }
        }
        out
    }

    /// An APIv2 message: `SUCCESS` codes and these fields (`nonce_str` and `sign` are added
    /// when it is signed).
    pub(crate) fn v2_message(&self, fields: &[Field], merchant: &Merchant) -> Map<String, Value> {
        let mut out = Map::new();
        // Derived from the request too, so the same request gets the same nonce.
        out.insert("nonce_str".into(), self.hex("nonce_str")[..32].into());
        out.insert("return_code".into(), "SUCCESS".into());
        out.insert("return_msg".into(), "OK".into());
        let body = self.answer(fields);
        for (k, v) in body {
            match k.as_str() {
                "return_code" | "return_msg" | "sign" | "nonce_str" => {}
                "result_code" => {
                    out.insert(k, "SUCCESS".into());
                }
                // Listed as required by a few tables: the success values.
                "err_code" if required(fields, &k) => {
                    out.insert(k, "SUCCESS".into());
                }
                "err_code_des" if required(fields, &k) => {
                    out.insert(k, "OK".into());
                }
                "err_code" | "err_code_des" => {}
                _ => {
                    out.insert(k, v);
                }
            }
        }
        if fields.iter().any(|f| f.name == "mch_id") {
            out.entry("mch_id")
                .or_insert_with(|| Value::String(merchant.mchid.clone()));
        }
        out
    }

    /// A download's bytes.
    pub(crate) fn file(&self, endpoint: &Endpoint) -> Vec<u8> {
        if endpoint.template.contains("images") {
            // A PNG signature and a hash: enough to be recognised as an image.
            let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
            png.extend_from_slice(self.seed.as_bytes());
            return png;
        }
        format!(
            // A bill's form (BOM, CRLF, backticked values, summary rows), as WeChat Pay sends its
            // files; the real ones come from the state's flows.
            "\u{feff}交易时间,公众账号ID,商户号,微信订单号,商户订单号,订单金额\r\n`{} {},`wxd678efh567hg6787,`{},`{},`{},`1.00\r\n总交易单数,订单总金额\r\n`1,`1.00\r\n",
            &self.now[..10],
            &self.now[11..19],
            self.mchid,
            self.digits("transaction_id", 28),
            self.digits("out_trade_no", 20)
        )
        .into_bytes()
    }

    /// The request's value for a field of this name, when it fits the field.
    fn echoed(&self, field: &Field) -> Option<Value> {
        if field.encrypted {
            return self.sensitive_echo(field).map(Value::String);
        }
        if field.has_fields() {
            return None;
        }
        let v = self.echo.get(&field.name)?;
        let text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if !field.enumeration.is_empty() && !field.enumeration.contains(&text) {
            return None;
        }
        match (field.kind.as_str(), v) {
            (_, _) if self.v2 && !matches!(v, Value::Object(_) | Value::Array(_)) => {
                Some(Value::String(text))
            }
            ("string", Value::String(_)) => Some(v.clone()),
            ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => Some(v.clone()),
            ("integer", Value::String(s)) => s.parse::<i64>().ok().map(Value::from),
            ("number" | "float", Value::Number(_)) => Some(v.clone()),
            ("number" | "float", Value::String(s)) => s.parse::<i64>().ok().map(Value::from),
            ("boolean", Value::Bool(_)) => Some(v.clone()),
            _ => None,
        }
    }

    /// A sensitive field the request sent under this name, sealed for the merchant: what it
    /// sent encrypted is opened with the platform key first (a value that does not open was
    /// sent in plain text, where the request's table does not call it sensitive).
    fn sensitive_echo(&self, field: &Field) -> Option<String> {
        let Some(Value::String(sent)) = self.echo.get(&field.name) else {
            return None;
        };
        let plain = self.sensitive.open(sent).unwrap_or_else(|_| sent.clone());
        self.sensitive.seal(&plain).ok()
    }

    /// A value of the field's type.
    fn value(&self, field: &Field) -> Value {
        match field.kind.as_str() {
            "object" => Value::Object(self.object(&field.children)),
            "object[]" => Value::Array(vec![Value::Object(self.object(&field.children))]),
            "string[]" => Value::Array(vec![Value::String(self.string(field))]),
            "integer[]" | "number[]" => Value::Array(vec![self.number(field)]),
            "integer" | "number" | "float" => self.number(field),
            "boolean" => match field.enumeration.first().map(String::as_str) {
                Some("false") => Value::Bool(false),
                _ => Value::Bool(true),
            },
            _ => Value::String(self.string(field)),
        }
    }

    fn number(&self, field: &Field) -> Value {
        if let Some(first) = field.enumeration.first() {
            if let Ok(i) = first.parse::<i64>() {
                return Value::from(i);
            }
            if let Some(n) = first.parse::<f64>().ok().and_then(Number::from_f64) {
                return Value::Number(n);
            }
        }
        let n = field.name.to_ascii_lowercase();
        let money = [
            "amount", "total", "fee", "price", "refund", "balance", "fund",
        ];
        if money.iter().any(|m| n.contains(m)) {
            Value::from(100)
        } else {
            Value::from(1)
        }
    }

    fn string(&self, field: &Field) -> String {
        if let Some(first) = field.enumeration.first() {
            return first.clone();
        }
        if field.encrypted {
            return self.sensitive.seal("emulated").unwrap_or_default();
        }
        if field.has_fields() {
            // A string holding JSON (`promotion_detail`, `receivers`…).
            let inner = Value::Object(self.object(&field.children));
            return inner.to_string();
        }
        let n = field.name.to_ascii_lowercase();
        if n.ends_with("time") || n.ends_with("_at") || n.starts_with("time_") {
            return if self.v2 {
                compact(&self.now[..19])
            } else {
                self.now.clone()
            };
        }
        if n.ends_with("date") {
            return if self.v2 {
                compact(&self.now[..10])
            } else {
                self.now[..10].to_string()
            };
        }
        if n.ends_with("state") || n.ends_with("status") {
            return "SUCCESS".into();
        }
        match n.as_str() {
            "mchid" | "mch_id" | "sp_mchid" => return self.mchid.to_string(),
            "trade_type" => return "JSAPI".into(),
            "bank_type" => return "OTHERS".into(),
            "transaction_id" => return format!("4200{}", self.digits(&n, 24)),
            "refund_id" => return format!("50{}", self.digits(&n, 27)),
            "prepay_id" => return format!("wx{}", &self.hex(&n)[..32]),
            "code_url" => return format!("weixin://wxpay/bizpayurl?pr={}", &self.hex(&n)[..9]),
            "currency" | "payer_currency" | "refund_currency" => return "CNY".into(),
            _ => {}
        }
        if n.ends_with("mchid") || n.ends_with("mch_id") {
            return format!("19{}", self.digits(&n, 8));
        }
        if n.ends_with("appid") {
            return "wxd678efh567hg6787".into();
        }
        if n.ends_with("openid") {
            return "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into();
        }
        if n.ends_with("url") {
            return format!(
                "https://api.mch.weixin.qq.com/emulated/{}",
                &self.hex(&n)[..16]
            );
        }
        if n.ends_with("id") || n.ends_with("_no") || n.ends_with("code") {
            return self.digits(&n, 28);
        }
        format!("emulated-{}", &self.hex(&n)[..8])
    }

    /// Hex of the request's hash and a name.
    fn hex(&self, name: &str) -> String {
        crate::crypto::sha256_hex(format!("{}:{name}", self.seed).as_bytes())
    }

    /// `len` decimal digits derived from the request and a name (never a leading zero).
    fn digits(&self, name: &str, len: usize) -> String {
        let hex = self.hex(name) + &self.hex(&format!("{name}+"));
        let mut out: String = hex
            .bytes()
            .map(|b| char::from(b'0' + (b % 10)))
            .take(len)
            .collect();
        if out.starts_with('0') {
            out.replace_range(..1, "1");
        }
        out
    }
}

/// `2026-06-01T12:00:00` → `20260601120000`, APIv2's form.
fn compact(rfc3339: &str) -> String {
    rfc3339.chars().filter(char::is_ascii_digit).collect()
}
