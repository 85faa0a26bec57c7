//! The work around each signature, step by step: building a path in each form, preparing a
//! request with a no-op signer (template expansion, URL, JSON, headers: everything but RSA), the
//! Authorization header, answer verification, notification parsing, APIv2 signing and XML.
//!
//! `cargo bench --bench pipeline` (figures in docs/performance.md)

use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use std::hint::black_box;
use std::sync::Arc;
use wechatpay::crypto::aes::aes_256_gcm_encrypt;
use wechatpay::crypto::{PrivateKey, Signer};
use wechatpay::http::{HeaderMap, HeaderValue, Method};
use wechatpay::v2::{sign, xml, SignType};
use wechatpay::{chain, v3, Client, Keyring};

const KEY: &str = include_str!("../tests/fixtures/client/merchant_key.pem");
const WECHATPAY_KEY: &str = include_str!("../tests/fixtures/client/wechatpay_key.pem");
const PUB: &str = include_str!("../tests/fixtures/client/wechatpay_pub.pem");
const PUB_ID: &str = "PUB_KEY_ID_0119000000012024000000000000";
const APIV3_KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

/// A signer that does no RSA: what remains is the client's own work.
struct NoRsa;

impl Signer for NoRsa {
    fn sign(&self, _message: &[u8]) -> wechatpay::Result<Vec<u8>> {
        Ok(vec![0u8; 256])
    }
}

