//! The resident identity number (GB 11643-1999): 18 characters — region, birth date, sequence
//! (odd = male), check character. Parsed once; what it holds is valid by construction.
use super::date::Ymd;
use super::normalize::compact;
use serde::{Deserialize, Serialize};
use std::fmt;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";
pub const MIN_WORKING_AGE: i32 = 16;

/// Why a typed ID number is refused; the UI turns each into a sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdError {
    Empty,
    /// 15-digit numbers expired in 2013.
    Legacy15,
    Length,
    Characters,
    Region,
    BirthDate,
    Before1900,
    FutureBirth,
    Under16,
    CheckDigit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// As stored: `M` or `F`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "M",
            Sex::Female => "F",
        }
    }
    pub fn from_code(code: &str) -> Option<Sex> {
        match code {
            "M" => Some(Sex::Male),
            "F" => Some(Sex::Female),
            _ => None,
        }
    }
    pub fn label(self) -> crate::i18n::T {
        match self {
            Sex::Male => crate::i18n::T::Male,
            Sex::Female => crate::i18n::T::Female,
        }
    }
}

/// A valid 18-character ID number. The field is private: the only way in is [`IdNumber::parse`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl IdNumber {
    /// Normalises (spaces, full-width digits, lower-case x) and checks every rule; `today` is the
    /// date in China, passed in so the browser and the server judge age the same way.
    pub fn parse(input: &str, today: Ymd) -> Result<IdNumber, IdError> {
        let s: String = compact(input, &['-']).to_ascii_uppercase();
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        let b = s.as_bytes();
        if s.len() == 15 && b.iter().all(u8::is_ascii_digit) {
            return Err(IdError::Legacy15);
        }
        if !s.is_ascii() {
            return Err(IdError::Characters);
        }
        if s.len() != 18 {
            return Err(IdError::Length);
        }
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(IdError::Characters);
        }
        if !region_allowed(&s[..2]) {
            return Err(IdError::Region);
        }
        let birth = Ymd::parse(&s[6..14]).ok_or(IdError::BirthDate)?;
        if birth.year() <= 1900 {
            return Err(IdError::Before1900);
        }
        if birth > today {
            return Err(IdError::FutureBirth);
        }
        if check_char(&b[..17]) != b[17] {
            return Err(IdError::CheckDigit);
        }
        if birth.years_until(today) < MIN_WORKING_AGE {
            return Err(IdError::Under16);
        }
        Ok(IdNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> Ymd {
        Ymd::parse(&self.0[6..14]).expect("checked by parse")
    }

    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// `34**************3X`: the first two and the last two characters. Together with what
    /// the pages show beside it (sex, an age band) it leaves far too many candidates to rebuild
    /// the number; see `review::types::tests`.
    pub fn masked(&self) -> String {
        format!("{}**************{}", &self.0[..2], &self.0[16..])
    }
}

/// Debug never prints the number itself, so it cannot leak into a log by accident.
impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

pub fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| (d - b'0') as u32 * w).sum();
    CHECK[(sum % 11) as usize]
}

