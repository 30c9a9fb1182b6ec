//! Undoes the disguises attackers put on a payload before the patterns look
//! at it: percent-, entity- and backslash-encoding (repeated until nothing
//! changes, at most [`MAX_DECODE_ROUNDS`] times), Unicode compatibility forms
//! (NFKC folds fullwidth and mathematical letters), invisible characters,
//! exotic spaces, and Cyrillic or Greek letters that look Latin.
//!
//! The output is only ever matched, never shown or executed, so losing
//! meaning (Russian words turned into Latin gibberish) is acceptable.

use unicode_normalization::UnicodeNormalization;

/// Enough for triple encoding (`%25252e`) with room to spare; a bound keeps
/// a hostile input from making the scan loop for long.
pub(crate) const MAX_DECODE_ROUNDS: usize = 6;

/// The text as the patterns should see it.
pub(crate) fn normalise(text: &str) -> String {
    let mut current = text.to_owned();
    for _ in 0..MAX_DECODE_ROUNDS {
        let next = decode_backslash_escapes(&decode_html_entities(&percent_decode(&current)));
        if next == current {
            break;
        }
        current = next;
    }
    // NFKC leaves ASCII as it is: most inputs skip its tables.
    if current.is_ascii() {
        return current.chars().filter_map(fold_char).collect();
    }
    current.nfkc().filter_map(fold_char).collect()
}

/// Drops invisible characters, turns every kind of space into a plain one
/// and maps look-alike letters to the Latin letter they imitate.
fn fold_char(c: char) -> Option<char> {
    match c {
        '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' => None,
        '\t' | '\n' | '\r' => Some(c),
        c if c.is_whitespace() => Some(' '),
        c => Some(confusable(c).unwrap_or(c)),
    }
}

/// The common Cyrillic and Greek look-alikes of Latin letters.
fn confusable(c: char) -> Option<char> {
    const MAP: &[(char, char)] = &[
        // Cyrillic lower case.
        ('а', 'a'),
        ('в', 'b'),
        ('е', 'e'),
        ('һ', 'h'),
        ('і', 'i'),
        ('ј', 'j'),
        ('к', 'k'),
        ('м', 'm'),
        ('н', 'h'),
        ('о', 'o'),
        ('р', 'p'),
        ('с', 'c'),
        ('т', 't'),
        ('у', 'y'),
        ('х', 'x'),
        ('ѕ', 's'),
        ('ԁ', 'd'),
        ('ԛ', 'q'),
        ('ԝ', 'w'),
        ('ӏ', 'l'),
        // Cyrillic upper case.
        ('А', 'A'),
        ('В', 'B'),
        ('Е', 'E'),
        ('К', 'K'),
        ('М', 'M'),
        ('Н', 'H'),
        ('О', 'O'),
        ('Р', 'P'),
        ('С', 'C'),
        ('Т', 'T'),
        ('Х', 'X'),
        ('І', 'I'),
        ('Ј', 'J'),
        ('Ѕ', 'S'),
        // Greek lower case.
        ('α', 'a'),
        ('ε', 'e'),
        ('ι', 'i'),
        ('κ', 'k'),
        ('ν', 'v'),
        ('ο', 'o'),
        ('ρ', 'p'),
        ('τ', 't'),
        ('υ', 'u'),
        ('χ', 'x'),
        // Greek upper case.
        ('Α', 'A'),
        ('Β', 'B'),
        ('Ε', 'E'),
        ('Ζ', 'Z'),
        ('Η', 'H'),
        ('Ι', 'I'),
        ('Κ', 'K'),
        ('Μ', 'M'),
        ('Ν', 'N'),
        ('Ο', 'O'),
        ('Ρ', 'P'),
        ('Τ', 'T'),
        ('Υ', 'Y'),
        ('Χ', 'X'),
    ];
    MAP.iter().find(|(from, _)| *from == c).map(|(_, to)| *to)
}