fn builder() -> wechatpay::ClientBuilder {
    Client::builder()
        .mchid("1230000109")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .public_key(PUB_ID, PUB)
        .apiv3_key(APIV3_KEY)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// WeChat Pay's four headers over `body`, signed with the test WeChat Pay key.
fn signed_headers(body: &[u8]) -> HeaderMap {
    let ts = now().to_string();
    let sig = PrivateKey::from_pem(WECHATPAY_KEY)
        .unwrap()
        .sign(&v3::canonical_response(&ts, "NONCE", body))
        .unwrap();
    let mut h = HeaderMap::new();
    h.insert("Wechatpay-Timestamp", HeaderValue::from_str(&ts).unwrap());
    h.insert("Wechatpay-Nonce", HeaderValue::from_static("NONCE"));
    h.insert("Wechatpay-Serial", HeaderValue::from_static(PUB_ID));
    let b64 = base64::engine::general_purpose::STANDARD.encode(sig);
    h.insert("Wechatpay-Signature", HeaderValue::from_str(&b64).unwrap());
    h
}

fn paths(c: &mut Criterion) {
    let client = builder().signer(Arc::new(NoRsa)).build().unwrap();
    c.bench_function("path: chain! macro", |b| {
        b.iter(|| chain!(client.v3.pay.transactions.outTradeNo._out_trade_no_.close))
    });
    c.bench_function("path: seg() by seg()", |b| {
        b.iter(|| {
            client
                .v3()
                .seg("pay")
                .seg("transactions")
                .seg("outTradeNo")
                .seg("_out_trade_no_")
                .seg("close")
        })
    });
    c.bench_function("path: chain(template)", |b| {
        b.iter(|| {
            client.chain(black_box(
                "v3/pay/transactions/out-trade-no/{out_trade_no}/close",
            ))
        })
    });
    c.bench_function("path: client[template] (cached)", |b| {
        b.iter(|| {
            client[black_box("v3/pay/transactions/out-trade-no/{out_trade_no}/close")]
                .template()
                .len()
        })
    });
    let args = json!({
        "out_trade_no": "1217752501201407033233368018",
        "json": {"appid": "wxd678efh567hg6787", "mchid": "1230000109", "description": "Image形象店-深圳腾大-QQ公仔",
                 "notify_url": "https://www.weixin.qq.com/wxpay/pay.php", "amount": {"total": 100, "currency": "CNY"}},
    });
    // Expansion alone: the same GET with its three placeholders filled, against one without.
    let filled = json!({"stock_id": "9856000", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "coupon_id": "9867041",
                        "query": {"appid": "wxd678efh567hg6787"}});
    c.bench_function(
        "template expansion: GET with 3 placeholders and a query",
        |b| {
            b.iter(|| {
                client
                    .chain(
                        "v3/marketing/favor/stocks/{stock_id}/users/{openid}/coupons/{coupon_id}",
                    )
                    .prepare(Method::GET, black_box(filled.clone()))
                    .unwrap()
            })
        },
    );
    let plain = json!({"query": {"appid": "wxd678efh567hg6787"}});
    c.bench_function(
        "template expansion: the same GET with no placeholder",
        |b| {
            b.iter(|| {
                client
                    .chain("v3/marketing/favor/stocks/users/coupons")
                    .prepare(Method::GET, black_box(plain.clone()))
                    .unwrap()
            })
        },
    );
    // Issue 22's "keyless prepare": the chain, the template, the URL and the headers of an order
    // query, signed by the no-op signer; the arguments are cloned outside the timing.
    let query =
        json!({"out_trade_no": "1217752501201407033233368018", "query": {"mchid": "1230000109"}});
    c.bench_function("keyless prepare: chain, template, URL (GET)", |b| {
        b.iter_batched(
            || query.clone(),
            |args| {
                client
                    .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
                    .prepare(Method::GET, args)
                    .unwrap()
            },
            criterion::BatchSize::SmallInput,
        )
    });
    c.bench_function("keyless prepare: POST with a JSON body", |b| {
        b.iter_batched(
            || args.clone(),
            |args| {
                client
                    .chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close")
                    .prepare(Method::POST, args)
                    .unwrap()
            },
            criterion::BatchSize::SmallInput,
        )
    });
    c.bench_function(
        "prepare v3 POST without RSA (expand, URL, JSON, headers)",
        |b| {
            b.iter(|| {
                client
                    .chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close")
                    .prepare(Method::POST, black_box(args.clone()))
                    .unwrap()
            })
        },
    );
}

fn headers(c: &mut Criterion) {
    let key = PrivateKey::from_pem(KEY).unwrap();
    c.bench_function(
        "Authorization header (canonical string, RSA, format)",
        |b| {
            b.iter(|| {
                let message = v3::canonical_request(
                "POST",
                black_box("/v3/pay/transactions/native"),
                1554208460,
                "593BEC0C930BF1AFEB40B4A08C8FB242",
                br#"{"appid":"wxd678efh567hg6787","mchid":"1230000109","amount":{"total":100}}"#,
            );
                let sig =
                    base64::engine::general_purpose::STANDARD.encode(key.sign(&message).unwrap());
                v3::authorization(
                    "1230000109",
                    "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
                    1554208460,
                    "593BEC0C930BF1AFEB40B4A08C8FB242",
                    &sig,
                )
            })
        },
    );
}

fn inbound(c: &mut Criterion) {
    let ring = Keyring::default();
    ring.insert_key(
        PUB_ID,
        wechatpay::crypto::PublicKey::from_pem(PUB).unwrap(),
        None,
    );
    let body = br#"{"trade_state":"SUCCESS","out_trade_no":"1217752501201407033233368018","amount":{"total":100}}"#;
    let h = signed_headers(body);
    c.bench_function("answer verification", |b| {
        b.iter(|| {
            v3::verify_response(
                &ring,
                now(),
                "/v3/pay/transactions/id/1",
                black_box(&h),
                black_box(body),
            )
            .unwrap()
        })
    });
    let resource = json!({"out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS", "amount": {"total": 100}});
    let ciphertext = aes_256_gcm_encrypt(
        APIV3_KEY,
        b"fdasflkja484",
        b"transaction",
        resource.to_string().as_bytes(),
    )
    .unwrap();
    let notification = json!({
        "id": "EV-2018022511223320873", "create_time": "2015-05-20T13:29:35+08:00", "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
        "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": ciphertext,
                     "associated_data": "transaction", "nonce": "fdasflkja484"},
    })
    .to_string()
    .into_bytes();
    let nh = signed_headers(&notification);
    let parser = wechatpay::notify::NotificationParser::new(&ring, APIV3_KEY);
    c.bench_function("notification parsing (verify, decrypt, JSON)", |b| {
        b.iter(|| {
            parser
                .parse_at(black_box(&nh), black_box(&notification), now())
                .unwrap()
        })
    });
}

fn apiv2(c: &mut Criterion) {
    let secret = "192006250b4c09247ec02edce69f6a2d";
    let fields = json!({"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000", "body": "test",
                        "nonce_str": "ibuaiVcKdpRxkhJA", "out_trade_no": "1217752501201407033233368018", "total_fee": 100});
    let fields = fields.as_object().unwrap().clone();
    c.bench_function("APIv2 sign (MD5)", |b| {
        b.iter(|| sign::sign(SignType::Md5, black_box(&fields), secret).unwrap())
    });
    c.bench_function("APIv2 sign (HMAC-SHA256)", |b| {
        b.iter(|| sign::sign(SignType::HmacSha256, black_box(&fields), secret).unwrap())
    });
    let text = xml::to_xml(&fields);
    c.bench_function("APIv2 XML write", |b| {
        b.iter(|| xml::to_xml(black_box(&fields)))
    });
    c.bench_function("APIv2 XML read", |b| {
        b.iter(|| xml::from_xml(black_box(&text)).unwrap())
    });
}

criterion_group!(benches, paths, headers, inbound, apiv2);
criterion_main!(benches);
