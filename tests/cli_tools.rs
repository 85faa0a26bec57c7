//! `encrypt`, `decrypt`, `sign`, `notify`, `certificates`, `bill`, `doctor`, `completions`
//! against the emulator, failures included.

mod cli_common;
use base64::Engine as _;
use cli_common::{run, Emulator};
use serde_json::{json, Value};
use wechatpay::crypto::PrivateKey;
use wechatpay::mock::Answer;

fn merchant_key(emu: &Emulator) -> PrivateKey {
    PrivateKey::load(std::fs::read(emu.var("WECHATPAY_PRIVATE_KEY")).unwrap()).unwrap()
}

#[test]
fn encrypt_decrypt_and_sign() {
    let emu = Emulator::start("cli-tools-crypt");
    let (code, out, err) = run(&["encrypt", "张三"], &emu.vars);
    assert_eq!(code, 0, "{err}");
    assert_eq!(emu.server.decrypt(out.trim()).unwrap(), "张三");
    assert!(
        err.contains(&format!(
            "Wechatpay-Serial: {}",
            emu.var("WECHATPAY_PUBLIC_KEY_ID")
        )),
        "{err}"
    );

    let ct = wechatpay::crypto::encrypt_sensitive(&merchant_key(&emu).public_key(), "6222 0000")
        .unwrap();
    let (code, out, err) = run(&["decrypt", &ct], &emu.vars);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "6222 0000\n");
    let (code, out, err) = run(&["decrypt", "bm90IGEgY2lwaGVydGV4dA=="], &emu.vars);
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");

    let (code, out, err) = run(
        &[
            "sign",
            "jsapi",
            "--appid",
            "wxd678efh567hg6787",
            "--prepay-id",
            "wx2014102720093955",
        ],
        &emu.vars,
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["signType"], "RSA");
    assert_eq!(v["package"], "prepay_id=wx2014102720093955");
    let message = format!(
        "wxd678efh567hg6787\n{}\n{}\nprepay_id=wx2014102720093955\n",
        v["timeStamp"].as_str().unwrap(),
        v["nonceStr"].as_str().unwrap()
    );
    let sig = base64::engine::general_purpose::STANDARD
        .decode(v["paySign"].as_str().unwrap())
        .unwrap();
    merchant_key(&emu)
        .public_key()
        .verify(message.as_bytes(), &sig)
        .unwrap();
    let (code, out, _) = run(
        &["sign", "app", "--appid", "wx1", "--prepay-id", "wx2"],
        &emu.vars,
    );
    assert_eq!(code, 0);
    assert!(out.contains("Sign=WXPay"), "{out}");
    let (code, _, err) = run(
        &[
            "sign",
            "jsapi",
            "--appid",
            "wx1\nPOST",
            "--prepay-id",
            "wx2",
        ],
        &emu.vars,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("appid"), "{err}");
}

#[test]
fn notify_verifies_a_saved_callback_and_refuses_a_tampered_one() {
    let emu = Emulator::start("cli-tools-notify");
    let resource = json!({"mchid": emu.server.merchant().mchid, "out_trade_no": "N1", "trade_state": "SUCCESS", "amount": {"total": 1}});
    let (headers, body) = emu
        .server
        .notification("TRANSACTION.SUCCESS", &resource)
        .unwrap();
    let body_file = emu.dir.join("body.json");
    std::fs::write(&body_file, &body).unwrap();
    let mut lines = String::from("POST /notify HTTP/1.1\r\n");
    let mut flags = Vec::new();
    for (k, v) in &headers {
        lines.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap()));
        flags.push("-H".to_string());
        flags.push(format!("{k}: {}", v.to_str().unwrap()));
    }
    let headers_file = emu.dir.join("headers.txt");
    std::fs::write(&headers_file, lines).unwrap();
    let (b, h) = (
        body_file.display().to_string(),
        headers_file.display().to_string(),
    );

    let (code, out, err) = run(&["notify", "--body", &b, "--headers", &h], &emu.vars);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["event_type"], "TRANSACTION.SUCCESS");
    assert_eq!(v["resource"]["out_trade_no"], "N1");
    let (code, out, err) = run(
        &["notify", "--replay", "--body", &b, "--headers", &h],
        &emu.vars,
    );
    assert_eq!(code, 0, "--replay: {err}");
    assert!(out.contains("\"N1\""));

    let mut args = vec!["notify".to_string(), "--body".into(), b.clone()];
    args.extend(flags);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = run(&args, &emu.vars);
    assert_eq!(code, 0, "-H flags: {err}");
    assert!(out.contains("\"N1\""));

    // Tampered: one byte of the body changed.
    let mut bad = body.clone();
    let i = bad.iter().position(|&c| c == b'"').unwrap();
    bad.insert(i, b' ');
    std::fs::write(&body_file, &bad).unwrap();
    let (code, out, err) = run(&["notify", "--body", &b, "--headers", &h], &emu.vars);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("signature"), "{err}");

    // No APIv3 key: refused, naming it.
    std::fs::write(&body_file, &body).unwrap();
    let vars = emu.vars_with(&[("WECHATPAY_APIV3_KEY", "")]);
    let (code, _, err) = run(&["notify", "--body", &b, "--headers", &h], &vars);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("APIv3 key"), "{err}");
    let (code, _, err) = run(
        &["notify", "--body", "/no/such/body", "--headers", &h],
        &emu.vars,
    );
    assert_eq!(code, 2);
    assert!(err.contains("--body"), "{err}");
}

