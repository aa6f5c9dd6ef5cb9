//! The engine's layers run one way (issue 11; ARCHITECTURE.md draws them): a module of
//! `src/` may use only modules of its own layer or lower, and only the store layer (`store/`,
//! `db.rs`, `raw.rs`) holds SQL. This test reads every `.rs` file under `src/`, finds the crate
//! modules each one names in code (`use crate::x`, `crate::x::` anywhere, `use crate::{a, b::c}`
//! groups, a name the crate root re-exports, `super::` inside `store/`) and the SQL in its string
//! literals, and fails naming the file, the line and both layers.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Layer 0: vocabulary (no SQL, no domain); 1: the store; 2: the domain; 3: the consumers of
/// the domain (report, approval, outbox, exports); 4: the `Ledger` facade.
const LAYERS: &[(&str, u8, &str)] = &[
    ("error", 0, "vocabulary"),
    ("types", 0, "vocabulary"),
    ("calendar", 0, "vocabulary"),
    ("kinds", 0, "vocabulary"),
    ("rules", 0, "vocabulary"),
    ("outbox_types", 0, "vocabulary"),
    ("charges_types", 0, "vocabulary"),
    ("db", 1, "store"),
    ("raw", 1, "store"),
    ("store", 1, "store"),
    // A path kept for the lead's files: `pub(crate) use crate::store::audit::record`.
    ("audit", 1, "store"),
    ("resolve", 2, "domain"),
    ("classify", 2, "domain"),
    ("import", 2, "domain"),
    ("import_set", 2, "domain"),
    ("exceptions", 2, "domain"),
    ("refunds", 2, "domain"),
    ("schedule", 2, "domain"),
    ("settings", 2, "domain"),
    ("events", 2, "domain"),
    ("frozen", 2, "domain"),
    ("mappings", 2, "domain"),
    ("audit_view", 2, "domain"),
    ("usage", 2, "domain"),
    ("plans", 2, "domain"),
    ("charges", 2, "domain"),
    ("report", 3, "consumers"),
    ("record", 3, "consumers"),
    ("months", 3, "consumers"),
    ("outbox", 3, "consumers"),
    ("export", 3, "consumers"),
    ("credentials", 3, "consumers"),
    ("provider", 3, "consumers"),
    ("ledger", 4, "facade"),
];

/// Upward uses let through, as (file, module used). Empty on purpose, and it must stay so: a
/// module that needs something from above needs that thing moved down (as `ImportOptions` went
/// from the facade to `types`), not an entry here. The list is kept so that a move in progress
/// can be marked while it lasts.
const UPWARD_ALLOWED: &[(&str, &str)] = &[];

/// Files outside the store layer let hold SQL. Empty on purpose, and it must stay so: SQL goes
/// in a module of `src/store/` (as the import's did, into `store/batches.rs` and
/// `store/txns.rs`). The list is kept so that a move in progress can be marked while it lasts.
const SQL_ALLOWED: &[&str] = &[];

