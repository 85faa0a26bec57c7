//! `wechatpay`: call any WeChat Pay endpoint from a shell, or run the local emulator.

use clap::{Parser, Subcommand};
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;
use wechatpay::http::Method;
use wechatpay::{Client, Error};

#[derive(Parser)]
#[command(
    name = "wechatpay",
    version,
    about = "WeChat Pay (微信支付) APIv3 and APIv2 from the command line",
    after_help = "Exit codes:\n  0  success\n  1  the call failed after it was sent, or its answer was refused \
                  (it may have reached WeChat Pay: query before retrying a write)\n  2  refused before anything \
                  was sent (bad input or configuration); one line names the culprit"
)]
struct Cli {
    /// Trace each call and attempt on stderr (template, host, status, Request-ID, outcome);
    /// never bodies, keys or placeholder values. Twice for more detail.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign and send one call, printing the verified answer.
    ///
    /// Credentials come from the environment: WECHATPAY_MCHID, WECHATPAY_SERIAL,
    /// WECHATPAY_PRIVATE_KEY (file), WECHATPAY_PUBLIC_KEY_ID with WECHATPAY_PUBLIC_KEY (file),
    /// WECHATPAY_PLATFORM_CERT (file), WECHATPAY_APIV2_SECRET, WECHATPAY_APIV3_KEY,
    /// WECHATPAY_MERCHANT_CERT and WECHATPAY_MERCHANT_KEY (files), WECHATPAY_BASE_URI,
    /// WECHATPAY_CA (file: an extra trusted root, e.g. the emulator's).
    Request {
        /// Build and sign the request, print it as JSON, send nothing.
        #[arg(long)]
        dry_run: bool,
        /// The argument map, as JSON: placeholders and options (json, xml, query, headers, ...).
        #[arg(long, default_value = "{}")]
        args: String,
        /// HTTP method: GET, POST, PUT, PATCH or DELETE.
        method: String,
        /// A template (`v3/pay/transactions/id/{transaction_id}`) or a dotted chain
        /// (`v3.pay.transactions.id._transaction_id_`).
        path: String,
    },
    /// Run the local WeChat Pay emulator on 127.0.0.1 until interrupted.
    Mock {
        /// Port to listen on (default: a free one).
        #[arg(long)]
        port: Option<u16>,
        /// Print one JSON object (the environment lines' values and the admin API's config)
        /// instead of `export` lines.
        #[arg(long)]
        json: bool,
        /// Strict orders: unknown orders are `404 ORDER_NOT_EXIST`.
        #[arg(long)]
        strict: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.verbose > 0 {
        let level = if cli.verbose > 1 {
            tracing::Level::DEBUG
        } else {
            tracing::Level::INFO
        };
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .init();
    }
    let result = match cli.command {
        Command::Request {
            dry_run,
            args,
            method,
            path,
        } => request(dry_run, &args, &method, &path),
        Command::Mock { port, json, strict } => mock(port, json, strict),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let line = e.to_string().replace('\n', " ");
            eprintln!("error: {line}");
            // 2 promises that nothing was sent; anything after sending (a timeout, a bad
            // answer, a file that could not be written) is 1.
            ExitCode::from(if e.is_refused_before_sending() { 2 } else { 1 })
        }
    }
}

