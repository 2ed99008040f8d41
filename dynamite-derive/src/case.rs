//! Name conversions: `rename_all` rules, Rust identifiers to table and
//! constant names, and English pluralization for default table names.

/// A `rename_all = "..."` rule. Applies to stored attribute names (fields of
/// a model or of a `#[derive(Attribute)]` struct) and to enum variant names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenameRule {
    /// `snake_case`
    Snake,
    /// `camelCase`
    Camel,
    /// `PascalCase`
    Pascal,
    /// `SCREAMING_SNAKE_CASE`
    ScreamingSnake,
    /// `kebab-case`
    Kebab,
    /// `lowercase`
    Lower,
    /// `UPPERCASE`
    Upper,
}

impl RenameRule {
    /// Every accepted spelling, for error messages.
    pub const NAMES: &'static str = "\"snake_case\", \"camelCase\", \"PascalCase\", \
         \"SCREAMING_SNAKE_CASE\", \"kebab-case\", \"lowercase\", \"UPPERCASE\"";

    /// Parses the string given to `rename_all`.
    pub fn from_str(rule: &str) -> Option<Self> {
        Some(match rule {
            "snake_case" => RenameRule::Snake,
            "camelCase" => RenameRule::Camel,
            "PascalCase" => RenameRule::Pascal,
            "SCREAMING_SNAKE_CASE" => RenameRule::ScreamingSnake,
            "kebab-case" => RenameRule::Kebab,
            "lowercase" => RenameRule::Lower,
            "UPPERCASE" => RenameRule::Upper,
            _ => return None,
        })
    }

    /// Applies the rule to a field name (written in `snake_case` in Rust).
    /// As in serde, `lowercase` / `UPPERCASE` keep a field's underscores.
    pub fn apply_to_field(self, field: &str) -> String {
        match self {
            RenameRule::Lower => field.to_ascii_lowercase(),
            RenameRule::Upper => field.to_ascii_uppercase(),
            _ => self.join(&split_words(field)),
        }
    }

    /// Applies the rule to a variant name (written in `PascalCase` in Rust).
    pub fn apply_to_variant(self, variant: &str) -> String {
        let words = split_words(variant);
        self.join(&words)
    }

    fn join(self, words: &[String]) -> String {
        match self {
            RenameRule::Snake => words.join("_"),
            RenameRule::ScreamingSnake => words.join("_").to_ascii_uppercase(),
            RenameRule::Kebab => words.join("-"),
            RenameRule::Lower => words.concat(),
            RenameRule::Upper => words.concat().to_ascii_uppercase(),
            RenameRule::Pascal => words.iter().map(|w| capitalize(w)).collect(),
            RenameRule::Camel => words
                .iter()
                .enumerate()
                .map(|(i, w)| if i == 0 { w.clone() } else { capitalize(w) })
                .collect(),
        }
    }
}

