//! No message the window shows names a CLI command (SPEC §10): the window speaks of its own
//! controls. Checked where those messages are written:
//! - the UI's sources (`ui/src`, `.ts`/`.tsx`, tests left out),
//! - the engine's texts that reach the window: every string of `pl-ledger`, `pl-import`,
//!   `pl-money` and `pl-wix` (their errors' `Display`, exception details, warnings) and of the
//!   desktop shell (`src-tauri/src`), tests and comments left out. The CLI prints the same words.
//!
//! What counts as naming the CLI: `partner-ledger ` followed by anything, any long option of the
//! CLI (`--date-order`, `--month`, ...), and any command of two words (`rates add`,
//! `settings set`, `mapping add`, ...). The options and commands are read from the CLI's own
//! `--help`, so a new command is checked without touching this file.
use std::path::{Path, PathBuf};

#[path = "support/cli_help.rs"]
mod cli_help;

/// Files whose texts only a terminal shows (never the window), and why.
const TERMINAL_ONLY: &[(&str, &str)] = &[(
    "src-tauri/src/startup.rs",
    "--version, --help and the no-display refusal of the desktop binary, printed before any window",
)];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if !matches!(name.as_str(), "test" | "tests" | "__tests__" | "node_modules") {
                files(&p, exts, out);
            }
        } else if exts.iter().any(|x| name.ends_with(x)) && !name.contains(".test.") && name != "tests.rs" {
            out.push(p);
        }
    }
}

/// `src` with its comments blanked (newlines kept, so lines still count) and, per byte,
/// whether it is inside a string or char literal.
struct Masked {
    text: Vec<u8>,
    in_string: Vec<bool>,
}

fn blank(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend(bytes.iter().map(|b| if *b == b'\n' { b'\n' } else { b' ' }));
}

fn mask_rust(src: &str) -> Masked {
    let b = src.as_bytes();
    let (mut text, mut in_string) = (Vec::with_capacity(b.len()), Vec::with_capacity(b.len()));
    let ident = |i: usize| i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            blank(&mut text, &b[start..i]);
            in_string.resize(text.len(), false);
            continue;
        }
        if rest.starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            blank(&mut text, &b[start..i]);
            in_string.resize(text.len(), false);
            continue;
        }
        // Raw strings: r"..", r#".."#, br#".."#.
        let raw_at = if !ident(i) && rest.starts_with(b"br") { Some(2) } else if !ident(i) && rest.starts_with(b"r") { Some(1) } else { None };
        if let Some(skip) = raw_at {
            let hashes = rest[skip..].iter().take_while(|c| **c == b'#').count();
            if rest.get(skip + hashes) == Some(&b'"') {
                let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
                i += skip + hashes + 1;
                while i < b.len() && !b[i..].starts_with(&close) {
                    i += 1;
                }
                i = (i + close.len()).min(b.len());
                text.extend_from_slice(&b[start..i]);
                in_string.resize(text.len(), true);
                continue;
            }
        }
        if b[i] == b'"' || (!ident(i) && rest.starts_with(b"b\"")) {
            i += if b[i] == b'"' { 1 } else { 2 };
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            text.extend_from_slice(&b[start..i]);
            in_string.resize(text.len(), true);
            continue;
        }
        if b[i] == b'\'' {
            // A char literal ('x', '\n', '"') or a lifetime ('a).
            let len = if b.get(i + 1) == Some(&b'\\') {
                // The escaped character first: `'\''` ends at its second quote.
                b.get(i + 3..).and_then(|r| r.iter().position(|c| *c == b'\'')).map(|p| p + 4)
            } else {
                src[i + 1..].chars().next().map(char::len_utf8).filter(|n| b.get(i + 1 + n) == Some(&b'\'')).map(|n| n + 2)
            };
            if let Some(n) = len {
                i += n;
                text.extend_from_slice(&b[start..i]);
                in_string.resize(text.len(), true);
                continue;
            }
        }
        text.push(b[i]);
        in_string.push(false);
        i += 1;
    }
    Masked { text, in_string }
}

