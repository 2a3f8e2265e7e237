//! A one-time SMS verification code as typed: exactly six digits.
use super::normalize::compact;
use serde::{Deserialize, Serialize};

pub const CODE_LEN: usize = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeError {
    Empty,
    Format,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsCode(String);

impl SmsCode {
    pub fn parse(input: &str) -> Result<SmsCode, CodeError> {
        let s = compact(input, &['-']);
        if s.is_empty() {
            return Err(CodeError::Empty);
        }
        if s.len() == CODE_LEN && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(SmsCode(s))
        } else {
            Err(CodeError::Format)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn six_digits_only() {
        assert_eq!(SmsCode::parse(" 123 456 ").unwrap().as_str(), "123456");
        assert_eq!(SmsCode::parse("１２３４５６").unwrap().as_str(), "123456");
        assert_eq!(SmsCode::parse(""), Err(CodeError::Empty));
        assert_eq!(SmsCode::parse("12345"), Err(CodeError::Format));
        assert_eq!(SmsCode::parse("12345a"), Err(CodeError::Format));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = SmsCode::parse(&s);
        }

        #[test]
        fn as_str_parses_back(code in "[0-9]{6}", sep in prop::sample::select(vec!["", " ", "-", "　"])) {
            let c = SmsCode::parse(&format!("{}{sep}{}", &code[..3], &code[3..])).unwrap();
            prop_assert_eq!(c.as_str(), code.as_str());
            prop_assert_eq!(SmsCode::parse(c.as_str()), Ok(c.clone()));
        }

        #[test]
        fn whatever_parses_parses_back_the_same(s in "[0-9０-９ -]{0,10}") {
            if let Ok(c) = SmsCode::parse(&s) {
                prop_assert_eq!(SmsCode::parse(c.as_str()), Ok(c.clone()));
            }
        }
    }
}