/// Splits an identifier into lowercase words. Underscores separate words, and
/// so does a case change: `OrderItem` -> `order`, `item`; `HTTPRequest` ->
/// `http`, `request`; `UserV2` -> `user`, `v2`.
pub fn split_words(ident: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in ident.split('_').filter(|p| !p.is_empty()) {
        let chars: Vec<char> = part.chars().collect();
        let mut word = String::new();
        for (i, &c) in chars.iter().enumerate() {
            if c.is_uppercase() && i > 0 {
                let prev = chars[i - 1];
                let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
                if prev.is_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_uppercase() && next_is_lower)
                {
                    words.push(std::mem::take(&mut word));
                }
            }
            word.extend(c.to_lowercase());
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    words
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `snake_case` form of an identifier.
pub fn snake_case(ident: &str) -> String {
    split_words(ident).join("_")
}

/// `PascalCase` form of an identifier (`email_address` -> `EmailAddress`).
pub fn pascal_case(ident: &str) -> String {
    split_words(ident).iter().map(|w| capitalize(w)).collect()
}

/// `SCREAMING_SNAKE_CASE` form of an identifier (`created_at` -> `CREATED_AT`).
pub fn screaming_snake_case(ident: &str) -> String {
    snake_case(ident).to_ascii_uppercase()
}

/// The default table name of a model: its name in `snake_case` with the
/// last word pluralized (`OrderItem` -> `order_items`, `Person` -> `people`).
pub fn default_table_name(model: &str) -> String {
    let mut words = split_words(model);
    if let Some(last) = words.last_mut() {
        *last = pluralize(last);
    }
    words.join("_")
}

/// Words whose plural is the same word.
const UNCOUNTABLE: &[&str] = &[
    "sheep",
    "series",
    "species",
    "fish",
    "deer",
    "moose",
    "news",
    "data",
    "metadata",
    "information",
    "equipment",
    "feedback",
    "software",
    "hardware",
    "aircraft",
    "money",
    "rice",
    "staff",
    "media",
];

/// Irregular plurals.
const IRREGULAR: &[(&str, &str)] = &[
    ("person", "people"),
    ("child", "children"),
    ("man", "men"),
    ("woman", "women"),
    ("mouse", "mice"),
    ("louse", "lice"),
    ("goose", "geese"),
    ("foot", "feet"),
    ("tooth", "teeth"),
    ("ox", "oxen"),
    ("criterion", "criteria"),
    ("phenomenon", "phenomena"),
    ("datum", "data"),
    ("axis", "axes"),
    ("quiz", "quizzes"),
];

/// Words ending in `f` / `fe` whose plural ends in `ves`; every other word
/// ending in `f` takes a plain `s` (`roof` -> `roofs`, `chief` -> `chiefs`).
const F_TO_VES: &[&str] = &[
    "leaf", "loaf", "thief", "sheaf", "knife", "life", "wife", "wolf", "half", "calf", "shelf",
    "elf", "self",
];

/// Words ending in `o` that take `es`; every other word ending in `o` takes a
/// plain `s` (`photo` -> `photos`).
const O_TO_OES: &[&str] = &[
    "hero", "potato", "tomato", "echo", "veto", "torpedo", "embargo", "volcano", "mosquito",
];

/// Words ending in `ch` pronounced `k`, which take a plain `s`.
const CH_AS_K: &[&str] = &["stomach", "epoch", "monarch", "patriarch", "matriarch"];

/// The English plural of one lowercase word.
///
/// Rules, in order (simple and predictable rather than exhaustive; set
/// `#[dynamite(table = "...")]` when the result is not the wanted name):
/// 1. uncountable words stay unchanged (`sheep`, `series`, `data`, ...);
/// 2. irregular words (`person` -> `people`, `child` -> `children`, `quiz` -> `quizzes`, ...);
/// 3. a listed `f`/`fe` word -> `ves` (`leaf` -> `leaves`, `knife` -> `knives`);
/// 4. `-sis` -> `-ses` (`analysis` -> `analyses`);
/// 5. consonant + `y` -> `ies` (`category` -> `categories`), vowel + `y` -> `ys` (`day` -> `days`);
/// 6. `-s`, `-x`, `-z`, `-sh`, `-ch` -> `+es` (`status` -> `statuses`, `index` -> `indexes`,
///    `cactus` -> `cactuses`, `match` -> `matches`), except `ch` said `k` (`epoch` -> `epochs`);
/// 7. a listed `o` word -> `oes` (`hero` -> `heroes`), other `o` words -> `os`;
/// 8. otherwise `+s`.
pub fn pluralize(word: &str) -> String {
    if word.is_empty() || UNCOUNTABLE.contains(&word) {
        return word.to_owned();
    }
    if let Some((_, plural)) = IRREGULAR.iter().find(|(singular, _)| *singular == word) {
        return (*plural).to_owned();
    }
    if F_TO_VES.contains(&word) {
        let stem = word
            .strip_suffix("fe")
            .or_else(|| word.strip_suffix('f'))
            .unwrap_or(word);
        return format!("{stem}ves");
    }
    if let Some(stem) = word.strip_suffix("sis") {
        return format!("{stem}ses");
    }
    if let Some(stem) = word.strip_suffix('y') {
        let after_vowel = stem.ends_with(['a', 'e', 'i', 'o', 'u']);
        if !stem.is_empty() && !after_vowel {
            return format!("{stem}ies");
        }
        return format!("{word}s");
    }
    if CH_AS_K.contains(&word) {
        return format!("{word}s");
    }
    if word.ends_with(['s', 'x', 'z']) || word.ends_with("sh") || word.ends_with("ch") {
        return format!("{word}es");
    }
    if O_TO_OES.contains(&word) {
        return format!("{word}es");
    }
    format!("{word}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_names() {
        let cases = [
            ("User", "users"),
            ("OrderItem", "order_items"),
            ("Category", "categories"),
            ("Person", "people"),
            ("SalesPerson", "sales_people"),
            ("Status", "statuses"),
            ("Address", "addresses"),
            ("Box", "boxes"),
            ("Match", "matches"),
            ("Wish", "wishes"),
            ("Quiz", "quizzes"),
            ("Day", "days"),
            ("Key", "keys"),
            ("Child", "children"),
            ("Man", "men"),
            ("Woman", "women"),
            ("Human", "humans"),
            ("Mouse", "mice"),
            ("Goose", "geese"),
            ("Foot", "feet"),
            ("Tooth", "teeth"),
            ("Leaf", "leaves"),
            ("Knife", "knives"),
            ("Life", "lives"),
            ("Wolf", "wolves"),
            ("Half", "halves"),
            ("Shelf", "shelves"),
            ("Roof", "roofs"),
            ("Chief", "chiefs"),
            ("Sheep", "sheep"),
            ("Series", "series"),
            ("Species", "species"),
            ("Fish", "fish"),
            ("Deer", "deer"),
            ("News", "news"),
            ("Data", "data"),
            ("Metadata", "metadata"),
            ("UserMetadata", "user_metadata"),
            ("Information", "information"),
            ("Equipment", "equipment"),
            ("Hero", "heroes"),
            ("Potato", "potatoes"),
            ("Photo", "photos"),
            ("Analysis", "analyses"),
            ("Index", "indexes"),
            ("Criterion", "criteria"),
            ("Cactus", "cactuses"),
            ("Epoch", "epochs"),
            ("HTTPRequest", "http_requests"),
            ("UserV2", "user_v2s"),
        ];
        for (model, table) in cases {
            assert_eq!(default_table_name(model), table, "{model}");
        }
    }

    #[test]
    fn words_are_split_on_case_changes_and_underscores() {
        assert_eq!(split_words("OrderItem"), ["order", "item"]);
        assert_eq!(split_words("HTTPRequest"), ["http", "request"]);
        assert_eq!(split_words("IOError"), ["io", "error"]);
        assert_eq!(split_words("created_at"), ["created", "at"]);
        assert_eq!(split_words("userId"), ["user", "id"]);
        assert_eq!(split_words("Base64Data"), ["base64", "data"]);
        assert_eq!(split_words("_private"), ["private"]);
    }

    #[test]
    fn field_rules() {
        let field = "first_name";
        let cases = [
            ("snake_case", "first_name"),
            ("camelCase", "firstName"),
            ("PascalCase", "FirstName"),
            ("SCREAMING_SNAKE_CASE", "FIRST_NAME"),
            ("kebab-case", "first-name"),
            ("lowercase", "first_name"),
            ("UPPERCASE", "FIRST_NAME"),
        ];
        for (rule, expected) in cases {
            let rule = RenameRule::from_str(rule).expect("known rule");
            assert_eq!(rule.apply_to_field(field), expected, "{rule:?}");
        }
        let id = RenameRule::Camel.apply_to_field("id");
        assert_eq!(id, "id");
    }

    #[test]
    fn variant_rules() {
        let variant = "InProgress";
        let cases = [
            ("snake_case", "in_progress"),
            ("camelCase", "inProgress"),
            ("PascalCase", "InProgress"),
            ("SCREAMING_SNAKE_CASE", "IN_PROGRESS"),
            ("kebab-case", "in-progress"),
            ("lowercase", "inprogress"),
            ("UPPERCASE", "INPROGRESS"),
        ];
        for (rule, expected) in cases {
            let rule = RenameRule::from_str(rule).expect("known rule");
            assert_eq!(rule.apply_to_variant(variant), expected, "{rule:?}");
        }
    }

    #[test]
    fn unknown_rules_are_rejected() {
        assert_eq!(RenameRule::from_str("Snake_Case"), None);
        assert_eq!(RenameRule::from_str(""), None);
    }

    #[test]
    fn constant_and_marker_names() {
        assert_eq!(screaming_snake_case("created_at"), "CREATED_AT");
        assert_eq!(screaming_snake_case("type"), "TYPE");
        assert_eq!(screaming_snake_case("userId"), "USER_ID");
        assert_eq!(pascal_case("email_address"), "EmailAddress");
        assert_eq!(pascal_case("email"), "Email");
    }
}
