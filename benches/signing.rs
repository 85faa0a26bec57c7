//! What every call costs before it reaches the network: RSA signing on each backend, answer
//! verification, and preparing a whole APIv3 and APIv2 request.
//!
//! `cargo bench --features rustcrypto --bench signing`

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use std::hint::black_box;
use wechatpay::crypto::{Backend, PrivateKey, Signer, Verifier};
use wechatpay::http::Method;
use wechatpay::Client;

const KEY: &str = include_str!("../tests/fixtures/client/merchant_key.pem");
const PUB: &str = include_str!("../tests/fixtures/client/wechatpay_pub.pem");

fn rsa(c: &mut Criterion) {
    let message = b"POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{\"appid\":\"wxd678efh567hg6787\",\"mchid\":\"1230000109\",\"description\":\"Image\",\"amount\":{\"total\":100}}\n";
    for &backend in Backend::all() {
        let name = format!("{backend:?}");
        let key = PrivateKey::from_pem(KEY)
            .unwrap()
            .with_backend(backend)
            .unwrap();
        let public = key.public_key().with_backend(backend).unwrap();
        let sig = Signer::sign(&key, message).unwrap();
        c.bench_function(&format!("rsa2048 sign ({name})"), |b| {
            b.iter(|| Signer::sign(&key, black_box(message)).unwrap())
        });
        c.bench_function(&format!("rsa2048 verify ({name})"), |b| {
            b.iter(|| Verifier::verify(&public, black_box(message), black_box(&sig)).unwrap())
        });
    }
}

fn prepare(c: &mut Criterion) {
    let client = Client::builder()
        .mchid("1230000109")
        .serial("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
        .private_key(KEY)
        .public_key("PUB_KEY_ID_0119000000012024000000000000", PUB)
        .apiv2_secret("192006250b4c09247ec02edce69f6a2d")
        .build()
        .unwrap();
    let v3 = json!({
        "out_trade_no": "1217752501201407033233368018",
        "json": { "appid": "wxd678efh567hg6787", "mchid": "1230000109", "description": "Image形象店-深圳腾大-QQ公仔",
                  "notify_url": "https://www.weixin.qq.com/wxpay/pay.php", "amount": { "total": 100, "currency": "CNY" } },
    });
    c.bench_function("prepare v3 POST (template, sign)", |b| {
        b.iter(|| {
            client
                .chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close")
                .prepare(Method::POST, black_box(v3.clone()))
                .unwrap()
        })
    });
    let v2 = json!({ "xml": { "appid": "wxd930ea5d5a258f4f", "mch_id": "1230000109", "out_trade_no": "1217752501201407033233368018", "sign_type": "HMAC-SHA256" } });
    c.bench_function("prepare v2 POST (HMAC-SHA256, XML)", |b| {
        b.iter(|| {
            client["v2/pay/orderquery"]
                .prepare(Method::POST, black_box(v2.clone()))
                .unwrap()
        })
    });
}

criterion_group!(benches, rsa, prepare);
criterion_main!(benches);