/// Province-level prefixes in use (81–83: HK/Macao/Taiwan residence permits; 9x: the 2023
/// foreigners' permanent-residence ID). Full region codes are not checked: retired codes stay valid.
fn region_allowed(prefix: &str) -> bool {
    let n: u32 = prefix.parse().unwrap_or(0);
    matches!(n, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 81..=83 | 90..=99)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> Ymd {
        Ymd::new(2026, 11, 28).unwrap()
    }

    /// Builds a valid number from 17 digits by appending the right check character.
    fn with_check(first17: &str) -> String {
        format!("{}{}", first17, check_char(first17.as_bytes()) as char)
    }

    #[test]
    fn accepts_the_reference_vector() {
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.birth_date(), Ymd::new(1949, 12, 31).unwrap());
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.masked(), "11**************2X");
    }

    #[test]
    fn normalises_full_width_spaces_and_lower_x() {
        let id = IdNumber::parse(" １１０１０５ 1949 1231 002x ", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(IdNumber::parse("11010519491231002ｘ", today()).unwrap().as_str(), "11010519491231002X");
    }

    #[test]
    fn rejects_bad_check_digit() {
        assert_eq!(IdNumber::parse("110105194912310021", today()), Err(IdError::CheckDigit));
    }

    #[test]
    fn rejects_birth_before_1900_even_with_good_check() {
        assert_eq!(IdNumber::parse("440524188001010014", today()), Err(IdError::Before1900));
    }

    #[test]
    fn rejects_future_birth_and_under_16() {
        let future = with_check("34030020270101001");
        assert_eq!(IdNumber::parse(&future, today()), Err(IdError::FutureBirth));
        let fifteen = with_check("34030020101129001");
        assert_eq!(IdNumber::parse(&fifteen, today()), Err(IdError::Under16));
        let sixteen = with_check("34030020101128001");
        assert_eq!(IdNumber::parse(&sixteen, today()).unwrap().sex(), Sex::Male);
    }

    #[test]
    fn rejects_impossible_date_region_length_and_legacy() {
        assert_eq!(IdNumber::parse(&with_check("34030019900230001"), today()), Err(IdError::BirthDate));
        assert_eq!(IdNumber::parse(&with_check("99030019900230001")[..], today()), Err(IdError::BirthDate));
        assert_eq!(IdNumber::parse(&with_check("01030019900101001"), today()), Err(IdError::Region));
        assert_eq!(IdNumber::parse("340300199001", today()), Err(IdError::Length));
        assert_eq!(IdNumber::parse("340300900101001", today()), Err(IdError::Legacy15));
        assert_eq!(IdNumber::parse("", today()), Err(IdError::Empty));
        assert_eq!(IdNumber::parse("3403001990010100A1", today()), Err(IdError::Characters));
        assert_eq!(IdNumber::parse("张三", today()), Err(IdError::Characters));
    }

    #[test]
    fn debug_is_masked() {
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert!(!format!("{id:?}").contains("19491231"));
    }

    proptest! {
        #[test]
        fn any_valid_body_with_its_check_parses(
            region in prop::sample::select(vec!["110105", "340302", "340321", "440524", "810000"]),
            days in 0i64..30_000, seq in 0u32..1000,
        ) {
            let birth = Ymd::new(1901, 1, 1).unwrap().add_days(days);
            prop_assume!(birth.years_until(today()) >= 16);
            let body = format!("{region}{:04}{:02}{:02}{seq:03}", birth.year(), birth.month(), birth.day());
            let id = IdNumber::parse(&with_check(&body), today()).unwrap();
            prop_assert_eq!(id.birth_date(), birth);
            prop_assert_eq!(id.sex() == Sex::Male, seq % 2 == 1);
        }

        #[test]
        fn a_changed_digit_is_caught(pos in 0usize..17, delta in 1u8..10) {
            let good = b"11010519491231002X".to_vec();
            let mut bad = good.clone();
            bad[pos] = b'0' + (bad[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(bad).unwrap();
            prop_assert!(IdNumber::parse(&s, today()).is_err());
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = IdNumber::parse(&s, today());
        }

        #[test]
        fn as_str_parses_back(
            region in prop::sample::select(vec!["110105", "340302", "650102", "910000"]),
            days in 0i64..30_000, seq in 0u32..1000,
            spelling in prop::sample::select(vec![0u8, 1, 2]),
        ) {
            let birth = Ymd::new(1901, 1, 1).unwrap().add_days(days);
            prop_assume!(birth.years_until(today()) >= 16);
            let body = format!("{region}{:04}{:02}{:02}{seq:03}", birth.year(), birth.month(), birth.day());
            let canonical = with_check(&body);
            // As typed: plain, spaced out, or with a lower-case x.
            let typed = match spelling {
                0 => canonical.clone(),
                1 => format!("{} {} {}", &canonical[..6], &canonical[6..14], &canonical[14..]),
                _ => canonical.to_ascii_lowercase(),
            };
            let id = IdNumber::parse(&typed, today()).unwrap();
            prop_assert_eq!(id.as_str(), canonical.as_str());
            prop_assert_eq!(IdNumber::parse(id.as_str(), today()), Ok(id.clone()));
        }

        #[test]
        fn whatever_parses_parses_back_the_same(s in "[0-9xX -]{15,22}") {
            if let Ok(id) = IdNumber::parse(&s, today()) {
                prop_assert_eq!(IdNumber::parse(id.as_str(), today()), Ok(id.clone()));
            }
        }
    }
}
