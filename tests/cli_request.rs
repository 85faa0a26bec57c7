//! `wechatpay request`: `key=value` / `key:=JSON` pairs, `--args @FILE`, `--include`.

mod cli_common;
use serde_json::Value;
use std::process::Command;

fn dry(args: &[&str]) -> (i32, String, String) {
    let all: Vec<&str> = ["request", "--dry-run"]
        .iter()
        .chain(args)
        .copied()
        .collect();
    cli_common::run(&all, &cli_common::offline())
}

#[test]
fn pairs_keep_plain_values_as_strings_and_take_raw_json_after_colon_equals() {
    let (code, out, err) = dry(&[
        "POST",
        "v3/pay/transactions/native",
        "json.mchid=1900000001",
        "json.amount.total:=100",
        "json.amount.currency=CNY",
        "json.detail:={\"cost_price\":608800}",
        "json.description=a=b",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    let body: Value = serde_json::from_str(v["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["mchid"], "1900000001", "never a number");
    assert_eq!(body["amount"]["total"], 100);
    assert_eq!(body["amount"]["currency"], "CNY");
    assert_eq!(body["detail"]["cost_price"], 608800);
    assert_eq!(body["description"], "a=b");
}

#[test]
fn args_from_a_file_merge_with_pairs() {
    let dir = std::env::temp_dir().join(format!("wechatpay-cli-req-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("args.json");
    std::fs::write(
        &file,
        r#"{"transaction_id":"4200000001","query":{"mchid":"1"}}"#,
    )
    .unwrap();
    let at = format!("@{}", file.display());
    let (code, out, err) = dry(&[
        "--args",
        &at,
        "GET",
        "v3/pay/transactions/id/{transaction_id}",
        "query.mchid=1900000001",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        v["url"],
        "http://127.0.0.1:9/v3/pay/transactions/id/4200000001?mchid=1900000001"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_pairs_and_missing_files_are_refused_with_exit_2() {
    for (args, words) in [
        (&["GET", "v3/x", "novalue"][..], "novalue"),
        (&["GET", "v3/x", "a:=not json"][..], "`:=` takes JSON"),
        (
            &["GET", "v3/x", "a:=4200000000000000000000000000"][..],
            "\"4200000000000000000000000000\"",
        ),
        (&["GET", "v3/x", "a=1", "a.b=2"][..], "not an object"),
        (&["GET", "v3/x", ".a=1"][..], "empty key"),
        (
            &["--args", "@/no/such/file.json", "GET", "v3/x"][..],
            "--args",
        ),
        (&["--args", "[1]", "GET", "v3/x"][..], "not a JSON object"),
    ] {
        let (code, out, err) = dry(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(words), "{args:?}: {err}");
    }
}

#[test]
fn include_prints_the_answer_headers_on_stderr() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(wechatpay::mock::Server::start()).unwrap();
    let dir = std::env::temp_dir().join(format!("wechatpay-cli-inc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let vars: Vec<(String, String)> = server
        .env_script(&dir)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_wechatpay"))
        .args([
            "request",
            "-i",
            "POST",
            "v3/payscore/serviceorder/{out_order_no}/cancel",
            "out_order_no=X1",
            "json.appid=wx1",
            "json.service_id=1",
            "json.reason=r",
        ])
        .env_clear()
        .envs(vars.clone())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.starts_with("200 "), "{err}");
    assert!(
        err.to_ascii_lowercase().contains("wechatpay-timestamp: "),
        "{err}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["out_order_no"], "X1");

    // A signed error answer: its headers, then the one-line error; exit 3 (WeChat Pay refused).
    server.on(
        "POST",
        "v3/payscore/serviceorder/{out_order_no}/cancel",
        wechatpay::mock::Answer::json(
            400,
            serde_json::json!({"code": "PARAM_ERROR", "message": "bad"}),
        ),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_wechatpay"))
        .args([
            "request",
            "-i",
            "POST",
            "v3/payscore/serviceorder/{out_order_no}/cancel",
            "out_order_no=X1",
            "json.appid=wx1",
            "json.service_id=1",
            "json.reason=r",
        ])
        .env_clear()
        .envs(vars)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.starts_with("400\n"), "{err}");
    assert!(err.to_ascii_lowercase().contains("request-id: "), "{err}");
    assert!(err.lines().last().unwrap().contains("PARAM_ERROR"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// True for what would steer a terminal: controls (C0 but the line's own newline, DEL, C1) and
/// bidi controls.
fn steers(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The offline variables pointed at `base`.
fn pointed_at(base: &str) -> Vec<(String, String)> {
    let mut vars = cli_common::offline();
    vars.retain(|(k, _)| k != "WECHATPAY_BASE_URI");
    vars.push(("WECHATPAY_BASE_URI".into(), base.to_string()));
    vars
}

#[test]
fn server_text_is_shown_never_obeyed_by_the_terminal() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // An unsigned APIv3 error answer: escape sequences in its code, message and a header.
    let body = serde_json::json!({
        "code": "X\u{1b}]0;pwned\u{7}",
        "message": "\u{1b}[2J\u{9b}31m\u{202e}lave",
    })
    .to_string();
    let mut answer = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice("X-Note: a\u{9b}2Jb\u{202e}c\r\n\r\n".as_bytes());
    answer.extend_from_slice(body.as_bytes());
    let (addr, server) = cli_common::serve_once(&rt, answer);
    let (code, out, err) = cli_common::run(
        &[
            "request",
            "-i",
            "GET",
            "v3/pay/transactions/id/{id}",
            "id=1",
        ],
        &pointed_at(&format!("http://{addr}/")),
    );
    rt.block_on(server).unwrap();
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(!err.chars().any(steers), "{err:?}");
    for shown in [
        "X\\u{1b}]0;pwned\\u{7}",
        "\\u{1b}[2J\\u{9b}31m\\u{202e}lave",
        "a\\u{9b}2Jb\\u{202e}c",
    ] {
        assert!(err.contains(shown), "{shown}: {err}");
    }
    assert!(err.contains("unverified"), "{err}");

    // An unsigned APIv2 FAIL: its return_msg.
    let xml = "<xml><return_code>FAIL</return_code><return_msg>a\u{9b}2Jb\u{202e}c\u{2066}d</return_msg></xml>";
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{xml}",
        xml.len()
    );
    let (addr, server) = cli_common::serve_once(&rt, answer.into_bytes());
    let (code, _, err) = cli_common::run(
        &[
            "request",
            "POST",
            "v2/pay/orderquery",
            "xml.appid=wxd930ea5d5a258f4f",
            "xml.mch_id=1900000001",
            "xml.out_trade_no=1",
        ],
        &pointed_at(&format!("http://{addr}/")),
    );
    rt.block_on(server).unwrap();
    assert_eq!(code, 1, "{err}");
    assert!(!err.chars().any(steers), "{err:?}");
    assert!(err.contains("a\\u{9b}2Jb\\u{202e}c\\u{2066}d"), "{err}");
}

#[test]
fn json_on_stdout_escapes_what_steers_a_terminal_and_keeps_the_value() {
    let emu = cli_common::Emulator::start("cli-req-json-escapes");
    let note = serde_json::json!({"note": "a\u{1b}[2J\u{9b}b\u{202e}c\u{7f}d"});
    emu.server.on(
        "GET",
        "v3/pay/transactions/id/{transaction_id}",
        wechatpay::mock::Answer::json(200, note.clone()),
    );
    let (code, out, err) = cli_common::run(
        &[
            "request",
            "GET",
            "v3/pay/transactions/id/{id}",
            "id=1",
            "query.mchid=1",
        ],
        &emu.vars,
    );
    assert_eq!(code, 0, "{err}");
    assert!(!out.chars().any(steers), "{out:?}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v, note, "the same JSON value");
    // `--raw` is the answer's bytes, as documented.
    let (code, out, _) = cli_common::run(
        &[
            "request",
            "--raw",
            "GET",
            "v3/pay/transactions/id/{id}",
            "id=1",
            "query.mchid=1",
        ],
        &emu.vars,
    );
    assert_eq!(code, 0);
    assert!(out.contains('\u{9b}'), "{out:?}");
}
