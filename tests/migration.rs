//! docs/migration-from-php.md, row by row, against the emulator over loopback sockets.
//!
//! The document is parsed at test time: every row of its table and every bullet of "Behaviour that
//! differs on purpose" must be claimed by exactly one check below, and every check must claim
//! exactly one of them. A row added, removed or reworded without its check fails here, so the
//! document and the crate cannot drift apart.
#![cfg(all(feature = "mock", feature = "blocking"))]

#[path = "migration/differs.rs"]
mod differs;
#[path = "migration/table.rs"]
mod table;
#[path = "migration/table_answers.rs"]
mod table_answers;

use std::panic::{catch_unwind, AssertUnwindSafe};
use wechatpay::mock::Server;
use wechatpay::Client;

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/migration-from-php.md");

/// A fresh emulator and a client for it, per check, so that no journal, script or fault leaks
/// from one check into another.
pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub server: Server,
    pub client: Client,
}

impl Env {
    fn new() -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let server = rt.block_on(Server::start()).expect("the emulator starts");
        let client = server.client_builder().build().expect("the client builds");
        Env { rt, server, client }
    }

    pub fn run<T>(&self, fut: impl std::future::Future<Output = T>) -> T {
        self.rt.block_on(fut)
    }

    /// How many requests reached the emulator: a refusal "before sending" leaves it unchanged.
    pub fn sent(&self) -> usize {
        self.server.journal().len()
    }
}

/// A check claims the doc item whose first text contains `php` (and, for a table row, whose
/// Rust cell contains `rust`: the API the check exercises).
pub struct Check {
    pub php: &'static str,
    pub rust: &'static str,
    pub run: fn(&Env),
}

/// The table's rows as (PHP cell, Rust cell).
fn table_rows(doc: &str) -> Vec<(String, String)> {
    doc.lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| {
            l.starts_with("| ") && !l.starts_with("| ---") && !l.starts_with("| wechatpay-php")
        })
        .map(|l| {
            let cells: Vec<&str> = l.trim().trim_matches('|').split(" | ").collect();
            assert_eq!(cells.len(), 2, "a row of two cells: {l}");
            (cells[0].trim().to_string(), cells[1].trim().to_string())
        })
        .collect()
}

/// The bullets under "Behaviour that differs on purpose", continuation lines joined.
fn bullets(doc: &str) -> Vec<String> {
    let section = doc
        .split("## Behaviour that differs on purpose")
        .nth(1)
        .expect("the section is in the document");
    let mut items: Vec<String> = Vec::new();
    for line in section.lines().take_while(|l| !l.starts_with("## ")) {
        if let Some(item) = line.strip_prefix("- ") {
            items.push(item.to_string());
        } else if line.starts_with("  ") {
            let last = items.last_mut().expect("a continuation follows a bullet");
            last.push(' ');
            last.push_str(line.trim());
        }
    }
    items
}

/// Matches items to checks one to one, then runs every check; panics listing every mismatch
/// and every failure, not just the first.
fn walk(items: &[(String, String)], checks: &[Check]) {
    let mut problems = Vec::new();
    for (php, rust) in items {
        let claimed: Vec<_> = checks.iter().filter(|c| php.contains(c.php)).collect();
        match claimed.as_slice() {
            [] => problems.push(format!("no check for `{php}`")),
            [c] if !rust.contains(c.rust) => problems.push(format!(
                "`{php}`: the Rust side no longer says `{}`, which its check exercises: `{rust}`",
                c.rust
            )),
            [_] => {}
            many => problems.push(format!("{} checks claim `{php}`", many.len())),
        }
    }
    for c in checks {
        if !items.iter().any(|(php, _)| php.contains(c.php)) {
            problems.push(format!("the check `{}` has no item in the document", c.php));
        }
    }
    assert!(
        problems.is_empty(),
        "doc and checks differ:\n{}",
        problems.join("\n")
    );
    for c in checks {
        if let Err(e) = catch_unwind(AssertUnwindSafe(|| (c.run)(&Env::new()))) {
            let why = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            problems.push(format!("`{}`: {why}", c.php));
        }
    }
    assert!(
        problems.is_empty(),
        "{} failed:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_row_of_the_table_holds_against_the_emulator() {
    let doc = std::fs::read_to_string(DOC).unwrap();
    let rows = table_rows(&doc);
    assert!(rows.len() >= 20, "the table was not parsed: {rows:?}");
    walk(&rows, table::CHECKS);
}

#[test]
fn every_behaviour_that_differs_holds_against_the_emulator() {
    let doc = std::fs::read_to_string(DOC).unwrap();
    // A bullet has no Rust cell: its whole text stands for both.
    let items: Vec<_> = bullets(&doc).into_iter().map(|b| (b.clone(), b)).collect();
    assert!(items.len() >= 10, "the list was not parsed: {items:?}");
    walk(&items, differs::CHECKS);
}

#[test]
fn the_walk_refuses_a_row_without_a_check_and_a_check_without_a_row() {
    let rows = vec![("`$a->b()`".to_string(), "`a.b()`".to_string())];
    let none: &[Check] = &[];
    assert!(catch_unwind(|| walk(&rows, none)).is_err());
    let stray = &[Check {
        php: "`$x",
        rust: "",
        run: |_| {},
    }];
    assert!(catch_unwind(|| walk(&[], stray)).is_err());
    let renamed = &[Check {
        php: "`$a",
        rust: "a.c()",
        run: |_| {},
    }];
    assert!(catch_unwind(|| walk(&rows, renamed)).is_err());
}
