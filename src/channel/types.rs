//! Channel values shared by the browser and the server.
use crate::i18n::T;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Occupation {
    TruckDriver,
}

impl Occupation {
    pub fn as_str(self) -> &'static str {
        match self {
            Occupation::TruckDriver => "truck_driver",
        }
    }
    pub fn parse(s: &str) -> Option<Occupation> {
        (s == "truck_driver").then_some(Occupation::TruckDriver)
    }
    pub fn label(self) -> T {
        match self {
            Occupation::TruckDriver => T::TruckDriver,
        }
    }
}

/// What the join form shows of the channel it was opened from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelInfo {
    pub code: ChannelCode,
    pub name: String,
    pub org_id: i64,
    pub org_name: String,
    pub occupation: Occupation,
}

/// A join poster: the channel, its short link and the QR code of that link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PosterView {
    pub channel: ChannelInfo,
    pub link: String,
    pub qr_svg: String,
}

/// The alphabet of public channel codes: no 0/O, 1/I/L look-alikes.
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A channel's public code, as in `/j/<code>`: 4–12 letters and digits, upper case. The field
/// is private: the only way in is [`ChannelCode::parse`] (or deserialising, which parses too).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChannelCode(String);

impl ChannelCode {
    /// A code as typed in a link, case-insensitive; `None` for anything that cannot be one.
    pub fn parse(input: &str) -> Option<ChannelCode> {
        let s = input.trim().to_ascii_uppercase();
        ((4..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(ChannelCode(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ChannelCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ChannelCode {
    type Error = &'static str;
    fn try_from(s: String) -> Result<ChannelCode, &'static str> {
        ChannelCode::parse(&s).ok_or("not a channel code")
    }
}

impl From<ChannelCode> for String {
    fn from(c: ChannelCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::ChannelCode;

    #[test]
    fn codes_parse_once_and_round_trip() {
        assert_eq!(ChannelCode::parse(" ly2608 ").unwrap().as_str(), "LY2608");
        for bad in ["", "abc", "LY-2608", "ABCDEFGHIJKLM", "../x"] {
            assert_eq!(ChannelCode::parse(bad), None, "{bad:?}");
        }
        let c = ChannelCode::parse("LY2608").unwrap();
        assert_eq!(ChannelCode::parse(&c.to_string()), Some(c.clone()));
        assert_eq!(serde_json::from_str::<ChannelCode>("\"LY2608\"").unwrap(), c);
        assert!(serde_json::from_str::<ChannelCode>("\"a/b\"").is_err());
    }
}
