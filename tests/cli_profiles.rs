//! Profiles: a TOML config file with several merchants, `--profile`, `--config`,
//! `WECHATPAY_CONFIG`, `XDG_CONFIG_HOME`, overridden by the `WECHATPAY_*` variables; secrets
//! never echoed.

mod cli_common;
use cli_common::{run, Emulator};
use serde_json::Value;

const CANCEL: [&str; 7] = [
    "request",
    "POST",
    "v3/payscore/serviceorder/{out_order_no}/cancel",
    "out_order_no=X1",
    "json.appid=wx1",
    "json.service_id=1",
    "json.reason=r",
];

fn with(global: &[&str], args: &[&str]) -> Vec<String> {
    global.iter().chain(args).map(|s| s.to_string()).collect()
}

#[test]
fn a_profile_replaces_the_variables() {
    let emu = Emulator::start("cli-prof");
    let file = emu.dir.join("config.toml");
    let text = format!(
        "default = \"emu\"\n{}\n[profiles.other]\nmchid = 1900000002\nbase_uri = \"http://127.0.0.1:9/\"\n",
        emu.profile("emu")
    );
    std::fs::write(&file, text).unwrap();
    let config = file.display().to_string();

    // --config and --profile.
    let args = with(&["--config", &config, "--profile", "emu"], &CANCEL);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = run(&args, &[]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["out_order_no"], "X1");

    // WECHATPAY_CONFIG and the file's default.
    let env = vec![("WECHATPAY_CONFIG".to_string(), config.clone())];
    let (code, _, err) = run(&CANCEL, &env);
    assert_eq!(code, 0, "{err}");

    // XDG_CONFIG_HOME/wechatpay/config.toml, and WECHATPAY_PROFILE.
    let xdg = emu.dir.join("xdg");
    std::fs::create_dir_all(xdg.join("wechatpay")).unwrap();
    std::fs::copy(&file, xdg.join("wechatpay/config.toml")).unwrap();
    let mut env = vec![("XDG_CONFIG_HOME".to_string(), xdg.display().to_string())];
    let (code, _, err) = run(&CANCEL, &env);
    assert_eq!(code, 0, "{err}");

    // A variable overrides the profile's key; a profile's integer mchid is its digits.
    env.push(("WECHATPAY_PROFILE".into(), "other".into()));
    env.push((
        "WECHATPAY_PRIVATE_KEY".into(),
        emu.var("WECHATPAY_PRIVATE_KEY").into(),
    ));
    env.push((
        "WECHATPAY_SERIAL".into(),
        "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C".into(),
    ));
    env.push((
        "WECHATPAY_PUBLIC_KEY_ID".into(),
        emu.var("WECHATPAY_PUBLIC_KEY_ID").into(),
    ));
    env.push((
        "WECHATPAY_PUBLIC_KEY".into(),
        emu.var("WECHATPAY_PUBLIC_KEY").into(),
    ));
    env.push(("WECHATPAY_BASE_URI".into(), "http://127.0.0.1:8/".into()));
    let (code, out, err) = run(&["request", "--dry-run", "GET", "v3/certificates"], &env);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["url"], "http://127.0.0.1:8/v3/certificates");
    assert!(v["headers"]["authorization"]
        .as_str()
        .unwrap()
        .contains("mchid=\"1900000002\""));

    // Flags over both.
    let (code, out, err) = run(
        &[
            "--base-uri",
            "http://127.0.0.1:7/",
            "--mchid",
            "1900000003",
            "request",
            "--dry-run",
            "GET",
            "v3/certificates",
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["url"], "http://127.0.0.1:7/v3/certificates");
    assert!(v["headers"]["authorization"]
        .as_str()
        .unwrap()
        .contains("mchid=\"1900000003\""));
}

#[test]
fn bad_profiles_are_refused_naming_the_key_never_the_secret() {
    let emu = Emulator::start("cli-prof-bad");
    let file = emu.dir.join("config.toml");
    let config = file.display().to_string();
    // Private, as a config holding secrets should be (else a warning line comes first); each
    // write below keeps the mode.
    std::fs::write(&file, "").unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let cases: [(&str, &str, &str); 6] = [
        ("default = \"emu\"\n", "--profile=nope", "no profile `nope`"),
        (
            "[profiles.a]\nmchid = \"1\"\napiv3key = \"TOPSECRET-1\"\n",
            "--profile=a",
            "unknown key `apiv3key`",
        ),
        (
            "[profiles.a]\napiv3_key_file = \"missing.key\"\n",
            "--profile=a",
            "apiv3_key_file",
        ),
        (
            "[profiles.a]\napiv3_key = \"TOPSECRET-2\"\nprivate_key = \"none.pem\"\n",
            "--profile=a",
            "private_key",
        ),
        (
            "[profiles.a\napiv3_key = \"TOPSECRET-3\"\n",
            "--profile=a",
            "not valid TOML at line 1",
        ),
        (
            "[profiles.a]\napiv3_key = 12345\n",
            "--profile=a",
            "`apiv3_key` must be a string",
        ),
    ];
    for (text, flag, words) in cases {
        std::fs::write(&file, text).unwrap();
        let (code, out, err) = run(
            &[
                "--config",
                &config,
                flag,
                "request",
                "GET",
                "v3/certificates",
            ],
            &[],
        );
        assert_eq!(code, 2, "{text}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(words), "{text}: {err}");
        assert!(!err.contains("TOPSECRET"), "{err}");
    }
    // A secret of the wrong size: named, with where it came from, not shown.
    let text = format!(
        "{}apiv3_key = \"TOPSECRET-short\"\n",
        emu.profile("a").replace(
            &format!("apiv3_key = {:?}\n", emu.var("WECHATPAY_APIV3_KEY")),
            ""
        )
    );
    std::fs::write(&file, text).unwrap();
    let (code, _, err) = run(
        &[
            "--config",
            &config,
            "--profile",
            "a",
            "request",
            "GET",
            "v3/certificates",
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("apiv3_key"), "{err}");
    assert!(err.contains("profile `a`"), "{err}");
    assert!(!err.contains("TOPSECRET"), "{err}");
    // A missing config file asked for by name.
    let (code, _, err) = run(
        &[
            "--config",
            "/no/such.toml",
            "request",
            "GET",
            "v3/certificates",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("/no/such.toml"), "{err}");
}
