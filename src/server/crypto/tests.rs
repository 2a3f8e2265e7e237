//! The keyring's rules, on both suites: a value opens only for the row it was sealed for, old
//! keys keep opening after a new key is put first, and the default suite derives exactly what
//! earlier versions derived (stored indexes and MACs stay valid).
use super::alg::Alg;
use super::*;
use crate::domain::Ymd;

fn id() -> IdNumber {
    IdNumber::parse("11010519491231002X", Ymd::new(2026, 1, 1).unwrap()).unwrap()
}

fn ring(spec: &str) -> Keyring {
    Keyring::parse(spec).unwrap()
}

fn both() -> [Keyring; 2] {
    [ring(&entry::generate(1, Alg::XChaCha)), ring(&entry::generate(1, Alg::Sm4))]
}

#[test]
fn a_value_sealed_for_one_row_does_not_open_for_another() {
    for ring in both() {
        let (kid, sealed) = ring.seal_id(&id(), "application:abc");
        assert!(!String::from_utf8_lossy(&sealed).contains("19491231"));
        assert_eq!(ring.open_id(kid, &sealed, "application:abc").unwrap(), "11010519491231002X");
        assert!(ring.open_id(kid, &sealed, "application:abd").is_err());

        let text = ring.seal_text("{\"code\":\"123456\"}", "outbox:abc");
        assert!(text.starts_with("v1.1.") && !text.contains("123456"));
        assert_eq!(ring.open_text(&text, "outbox:abc").unwrap(), "{\"code\":\"123456\"}");
        assert!(ring.open_text(&text, "outbox:other").is_err());
        assert!(ring.open_text("{}", "outbox:abc").is_err());

        let file = ring.seal_bytes(b"%PDF-1.7 pay slip", "hall_file:aa");
        assert_eq!(ring.open_bytes(&file, "hall_file:aa").unwrap(), b"%PDF-1.7 pay slip");
        assert!(ring.open_bytes(&file, "hall_file:bb").is_err());
        assert!(ring.open_bytes(&file[..10], "hall_file:aa").is_err());
    }
}

#[test]
fn tampering_and_a_borrowed_key_id_are_refused() {
    let ring = ring(&format!("{},{}", entry::generate(2, Alg::Sm4), entry::generate(1, Alg::XChaCha)));
    let text = ring.seal_text("secret", "r");
    // The same ciphertext claimed by the other key (a suite with another nonce size, too).
    assert!(ring.open_text(&text.replacen("v1.2.", "v1.1.", 1), "r").is_err());
    assert!(ring.open_text(&text.replacen("v1.2.", "v1.9.", 1), "r").is_err(), "an unknown key");
    let (kid, mut sealed) = ring.seal_id(&id(), "r");
    assert!(ring.open_id(1, &sealed, "r").is_err());
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    assert!(ring.open_id(kid, &sealed, "r").is_err());
}

#[test]
fn a_new_first_key_seals_while_old_values_still_open() {
    for alg in [Alg::XChaCha, Alg::Sm4] {
        let old = Keyring::generate_spec(1);
        let ring1 = ring(&old);
        let (kid, sealed) = ring1.seal_id(&id(), "r");
        let text = ring1.seal_text("x", "t");
        let ring2 = ring(&format!("{},{old}", entry::generate(2, alg)));
        assert_eq!(ring2.active_id(), 2);
        assert_eq!(ring2.open_id(kid, &sealed, "r").unwrap(), "11010519491231002X");
        assert_eq!(ring2.seal_id(&id(), "r").0, 2);
        // Rotation: sealed again under key 2; the index under key 2 is another value, and a
        // lookup tries both while stored indexes are re-keyed.
        let again = ring2.reseal_text(&text, "t").unwrap().unwrap();
        assert!(again.starts_with("v1.2.") && ring2.open_text(&again, "t").unwrap() == "x");
        assert!(ring2.reseal_text(&again, "t").unwrap().is_none(), "under the active key already");
        assert!(ring2.reseal_text(&text, "another row").is_err());
        let moved = ring2.reseal_id(kid, &sealed, "r").unwrap();
        assert_eq!(ring2.open_id(2, moved.cipher.as_ref().unwrap(), "r").unwrap(), "11010519491231002X");
        assert_eq!(moved.blind, ring2.blind_index(&id()));
        assert_ne!(ring1.blind_index(&id()), ring2.blind_index(&id()));
        assert_eq!(ring2.blind_indexes(&id()), vec![ring2.blind_index(&id()), ring1.blind_index(&id())]);
        // A MAC made just before the switch still checks; a new one is under key 2.
        let code = ring1.mac(&["join", "13800000000", "123456"]);
        assert!(ring2.mac_matches(&["join", "13800000000", "123456"], &code));
        assert!(!ring2.mac_matches(&["join", "13800000000", "123457"], &code));
        assert_eq!(ring2.macs(&["a"])[1], ring1.mac(&["a"]));
        // Audit rows say their key; rows without one are the legacy (lowest) key's.
        assert_eq!(ring2.audit_mac_under(Some(1), &["row"]), Some(ring1.audit_mac(&["row"])));
        assert_eq!(ring2.audit_mac_under(None, &["row"]), Some(ring1.audit_mac(&["row"])));
        assert_eq!(ring2.audit_mac_under(Some(2), &["row"]), Some(ring2.audit_mac(&["row"])));
        assert_eq!(ring2.audit_mac_under(Some(7), &["row"]), None);
    }
}

