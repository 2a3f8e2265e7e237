//! A mainland mobile number: `1[3-9]` and nine more digits, after stripping spaces, dashes and
//! a leading +86 / 0086.
use super::normalize::compact;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PhoneError {
    Empty,
    Invalid,
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let s = compact(input, &['-', '(', ')']);
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        let s = s.strip_prefix("+86").or_else(|| s.strip_prefix("0086")).unwrap_or(&s);
        let b = s.as_bytes();
        let ok = b.len() == 11 && b.iter().all(u8::is_ascii_digit) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
        if ok {
            Ok(Phone(s.to_string()))
        } else {
            Err(PhoneError::Invalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The masked form of a phone number as stored (stored numbers were parsed on the way in).
    pub fn mask_stored(stored: &str) -> String {
        Phone::parse(stored).map(|p| p.masked()).unwrap_or_default()
    }

    /// `138****1234`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_common_spellings() {
        for s in ["13800138000", "138 0013 8000", "+86 138-0013-8000", "008613800138000", "１３８００１３８０００"] {
            assert_eq!(Phone::parse(s).unwrap().as_str(), "13800138000", "{s}");
        }
        assert_eq!(Phone::parse("13812341234").unwrap().masked(), "138****1234");
    }

    #[test]
    fn rejects_wrong_numbers() {
        assert_eq!(Phone::parse(""), Err(PhoneError::Empty));
        for s in ["12800138000", "1380013800", "138001380000", "23800138000", "1380013800a", "+1 2025550100"] {
            assert_eq!(Phone::parse(s), Err(PhoneError::Invalid), "{s}");
        }
    }

    proptest! {
        #[test]
        fn every_valid_number_parses(second in 3u8..10, rest in "[0-9]{9}") {
            let s = format!("1{second}{rest}");
            let parsed = Phone::parse(&s).unwrap();
            prop_assert_eq!(parsed.as_str(), s.as_str());
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = Phone::parse(&s);
        }

        #[test]
        fn as_str_parses_back(
            prefix in prop::sample::select(vec!["", "+86", "0086", "+86 "]),
            second in 3u8..10, rest in "[0-9]{9}", sep in prop::sample::select(vec!["", " ", "-"]),
        ) {
            let typed = format!("{prefix}1{second}{}{sep}{}", &rest[..2], &rest[2..]);
            let p = Phone::parse(&typed).unwrap();
            prop_assert_eq!(p.as_str(), format!("1{second}{rest}"));
            prop_assert_eq!(Phone::parse(p.as_str()), Ok(p.clone()));
        }

        #[test]
        fn whatever_parses_parses_back_the_same(s in "[+0-9 ()１３８-]{8,20}") {
            if let Ok(p) = Phone::parse(&s) {
                prop_assert_eq!(Phone::parse(p.as_str()), Ok(p.clone()));
            }
        }
    }
}