/// Replaces `%XX` with the byte it stands for; invalid UTF-8 that results
/// (overlong forms such as `%c0%af`) becomes U+FFFD.
pub(crate) fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Named entities attackers use to hide markup and punctuation.
const NAMED_ENTITIES: &[(&str, char)] = &[
    ("lt", '<'),
    ("gt", '>'),
    ("amp", '&'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("tab", '\t'),
    ("newline", '\n'),
    ("colon", ':'),
    ("semi", ';'),
    ("sol", '/'),
    ("bsol", '\\'),
    ("lpar", '('),
    ("rpar", ')'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("equals", '='),
    ("period", '.'),
    ("comma", ','),
    ("excl", '!'),
    ("num", '#'),
    ("dollar", '$'),
    ("percnt", '%'),
    ("plus", '+'),
    ("ast", '*'),
    ("grave", '`'),
    ("vert", '|'),
];

/// Decodes `&lt;`-style named entities and `&#60;` / `&#x3c;` numeric ones
/// (the `;` may be missing, as browsers allow for numeric ones).
pub(crate) fn decode_html_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match entity(after) {
            Some((c, used)) => {
                out.push(c);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character an entity body (the text after `&`) stands for, and how
/// many bytes of the body it used.
fn entity(body: &str) -> Option<(char, usize)> {
    if let Some(num) = body.strip_prefix('#') {
        let (radix, digits_from) = match num.as_bytes().first() {
            Some(b'x' | b'X') => (16, 1),
            _ => (10, 0),
        };
        let digits: String = num[digits_from..]
            .chars()
            .take_while(|c| c.is_digit(radix))
            .take(10)
            .collect();
        if digits.is_empty() {
            return None;
        }
        let c = u32::from_str_radix(&digits, radix).ok().and_then(char::from_u32)?;
        let mut used = 1 + digits_from + digits.len();
        if body[used..].starts_with(';') {
            used += 1;
        }
        return Some((c, used));
    }
    let name: String = body.chars().take_while(|c| c.is_ascii_alphabetic()).take(10).collect();
    if !body[name.len()..].starts_with(';') {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    NAMED_ENTITIES
        .iter()
        .find(|(n, _)| *n == lower)
        .map(|(_, c)| (*c, name.len() + 1))
}

/// Decodes `\uXXXX`, `\u{X..}` and `\xXX` escapes as JavaScript, JSON and
/// Python write them.
pub(crate) fn decode_backslash_escapes(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match backslash_escape(after) {
            Some((c, used)) => {
                out.push(c);
                rest = &after[used..];
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn backslash_escape(body: &str) -> Option<(char, usize)> {
    let hex_char = |digits: &str| u32::from_str_radix(digits, 16).ok().and_then(char::from_u32);
    let fixed = |len: usize, skip: usize| {
        let digits = body.get(skip..skip + len)?;
        if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        hex_char(digits).map(|c| (c, skip + len))
    };
    if let Some(braced) = body.strip_prefix("u{") {
        let end = braced.find('}').filter(|end| (1..=6).contains(end))?;
        return hex_char(&braced[..end]).map(|c| (c, 2 + end + 1));
    }
    match body.as_bytes().first() {
        Some(b'u') => fixed(4, 1),
        Some(b'x') => fixed(2, 1),
        _ => None,
    }
}

/// SQL comments replaced by `with`: `/**/` and `/* .. */` vanish (or become
/// a space); MySQL's executable `/*!50000 .. */` keeps its content.
pub(crate) fn strip_sql_comments(text: &str, with: &str) -> String {
    if !text.contains("/*") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut open_executable = 0usize;
    loop {
        let next_open = rest.find("/*");
        let next_close = if open_executable > 0 { rest.find("*/") } else { None };
        match (next_open, next_close) {
            (_, Some(close)) if next_open.is_none_or(|open| close < open) => {
                out.push_str(&rest[..close]);
                out.push_str(with);
                open_executable -= 1;
                rest = &rest[close + 2..];
            }
            (Some(open), _) => {
                out.push_str(&rest[..open]);
                let body = &rest[open + 2..];
                if let Some(executable) = body.strip_prefix('!') {
                    let digits = executable.chars().take_while(char::is_ascii_digit).count();
                    out.push_str(with);
                    open_executable += 1;
                    rest = &executable[digits..];
                } else {
                    out.push_str(with);
                    rest = match body.find("*/") {
                        Some(close) => &body[close + 2..],
                        None => "",
                    };
                }
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_entity_and_backslash_forms_repeatedly() {
        let cases = [
            ("%3Cscript%3E", "<script>"),
            ("%253Cscript%253E", "<script>"),
            ("%25252e%25252e%25252f", "../"),
            ("&lt;script&gt;", "<script>"),
            ("&LT;img&GT;", "<img>"),
            ("&#60;svg&#62;", "<svg>"),
            ("&#x3c;svg&#x3E;", "<svg>"),
            ("&#0000060svg", "<svg"),
            ("java&Tab;script&colon;", "java\tscript:"),
            ("&amp;lt;b&amp;gt;", "<b>"),
            ("\\u003cscript\\u003e", "<script>"),
            ("\\x3cscript\\x3e", "<script>"),
            ("\\u{3c}b\\u{3e}", "<b>"),
            ("%5Cu003cb%5Cu003e", "<b>"),
            ("fish & chips; 100% sure", "fish & chips; 100% sure"),
            ("C:\\Users\\xavier", "C:\\Users\\xavier"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalise(input), expected, "{input}");
        }
    }

    #[test]
    fn folds_unicode_disguises() {
        let cases = [
            // Fullwidth forms (NFKC).
            ("＜ｓｃｒｉｐｔ＞", "<script>"),
            // Mathematical bold letters (NFKC).
            ("𝐢𝐠𝐧𝐨𝐫𝐞", "ignore"),
            // Zero-width characters and the soft hyphen vanish.
            ("ig\u{200B}no\u{200D}re pre\u{00AD}vious", "ignore previous"),
            ("UN\u{FEFF}ION", "UNION"),
            // Exotic spaces become a plain space.
            ("union\u{00A0}select\u{3000}x\u{2003}y", "union select x y"),
            // Cyrillic and Greek look-alikes.
            ("іgnоrе", "ignore"),
            ("ѕеlесt", "select"),
            ("ΑLΕRΤ", "ALERT"),
            ("ѕсrірt", "script"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalise(input), expected, "{input:?}");
        }
    }

    #[test]
    fn sql_comments_go() {
        let cases = [
            ("UNION/**/SELECT", "", "UNIONSELECT"),
            ("UNION/**/SELECT", " ", "UNION SELECT"),
            ("UN/**/ION SEL/*x*/ECT", "", "UNION SELECT"),
            ("/*!50000UNION*/ /*!SELECT*/", " ", " UNION   SELECT "),
            ("a /* never closed", "", "a "),
            ("no comments", "", "no comments"),
        ];
        for (input, with, expected) in cases {
            assert_eq!(strip_sql_comments(input, with), expected, "{input}");
        }
    }
}
