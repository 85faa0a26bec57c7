//! The e-invoice (fapiao) file, as WeChat Pay serves it to ordinary merchants:
//! `GET v3/new-tax-control-fapiao/fapiao-applications/{fapiao_apply_id}/fapiao-files` hands out
//! a `download_url` (on `pay.wechatpay.cn` in production, on the emulator here) whose answer is
//! the file, unsigned, with its SM3 in an `SM3-Digest` header (64 uppercase hex digits), as the
//! documentation's example shows. The URL lives 30 seconds ("有效期为30秒").

use super::emulator::State;
use super::orders::json_ok;
use super::store::FapiaoFile;
use crate::mock::protocol::call::{error, ok, Call, Outcome};
use crate::mock::protocol::faults::Fault;
use crate::mock::surface::request::Request;
use crate::util::unix_now;
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Value};

/// The download's path, on the emulator's origin as on `pay.wechatpay.cn`.
pub(crate) const FILE_PATH: &str = "/invoicing/fapiao/fapiao-file";

/// How long a `download_url` answers, as documented.
const LIFETIME_SECS: i64 = 30;

/// `…/fapiao-files`: one `ISSUED` fapiao for the `fapiao_id` asked about, with its download URL.
pub(crate) fn files(state: &State, call: &Call, req: &Request) -> Option<Outcome> {
    let q = |k: &str| req.query.get(k).and_then(Value::as_str).unwrap_or("");
    let fapiao_id = q("fapiao_id").to_string();
    let token = crate::util::nonce(32);
    let content = format!(
        "%PDF-1.4\n% emulated fapiao {fapiao_id} of merchant {} (sub_mchid {})\n%%EOF\n",
        call.entry.merchant.mchid,
        q("sub_mchid")
    )
    .into_bytes();
    state
        .flows
        .fapiao_files
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            token.clone(),
            FapiaoFile {
                fapiao_id: fapiao_id.clone(),
                content,
                created: unix_now(),
            },
        );
    let base = state
        .flows
        .info
        .get()
        .map(|i| i.url.clone())
        .unwrap_or_default();
    let url = format!("{base}{}?token={token}", &FILE_PATH[1..]);
    Some(json_ok(json!({
        "fapiao_download_info_list": [{
            "fapiao_id": fapiao_id,
            "download_url": url,
            "status": "ISSUED",
        }]
    })))
}

/// The file behind a `download_url`: no signature is asked for or given. `BadSignature` alters
/// the body after its digest was taken (a tampered file the client must refuse).
pub(crate) fn download(state: &State, query: Option<&str>) -> Outcome {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let expired = || error(400, "INVALID_REQUEST", "链接已失效，请重新获取");
    let (ext, kind) = match get("file_format").unwrap_or("PDF") {
        "PDF" => ("pdf", "PDF"),
        "XML" => ("xml", "XML"),
        "OFD" => ("ofd", "OFD"),
        _ => return error(400, "PARAM_ERROR", "file_format 应为 PDF、XML 或 OFD"),
    };
    let Some(token) = get("token") else {
        return expired();
    };
    let file = state
        .flows
        .fapiao_files
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(token)
        .cloned();
    let Some(file) = file.filter(|f| unix_now() - f.created <= LIFETIME_SECS) else {
        return expired();
    };
    let mut content = file.content;
    if kind != "PDF" {
        content.extend_from_slice(format!("% as {kind}\n").as_bytes());
    }
    let digest = crate::crypto::sm3_hex(&content).to_ascii_uppercase();
    if state.faults().contains(&Fault::BadSignature) {
        if let Some(last) = content.last_mut() {
            *last ^= 0x01;
        }
    }
    let mut out = ok(
        Bytes::from(content),
        "application/octet-stream",
        StatusCode::OK,
    );
    out.headers.push(("SM3-Digest".into(), digest));
    out.headers.push((
        "Content-Disposition".into(),
        format!(
            "attachment; filename=\"fapiao-id-{}.{ext}\"",
            file.fapiao_id
        ),
    ));
    out
}
