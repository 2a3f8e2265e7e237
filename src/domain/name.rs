//! A person's real name as on the ID card: Chinese characters (with · in minority and foreign
//! names) or Latin letters and spaces, 2 to 30 characters.
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NameError {
    Empty,
    Length,
    Characters,
}

#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

impl PersonName {
    pub fn parse(input: &str) -> Result<PersonName, NameError> {
        let folded: String = input.chars().map(super::normalize::fold_width).collect();
        let s = folded.split_whitespace().collect::<Vec<_>>().join(" ").replace(['•', '・', '.'], "·");
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        let n = s.chars().count();
        if !(2..=30).contains(&n) {
            return Err(NameError::Length);
        }
        let ok = s.chars().all(|c| is_han(c) || c.is_ascii_alphabetic() || c == ' ' || c == '·')
            && s.chars().any(|c| is_han(c) || c.is_ascii_alphabetic());
        if ok {
            Ok(PersonName(s))
        } else {
            Err(NameError::Characters)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The masked form of a name as stored (stored names were parsed on the way in).
    pub fn mask_stored(stored: &str) -> String {
        PersonName::parse(stored).map(|n| n.masked()).unwrap_or_else(|_| "*".into())
    }

    /// `张*`, `欧阳**`: the first character, a star for each of the others.
    pub fn masked(&self) -> String {
        let mut chars = self.0.chars();
        let first = chars.next().unwrap_or('*');
        let stars = chars.count().max(1);
        format!("{first}{}", "*".repeat(stars))
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_masks_names() {
        assert_eq!(PersonName::parse(" 张三 ").unwrap().masked(), "张*");
        assert_eq!(PersonName::parse("欧阳娜娜").unwrap().masked(), "欧***");
        assert_eq!(PersonName::parse("买买提•艾力").unwrap().as_str(), "买买提·艾力");
        assert!(PersonName::parse("John  Smith").is_ok());
    }

    #[test]
    fn rejects_bad_names() {
        assert_eq!(PersonName::parse(""), Err(NameError::Empty));
        assert_eq!(PersonName::parse("张"), Err(NameError::Length));
        assert_eq!(PersonName::parse("张三3"), Err(NameError::Characters));
        assert_eq!(PersonName::parse("<script>"), Err(NameError::Characters));
        assert_eq!(PersonName::parse("··"), Err(NameError::Characters));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            if let Ok(n) = PersonName::parse(&s) { let _ = n.masked(); }
        }

        #[test]
        fn as_str_parses_back(s in "[ 　张三欧阳娜买提艾力·•.A-Za-zＡ-Ｚ]{0,32}") {
            if let Ok(n) = PersonName::parse(&s) {
                prop_assert_eq!(PersonName::parse(n.as_str()), Ok(n.clone()));
            }
        }

        #[test]
        fn any_text_that_parses_parses_back(s in "\\PC{0,40}") {
            if let Ok(n) = PersonName::parse(&s) {
                prop_assert_eq!(PersonName::parse(n.as_str()), Ok(n.clone()));
            }
        }
    }
}
