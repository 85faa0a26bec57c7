//! `wechatpay`: call any WeChat Pay endpoint from a shell, browse the documented calls offline,
//! or run the local emulator.

mod answer;
mod bill;
mod brand_profile;
mod certs;
mod cli;
mod config;
mod doctor;
mod example;
mod exposed;
mod input;
mod list;
mod mock;
mod mock_notify;
mod notifications;
mod request;
mod shangmi_profile;
mod shown;
mod split;
mod tools;

use clap::Parser as _;
use cli::{Cli, Command};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    // `wechatpay list | head` closes the pipe early: end quietly, as other command-line tools
    // do, instead of panicking on the next print (Rust ignores SIGPIPE by default).
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
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
    let mut overrides = Vec::new();
    if let Some(m) = cli.mchid {
        overrides.push(("mchid", m));
    }
    if let Some(u) = cli.base_uri {
        overrides.push(("base_uri", u));
    }
    if let Some(b) = cli.brand_id {
        overrides.push(("brand_id", b));
    }
    let sel = config::Selection {
        config: cli.config,
        profile: cli.profile,
        overrides,
    };
    let result = match cli.command {
        Command::Request {
            dry_run,
            args,
            include,
            raw,
            string_to_sign,
            signature,
            timestamp,
            nonce,
            method,
            path,
            pairs,
        } => request::request(&input::Options {
            dry_run,
            args,
            include,
            raw,
            method,
            path,
            pairs,
            sel,
            string_to_sign,
            signature,
            timestamp,
            nonce,
        }),
        Command::List {
            notifications: true,
            v2,
            v3,
            json,
            query,
            ..
        } => return notifications::list(&query, v2, v3, json),
        Command::List {
            v2,
            v3,
            json,
            examples,
            query,
            ..
        } => return list::list(&query, v2, v3, json, examples),
        Command::Show { call, json }
            if list::find(&call).is_err() && notifications::named(&call) =>
        {
            notifications::show(&call[0], json)
        }
        Command::Show { call, json } => list::show(&call, json),
        Command::Encrypt { text } => tools::encrypt(&sel, &text),
        Command::Decrypt { ciphertext } => tools::decrypt(&sel, &ciphertext),
        Command::Sign {
            kind,
            appid,
            prepay_id,
        } => tools::sign(&sel, &kind, &appid, &prepay_id),
        Command::Notify {
            body,
            headers,
            header,
            replay,
            v2,
        } => tools::notify(&sel, &body, headers.as_deref(), &header, replay, v2),
        Command::Certificates { save } => certs::certificates(&sel, save.as_deref()),
        Command::Bill {
            kind,
            date,
            bill_type,
            out,
            tar_type,
            gunzip,
            progress,
        } => bill::bill(
            &sel,
            &bill::Request {
                kind: &kind,
                date: &date,
                bill_type: bill_type.as_deref(),
                tar_type: tar_type.as_deref(),
                gunzip,
                progress,
            },
            &out,
        ),
        Command::Doctor { online } => return doctor::doctor(&sel, online),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "wechatpay",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        Command::Mock {
            action: Some(action),
            ..
        } => {
            let base = sel.overrides.iter().find(|(k, _)| *k == "base_uri");
            return match mock_notify::run(action, base.map(|(_, v)| v.clone())) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(e) => finish(Err(e)),
            };
        }
        Command::Mock {
            port,
            json,
            strict,
            mode,
            brand,
            shangmi,
            ..
        } => mock::mock(port, json, strict, &mode, brand.as_deref(), shangmi),
    };
    finish(result)
}

/// Prints the error as one line and maps it to the exit code.
fn finish(result: Result<(), wechatpay::Error>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // An error can quote a server (an unverified one too): shown, never obeyed.
            let line = e.to_string().replace('\n', " ");
            eprintln!("error: {}", shown::text(&line));
            // The code is the call's outcome, the worst of its attempts: 2 promises that
            // nothing was sent, 3 that WeChat Pay said no in a signed answer; anything else
            // (a timeout, an unverified answer, a file that could not be written) is 1.
            ExitCode::from(match e.outcome() {
                wechatpay::Outcome::NotSent => 2,
                wechatpay::Outcome::Rejected => 3,
                _ => 1,
            })
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