/// Numbers in `--args` that JSON parsing would change: an integer beyond 64 bits (an id typed
/// without quotes becomes `4.2e27`) or a decimal with more digits than a double holds.
fn check_numbers(text: &str) -> Result<(), Error> {
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

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn read_file(var: &'static str) -> Result<Option<Vec<u8>>, Error> {
    match env(var) {
        None => Ok(None),
        Some(path) => std::fs::read(PathBuf::from(&path))
            .map(Some)
            .map_err(|e| Error::Config {
                field: var,
                reason: format!("cannot read `{path}`: {e}"),
            }),
    }
}

fn client_from_env() -> Result<Client, Error> {
    let mut b = Client::builder();
    if let Some(mchid) = env("WECHATPAY_MCHID") {
        b = b.mchid(mchid);
    }
    if let Some(serial) = env("WECHATPAY_SERIAL") {
        b = b.serial(serial);
    }
    if let Some(key) = read_file("WECHATPAY_PRIVATE_KEY")? {
        b = b.private_key(key);
    }
    match (
        env("WECHATPAY_PUBLIC_KEY_ID"),
        read_file("WECHATPAY_PUBLIC_KEY")?,
    ) {
        (Some(id), Some(pem)) => b = b.public_key(id, pem),
        (None, None) => {}
        _ => {
            return Err(Error::Config {
                field: "WECHATPAY_PUBLIC_KEY_ID",
                reason: "WECHATPAY_PUBLIC_KEY_ID and WECHATPAY_PUBLIC_KEY go together".into(),
            })
        }
    }
    if let Some(cert) = read_file("WECHATPAY_PLATFORM_CERT")? {
        b = b.platform_certificate(cert);
    }
    if let Some(secret) = env("WECHATPAY_APIV2_SECRET") {
        b = b.apiv2_secret(secret);
    }
    if let Some(key) = env("WECHATPAY_APIV3_KEY") {
        b = b.apiv3_key(key);
    }
    if let (Some(cert), Some(key)) = (
        read_file("WECHATPAY_MERCHANT_CERT")?,
        read_file("WECHATPAY_MERCHANT_KEY")?,
    ) {
        b = b.merchant_identity(cert, key);
    }
    if let Some(uri) = env("WECHATPAY_BASE_URI") {
        b = b.base_uri(uri);
    }
    if let Some(ca) = read_file("WECHATPAY_CA")? {
        b = b.add_root_certificate(ca);
    }
    b.build()
}

/// A template if it has a slash or a placeholder, else a dotted chain of segments.
fn chain_for(client: &wechatpay::blocking::Client, path: &str) -> wechatpay::blocking::Chain {
    if path.contains(['/', '{', '<']) {
        client.chain(path)
    } else {
        path.split('.').fold(client.root(), |c, s| c.seg(s))
    }
}

fn request(dry_run: bool, args: &str, method: &str, path: &str) -> Result<(), Error> {
    let method = match method.to_ascii_uppercase().as_str() {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "PATCH" => Method::PATCH,
        "DELETE" => Method::DELETE,
        other => {
            return Err(Error::Argument {
                name: "METHOD".into(),
                reason: format!("`{other}` is not one of GET, POST, PUT, PATCH, DELETE"),
            })
        }
    };
    check_numbers(args)?;
    let args: Value = serde_json::from_str(args).map_err(|e| Error::Argument {
        name: "--args".into(),
        reason: format!("not valid JSON: {e}"),
    })?;
    let client = wechatpay::blocking::Client::from(client_from_env()?);
    let chain = chain_for(&client, path);
    if dry_run {
        let prepared = chain.prepare(method, args)?;
        println!("{}", prepared.to_json());
        return Ok(());
    }
    let res = chain.request(method, args)?;
    eprintln!(
        "{} {}",
        res.status().as_u16(),
        res.request_id().unwrap_or("")
    );
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

fn mock(port: Option<u16>, json: bool, strict: bool) -> Result<(), Error> {
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Error::NotConfigured(format!("cannot start a runtime: {e}")))?;
    rt.block_on(async move {
        let mut builder = wechatpay::mock::Server::builder().strict(strict);
        if let Some(p) = port {
            builder = builder.port(p);
        }
        let server = builder.start().await?;
        let dir = std::env::temp_dir().join(format!("wechatpay-emulator-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::NotConfigured(format!("cannot create {}: {e}", dir.display())))?;
        let script = server.env_script(&dir)?;
        if json {
            let mut all = server.config_json();
            for (k, v) in script
                .lines()
                .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
            {
                all[k] = serde_json::Value::String(v.to_string());
            }
            println!("{all}");
        } else {
            print!("{script}");
        }
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        eprintln!(
            "WeChat Pay emulator listening on {} (Ctrl-C to stop); admin API at {}__emulator/",
            server.url(),
            server.url()
        );
        let _ = tokio::signal::ctrl_c().await;
        Ok(())
    })
}
