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
    pub code: String,
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

/// A channel code as typed in a link: 4–12 characters of the alphabet, case-insensitive.
pub fn normalize_code(input: &str) -> Option<String> {
    let s = input.trim().to_ascii_uppercase();
    ((4..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(s)
}
