//! `wechatpay`: call any WeChat Pay endpoint from a shell, browse the documented calls offline,
//! or run the local emulator.

mod config;
mod list;
mod mock;
mod request;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The exit codes, shown by `--help` and by each command's help.
const EXIT_CODES: &str =
    "Exit codes:\n  0  success\n  1  the call failed after it was sent, or its answer was refused \
(it may have reached WeChat Pay: query before retrying a write); `list`: nothing matched\n  \
2  refused before anything was sent (bad input or configuration); one line names the culprit";

#[derive(Parser)]
#[command(
    name = "wechatpay",
    version,
    about = "WeChat Pay (微信支付) APIv3 and APIv2 from the command line",
    after_help = EXIT_CODES
)]
struct Cli {
    /// Trace each call and attempt on stderr (template, host, status, Request-ID, outcome);
    /// never bodies, keys or placeholder values. Twice for more detail.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// The config file with the profiles (default: $WECHATPAY_CONFIG, else
    /// $XDG_CONFIG_HOME/wechatpay/config.toml, else ~/.config/wechatpay/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The profile to use (`[profiles.NAME]`; default: $WECHATPAY_PROFILE, else the file's
    /// `default`). WECHATPAY_* variables override its keys.
    #[arg(long, global = true, value_name = "NAME")]
    profile: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign and send one call, printing the verified answer.
    ///
    /// Credentials come from the profile (see --config, --profile), overridden by the
    /// environment: WECHATPAY_MCHID, WECHATPAY_SERIAL,
    /// WECHATPAY_PRIVATE_KEY (file), WECHATPAY_PUBLIC_KEY_ID with WECHATPAY_PUBLIC_KEY (file),
    /// WECHATPAY_PLATFORM_CERT (file), WECHATPAY_APIV2_SECRET (or _FILE), WECHATPAY_APIV3_KEY
    /// (or _FILE),
    /// WECHATPAY_MERCHANT_CERT and WECHATPAY_MERCHANT_KEY (files), WECHATPAY_BASE_URI,
    /// WECHATPAY_CA (file: an extra trusted root, e.g. the emulator's).
    ///
    /// Arguments after the path add to `--args`: `key=value` sets a string (never a number:
    /// `json.mchid=1900000001` sends "1900000001"), `key:=JSON` sets raw JSON
    /// (`json.amount.total:=100`); dots nest (`json.amount.currency=CNY`).
    #[command(after_help = concat!(
        "Examples:\n  wechatpay request GET 'v3/pay/transactions/out-trade-no/{out_trade_no}' \\\n      out_trade_no=1217752501201407033233368018 query.mchid=1900000001\n  \
         wechatpay request POST v3/refund/domestic/refunds --args @refund.json json.amount.refund:=1\n  \
         wechatpay request --dry-run POST v2/pay/orderquery xml.appid=wxd930ea5d5a258f4f xml.mch_id=1900000001 xml.out_trade_no=1\n\n",
        "Status and Request-ID go to stderr (with every header under --include); the answer, \
         pretty JSON (APIv2 XML as JSON), to stdout.\n\n",
        "Exit codes:\n  0  success\n  1  the call failed after it was sent, or its answer was refused \
         (it may have reached WeChat Pay: query before retrying a write)\n  \
         2  refused before anything was sent (bad input or configuration)"
    ))]
    Request {
        /// Build and sign the request, print it as JSON, send nothing.
        #[arg(long)]
        dry_run: bool,
        /// The argument map, as JSON (or `@FILE` to read it, `@-` for stdin): placeholders and
        /// options (json, xml, query, headers, ...).
        #[arg(long, default_value = "{}")]
        args: String,
        /// Print the answer's status line and every header on stderr.
        #[arg(short, long)]
        include: bool,
        /// HTTP method: GET, POST, PUT, PATCH or DELETE.
        method: String,
        /// A template (`v3/pay/transactions/id/{transaction_id}`) or a dotted chain
        /// (`v3.pay.transactions.id._transaction_id_`).
        path: String,
        /// `key=value` (a string) or `key:=JSON` (raw JSON) pairs; dots nest.
        pairs: Vec<String>,
    },
    /// List the documented calls (all 1,143, offline), filtered by a query.
    ///
    /// The query matches the Chinese title (`撤销`), words of the path (`refund`) or the name
    /// of a field (`out_refund_no`); several words must all match.
    #[command(
        after_help = "Examples:\n  wechatpay list 撤销\n  wechatpay list refund\n  wechatpay list out_refund_no\n  \
                            wechatpay list --v2 security\n\n\
                            Exit codes:\n  0  at least one call listed\n  1  nothing matched"
    )]
    List {
        /// Only APIv2 (XML) calls.
        #[arg(long, conflicts_with = "v3")]
        v2: bool,
        /// Only APIv3 (JSON) calls.
        #[arg(long)]
        v3: bool,
        /// Words to match (title, path, field names).
        query: Vec<String>,
    },
    /// Show one documented call: protocol, placeholders, fields with types, enums, encrypted
    /// fields, mutual TLS, the answer, and a ready `wechatpay request` line.
    #[command(
        after_help = "Examples:\n  wechatpay show POST v3/refund/domestic/refunds\n  \
                            wechatpay show v3/refund/domestic/refunds/{out_refund_no}\n\n\
                            Exit codes:\n  0  shown\n  2  no such documented call (or several methods: name one)"
    )]
    Show {
        /// The method then the template, or only the template when one method has it.
        #[arg(num_args = 1..=2, required = true)]
        call: Vec<String>,
    },
    /// Run the local WeChat Pay emulator on 127.0.0.1 until interrupted.
    Mock {
        /// Port to listen on (default: a free one).
        #[arg(long)]
        port: Option<u16>,
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
    let sel = config::Selection {
        config: cli.config,
        profile: cli.profile,
    };
    let result = match cli.command {
        Command::Request {
            dry_run,
            args,
            include,
            method,
            path,
            pairs,
        } => request::request(&request::Options {
            dry_run,
            args,
            include,
            method,
            path,
            pairs,
            sel,
        }),
        Command::List { v2, v3, query } => return list::list(&query, v2, v3),
        Command::Show { call } => list::show(&call),
        Command::Mock { port } => mock::mock(port),
    };
    finish(result)
}

/// Prints the error as one line and maps it to the exit code.
fn finish(result: Result<(), wechatpay::Error>) -> ExitCode {
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

/// Reads `@FILE` (`@-`: stdin) or returns the text itself.
fn text_or_file(name: &str, text: &str) -> Result<String, wechatpay::Error> {
    let Some(path) = text.strip_prefix('@') else {
        return Ok(text.to_string());
    };
    let read = if path == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(PathBuf::from(path))
    };
    read.map_err(|e| wechatpay::Error::Argument {
        name: name.into(),
        reason: format!("cannot read `{path}`: {e}"),
    })
}
