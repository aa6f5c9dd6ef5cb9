//! The CLI's commands as its own `--help` lists them (clap's layout: a `Commands:` section of
//! `  name  about` lines, an `Options:` section of `  -x, --name <VALUE>  about` lines), walked
//! down to the leaves, so that tests follow the CLI as it grows instead of a copied list.
// Included by several test files, each using a part of it.
#![allow(dead_code)]
use std::process::Command;

/// One command of the CLI: its words after `partner-ledger` (`["rates", "add"]`), its own long
/// options without the leading `--`, and whether it has subcommands of its own.
#[derive(Debug, Clone)]
pub struct CliCommand {
    pub words: Vec<String>,
    pub options: Vec<String>,
    pub has_subcommands: bool,
}

/// Options every command takes (documented once).
pub const GLOBAL_OPTIONS: [&str; 5] = ["db", "json", "by", "help", "version"];

fn help(words: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_partner-ledger"))
        .args(words)
        .arg("--help")
        .env_remove("PARTNER_LEDGER_DB")
        .output()
        .expect("the CLI runs");
    assert!(out.status.success(), "partner-ledger {} --help: {out:?}", words.join(" "));
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// The lines of a `Heading:` section, up to the next blank line.
fn section<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    let mut lines = text.lines().skip_while(|l| l.trim_end() != heading);
    if lines.next().is_none() {
        return Vec::new();
    }
    lines.take_while(|l| !l.trim().is_empty()).collect()
}

/// Every long option named at the start of an `Options:` line.
fn options(text: &str) -> Vec<String> {
    section(text, "Options:")
        .into_iter()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix('-').and_then(|r| r.get(1..)).and_then(|r| r.strip_prefix(", ")).unwrap_or(l);
            let name: String = l.strip_prefix("--")?.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// Every command of the CLI, parents before their subcommands (`help` left out).
pub fn commands() -> Vec<CliCommand> {
    let mut all = Vec::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(words) = todo.pop() {
        let text = help(&words);
        let subs: Vec<String> = section(&text, "Commands:")
            .into_iter()
            // `  name  about`: two spaces, then the name (a wrapped about would be indented more).
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .filter(|name| name != "help")
            .collect();
        for s in subs.iter().rev() {
            let mut w = words.clone();
            w.push(s.clone());
            todo.push(w);
        }
        if !words.is_empty() {
            all.push(CliCommand { words, options: options(&text), has_subcommands: !subs.is_empty() });
        }
    }
    all.sort_by(|a, b| a.words.cmp(&b.words));
    all
}

/// Every long option of any command.
pub fn all_options(commands: &[CliCommand]) -> Vec<String> {
    let mut o: Vec<String> = commands.iter().flat_map(|c| c.options.iter().cloned()).collect();
    o.sort();
    o.dedup();
    o
}
