//! `wechatpay list --notifications` and `wechatpay show EVENT_TYPE`: the documented
//! notifications, offline.

use serde_json::{json, Value};
use std::fmt::Write as _;
use std::process::ExitCode;
use wechatpay::catalogue::notifications::{all, find, Notification, Sealing};
use wechatpay::catalogue::Protocol;
use wechatpay::Error;

fn protocol(n: &Notification) -> &'static str {
    match n.protocol {
        Protocol::V3 => "v3",
        Protocol::V2 => "v2",
    }
}

fn matches(n: &Notification, word: &str) -> bool {
    let w = word.to_lowercase();
    n.name.to_lowercase().contains(&w)
        || n.title.to_lowercase().contains(&w)
        || n.triggered_by.iter().any(|t| t.template.contains(&w))
}

/// The notifications whose name, title or triggering call matches every word.
pub(crate) fn list(query: &[String], v2: bool, v3: bool, as_json: bool) -> ExitCode {
    let found: Vec<&Notification> = all()
        .iter()
        .filter(|n| (!v2 || n.protocol == Protocol::V2) && (!v3 || n.protocol == Protocol::V3))
        .filter(|n| query.iter().all(|w| matches(n, w)))
        .collect();
    if as_json {
        let rows: Vec<Value> = found
            .iter()
            .map(|n| json!({"name": n.name, "event_type": n.event_type, "protocol": protocol(n), "title": n.title}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
    } else {
        let width = found.iter().map(|n| n.name.len()).max().unwrap_or(0);
        let mut out = String::new();
        for n in &found {
            let _ = writeln!(out, "{}  {:<width$}  {}", protocol(n), n.name, n.title);
        }
        print!("{out}");
    }
    if found.is_empty() {
        eprintln!("no documented notification matches `{}`", query.join(" "));
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Whether `show`'s argument names a notification.
pub(crate) fn named(call: &[String]) -> bool {
    matches!(call, [one] if find(one).is_some())
}

/// A notification's encrypted fields are sealed for the merchant.
fn describe(f: &wechatpay::catalogue::Field, depth: usize, out: &mut String) {
    crate::list::describe(f, depth, "merchant's key", out);
}

fn fields_json(fields: &[wechatpay::catalogue::Field]) -> Value {
    Value::Array(
        fields
            .iter()
            .map(|f| {
                let mut v = json!({"name": f.name, "type": f.kind, "required": f.required});
                if !f.enumeration.is_empty() {
                    v["enum"] = json!(f.enumeration);
                }
                if f.encrypted {
                    v["encrypted"] = json!(true);
                }
                if f.has_fields() {
                    v["children"] = fields_json(&f.children);
                }
                v
            })
            .collect(),
    )
}

fn sealing(n: &Notification) -> &'static str {
    match n.sealing {
        Sealing::Resource => "resource.ciphertext, AEAD_AES_256_GCM under the APIv3 key",
        Sealing::EventCiphertext => "event_ciphertext, AEAD_AES_256_GCM under the APIv3 key",
        Sealing::ReqInfo => "req_info, AES-256-ECB under the MD5 of the APIv2 key",
        Sealing::None => "none: signed XML",
    }
}

/// One notification: its envelope, fields, the answer the merchant gives, and its triggers.
pub(crate) fn show(name: &str, as_json: bool) -> Result<(), Error> {
    let n = find(name).ok_or_else(|| Error::Argument {
        name: name.into(),
        reason: "no documented notification; try `wechatpay list --notifications`".into(),
    })?;
    let send = format!(
        "wechatpay mock notify {} --to http://127.0.0.1:3000/notify",
        n.name
    );
    let triggers: Vec<Value> = n
        .triggered_by
        .iter()
        .map(|t| {
            json!({"method": t.method, "template": t.template, "field": t.field,
                        "basis": if t.stated { "page-text" } else { "inferred" }})
        })
        .collect();
    if as_json {
        let v = json!({
            "name": n.name, "event_type": n.event_type, "protocol": protocol(n), "title": n.title,
            "sealing": sealing(n), "original_type": n.original_type,
            "resource": fields_json(&n.resource), "xml": fields_json(&n.xml),
            "answer": {"kind": if n.answer_xml { "xml" } else { "json" }, "status": n.answer_status,
                       "fields": fields_json(&n.answer)},
            "triggered_by": triggers, "example": send,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(());
    }
    let mut out = String::new();
    let _ = writeln!(out, "{}", n.name);
    let _ = writeln!(out, "title:      {}", n.title);
    let _ = writeln!(
        out,
        "event_type: {}",
        n.event_type.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(out, "protocol:   {}", protocol(n));
    let _ = writeln!(out, "sealed:     {}", sealing(n));
    if !n.original_type.is_empty() {
        let _ = writeln!(out, "original_type: {}", n.original_type.join(", "));
    }
    if !n.xml.is_empty() {
        out.push_str("xml:\n");
        n.xml.iter().for_each(|f| describe(f, 0, &mut out));
    }
    if !n.resource.is_empty() {
        out.push_str("resource (decrypted):\n");
        n.resource.iter().for_each(|f| describe(f, 0, &mut out));
    }
    let _ = writeln!(
        out,
        "answer:     {}{}",
        if n.answer_xml { "xml" } else { "json" },
        if n.answer_status.is_empty() {
            String::new()
        } else {
            format!(" (status {})", n.answer_status.join(", "))
        }
    );
    n.answer.iter().for_each(|f| describe(f, 0, &mut out));
    if !n.triggered_by.is_empty() {
        out.push_str("sent to the URL of:\n");
        for t in &n.triggered_by {
            let basis = if t.stated { "stated" } else { "inferred" };
            let _ = writeln!(
                out,
                "  {:<6} {}  ({}, {basis})",
                t.method, t.template, t.field
            );
        }
    }
    let _ = writeln!(out, "{send}");
    print!("{out}");
    Ok(())
}
