//! The tokens of a filter string: identifiers (with dots and backquoted parts), quoted
//! strings, numbers, comparison symbols, parentheses and commas.

use crate::error::{Error, Result};

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidArgument(msg.into())
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Ident(String),
    Str(String),
    /// A double-quoted string (an identifier to SQL, a string value to MLflow).
    DStr(String),
    Num(String),
    Sym(&'static str),
    LParen,
    RParen,
    Comma,
}

pub(super) fn tokenize(s: &str) -> Result<Vec<Tok>> {
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let (text, next) = quoted(&b, i, c)?;
            out.push(if c == '\'' {
                Tok::Str(text)
            } else {
                Tok::DStr(text)
            });
            i = next;
        } else if c == '(' {
            out.push(Tok::LParen);
            i += 1;
        } else if c == ')' {
            out.push(Tok::RParen);
            i += 1;
        } else if c == ',' {
            out.push(Tok::Comma);
            i += 1;
        } else if "=!<>".contains(c) {
            let two: String = b[i..(i + 2).min(b.len())].iter().collect();
            let sym = match two.as_str() {
                "!=" => "!=",
                "<>" => "!=",
                "<=" => "<=",
                ">=" => ">=",
                "==" => "==",
                _ => match c {
                    '=' => "=",
                    '<' => "<",
                    '>' => ">",
                    _ => {
                        return Err(invalid(format!(
                            "Invalid clause(s) in filter string: '{s}'"
                        )))
                    }
                },
            };
            i += if sym.len() == 2 || two == "<>" { 2 } else { 1 };
            out.push(Tok::Sym(sym));
        } else if c.is_ascii_digit()
            || (c == '-' && b.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            i += 1;
            while i < b.len()
                && (b[i].is_ascii_digit() || b[i] == '.' || b[i] == 'e' || b[i] == 'E')
            {
                i += 1;
            }
            out.push(Tok::Num(b[start..i].iter().collect()));
        } else if c.is_alphanumeric() || c == '_' || c == '`' {
            // An identifier: words, dots and backquoted parts (`tags.`my key``).
            let mut text = String::new();
            while i < b.len() {
                let c = b[i];
                if c == '`' {
                    let end = b[i + 1..].iter().position(|x| *x == '`').ok_or_else(|| {
                        invalid(format!(
                            "Invalid filter string '{s}': unterminated backquote"
                        ))
                    })?;
                    text.extend(&b[i..i + end + 2]);
                    i += end + 2;
                } else if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' || c == ':' {
                    text.push(c);
                    i += 1;
                } else if (c == '"' || c == '\'') && text.ends_with('.') {
                    // A quoted key: tags."my key".
                    let (q, next) = quoted(&b, i, c)?;
                    text.push('`');
                    text.push_str(&q);
                    text.push('`');
                    i = next;
                } else {
                    break;
                }
            }
            out.push(Tok::Ident(text));
        } else {
            return Err(invalid(format!(
                "Invalid clause(s) in filter string: unexpected {c:?} in '{s}'"
            )));
        }
    }
    Ok(out)
}

/// A quoted string starting at `b[i]` (the quote); a doubled quote or a backslash escapes one.
fn quoted(b: &[char], i: usize, q: char) -> Result<(String, usize)> {
    let mut text = String::new();
    let mut j = i + 1;
    while j < b.len() {
        let c = b[j];
        if c == '\\' && j + 1 < b.len() {
            text.push(b[j + 1]);
            j += 2;
        } else if c == q {
            if b.get(j + 1) == Some(&q) {
                text.push(q);
                j += 2;
            } else {
                return Ok((text, j + 1));
            }
        } else {
            text.push(c);
            j += 1;
        }
    }
    Err(invalid("Invalid filter string: unterminated quoted string"))
}