const SQL_WORDS: &[&str] = &["SELECT ", "INSERT ", "UPDATE ", "DELETE ", "CREATE ", "PRAGMA", "BEGIN"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// A file's code with comments removed and string literals blanked (lines kept), and its
/// string literals with the line each starts on.
struct Lexed {
    code: Vec<String>,
    strings: Vec<(usize, String)>,
}

fn lex(text: &str) -> Lexed {
    let c: Vec<char> = text.chars().collect();
    let mut code = String::new();
    let mut strings = Vec::new();
    let (mut i, mut line) = (0, 1);
    let push_blank = |code: &mut String, ch: char| code.push(if ch == '\n' { '\n' } else { ' ' });
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        line += 1;
                    }
                    push_blank(&mut code, c[i]);
                    i += 1;
                }
            }
        } else if ch == '"' || (ch == 'r' && (next == Some('"') || next == Some('#')) && !c.get(i.wrapping_sub(1)).is_some_and(|p| p.is_alphanumeric() || *p == '_')) {
            // A string: "...", or raw r"..." / r#"..."# (a `b` before either is left in the code).
            let raw = ch == 'r';
            let mut hashes = 0;
            if raw {
                i += 1;
                while c.get(i) == Some(&'#') {
                    hashes += 1;
                    i += 1;
                }
                if c.get(i) != Some(&'"') {
                    // `r#ident`: a raw identifier, not a string.
                    code.push('r');
                    code.extend(std::iter::repeat_n('#', hashes));
                    continue;
                }
            }
            i += 1;
            let (start_line, mut s) = (line, String::new());
            code.push('"');
            while i < c.len() {
                if !raw && c[i] == '\\' {
                    s.push(c[i]);
                    s.push(*c.get(i + 1).unwrap_or(&' '));
                    if c.get(i + 1) == Some(&'\n') {
                        line += 1;
                        code.push('\n');
                    }
                    i += 2;
                    continue;
                }
                if c[i] == '"' && (0..hashes).all(|k| c.get(i + 1 + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                if c[i] == '\n' {
                    line += 1;
                }
                push_blank(&mut code, c[i]);
                s.push(c[i]);
                i += 1;
            }
            code.push('"');
            strings.push((start_line, s));
        } else if ch == '\'' {
            // A char literal ('a', '\n', '\''), or a lifetime ('a) left as code.
            if next == Some('\\') {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
                code.push_str("' '");
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
                code.push_str("' '");
            } else {
                code.push(ch);
                i += 1;
            }
        } else {
            if ch == '\n' {
                line += 1;
            }
            code.push(ch);
            i += 1;
        }
    }
    Lexed { code: code.split('\n').map(str::to_string).collect(), strings }
}

fn ident_at(s: &str) -> String {
    s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// The first segment of each path in a `{...}` group starting right after `{`.
fn group_heads(s: &str) -> Vec<String> {
    let (mut depth, mut at_start, mut out) = (1, true, Vec::new());
    let mut chars = s.char_indices();
    while let Some((k, ch)) = chars.next() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => at_start = true,
            c if depth == 1 && at_start && (c.is_alphanumeric() || c == '_') => {
                let id = ident_at(&s[k..]);
                for _ in 1..id.chars().count() {
                    chars.next();
                }
                out.push(id);
                at_start = false;
            }
            _ => {}
        }
    }
    out
}

/// The names each line of code gives after `crate::` (a `use crate::{...}` group spanning lines
/// counts on the line it starts).
fn crate_names(code: &[String]) -> Vec<(usize, String)> {
    let all = code.join("\n");
    let mut out = Vec::new();
    for (at, _) in all.match_indices("crate::") {
        if all[..at].chars().next_back().is_some_and(|p| p.is_alphanumeric() || p == '_') {
            continue; // `pl_crate::`, not ours
        }
        let line = all[..at].matches('\n').count() + 1;
        let rest = &all[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            out.extend(group_heads(group).into_iter().map(|n| (line, n)));
        } else {
            out.push((line, ident_at(rest)));
        }
    }
    out
}

/// What the crate root's names are: the module a `pub use m::...` re-export comes from, glob
/// re-exports included (by the public items of that module), and the root's own items (layer 0).
fn root_names(lib: &str, layer_of: &BTreeMap<&str, u8>) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let code = lex(lib).code.join("\n");
    for stmt in code.split(';') {
        let stmt = stmt.trim();
        let Some(path) = stmt.strip_prefix("pub use ").or_else(|| stmt.strip_prefix("pub(crate) use ")) else {
            if let Some(f) = stmt.split("fn ").nth(1) {
                names.insert(ident_at(f), "<root>".to_string());
            }
            continue;
        };
        let module = ident_at(path);
        if !layer_of.contains_key(module.as_str()) {
            continue; // another crate's
        }
        let rest = &path[module.len()..];
        if rest == "::*" {
            let text = std::fs::read_to_string(src().join(format!("{module}.rs"))).unwrap();
            for l in lex(&text).code {
                let l = l.trim_start();
                for kw in ["pub struct ", "pub enum ", "pub fn ", "pub type ", "pub const ", "pub trait "] {
                    if let Some(r) = l.strip_prefix(kw) {
                        names.insert(ident_at(r), module.clone());
                    }
                }
            }
        } else if let Some(group) = rest.strip_prefix("::{") {
            for n in group_heads(group) {
                names.insert(n, module.clone());
            }
        } else {
            names.insert(rest.rsplit("::").next().map(ident_at).unwrap_or_default(), module.clone());
        }
    }
    names
}

