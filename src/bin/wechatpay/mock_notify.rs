//! `wechatpay mock notify`: a running emulator sends one documented notification.
//!
//! It asks the emulator's admin API (`POST /__emulator/notify/{NAME}`) rather than sealing the
//! notification itself: the handler under test trusts that emulator's keys (its APIv3 key, its
//! WeChat Pay key or certificate, its APIv2 secret), which only that process holds.

use serde_json::{json, Value};
use std::path::PathBuf;
use wechatpay::catalogue::notifications;
use wechatpay::Error;

/// What `wechatpay mock` can do besides starting the emulator.
#[derive(clap::Subcommand)]
pub(crate) enum MockAction {
    /// Have a running emulator send a documented notification to a loopback URL.
    ///
    /// Every required field of the event's table is synthesized, the `--set` values merged
    /// over them; sealed and signed as WeChat Pay does (APIv3 AEAD_AES_256_GCM and signed
    /// headers; APIv2 signed XML, `req_info` or `event_ciphertext`). The emulator is the one
    /// at --base-uri or WECHATPAY_BASE_URI (what `wechatpay mock` exports), trusted through
    /// --ca or WECHATPAY_CA. Prints the emulator's answer: the handler's status, whether it
    /// answered as the documentation asks, and the resource sent.
    #[command(
        after_help = "Examples:\n  eval \"$(wechatpay mock --port 8443 &)\"\n  \
                            wechatpay mock notify TRANSACTION.SUCCESS --to http://127.0.0.1:3000/notify \\\n    \
                            --set '{\"out_trade_no\":\"T1\",\"amount\":{\"total\":100}}'\n  \
                            wechatpay mock notify v2/refund-processed --to http://127.0.0.1:3000/v2\n\n\
                            Exit codes:\n  0  sent, and the handler answered success\n  \
                            1  sent, and the handler did not answer success (or a retry was queued: --retry)\n  \
                            2  nothing sent: unknown event, bad --set, no emulator, or the handler unreachable"
    )]
    Notify {
        /// The event type (`TRANSACTION.SUCCESS`) or page name (`v2/refund-processed`): see
        /// `wechatpay list --notifications`.
        event: String,
        /// The handler's URL (loopback only: the emulator never calls out).
        #[arg(long, value_name = "URL")]
        to: String,
        /// Resource values to merge over the synthesized ones: a JSON object, or `@FILE`.
        #[arg(long, value_name = "JSON")]
        set: Option<String>,
        /// Queue it with WeChat Pay's retries instead of sending it once (see
        /// `GET /__emulator/deliveries`).
        #[arg(long)]
        retry: bool,
        /// The emulator's CA (default: WECHATPAY_CA).
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
    },
}

fn bad(name: &str, reason: impl Into<String>) -> Error {
    Error::Argument {
        name: name.into(),
        reason: reason.into(),
    }
}

/// Runs the action: whether the handler answered success.
pub(crate) fn run(action: MockAction, base_uri: Option<String>) -> Result<bool, Error> {
    let MockAction::Notify {
        event,
        to,
        set,
        retry,
        ca,
    } = action;
    let n = notifications::find(&event).ok_or_else(|| {
        bad(
            "EVENT",
            format!("WeChat Pay documents no notification {event}; try `wechatpay list --notifications`"),
        )
    })?;
    let resource: Value = match set {
        Some(text) => {
            let text = crate::text_or_file("--set", &text)?;
            serde_json::from_str(&text).map_err(|e| bad("--set", format!("not JSON: {e}")))?
        }
        None => json!({}),
    };
    if !resource.is_object() {
        return Err(bad("--set", "must be a JSON object of resource fields"));
    }
    let base = base_uri
        .or_else(|| std::env::var("WECHATPAY_BASE_URI").ok())
        .ok_or_else(|| {
            bad(
                "--base-uri",
                "the emulator's URL is needed: run `wechatpay mock` and load its exports",
            )
        })?;
    let ca = ca
        .or_else(|| std::env::var_os("WECHATPAY_CA").map(PathBuf::from))
        .ok_or_else(|| bad("--ca", "the emulator's CA is needed (WECHATPAY_CA)"))?;
    let pem = std::fs::read(&ca).map_err(|e| bad("--ca", format!("{}: {e}", ca.display())))?;
    let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| {
        bad(
            "--ca",
            format!("{}: not a PEM certificate: {e}", ca.display()),
        )
    })?;
    let url = format!(
        "{}/__emulator/notify/{}",
        base.trim_end_matches('/'),
        n.name
    );
    let body = json!({ "to": to, "resource": resource, "retry": retry });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::NotConfigured(format!("cannot start a runtime: {e}")))?;
    let (status, answer) = rt.block_on(async move {
        let http = reqwest::Client::builder()
            .add_root_certificate(cert)
            .no_proxy()
            .build()
            .map_err(Error::Transport)?;
        let res = http
            .post(&url)
            .body(body.to_string())
            .send()
            .await
            .map_err(Error::Transport)?;
        let status = res.status().as_u16();
        let bytes = res.bytes().await.map_err(Error::Transport)?;
        Ok::<_, Error>((
            status,
            serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
        ))
    })?;
    println!(
        "{}",
        serde_json::to_string_pretty(&answer).unwrap_or_default()
    );
    match status {
        200 => Ok(answer["accepted"].as_bool() == Some(true)),
        202 => Ok(false),
        _ => Err(bad(
            "--to",
            format!(
                "not sent ({status}): {}",
                answer["message"]
                    .as_str()
                    .unwrap_or("the emulator gave no reason")
            ),
        )),
    }
}
