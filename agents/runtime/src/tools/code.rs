//! Fenced code blocks: extraction, and a syntax check per language.
//!
//! The checks are deliberately shallow but real: JSON is parsed fully; for
//! C-family languages (Rust, JavaScript/TypeScript, Java, C/C++, Go, C#,
//! Kotlin, Swift, PHP) brackets must balance outside strings and comments;
//! Python must balance too and open every block with `:` and an indent.
//! Other languages are extracted and marked `unchecked`.

use sutazai_protocol::wire::{CodeBlock, SyntaxCheck};

/// The fenced blocks in `text`, as (language, code). An unclosed fence runs
/// to the end of the text.
pub fn extract(text: &str) -> Vec<(Option<String>, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(Option<String>, Vec<&str>)> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            match current.take() {
                Some((lang, lines)) => blocks.push((lang, lines.join("\n"))),
                None => {
                    let lang = info.split_whitespace().next().map(str::to_ascii_lowercase);
                    current = Some((lang, Vec::new()));
                }
            }
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    if let Some((lang, lines)) = current {
        blocks.push((lang, lines.join("\n")));
    }
    blocks
}

/// Extracts and checks every block. Without fences, the whole text is one
/// block in `fallback_language`.
pub fn check_all(text: &str, fallback_language: Option<&str>) -> Vec<CodeBlock> {
    let mut blocks = extract(text);
    if blocks.is_empty() && !text.trim().is_empty() {
        blocks.push((fallback_language.map(str::to_ascii_lowercase), text.trim().to_string()));
    }
    blocks
        .into_iter()
        .map(|(language, code)| {
            let lang = language
                .clone()
                .or_else(|| fallback_language.map(str::to_ascii_lowercase));
            let syntax = check(lang.as_deref(), &code);
            CodeBlock {
                language: lang,
                code,
                syntax,
            }
        })
        .collect()
}

/// Checks one block's syntax.
pub fn check(language: Option<&str>, code: &str) -> SyntaxCheck {
    let result = match language.unwrap_or("") {
        "json" => serde_json::from_str::<serde_json::Value>(code)
            .map(|_| ())
            .map_err(|e| (e.to_string(), Some(e.line() as u32))),
        "python" | "py" | "python3" => check_python(code),
        "rust" | "rs" | "javascript" | "js" | "jsx" | "typescript" | "ts" | "tsx" | "java" | "c" | "h" | "cpp"
        | "c++" | "cc" | "go" | "golang" | "csharp" | "cs" | "kotlin" | "kt" | "swift" | "php" | "scala" => {
            let template_literals = matches!(
                language,
                Some("javascript" | "js" | "jsx" | "typescript" | "ts" | "tsx")
            );
            balance(code, Comments::CFamily, template_literals)
        }
        _ => return SyntaxCheck::Unchecked,
    };
    match result {
        Ok(()) => SyntaxCheck::Ok,
        Err((message, line)) => SyntaxCheck::Error { message, line },
    }
}

type Problem = (String, Option<u32>);

#[derive(Clone, Copy, PartialEq)]
enum Comments {
    CFamily,
    Hash,
}

