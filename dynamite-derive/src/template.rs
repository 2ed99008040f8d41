//! Key templates of shared-table models: `"USER#{user_id}"` parsed into
//! literal text and field references.

/// One part of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text.
    Literal(String),
    /// `{field}`: a Rust field name.
    Field(String),
}

/// Parses a template; the error says what is wrong (empty, unbalanced
/// braces, an empty `{}`, a field name that is not an identifier).
pub fn parse(template: &str) -> Result<Vec<Part>, String> {
    if template.is_empty() {
        return Err("a key template cannot be empty".to_owned());
    }
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        match c {
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some('{') | None => {
                            return Err(format!("unbalanced `{{` in key template {template:?}"));
                        }
                        Some(c) => name.push(c),
                    }
                }
                let name = name.trim().to_owned();
                let valid = name
                    .chars()
                    .next()
                    .is_some_and(|c| c == '_' || c.is_alphabetic())
                    && name.chars().all(|c| c == '_' || c.is_alphanumeric());
                if !valid {
                    return Err(format!(
                        "`{{{name}}}` in key template {template:?} is not a field name"
                    ));
                }
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(Part::Field(name));
            }
            '}' => return Err(format!("unbalanced `}}` in key template {template:?}")),
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_into_literals_and_fields() {
        assert_eq!(
            parse("ITEM#{order_id}#{id}").unwrap(),
            vec![
                Part::Literal("ITEM#".into()),
                Part::Field("order_id".into()),
                Part::Literal("#".into()),
                Part::Field("id".into()),
            ]
        );
        assert_eq!(
            parse("PROFILE").unwrap(),
            vec![Part::Literal("PROFILE".into())]
        );
        for bad in ["", "USER#{id", "USER#id}", "{}", "{a b}", "{{id}}", "{1x}"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
