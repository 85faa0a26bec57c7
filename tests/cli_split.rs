//! Split signing: `--string-to-sign` with no private key, then `--signature` made elsewhere.

mod cli_common;
use base64::Engine as _;
use cli_common::{run, Emulator};
use serde_json::Value;
use wechatpay::crypto::PrivateKey;

#[test]
fn a_signature_made_elsewhere_is_sent_and_the_answer_verified() {
    let emu = Emulator::start("cli-split");
    let call = [
        "POST",
        "v3/payscore/serviceorder/{out_order_no}/cancel",
        "out_order_no=X1",
        "json.appid=wx1",
        "json.service_id=1",
        "json.reason=r",
    ];
    // No private key on this side.
    let keyless = emu.vars_with(&[("WECHATPAY_PRIVATE_KEY", "")]);
    let mut args = vec!["request", "--string-to-sign", "--timestamp", "0"];
    args.extend(call);
    // A fixed timestamp is taken as given.
    let (code, out, err) = run(&args, &keyless);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.split('\n').collect();
    assert_eq!(lines[0], "POST");
    assert_eq!(lines[1], "/v3/payscore/serviceorder/X1/cancel");
    assert_eq!(lines[2], "0");
    assert_eq!(lines[4], r#"{"appid":"wx1","service_id":"1","reason":"r"}"#);
    assert!(out.ends_with('\n'));

    let mut args = vec!["request", "--string-to-sign"];
    args.extend(call);
    let (code, message, err) = run(&args, &keyless);
    assert_eq!(code, 0, "{err}");
    let words: Vec<&str> = err.split_whitespace().collect();
    let (ts, nonce) = (words[1], words[3]);
    assert_eq!(message.split('\n').nth(2), Some(ts));
    assert_eq!(message.split('\n').nth(3), Some(nonce));

    // Signed elsewhere.
    let key = PrivateKey::load(std::fs::read(emu.var("WECHATPAY_PRIVATE_KEY")).unwrap()).unwrap();
    let sig =
        base64::engine::general_purpose::STANDARD.encode(key.sign(message.as_bytes()).unwrap());
    let mut args = vec![
        "request",
        "--signature",
        &sig,
        "--timestamp",
        ts,
        "--nonce",
        nonce,
    ];
    args.extend(call);
    let (code, out, err) = run(&args, &keyless);
    assert_eq!(code, 0, "{err}");
    assert!(err.starts_with("200 "), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["out_order_no"], "X1");

    // A signature over another nonce: sent, refused by WeChat Pay, exit 1.
    let mut args = vec![
        "request",
        "--signature",
        &sig,
        "--timestamp",
        ts,
        "--nonce",
        "OTHERNONCE",
    ];
    args.extend(call);
    let (code, out, err) = run(&args, &keyless);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("401"), "{err}");

    // --signature without --timestamp: nothing sent.
    let mut args = vec!["request", "--signature", &sig];
    args.extend(call);
    let (code, _, _) = run(&args, &keyless);
    assert_eq!(code, 2);
    // APIv2 is not signed this way.
    let mch = format!("xml.mch_id={}", emu.var("WECHATPAY_MCHID"));
    let (code, _, err) = run(
        &[
            "request",
            "--string-to-sign",
            "POST",
            "v2/pay/orderquery",
            "xml.appid=wx1",
            &mch,
        ],
        &keyless,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("APIv2"), "{err}");
}