/// Brackets balance outside strings and comments.
fn balance(code: &str, comments: Comments, template_literals: bool) -> Result<(), Problem> {
    let chars: Vec<char> = code.chars().collect();
    let mut stack: Vec<(char, u32)> = Vec::new();
    let mut line: u32 = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\n' => line += 1,
            '/' if comments == Comments::CFamily && next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '/' if comments == Comments::CFamily && next == Some('*') => {
                let start = line;
                i += 2;
                loop {
                    match chars.get(i) {
                        None => return Err((format!("comment opened on line {start} is never closed"), Some(start))),
                        Some('*') if chars.get(i + 1) == Some(&'/') => break,
                        Some('\n') => line += 1,
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
            }
            '#' if comments == Comments::Hash => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '"' | '`' if c == '"' || template_literals => {
                let start = line;
                let triple = comments == Comments::Hash && next == Some(c) && chars.get(i + 2) == Some(&c);
                i += if triple { 3 } else { 1 };
                loop {
                    match chars.get(i) {
                        None => return Err((format!("string opened on line {start} is never closed"), Some(start))),
                        Some('\\') => i += 1,
                        Some('\n') if !triple && c == '"' => {
                            return Err((
                                format!("string opened on line {start} is not closed on its line"),
                                Some(start),
                            ))
                        }
                        Some('\n') => line += 1,
                        Some(&q)
                            if q == c
                                && (!triple || (chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c))) =>
                        {
                            if triple {
                                i += 2;
                            }
                            break;
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            '\'' if comments == Comments::Hash => {
                let start = line;
                let triple = next == Some('\'') && chars.get(i + 2) == Some(&'\'');
                i += if triple { 3 } else { 1 };
                loop {
                    match chars.get(i) {
                        None => return Err((format!("string opened on line {start} is never closed"), Some(start))),
                        Some('\\') => i += 1,
                        Some('\n') if !triple => {
                            return Err((
                                format!("string opened on line {start} is not closed on its line"),
                                Some(start),
                            ))
                        }
                        Some('\n') => line += 1,
                        Some('\'')
                            if !triple || (chars.get(i + 1) == Some(&'\'') && chars.get(i + 2) == Some(&'\'')) =>
                        {
                            if triple {
                                i += 2;
                            }
                            break;
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            // A char literal ('x', '\n', '\u{1F600}'); anything else is a
            // lifetime or label (Rust) and is skipped as a plain character.
            '\'' => {
                if next == Some('\\') {
                    if let Some(end) = chars[i + 2..].iter().take(12).position(|&ch| ch == '\'') {
                        i += end + 2;
                    }
                } else if chars.get(i + 2) == Some(&'\'') {
                    i += 2;
                }
            }
            '(' | '[' | '{' => stack.push((c, line)),
            ')' | ']' | '}' => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                match stack.pop() {
                    Some((open, _)) if open == want => {}
                    Some((open, at)) => {
                        return Err((
                            format!("`{c}` on line {line} does not close `{open}` from line {at}"),
                            Some(line),
                        ))
                    }
                    None => return Err((format!("`{c}` on line {line} closes nothing"), Some(line))),
                }
            }
            _ => {}
        }
        i += 1;
    }
    match stack.pop() {
        Some((open, at)) => Err((format!("`{open}` opened on line {at} is never closed"), Some(at))),
        None => Ok(()),
    }
}

const PY_BLOCKS: &[&str] = &[
    "def", "class", "if", "elif", "else", "for", "while", "try", "except", "finally", "with", "async",
];

fn check_python(code: &str) -> Result<(), Problem> {
    balance(code, Comments::Hash, false)?;
    let lines: Vec<&str> = code.lines().collect();
    for (i, raw) in lines.iter().enumerate() {
        let text = strip_hash_comment(raw).trim_end();
        let trimmed = text.trim_start();
        let first = trimmed
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .next()
            .unwrap_or("");
        let line_no = i as u32 + 1;
        let opens_block = PY_BLOCKS.contains(&first)
            && (trimmed.len() == first.len() || trimmed[first.len()..].starts_with([' ', ':', '(']));
        if opens_block && bracket_depth(text) == 0 && !text.ends_with(':') && !text.ends_with('\\') {
            // One-line forms like `if x: y` carry their colon inside.
            if !text.contains(':') {
                return Err((format!("`{first}` on line {line_no} needs a `:`"), Some(line_no)));
            }
        }
        if text.ends_with(':') && opens_block {
            let indent = raw.len() - raw.trim_start().len();
            let next = lines[i + 1..]
                .iter()
                .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
            match next {
                Some(next) if next.len() - next.trim_start().len() > indent => {}
                _ => {
                    return Err((
                        format!("the block opened on line {line_no} has no indented body"),
                        Some(line_no),
                    ))
                }
            }
        }
    }
    Ok(())
}

fn strip_hash_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (c, quote) {
            ('#', None) => return &line[..i],
            ('"' | '\'', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            _ => {}
        }
    }
    line
}

fn bracket_depth(line: &str) -> i32 {
    line.chars().fold(0, |d, c| match c {
        '(' | '[' | '{' => d + 1,
        ')' | ']' | '}' => d - 1,
        _ => d,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_line(lang: &str, code: &str) -> Option<u32> {
        match check(Some(lang), code) {
            SyntaxCheck::Error { line, .. } => line,
            other => panic!("{lang} {code:?}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn extracts_fenced_blocks_with_languages() {
        let text = "Here:\n```python\nprint(1)\n```\nand\n```\nx = 2\n```\n```rust\nfn main() {}";
        let blocks = extract(text);
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[0], (Some("python".into()), "print(1)".into()));
        assert_eq!(blocks[1], (None, "x = 2".into()));
        assert_eq!(
            blocks[2],
            (Some("rust".into()), "fn main() {}".into()),
            "an unclosed fence runs to the end"
        );
    }

    #[test]
    fn good_code_passes() {
        let cases = [
            (
                "rust",
                "fn longest<'a>(x: &'a str) -> char { let c = '}'; let s = \"{(\"; /* ) */ c } // ]",
            ),
            ("javascript", "const f = (a) => { return `${a} }`; }; // )"),
            (
                "python",
                "def f(x):\n    if x:  # note: (\n        return \"(\"\n    return [1,\n            2]\n",
            ),
            ("python", "s = '''a\n(b\n'''\nif ok: run()\n"),
            ("json", "{\"a\": [1, 2]}"),
            ("c", "int main(void) { char c = '\\''; return 0; }"),
        ];
        for (lang, code) in cases {
            assert_eq!(check(Some(lang), code), SyntaxCheck::Ok, "{lang}: {code}");
        }
    }

    #[test]
    fn broken_code_is_caught_with_its_line() {
        assert_eq!(error_line("rust", "fn main() {\n    let x = (1 + 2;\n}"), Some(3));
        assert_eq!(error_line("javascript", "function f() {\n  return 1;\n"), Some(1));
        assert_eq!(error_line("python", "def f(x)\n    return x\n"), Some(1));
        assert_eq!(error_line("python", "def f(x):\nreturn x\n"), Some(1));
        assert_eq!(error_line("python", "x = \"open\n"), Some(1));
        assert_eq!(error_line("json", "{\"a\": }"), Some(1));
        assert_eq!(error_line("go", "func main() {\n}}\n"), Some(2));
    }

    #[test]
    fn unknown_languages_are_unchecked_and_bare_code_uses_the_fallback_language() {
        assert_eq!(check(Some("haskell"), "main = print 1"), SyntaxCheck::Unchecked);
        let blocks = check_all("def f():\n    pass", Some("Python"));
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].language.as_deref(), Some("python"));
        assert_eq!(blocks[0].syntax, SyntaxCheck::Ok);
    }
}
