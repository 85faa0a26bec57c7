//! `wechatpay request`: sign and send one call.

use serde_json::Value;
use wechatpay::http::Method;
use wechatpay::Error;

/// Numbers in `--args` that JSON parsing would change: an integer beyond 64 bits (an id typed
/// without quotes becomes `4.2e27`) or a decimal with more digits than a double holds.
pub(crate) fn check_numbers(text: &str) -> Result<(), Error> {
    let bytes = text.as_bytes();
    let (mut i, mut in_string) = (0, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if b == b'-' || b.is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
            {
                i += 1;
            }
            let token = &text[start..i];
            let integer = !token.contains(['.', 'e', 'E']);
            let exact = if integer {
                token.parse::<i64>().is_ok() || token.parse::<u64>().is_ok()
            } else {
                let mantissa = token.split(['e', 'E']).next().unwrap_or("");
                mantissa
                    .bytes()
                    .filter(u8::is_ascii_digit)
                    .skip_while(|d| *d == b'0')
                    .count()
                    <= 15
            };
            if !exact {
                return Err(Error::Argument {
                    name: "--args".into(),
                    reason: format!(
                        "the number {token} would not survive JSON parsing (it would be sent as a rounded float): \
                         write it as a string, \"{token}\""
                    ),
                });
            }
            continue;
        }
        i += 1;
    }
    Ok(())
}

/// A template if it has a slash or a placeholder, else a dotted chain of segments.
pub(crate) fn chain_for(
    client: &wechatpay::blocking::Client,
    path: &str,
) -> wechatpay::blocking::Chain {
    if path.contains(['/', '{', '<']) {
        client.chain(path)
    } else {
        path.split('.').fold(client.root(), |c, s| c.seg(s))
    }
}

/// What `wechatpay request` was given.
pub(crate) struct Options {
    pub dry_run: bool,
    pub args: String,
    pub include: bool,
    pub raw: bool,
    pub method: String,
    pub path: String,
    pub pairs: Vec<String>,
    pub sel: crate::config::Selection,
    pub string_to_sign: bool,
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
}

fn argument(name: &str, reason: String) -> Error {
    Error::Argument {
        name: name.into(),
        reason,
    }
}

/// Adds `key=value` (a string) and `key:=JSON` pairs to the argument map; dots nest.
pub(crate) fn apply_pairs(args: &mut Value, pairs: &[String]) -> Result<(), Error> {
    for pair in pairs {
        let Some(eq) = pair.find('=') else {
            return Err(argument(
                pair,
                "not `key=value` (a string) or `key:=JSON` (raw JSON)".into(),
            ));
        };
        let (key, raw) = match pair[..eq].strip_suffix(':') {
            Some(key) => (key, true),
            None => (&pair[..eq], false),
        };
        let text = &pair[eq + 1..];
        let value = if raw {
            check_numbers(text).map_err(|e| match e {
                Error::Argument { reason, .. } => argument(key, reason),
                other => other,
            })?;
            serde_json::from_str(text)
                .map_err(|e| argument(key, format!("`:=` takes JSON: {e}")))?
        } else {
            Value::String(text.to_string())
        };
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(argument(pair, "an empty key or key part".into()));
        }
        let mut node = &mut *args;
        let parts: Vec<&str> = key.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let Value::Object(map) = node else {
                return Err(argument(
                    key,
                    format!(
                        "`{}` is already set to a value that is not an object",
                        parts[..i].join(".")
                    ),
                ));
            };
            if i + 1 == parts.len() {
                map.insert(part.to_string(), value);
                break;
            }
            node = map
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Default::default()));
        }
    }
    Ok(())
}

pub(crate) fn method(name: &str) -> Result<Method, Error> {
    Ok(match name.to_ascii_uppercase().as_str() {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "PATCH" => Method::PATCH,
        "DELETE" => Method::DELETE,
        other => {
            return Err(argument(
                "METHOD",
                format!("`{other}` is not one of GET, POST, PUT, PATCH, DELETE"),
            ))
        }
    })
}

/// The `--args` text (or file) and the pairs, as one argument map.
pub(crate) fn args_map(args: &str, pairs: &[String]) -> Result<Value, Error> {
    let args = crate::text_or_file("--args", args)?;
    check_numbers(&args)?;
    let mut args: Value = serde_json::from_str(&args)
        .map_err(|e| argument("--args", format!("not valid JSON: {e}")))?;
    if !args.is_object() {
        return Err(argument("--args", "not a JSON object".into()));
    }
    apply_pairs(&mut args, pairs)?;
    Ok(args)
}

pub(crate) fn request(o: &Options) -> Result<(), Error> {
    if o.string_to_sign {
        return crate::split::print_string_to_sign(o);
    }
    if let Some(signature) = &o.signature {
        return crate::split::send_signed(o, signature);
    }
    let method = method(&o.method)?;
    let args = args_map(&o.args, &o.pairs)?;
    let client = wechatpay::blocking::Client::from(crate::config::client(&o.sel)?);
    let chain = chain_for(&client, &o.path);
    if o.dry_run {
        let prepared = chain.prepare(method, args)?;
        println!("{}", prepared.to_json());
        return Ok(());
    }
    let res = match chain.request(method, args) {
        Ok(res) => res,
        Err(e) => {
            // An error answer's headers too, before its one-line error.
            if let (
                true,
                Error::Api {
                    status, headers, ..
                },
            ) = (o.include, &e)
            {
                eprintln!("{}", status.as_u16());
                print_headers(headers);
            }
            return Err(e);
        }
    };
    eprintln!(
        "{} {}",
        res.status().as_u16(),
        res.request_id().unwrap_or("")
    );
    if o.include {
        print_headers(res.headers());
    }
    if o.raw {
        use std::io::Write as _;
        let _ = std::io::stdout().write_all(res.body());
        return Ok(());
    }
    // JSON (APIv3) and XML (APIv2) answers print as JSON; anything else (a file) as it came.
    let parsed = match res.json() {
        Ok(v) => Some(v).filter(|v| !v.is_null()),
        Err(_) => res.xml().ok().map(Value::Object),
    };
    match parsed {
        Some(v) => println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default()),
        None => println!("{}", String::from_utf8_lossy(res.body())),
    }
    Ok(())
}

fn print_headers(headers: &wechatpay::http::HeaderMap) {
    for (name, value) in headers {
        eprintln!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
    }
}