/// Blanks every item under `#[cfg(test)]` (a test module, a test-only function).
fn drop_test_items(m: &mut Masked) {
    const ATTR: &[u8] = b"#[cfg(test)]";
    let mut from = 0;
    while let Some(p) = m.text[from..].windows(ATTR.len()).position(|w| w == ATTR).map(|p| p + from) {
        if m.in_string[p] {
            from = p + ATTR.len();
            continue;
        }
        let mut i = p + ATTR.len();
        while i < m.text.len() && (m.in_string[i] || !matches!(m.text[i], b'{' | b';')) {
            i += 1;
        }
        if i < m.text.len() && m.text[i] == b'{' {
            let mut depth = 0usize;
            while i < m.text.len() {
                if !m.in_string[i] {
                    match m.text[i] {
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                i += 1;
            }
        }
        let end = (i + 1).min(m.text.len());
        for c in &mut m.text[p..end] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
        from = end;
    }
}

/// TypeScript/TSX with comments blanked. Quotes end at the line's end at the latest (an
/// apostrophe in JSX text is no string), template literals may span lines.
fn mask_ts(src: &str) -> Vec<u8> {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            blank(&mut out, &b[start..i]);
        } else if b[i..].starts_with(b"/*") {
            i = b[i + 2..].windows(2).position(|w| w == b"*/").map_or(b.len(), |p| i + 2 + p + 2);
            blank(&mut out, &b[start..i]);
        } else if matches!(b[i], b'\'' | b'"' | b'`') {
            let q = b[i];
            i += 1;
            while i < b.len() && b[i] != q && (q == b'`' || b[i] != b'\n') {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            out.extend_from_slice(&b[start..i]);
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// What names the CLI, with the reason to print.
struct Terms {
    options: Vec<String>,
    commands: Vec<String>,
}

fn terms() -> Terms {
    let commands = cli_help::commands();
    assert!(commands.len() > 20, "the CLI's help lists its commands: {commands:?}");
    let options = cli_help::all_options(&commands);
    for o in ["date-order", "month", "format", "dry-run"] {
        assert!(options.iter().any(|x| x == o), "--{o} is read from the help: {options:?}");
    }
    let pairs: Vec<String> = commands.iter().filter(|c| c.words.len() >= 2).map(|c| c.words.join(" ")).collect();
    for p in ["rates add", "settings set", "mapping add", "map customer"] {
        assert!(pairs.iter().any(|x| x == p), "`{p}` is read from the help: {pairs:?}");
    }
    Terms { options, commands: pairs }
}

fn word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Every CLI term on `line`.
fn found(line: &str, t: &Terms) -> Vec<String> {
    let mut hits = Vec::new();
    let b = line.as_bytes();
    let bounded = |at: usize, len: usize| {
        (at == 0 || !word_byte(b[at - 1])) && b.get(at + len).is_none_or(|c| !word_byte(*c))
    };
    let each = |needle: &str| line.match_indices(needle).map(|(at, _)| at).collect::<Vec<_>>();
    for at in each("partner-ledger ") {
        if at == 0 || !word_byte(b[at - 1]) {
            hits.push("`partner-ledger …`".to_owned());
        }
    }
    for o in &t.options {
        let needle = format!("--{o}");
        if each(&needle).into_iter().any(|at| bounded(at, needle.len())) {
            hits.push(format!("the CLI option `{needle}`"));
        }
    }
    for c in &t.commands {
        if each(c).into_iter().any(|at| bounded(at, c.len())) {
            hits.push(format!("the CLI command `{c}`"));
        }
    }
    hits
}

fn check(file: &Path, text: &[u8], t: &Terms, problems: &mut Vec<String>) {
    let text = String::from_utf8_lossy(text);
    let rel = file.strip_prefix(repo()).unwrap_or(file).display().to_string();
    for (n, line) in text.lines().enumerate() {
        for hit in found(line, t) {
            problems.push(format!("{rel}:{}: {hit} in: {}", n + 1, line.trim()));
        }
    }
}

#[test]
fn no_window_message_names_a_cli_command() {
    let t = terms();
    let root = repo();
    let mut problems = Vec::new();

    let mut ui = Vec::new();
    files(&root.join("ui/src"), &[".ts", ".tsx"], &mut ui);
    assert!(ui.len() > 5, "the UI's sources: {ui:?}");
    for f in &ui {
        let src = std::fs::read_to_string(f).unwrap();
        check(f, &mask_ts(&src), &t, &mut problems);
    }

    let mut rust = Vec::new();
    for dir in ["crates/pl-ledger/src", "crates/pl-import/src", "crates/pl-money/src", "crates/pl-wix/src", "src-tauri/src"] {
        files(&root.join(dir), &[".rs"], &mut rust);
    }
    assert!(rust.len() > 30, "the engine's sources: {rust:?}");
    for f in &rust {
        let rel = f.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        if TERMINAL_ONLY.iter().any(|(p, _)| *p == rel) {
            continue;
        }
        let src = std::fs::read_to_string(f).unwrap();
        let mut m = mask_rust(&src);
        drop_test_items(&mut m);
        check(f, &m.text, &t, &mut problems);
    }

    assert!(
        problems.is_empty(),
        "the window shows these texts, and they name the command line; say what to do in the \
         window's words instead (the CLI prints the same words):\n{}",
        problems.join("\n")
    );
}

// ---- the checker itself -----------------------------------------------------------------

fn test_terms() -> Terms {
    Terms { options: vec!["date-order".into(), "month".into()], commands: vec!["rates add".into(), "settings set".into()] }
}

#[test]
fn the_checker_finds_cli_words_in_strings_not_in_comments_or_tests() {
    let t = test_terms();
    let rust = r##"
//! Like `partner-ledger rates add --month`, in a doc comment: fine.
fn f() -> String {
    /* rates add */ let url = "https://example.com"; // settings set
    let c = '"'; let d = '\''; fn g<'a>(x: &'a str) -> &'a str { x }
    format!("pass --date-order day-first") + r#"then rates add"# + "{ok}"
}
#[cfg(test)]
mod tests {
    fn t() { let s = "partner-ledger settings set"; let b = "}"; }
}
fn h() -> &'static str { "use partner-ledger import" }
"##;
    let mut m = mask_rust(rust);
    drop_test_items(&mut m);
    let text = String::from_utf8(m.text).unwrap();
    let hits: Vec<(usize, Vec<String>)> =
        text.lines().enumerate().map(|(n, l)| (n + 1, found(l, &t))).filter(|(_, h)| !h.is_empty()).collect();
    assert_eq!(
        hits,
        vec![
            (6, vec!["the CLI option `--date-order`".to_owned(), "the CLI command `rates add`".to_owned()]),
            (12, vec!["`partner-ledger …`".to_owned()]),
        ],
        "{text}"
    );
}

#[test]
fn the_checker_reads_typescript_text_and_strings() {
    let t = test_terms();
    let ts = "// rates add in a comment\nconst a = \"https://x\"; /* --month */\n<p>Don't run settings set</p>\nconst b = `multi\n--month`;\nconst c = 'a' + i--; // --month\n";
    let text = String::from_utf8(mask_ts(ts)).unwrap();
    let hits: Vec<usize> = text.lines().enumerate().filter(|(_, l)| !found(l, &t).is_empty()).map(|(n, _)| n + 1).collect();
    assert_eq!(hits, vec![3, 5], "{text}");
    // Word bounds: a longer option or a CSS variable is not the option.
    assert!(found("--months --month-end var(--monthly) x--month", &t).is_empty());
    assert!(found("the rates address", &t).is_empty());
    assert_eq!(found("(--month)", &t).len(), 1);
}
