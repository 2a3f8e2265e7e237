//! A vehicle registration plate: province character, issuing-office letter, then 5 characters
//! (ordinary and yellow truck plates), 4 characters and 挂 (trailers) or 6 (new-energy vehicles).
use super::normalize::compact;
use serde::{Deserialize, Serialize};

const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlateError {
    Province,
    Invalid,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PlateNumber(String);

impl PlateNumber {
    /// `Ok(None)` for an empty input: the plate is optional.
    pub fn parse_optional(input: &str) -> Result<Option<PlateNumber>, PlateError> {
        let s: String = compact(input, &['·', '•', '-', '.']).to_ascii_uppercase();
        if s.is_empty() {
            return Ok(None);
        }
        let chars: Vec<char> = s.chars().collect();
        if !PROVINCES.contains(chars[0]) {
            return Err(PlateError::Province);
        }
        let serial_ok = |c: &char| (c.is_ascii_uppercase() && *c != 'I' && *c != 'O') || c.is_ascii_digit();
        let office_ok = chars.len() > 1 && chars[1].is_ascii_uppercase();
        let rest = &chars[2.min(chars.len())..];
        let ok = office_ok
            && match rest.len() {
                5 if rest[4] == '挂' => rest[..4].iter().all(serial_ok),
                5 | 6 => rest.iter().all(serial_ok),
                _ => false,
            };
        if ok {
            Ok(Some(PlateNumber(s)))
        } else {
            Err(PlateError::Invalid)
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
    fn accepts_trucks_trailers_and_new_energy() {
        assert_eq!(PlateNumber::parse_optional("皖C12345").unwrap().unwrap().as_str(), "皖C12345");
        assert_eq!(PlateNumber::parse_optional("皖c·a1b23").unwrap().unwrap().as_str(), "皖CA1B23");
        assert!(PlateNumber::parse_optional("皖C1234挂").unwrap().is_some());
        assert!(PlateNumber::parse_optional("皖CD12345").unwrap().is_some());
        assert_eq!(PlateNumber::parse_optional("  ").unwrap(), None);
    }

    #[test]
    fn rejects_malformed_plates() {
        assert_eq!(PlateNumber::parse_optional("X C12345"), Err(PlateError::Province));
        for s in ["皖12345", "皖C1234", "皖C1234567", "皖CO1234", "皖C12挂45", "皖"] {
            assert_eq!(PlateNumber::parse_optional(s), Err(PlateError::Invalid), "{s}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = PlateNumber::parse_optional(&s);
        }

        #[test]
        fn as_str_parses_back(
            province in "[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]",
            office in "[A-Za-z]", serial in "[A-HJ-NP-Za-hj-np-z0-9]{4,6}", trailer in any::<bool>(),
        ) {
            let serial = if trailer { format!("{}挂", &serial[..4]) } else { serial };
            prop_assume!(serial.chars().count() >= 5);
            let p = PlateNumber::parse_optional(&format!("{province}{office}·{serial}")).unwrap().unwrap();
            prop_assert_eq!(p.as_str(), format!("{province}{office}{serial}").to_ascii_uppercase());
            prop_assert_eq!(PlateNumber::parse_optional(p.as_str()), Ok(Some(p.clone())));
        }

        #[test]
        fn whatever_parses_parses_back_the_same(s in "[皖京挂A-Za-z0-9·. -]{0,12}") {
            if let Ok(Some(p)) = PlateNumber::parse_optional(&s) {
                prop_assert_eq!(PlateNumber::parse_optional(p.as_str()), Ok(Some(p.clone())));
            }
        }
    }
}