#[test]
fn certificates_download_and_save() {
    // A merchant with only the public key has no platform certificate to download.
    let emu = Emulator::start_in("cli-tools-certs", wechatpay::mock::Mode::Both);
    let save = emu.dir.join("certs");
    let (code, out, err) = run(
        &["certificates", "--save", &save.display().to_string()],
        &emu.vars,
    );
    assert_eq!(code, 0, "{err}");
    let serial = emu.server.platform_serial();
    assert!(out.starts_with(serial), "{out}");
    assert!(out.contains(" UTC .. "), "{out}");
    let pem = save.join(format!("wechatpay_{serial}.pem"));
    assert!(std::fs::read_to_string(&pem)
        .unwrap()
        .contains("BEGIN CERTIFICATE"));
    assert!(
        out.contains(&format!(
            "openssl x509 -in {} -noout -serial -dates",
            pem.display()
        )),
        "{out}"
    );
}

#[test]
fn bill_downloads_checked_against_the_digest() {
    let emu = Emulator::start("cli-tools-bill");
    let content = "交易时间,公众账号ID\n`2019-06-11 10:00:00,`wx1\n";
    let url = format!(
        "{}/v3/billdownload/file?token=T1",
        emu.server.url().trim_end_matches('/')
    );
    let answer = |hash: &str| {
        Answer::json(
            200,
            json!({"download_url": url, "hash_type": "SHA1", "hash_value": hash}),
        )
    };
    emu.server.on(
        "GET",
        "v3/bill/tradebill",
        answer(&wechatpay::crypto::sha1_hex(content.as_bytes())),
    );
    emu.server.on(
        "GET",
        "v3/billdownload/file",
        Answer::raw(200, content.as_bytes().to_vec()),
    );
    let out_file = emu.dir.join("trade.csv");
    let o = out_file.display().to_string();
    let (code, _, err) = run(
        &["bill", "trade", "--date", "2019-06-11", "--out", &o],
        &emu.vars,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), content);
    assert!(err.contains("checked"), "{err}");

    // A digest that does not match: exit 1, no file left.
    std::fs::remove_file(&out_file).unwrap();
    emu.server.on(
        "GET",
        "v3/bill/tradebill",
        answer("0000000000000000000000000000000000000000"),
    );
    let (code, _, err) = run(
        &["bill", "trade", "--date", "2019-06-11", "--out", &o],
        &emu.vars,
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.to_lowercase().contains("digest") || err.contains("SHA1"),
        "{err}"
    );
    assert!(
        !out_file.exists(),
        "a file that failed its digest is removed"
    );

    let (code, _, err) = run(
        &["bill", "weekly", "--date", "2019-06-11", "--out", &o],
        &emu.vars,
    );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn doctor_checks_a_configuration() {
    let emu = Emulator::start("cli-tools-doctor");
    let (code, out, err) = run(&["doctor", "--online"], &emu.vars);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("ok    private_key: matches merchant_cert"),
        "{out}"
    );
    assert!(out.contains("ok    clock: "), "{out}");
    assert!(out.contains("0 failure(s)"), "{out}");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let key = emu.var("WECHATPAY_PRIVATE_KEY");
        std::fs::set_permissions(key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (_, out, _) = run(&["doctor"], &emu.vars);
        assert!(
            out.contains(&format!(
                "WARN  private_key: `{key}` holds private_key, merchant_key and is open to group or others (mode 644); fix: chmod 600 {key}"
            )),
            "{out}"
        );
    }

    let secret = emu.var("WECHATPAY_APIV2_SECRET").to_string();
    let vars = emu.vars_with(&[
        (
            "WECHATPAY_SERIAL",
            "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
        ),
        ("WECHATPAY_PUBLIC_KEY_ID", "PUB_KEY-0119"),
        ("WECHATPAY_APIV3_KEY", "TOPSECRET-short"),
        ("WECHATPAY_MCHID", "19x"),
        (
            "WECHATPAY_BASE_URI",
            "https://merchant:PASSW0RD@api.mch.weixin.qq.com/",
        ),
    ]);
    let (code, out, _) = run(&["doctor"], &vars);
    assert!(
        out.contains("FAIL  base_uri: `https://***@api.mch.weixin.qq.com/` carries user info"),
        "{out}"
    );
    assert!(!out.contains("PASSW0RD"), "{out}");
    assert_eq!(code, 1, "{out}");
    for words in [
        "FAIL  serial: does not match merchant_cert",
        "fix: set serial = ",
        "FAIL  public_key_id: `PUB_KEY-0119`",
        "FAIL  apiv3_key: 15 bytes, not 32; fix:",
        "FAIL  mchid: `19x`",
    ] {
        assert!(out.contains(words), "{words}: {out}");
    }
    assert!(
        !out.contains("TOPSECRET") && !out.contains(&secret),
        "{out}"
    );
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = run(&["completions", shell], &[]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains("wechatpay") && out.contains("doctor"),
            "{shell}"
        );
    }
    let (code, _, _) = run(&["completions", "tcsh"], &[]);
    assert_eq!(code, 2);
    for cmd in [
        "request",
        "list",
        "show",
        "encrypt",
        "decrypt",
        "sign",
        "notify",
        "certificates",
        "bill",
        "doctor",
        "completions",
        "mock",
    ] {
        let (_, out, _) = run(&[cmd, "--help"], &[]);
        assert!(out.contains("Example"), "{cmd}: {out}");
        assert!(out.contains("Exit codes"), "{cmd}: {out}");
    }
}

