//! The entries of `EJIA_DATA_KEY`: `id:base64` (XChaCha20-Poly1305, 32 bytes) or
//! `id:sm4:base64` (SM4-GCM, 16 bytes), comma-separated, the first one active. A bad entry is
//! refused with what was expected — never with the key material itself.
use super::alg::Alg;
use anyhow::bail;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

pub const VAR: &str = "EJIA_DATA_KEY";

/// Reads what is left of a key whose base64 was cut (only to say so in the refusal).
const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// One key as read from its entry.
pub struct Entry {
    pub id: i64,
    pub alg: Alg,
    pub bytes: Vec<u8>,
}

const FORMS: &str = "`id:base64` (32 bytes: XChaCha20-Poly1305 with HMAC-SHA256) or `id:sm4:base64` (16 bytes: SM4-GCM with HMAC-SM3)";

/// Reads every entry; the first is the active key. Ids are unique whole numbers ≥ 0.
pub fn parse_all(spec: &str) -> anyhow::Result<Vec<Entry>> {
    let mut entries: Vec<Entry> = Vec::new();
    for (n, raw) in spec.split(',').map(str::trim).enumerate() {
        let n = n + 1;
        if raw.is_empty() {
            bail!("{VAR}: entry {n} is empty; expected {FORMS}, entries separated by commas");
        }
        let parts: Vec<&str> = raw.split(':').collect();
        let (id, tag, b64) = match parts.as_slice() {
            [id, b64] => (*id, "", *b64),
            [id, tag, b64] => (*id, *tag, *b64),
            _ => bail!("{VAR}: entry {n} is not of the form {FORMS}"),
        };
        let id: i64 = match id.trim().parse() {
            Ok(id) if id >= 0 => id,
            _ => bail!("{VAR}: entry {n} has no key id (a whole number ≥ 0) before its first `:`; expected {FORMS}"),
        };
        if tag.is_empty() && parts.len() == 3 {
            bail!("{VAR}: key {id} names an empty algorithm; expected {FORMS}");
        }
        let Some(alg) = Alg::parse(tag) else {
            let shown: String = tag.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(16).collect();
            bail!("{VAR}: key {id} names the algorithm `{shown}`, which is not known; expected {FORMS}");
        };
        let Ok(bytes) = STANDARD.decode(b64.trim()) else {
            // A copy cut short is rarely whole base64: say how much of the key is there.
            if let Ok(part) = LENIENT.decode(b64.trim()) {
                bail!(
                    "{VAR}: key {id} ({}) holds {} bytes and broken base64; expected {} bytes of base64 — is the entry cut short? ({FORMS})",
                    alg.name(),
                    part.len(),
                    alg.key_len()
                );
            }
            bail!("{VAR}: key {id} is not valid base64 (standard alphabet, with `=` padding); expected {FORMS}");
        };
        if bytes.len() != alg.key_len() {
            bail!(
                "{VAR}: key {id} ({}) holds {} bytes; expected {} bytes of base64 — is the entry cut short or of another algorithm? ({FORMS})",
                alg.name(),
                bytes.len(),
                alg.key_len()
            );
        }
        if entries.iter().any(|e| e.id == id) {
            bail!("{VAR}: key id {id} appears twice; every key needs its own id");
        }
        entries.push(Entry { id, alg, bytes });
    }
    if entries.is_empty() {
        bail!("{VAR} holds no key; expected {FORMS}");
    }
    Ok(entries)
}

/// A fresh random key as an entry of `EJIA_DATA_KEY`.
pub fn generate(id: i64, alg: Alg) -> String {
    let mut key = vec![0u8; alg.key_len()];
    rand::thread_rng().fill_bytes(&mut key);
    match alg.entry_tag() {
        "" => format!("{id}:{}", STANDARD.encode(key)),
        tag => format!("{id}:{tag}:{}", STANDARD.encode(key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(spec: &str) -> String {
        match parse_all(spec) {
            Ok(_) => panic!("{spec} was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn both_forms_are_read() {
        let x = generate(1, Alg::XChaCha);
        let s = generate(2, Alg::Sm4);
        assert!(s.starts_with("2:sm4:"));
        let all = parse_all(&format!("{s}, {x}")).unwrap();
        assert_eq!((all[0].id, all[0].alg, all[0].bytes.len()), (2, Alg::Sm4, 16));
        assert_eq!((all[1].id, all[1].alg, all[1].bytes.len()), (1, Alg::XChaCha, 32));
        assert_eq!(parse_all(&x.replacen("1:", "1:xchacha:", 1)).unwrap()[0].alg, Alg::XChaCha);
    }

    #[test]
    fn bad_entries_name_the_variable_and_what_was_expected_but_never_the_key() {
        let sm4 = generate(3, Alg::Sm4);
        let b64 = sm4.rsplit(':').next().unwrap().to_string();
        let unknown = refusal(&format!("3:sm5:{b64}"));
        assert!(unknown.contains("EJIA_DATA_KEY") && unknown.contains("sm5") && unknown.contains("id:sm4:base64"), "{unknown}");
        assert!(!unknown.contains(&b64));
        // A truncated key (a copy cut short), and a key of the other suite's length.
        let cut = refusal(&format!("3:sm4:{}", &b64[..12]));
        assert!(cut.contains("EJIA_DATA_KEY") && cut.contains("key 3") && cut.contains("expected 16 bytes"), "{cut}");
        let cut = refusal(&format!("3:sm4:{}", &b64[..10]));
        assert!(cut.contains("holds 7 bytes") && cut.contains("cut short") && cut.contains("expected 16 bytes"), "{cut}");
        let x = generate(4, Alg::XChaCha);
        let wrong = refusal(&x.replacen("4:", "4:sm4:", 1));
        assert!(wrong.contains("holds 32 bytes") && wrong.contains("expected 16 bytes"), "{wrong}");
        let short = refusal(&format!("4:{b64}"));
        assert!(short.contains("holds 16 bytes") && short.contains("expected 32 bytes"), "{short}");
        assert!(refusal("").contains("EJIA_DATA_KEY"));
        assert!(refusal("x:AAAA").contains("key id"));
        assert!(refusal("-1:AAAA").contains("key id"));
        assert!(refusal(&format!("{x},{x}")).contains("twice"));
        assert!(refusal(&format!("{x},")).contains("entry 2 is empty"));
        assert!(refusal("5:sm4:%%%").contains("base64"));
        assert!(refusal("5:a:b:c").contains("not of the form"));
    }
}
