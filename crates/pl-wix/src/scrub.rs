//! Scrubbing secrets out of text before it is stored, printed or logged (SPEC §6).
//!
//! A server can echo a secret back in any encoding, so each secret is searched in every form
//! it can come back in, each character independently (a mix of forms still matches):
//! - verbatim;
//! - JSON-escaped: `\"`, `\\`, `\/`, `\n`-style escapes, `\uXXXX` in either case (surrogate
//!   pairs beyond the BMP), and the same escaped twice (a JSON string inside a JSON string);
//! - URL-encoded: `%XX` of each UTF-8 byte in either case, a space as `%20` or `+`, and the
//!   JSON escapes URL-encoded.
//!
//! Every match is replaced by `***`.

/// The ways one character of a secret can appear in a text.
fn forms(c: char) -> Vec<Vec<u8>> {
    let mut utf8 = [0u8; 4];
    let literal = c.encode_utf8(&mut utf8).as_bytes().to_vec();
    let percent = |bytes: &[u8], upper: bool| -> Vec<u8> {
        bytes
            .iter()
            .flat_map(|b| if upper { format!("%{b:02X}") } else { format!("%{b:02x}") }.into_bytes())
            .collect()
    };
    // One level of JSON escaping of `c` (not counting `c` itself).
    let mut json1: Vec<Vec<u8>> = Vec::new();
    let short = match c {
        '"' => Some("\\\""),
        '\\' => Some("\\\\"),
        '/' => Some("\\/"),
        '\n' => Some("\\n"),
        '\r' => Some("\\r"),
        '\t' => Some("\\t"),
        '\u{8}' => Some("\\b"),
        '\u{c}' => Some("\\f"),
        _ => None,
    };
    json1.extend(short.map(|s| s.as_bytes().to_vec()));
    let mut units = [0u16; 2];
    let units = c.encode_utf16(&mut units);
    for upper in [false, true] {
        let esc: String = units.iter().map(|u| if upper { format!("\\u{u:04X}") } else { format!("\\u{u:04x}") }).collect();
        json1.push(esc.into_bytes());
    }
    // The JSON escapes escaped again: every `\` doubled, every `"` as `\"`.
    let json2: Vec<Vec<u8>> = json1
        .iter()
        .map(|e| {
            e.iter()
                .flat_map(|&b| match b {
                    b'\\' => b"\\\\".to_vec(),
                    b'"' => b"\\\"".to_vec(),
                    b => vec![b],
                })
                .collect()
        })
        .collect();
    let mut all = vec![literal.clone(), percent(&literal, true), percent(&literal, false)];
    if c == ' ' {
        all.push(b"+".to_vec());
    }
    for e in &json1 {
        all.push(percent(e, true));
        all.push(percent(e, false));
    }
    all.extend(json1);
    all.extend(json2);
    all.sort();
    all.dedup();
    all
}

/// One secret, ready to be searched for.
struct Pattern {
    /// For each character of the secret, its forms.
    chars: Vec<Vec<Vec<u8>>>,
}

impl Pattern {
    fn new(secret: &str) -> Pattern {
        Pattern { chars: secret.chars().map(forms).collect() }
    }

    /// The end of the longest match starting at `start`, if any.
    fn match_at(&self, text: &[u8], start: usize) -> Option<usize> {
        let mut here = vec![start];
        for forms in &self.chars {
            let mut next: Vec<usize> = Vec::new();
            for &p in &here {
                let rest = text.get(p..).unwrap_or_default();
                for f in forms {
                    if rest.starts_with(f) {
                        next.push(p + f.len());
                    }
                }
            }
            if next.is_empty() {
                return None;
            }
            next.sort_unstable();
            next.dedup();
            here = next;
        }
        here.last().copied()
    }
}

/// Secrets compiled once into their forms, to scrub many texts.
pub struct Scrubber {
    patterns: Vec<Pattern>,
    /// Bytes a match can start with (the first byte of a form of a secret's first character).
    starts: [bool; 256],
}

impl Default for Scrubber {
    fn default() -> Self {
        Scrubber { patterns: Vec::new(), starts: [false; 256] }
    }
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} secrets)", self.patterns.len())
    }
}

impl Scrubber {
    /// A scrubber for these secrets (empty ones ignored).
    pub fn new<S: AsRef<str>>(secrets: &[S]) -> Scrubber {
        let mut s = Scrubber::default();
        for secret in secrets {
            s.add(secret.as_ref());
        }
        s
    }

    /// Adds a secret (an access token just issued); an empty one is ignored.
    pub fn add(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let p = Pattern::new(secret);
        for f in p.chars.first().into_iter().flatten() {
            if let Some(&b) = f.first() {
                self.starts[b as usize] = true;
            }
        }
        self.patterns.push(p);
    }

    /// `text` with every occurrence of each secret, in any of its forms, replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let (mut i, mut copied) = (0usize, 0usize);
        while i < bytes.len() {
            let candidate = bytes.get(i).is_some_and(|&b| self.starts[b as usize]);
            let end = if candidate { self.patterns.iter().filter_map(|p| p.match_at(bytes, i)).max() } else { None };
            match end {
                Some(end) if end > i => {
                    // Matches start and end on character boundaries: every form is whole characters.
                    out.push_str(text.get(copied..i).unwrap_or_default());
                    out.push_str("***");
                    i = end;
                    copied = end;
                }
                _ => i += 1,
            }
        }
        out.push_str(text.get(copied..).unwrap_or_default());
        out
    }
}

/// `text` with every occurrence of each non-empty secret, in any of its forms, replaced by `***`.
pub fn scrub_secrets<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    Scrubber::new(secrets).scrub(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &str = "p\"q\\r é/ ü😀z";

    fn json(s: &str) -> String {
        serde_json::to_string(s).unwrap().trim_matches('"').to_string()
    }

    fn ascii_json(s: &str, upper: bool) -> String {
        let mut out = String::new();
        for c in json(s).chars() {
            if c.is_ascii() {
                out.push(c);
            } else {
                let mut u = [0u16; 2];
                for unit in c.encode_utf16(&mut u) {
                    out.push_str(&if upper { format!("\\u{unit:04X}") } else { format!("\\u{unit:04x}") });
                }
            }
        }
        out
    }

    fn url(s: &str, plus: bool) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' if plus => "+".to_string(),
                b => format!("%{b:02X}"),
            })
            .collect()
    }

    #[test]
    fn every_form_is_scrubbed() {
        let forms = [
            S.to_string(),
            json(S),
            ascii_json(S, false),
            ascii_json(S, true),
            json(&json(S)),
            url(S, false),
            url(S, true),
            url(S, false).to_lowercase(),
            url(&json(S), false),
            json(S).replace('/', "\\/"),
        ];
        for f in forms {
            let text = format!("{{\"message\":\"bad token {f} given\"}}");
            let out = scrub_secrets(&text, &[S]);
            assert_eq!(out, "{\"message\":\"bad token *** given\"}", "form {f:?}");
        }
    }

    #[test]
    fn other_text_is_kept_and_several_secrets_go() {
        let out = scrub_secrets("a OAUTH2.x b sk_live c OAUTH2.x", &["OAUTH2.x", "sk_live", ""]);
        assert_eq!(out, "a *** b *** c ***");
        assert_eq!(scrub_secrets("nothing here é", &["secret"]), "nothing here é");
        assert_eq!(scrub_secrets("x", &[] as &[&str]), "x");
    }

    #[test]
    fn a_partial_secret_is_not_a_match() {
        assert_eq!(scrub_secrets("hunter hunter2", &["hunter2"]), "hunter ***");
    }
}
