//! The e-member card's rotating code and its check. A code is base64url(card id ‖ minute window
//! ‖ tag): the card id is 16 random bytes kept on the member row (made on first use), the
//! window is Unix time / 60 (4 bytes, big-endian), the tag the first 16 bytes of an HMAC from
//! the keyring over both. A code is valid in its own minute and the next (a scan across the
//! change, a clock a little behind), so a screenshot is worthless within two minutes; a forged
//! tag is "unknown" before the database is asked; a member who left is "no longer a member".
use crate::server::crypto::Keyring;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub const WINDOW_SECS: i64 = 60;
/// Codes rendered into the card page beyond the current one, so a weak network does not matter
/// for this many minutes.
pub const AHEAD: i64 = 10;
const ID_BYTES: usize = 16;
const TAG_BYTES: usize = 16;
const CODE_BYTES: usize = ID_BYTES + 4 + TAG_BYTES;

pub fn window_of(unix: i64) -> i64 {
    unix.div_euclid(WINDOW_SECS)
}

fn tag_of(mac: &str) -> Vec<u8> {
    hex::decode(&mac[..TAG_BYTES * 2]).expect("the keyring's MAC is hex")
}

fn tag(keys: &Keyring, card_id: &str, window: i64) -> Vec<u8> {
    tag_of(&keys.mac(&["member-card/v1", card_id, &window.to_string()]))
}

/// Whether `given` is the tag under a key of the ring (a code shown just before a key change
/// still scans), each compared in constant time.
fn tag_holds(keys: &Keyring, card_id: &str, window: i64, given: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    keys.macs(&["member-card/v1", card_id, &window.to_string()]).iter().fold(false, |any, m| any | bool::from(tag_of(m).ct_eq(given)))
}

/// A fresh card id (hex of 16 random bytes).
pub fn new_card_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; ID_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The code of a card (`card_id` as stored: hex) for a minute window.
pub fn code(keys: &Keyring, card_id: &str, window: i64) -> String {
    let mut bytes = hex::decode(card_id).unwrap_or_default();
    bytes.extend((window as u32).to_be_bytes());
    bytes.extend(tag(keys, card_id, window));
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What a code says before the database is asked.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Genuine: the card id (hex) and whether its window is still current.
    Genuine { card_id: String, expired: bool },
    /// Not a code of ours: wrong length, wrong tag, or a window not yet begun.
    Unknown,
}

pub fn parse(keys: &Keyring, code: &str, now: i64) -> Parsed {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(code.as_bytes()) else { return Parsed::Unknown };
    if bytes.len() != CODE_BYTES {
        return Parsed::Unknown;
    }
    let card_id = hex::encode(&bytes[..ID_BYTES]);
    let window = i64::from(u32::from_be_bytes(bytes[ID_BYTES..ID_BYTES + 4].try_into().expect("4 bytes")));
    if !tag_holds(keys, &card_id, window, &bytes[ID_BYTES + 4..]) {
        return Parsed::Unknown;
    }
    let current = window_of(now);
    if window > current + 1 {
        // Only the card page's own look-ahead holds such a code; shown early it is no card.
        return Parsed::Unknown;
    }
    Parsed::Genuine { card_id, expired: window < current - 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keyring {
        Keyring::parse(&Keyring::generate_spec(1)).unwrap()
    }

    #[test]
    fn a_code_is_good_for_its_minute_and_the_next() {
        let k = keys();
        let id = new_card_id();
        let now = 1_800_000_000;
        let c = code(&k, &id, window_of(now));
        assert_eq!(c.len(), 48);
        assert_eq!(parse(&k, &c, now), Parsed::Genuine { card_id: id.clone(), expired: false });
        assert_eq!(parse(&k, &c, now + 60), Parsed::Genuine { card_id: id.clone(), expired: false });
        assert_eq!(parse(&k, &c, now + 121 - now % 60), Parsed::Genuine { card_id: id.clone(), expired: true });
        assert_eq!(parse(&k, &code(&k, &id, window_of(now) + 5), now), Parsed::Unknown, "not yet");
    }

    #[test]
    fn forged_codes_are_unknown() {
        let k = keys();
        let id = new_card_id();
        let c = code(&k, &id, window_of(1_800_000_000));
        let mut bytes = URL_SAFE_NO_PAD.decode(&c).unwrap();
        for at in [0, 17, 30] {
            let mut b = bytes.clone();
            b[at] ^= 1;
            assert_eq!(parse(&k, &URL_SAFE_NO_PAD.encode(&b), 1_800_000_000), Parsed::Unknown, "byte {at}");
        }
        bytes.pop();
        assert_eq!(parse(&k, &URL_SAFE_NO_PAD.encode(&bytes), 1_800_000_000), Parsed::Unknown);
        assert_eq!(parse(&k, "not a code", 1_800_000_000), Parsed::Unknown);
        assert_eq!(parse(&keys(), &c, 1_800_000_000), Parsed::Unknown, "another key");
    }
}
