//! `docs/cli.md`, the CLI reference, against the CLI's own `--help`: every command has a section
//! headed `` `partner-ledger <command>` ``, and the section names each of its options. A new
//! command or option without a word in the reference fails here.
#[path = "support/cli_help.rs"]
mod cli_help;

fn reference() -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md")).expect("docs/cli.md")
}

/// The text under the heading that names `` `partner-ledger <words>` `` exactly, up to the next
/// heading.
fn section<'a>(doc: &'a str, words: &[String]) -> Option<&'a str> {
    let title = format!("`partner-ledger {}`", words.join(" "));
    let start = doc.lines().position(|l| l.starts_with('#') && l.contains(&title))?;
    let mut offset = 0;
    let mut lines = doc.split_inclusive('\n');
    for l in lines.by_ref().take(start + 1) {
        offset += l.len();
    }
    let len: usize = lines.take_while(|l| !l.starts_with('#')).map(str::len).sum();
    Some(&doc[offset..offset + len])
}

#[test]
fn every_command_and_option_is_in_the_reference() {
    let doc = reference();
    let commands = cli_help::commands();
    assert!(commands.len() > 20, "{commands:?}");
    let mut missing = Vec::new();
    for c in commands.iter().filter(|c| !c.has_subcommands) {
        let name = format!("partner-ledger {}", c.words.join(" "));
        let Some(text) = section(&doc, &c.words) else {
            missing.push(format!("no section headed `{name}`"));
            continue;
        };
        for o in c.options.iter().filter(|o| !cli_help::GLOBAL_OPTIONS.contains(&o.as_str())) {
            if !text.contains(&format!("--{o}")) {
                missing.push(format!("`{name}`: its section does not name --{o}"));
            }
        }
    }
    for o in cli_help::GLOBAL_OPTIONS {
        if !doc.contains(&format!("--{o}")) {
            missing.push(format!("the global option --{o} is not described"));
        }
    }
    assert!(missing.is_empty(), "docs/cli.md is behind the CLI's --help:\n{}", missing.join("\n"));
}

#[test]
fn sections_are_found_by_their_exact_command() {
    let doc = "# Ref\n## `partner-ledger rates add`\nUse --from.\n### `partner-ledger rates list`\nNothing.\n";
    let w = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(section(doc, &w("rates add")), Some("Use --from.\n"));
    assert_eq!(section(doc, &w("rates list")), Some("Nothing.\n"));
    assert_eq!(section(doc, &w("rates")), None, "`rates` alone has no section of its own");
}