#[test]
fn notify_v2_checks_the_sign_and_decrypts_a_refund() {
    use wechatpay::v2::{sign, xml, SignType};
    let emu = Emulator::start("cli-tools-notify-v2");
    let secret = emu.var("WECHATPAY_APIV2_SECRET").to_string();
    let mut fields =
        json!({"return_code": "SUCCESS", "result_code": "SUCCESS", "out_trade_no": "1409811653"})
            .as_object()
            .unwrap()
            .clone();
    fields.insert("sign_type".into(), "HMAC-SHA256".into());
    let s = sign::sign(SignType::HmacSha256, &fields, &secret).unwrap();
    fields.insert("sign".into(), s.into());
    let file = emu.dir.join("v2.xml");
    std::fs::write(&file, xml::to_xml(&fields)).unwrap();
    let f = file.display().to_string();
    let (code, out, err) = run(&["notify", "--v2", "--body", &f], &emu.vars);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["out_trade_no"], "1409811653");

    std::fs::write(&file, xml::to_xml(&fields).replace("1409", "9999")).unwrap();
    let (code, out, err) = run(&["notify", "--v2", "--body", &f], &emu.vars);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());

    // A refund: req_info is AES-256-ECB with the MD5 of the secret.
    use md5::Digest as _;
    let key = hex::encode(md5::Md5::digest(secret.as_bytes()));
    let inner =
        "<root><out_refund_no>R1</out_refund_no><refund_status>SUCCESS</refund_status></root>";
    let req_info =
        wechatpay::v2::ecb::aes_256_ecb_encrypt(key.as_bytes(), inner.as_bytes()).unwrap();
    let body =
        format!("<xml><return_code>SUCCESS</return_code><req_info>{req_info}</req_info></xml>");
    std::fs::write(&file, body).unwrap();
    let (code, out, err) = run(&["notify", "--v2", "--body", &f], &emu.vars);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["req_info"]["out_refund_no"], "R1");
    assert!(err.contains("not authenticated"), "{err}");
}
