//! Split signing: `--string-to-sign` with no private key, then `--signature` made elsewhere,
//! sent through the library's transport and rules (no redirect, answer cap, no proxy for
//! loopback), proven against raw listeners on 127.0.0.1.

mod cli_common;
use base64::Engine as _;
use cli_common::{run, Emulator, Watch};
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

    // A signature over another nonce: sent, refused by WeChat Pay in a signed 401, exit 3.
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
    assert_eq!(code, 3, "{err}");
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

/// A refund sent with a signature made elsewhere (its value does not matter to a raw listener).
fn send_refund(base: &str, extra: &[(&str, &str)]) -> cli_common::Measured {
    let mut vars = cli_common::offline();
    vars.retain(|(k, _)| k != "WECHATPAY_BASE_URI" && k != "WECHATPAY_PRIVATE_KEY");
    vars.push(("WECHATPAY_BASE_URI".into(), base.to_string()));
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    cli_common::run_measured(
        &[
            "request",
            "--signature",
            "c2lnbmF0dXJl",
            "--timestamp",
            "1554208460",
            "--nonce",
            "593BEC0C930BF1AFEB40B4A08C8FB242",
            "POST",
            "v3/refund/domestic/refunds",
            "json.out_refund_no=R1",
            "json.amount.refund:=1",
        ],
        &vars,
    )
}

#[test]
fn a_redirect_is_not_followed_and_the_refund_never_reaches_another_origin() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let elsewhere = Watch::start(&rt);
    let answer = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{}/v3/refund/domestic/refunds\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n",
        elsewhere.addr
    );
    let (addr, first) = cli_common::serve_once(&rt, answer.into_bytes());
    let run = send_refund(&format!("http://{addr}/"), &[]);
    let request = String::from_utf8(rt.block_on(first).unwrap()).unwrap();
    assert!(request.contains("out_refund_no"), "{request}");
    assert_eq!(run.code, 1, "{}", run.err);
    assert!(run.err.contains("307"), "{}", run.err);
    assert!(run.err.contains("unverified"), "{}", run.err);
    assert_eq!(
        elsewhere.connections(),
        0,
        "the refund was re-sent elsewhere"
    );
}

#[test]
#[cfg(target_os = "linux")]
fn an_endless_answer_stops_at_the_answer_cap() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use tokio::io::AsyncWriteExt as _;
    // Far past the 32 MiB default cap, so a client without it reads this much.
    const SENT_AT_MOST: u64 = 320 * 1024 * 1024;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let server = rt.spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        cli_common::read_request(&mut s).await;
        let head =
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
        if s.write_all(head).await.is_err() {
            return;
        }
        let chunk = vec![b' '; 64 * 1024];
        // Until the client hangs up.
        while counter.load(Ordering::Relaxed) < SENT_AT_MOST {
            if s.write_all(&chunk).await.is_err() {
                return;
            }
            counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
    });
    let run = send_refund(&format!("http://{addr}/"), &[]);
    rt.block_on(server).unwrap();
    assert_eq!(run.code, 1, "{}", run.err);
    assert!(run.err.contains("max_answer_bytes"), "{}", run.err);
    let sent = sent.load(Ordering::Relaxed);
    assert!(
        sent < 64 * 1024 * 1024,
        "the client read {sent} bytes of an endless answer"
    );
    assert!(
        run.peak_rss < 128 * 1024 * 1024,
        "peak RSS {} MB",
        run.peak_rss / 1024 / 1024
    );
}

#[test]
fn a_loopback_call_never_goes_through_the_proxy() {
    // Both key modes: the call is the certificate listing, which a public-key merchant lacks.
    let emu = Emulator::start_in("cli-split-proxy", wechatpay::mock::Mode::Both);
    let proxy = Watch::start(&emu.rt);
    let url = format!("http://{}", proxy.addr);
    let mut vars = emu.vars_with(&[("WECHATPAY_PRIVATE_KEY", "")]);
    for name in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        vars.push((name.to_string(), url.clone()));
    }
    let call = ["GET", "v3/certificates"];
    let mut args = vec!["request", "--string-to-sign"];
    args.extend(call);
    let (code, message, err) = run(&args, &vars);
    assert_eq!(code, 0, "{err}");
    let words: Vec<&str> = err.split_whitespace().collect();
    let (ts, nonce) = (words[1], words[3]);
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
    let (code, out, err) = run(&args, &vars);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"data\""), "{out}");
    assert_eq!(
        proxy.connections(),
        0,
        "the signed call went through the proxy"
    );
}