/// What earlier versions derived from the (lowest-id) key, spelled out with HMAC-SHA256
/// directly: a default key keeps every stored index, MAC and audit hash valid.
#[test]
fn the_default_suite_derives_what_earlier_versions_did() {
    use hmac::{Hmac, Mac};
    type H = Hmac<Sha256>;
    fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        let mut m = <H as Mac>::new_from_slice(key).unwrap();
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().to_vec()
    }
    let spec = Keyring::generate_spec(1);
    let master = base64::engine::general_purpose::STANDARD.decode(spec.split_once(':').unwrap().1).unwrap();
    let ring = ring(&spec);
    let index_key = hmac(&master, &[b"ejia/blind-index/v1"]);
    assert_eq!(ring.blind_index(&id()), hex::encode(hmac(&index_key, &[id().as_str().as_bytes()])));
    let mac_key = hmac(&master, &[b"ejia/mac/v1"]);
    let framed = |parts: &[&str]| -> Vec<u8> {
        parts.iter().flat_map(|p| [(p.len() as u64).to_be_bytes().to_vec(), p.as_bytes().to_vec()]).flatten().collect()
    };
    assert_eq!(ring.mac(&["captcha", "id", "ab12"]), hex::encode(hmac(&mac_key, &[&framed(&["captcha", "id", "ab12"])])));
    let audit_key = hmac(&master, &[b"ejia/audit/v1"]);
    assert_eq!(ring.audit_mac(&["row", "{}"]), hex::encode(hmac(&audit_key, &[&framed(&["row", "{}"])])));
}

#[test]
fn the_suites_differ_in_every_derived_value() {
    let x = ring("1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    let s = ring("1:sm4:AAAAAAAAAAAAAAAAAAAAAA==");
    assert_ne!(x.blind_index(&id()), s.blind_index(&id()));
    assert_ne!(x.mac(&["a"]), s.mac(&["a"]));
    assert_ne!(x.audit_mac(&["a"]), s.audit_mac(&["a"]));
    assert_eq!(s.ids(), vec![(1, Alg::Sm4)]);
}

#[test]
fn key_ids_are_read_from_sealed_values() {
    assert_eq!(text_key_id("v1.12.abc"), Some(12));
    assert_eq!(text_key_id("v1..abc"), None);
    assert_eq!(text_key_id("v1.-1.abc"), None);
    assert_eq!(text_key_id("{}"), None);
    assert_eq!(text_key_id(""), None);
    assert_eq!(bytes_key_id(&3i64.to_be_bytes()), Some(3));
    assert_eq!(bytes_key_id(&[0; 7]), None);
}

#[test]
fn tokens_are_128_bits() {
    let t = random_token();
    assert_eq!(URL_SAFE_NO_PAD.decode(&t).unwrap().len(), 16);
    assert_ne!(t, random_token());
}

#[test]
fn bad_specs_are_refused() {
    assert!(Keyring::parse("").is_err());
    assert!(Keyring::parse("1:abc").is_err());
    assert!(Keyring::parse("x:AAAA").is_err());
}