/// The module a file is (`store/` files are all the store).
fn module_of(rel: &Path) -> String {
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn no_module_uses_one_above_it_and_only_the_store_holds_sql() {
    let layer_of: BTreeMap<&str, u8> = LAYERS.iter().map(|(m, l, _)| (*m, *l)).collect();
    let name_of = |l: u8| LAYERS.iter().find(|(_, x, _)| *x == l).map_or("?", |(_, _, n)| *n);
    let root = src();
    let lib = std::fs::read_to_string(root.join("lib.rs")).unwrap();
    let roots = root_names(&lib, &layer_of);
    let mut files = Vec::new();
    rs_files(&root, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&root).unwrap();
        let shown = format!("src/{}", rel.display());
        if rel == Path::new("lib.rs") {
            continue; // declares every module
        }
        let module = module_of(rel);
        let Some(&mine) = layer_of.get(module.as_str()) else {
            problems.push(format!("{shown}: module `{module}` has no layer; add it to the table in tests/layers.rs"));
            continue;
        };
        let file_name = rel.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let lexed = lex(&text);
        let mut uses = crate_names(&lexed.code);
        if module == "store" {
            for (k, l) in lexed.code.iter().enumerate() {
                if l.contains("super::") {
                    uses.push((k + 1, "store".to_string()));
                }
            }
        }
        for (line, name) in uses {
            let used = if layer_of.contains_key(name.as_str()) {
                name.clone()
            } else if let Some(m) = roots.get(&name) {
                m.clone()
            } else {
                problems.push(format!("{shown}:{line}: `crate::{name}` is neither a module in the table nor a name the crate root exports"));
                continue;
            };
            if used == "<root>" {
                continue; // lib.rs's own items: vocabulary
            }
            let theirs = layer_of[used.as_str()];
            if theirs > mine && !(rel.parent() == Some(Path::new("")) && UPWARD_ALLOWED.contains(&(file_name.as_str(), used.as_str()))) {
                problems.push(format!(
                    "{shown}:{line}: `{module}` ({}, layer {mine}) uses `{used}` ({}, layer {theirs}), a layer above it",
                    name_of(mine),
                    name_of(theirs)
                ));
            }
        }
        let sql_home = module == "store" || module == "db" || module == "raw";
        if !sql_home && !SQL_ALLOWED.contains(&file_name.as_str()) {
            for (line, s) in &lexed.strings {
                if let Some(w) = SQL_WORDS.iter().find(|w| s.contains(*w)) {
                    problems.push(format!("{shown}:{line}: SQL (`{}`) outside the store layer; move it to a module of src/store/", w.trim()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} layer problem(s):\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_lexer_sees_code_not_comments_or_strings() {
    let text = "use crate::{a, b::{c, d}, e};\n// crate::f in a comment\nlet s = \"crate::g and SELECT x\";\nlet r = r#\"crate::h\"#; let l: &'static str = x::<'a>; let c = '\"';\n/* crate::i */ crate::j::k();";
    let lexed = lex(text);
    let names: Vec<(usize, String)> = crate_names(&lexed.code);
    let just: Vec<&str> = names.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(just, ["a", "b", "e", "j"]);
    assert_eq!(names.last().unwrap().0, 5);
    assert_eq!(lexed.strings.iter().map(|(l, s)| (*l, s.as_str())).collect::<Vec<_>>(), [(3, "crate::g and SELECT x"), (4, "crate::h")]);
}

#[test]
fn an_upward_use_is_reported_with_both_layers() {
    // The check itself, on a made-up file: a domain module naming the facade.
    let layer_of: BTreeMap<&str, u8> = LAYERS.iter().map(|(m, l, _)| (*m, *l)).collect();
    let code = lex("fn f() { crate::ledger::Ledger::open(p); }").code;
    let names = crate_names(&code);
    assert_eq!(names, [(1, "ledger".to_string())]);
    assert!(layer_of["ledger"] > layer_of["resolve"]);
}
