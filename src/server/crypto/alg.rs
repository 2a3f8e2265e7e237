//! The two algorithm suites a data key can name. The default (`id:base64`, 32 bytes) seals with
//! XChaCha20-Poly1305 and keys its blind index, MACs and audit chain with HMAC-SHA256; the
//! national one (`id:sm4:base64`, 16 bytes) seals with SM4-GCM (GB/T 32907 in GCM, a 96-bit
//! nonce, a 128-bit tag) and uses HMAC-SM3 (GB/T 32905). A value's key id says which key —
//! and so which suite — opens it; nothing else in a sealed value names the algorithm.
use aes_gcm::AesGcm;
use chacha20poly1305::aead::consts::U12;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::XChaCha20Poly1305;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use sm3::Sm3;
use sm4::Sm4;

type Sm4Gcm = AesGcm<Sm4, U12>;

/// The suite of a data key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    /// XChaCha20-Poly1305 + HMAC-SHA256 (entries written `id:base64`).
    XChaCha,
    /// SM4-GCM + HMAC-SM3 (entries written `id:sm4:base64`).
    Sm4,
}

impl Alg {
    /// The tag an entry of `EJIA_DATA_KEY` carries (empty: the default suite).
    pub fn entry_tag(self) -> &'static str {
        match self {
            Alg::XChaCha => "",
            Alg::Sm4 => "sm4",
        }
    }

    /// The name kept in the database (`data_keys.alg`) and printed by `ejia keys status`.
    pub fn name(self) -> &'static str {
        match self {
            Alg::XChaCha => "xchacha20poly1305",
            Alg::Sm4 => "sm4-gcm",
        }
    }

    /// Reads a tag as written in an entry or on the command line (`sm4`, `xchacha`), or a
    /// stored name.
    pub fn parse(tag: &str) -> Option<Alg> {
        match tag.trim().to_ascii_lowercase().as_str() {
            "" | "xchacha" | "xchacha20poly1305" | "xchacha20-poly1305" => Some(Alg::XChaCha),
            "sm4" | "sm4-gcm" | "sm4gcm" => Some(Alg::Sm4),
            _ => None,
        }
    }

    /// How many key bytes an entry of this suite holds.
    pub fn key_len(self) -> usize {
        match self {
            Alg::XChaCha => 32,
            Alg::Sm4 => 16,
        }
    }

    fn nonce_len(self) -> usize {
        match self {
            Alg::XChaCha => 24,
            Alg::Sm4 => 12,
        }
    }

    /// HMAC of this suite over `chunks`, 32 bytes either way.
    pub(super) fn hmac(self, key: &[u8], chunks: &[&[u8]]) -> [u8; 32] {
        match self {
            Alg::XChaCha => hmac_with::<Hmac<Sha256>>(key, chunks),
            Alg::Sm4 => hmac_with::<Hmac<Sm3>>(key, chunks),
        }
    }

    /// A key of this suite's own, derived from a data key for one purpose (`label`).
    pub(super) fn derive(self, master: &[u8], label: &str) -> [u8; 32] {
        self.hmac(master, &[label.as_bytes()])
    }
}

fn hmac_with<M: Mac + KeyInit>(key: &[u8], chunks: &[&[u8]]) -> [u8; 32] {
    let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for c in chunks {
        mac.update(c);
    }
    mac.finalize().into_bytes().as_slice().try_into().expect("a 256-bit hash")
}

/// The sealing half of a data key.
pub(super) enum Cipher {
    XChaCha(Box<XChaCha20Poly1305>),
    Sm4(Box<Sm4Gcm>),
}

impl Cipher {
    /// `key` has the suite's length (checked when the entry was read).
    pub(super) fn new(alg: Alg, key: &[u8]) -> Cipher {
        match alg {
            Alg::XChaCha => Cipher::XChaCha(Box::new(XChaCha20Poly1305::new_from_slice(key).expect("32 bytes"))),
            Alg::Sm4 => Cipher::Sm4(Box::new(Sm4Gcm::new_from_slice(key).expect("16 bytes"))),
        }
    }

    fn alg(&self) -> Alg {
        match self {
            Cipher::XChaCha(_) => Alg::XChaCha,
            Cipher::Sm4(_) => Alg::Sm4,
        }
    }

    /// `nonce || ciphertext || tag`, a fresh random nonce each time (192 bits for XChaCha; 96
    /// for SM4-GCM — random 96-bit nonces stay safe for far more values than one key seals
    /// between rotations here).
    pub(super) fn seal(&self, plain: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut nonce = vec![0u8; self.alg().nonce_len()];
        rand::thread_rng().fill_bytes(&mut nonce);
        let payload = Payload { msg: plain, aad };
        let sealed = match self {
            Cipher::XChaCha(c) => c.encrypt(nonce.as_slice().into(), payload),
            Cipher::Sm4(c) => c.encrypt(nonce.as_slice().into(), payload),
        }
        .expect("sealing a value held in memory cannot fail");
        nonce.extend(sealed);
        nonce
    }

    /// Opens what `seal` made; `None` on a wrong key, a wrong `aad`, tampering or a short value.
    pub(super) fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        let n = self.alg().nonce_len();
        if sealed.len() < n + 16 {
            return None;
        }
        let payload = Payload { msg: &sealed[n..], aad };
        match self {
            Cipher::XChaCha(c) => c.decrypt(sealed[..n].into(), payload),
            Cipher::Sm4(c) => c.decrypt(sealed[..n].into(), payload),
        }
        .ok()
    }
}

#[cfg(test)]
mod tests {
    //! Known-answer tests: a wrong wiring (another cipher, mode, nonce size or hash) fails here.
    use super::*;
    use sm4::cipher::BlockEncrypt;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s.replace([' ', '\n'], "")).unwrap()
    }

    /// GB/T 32907-2016, appendix A, example 1: one block under the key that is also the plaintext.
    #[test]
    fn sm4_block_matches_the_standard() {
        let key = unhex("0123456789abcdeffedcba9876543210");
        let cipher = Sm4::new_from_slice(&key).unwrap();
        let mut block = sm4::cipher::Block::<Sm4>::clone_from_slice(&key);
        cipher.encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
    }

    /// GB/T 32907-2016, appendix A, example 2: the same block encrypted 1,000,000 times.
    #[test]
    fn sm4_million_rounds_match_the_standard() {
        let key = unhex("0123456789abcdeffedcba9876543210");
        let cipher = Sm4::new_from_slice(&key).unwrap();
        let mut block = sm4::cipher::Block::<Sm4>::clone_from_slice(&key);
        for _ in 0..1_000_000 {
            cipher.encrypt_block(&mut block);
        }
        assert_eq!(hex::encode(block), "595298c7c6fd271f0402f804c33d3f66");
    }

    /// GB/T 32905-2016, appendix A: "abc" and "abcd" × 16.
    #[test]
    fn sm3_matches_the_standard() {
        use sm3::Digest;
        assert_eq!(hex::encode(Sm3::digest(b"abc")), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
        assert_eq!(
            hex::encode(Sm3::digest("abcd".repeat(16).as_bytes())),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    /// GM/T 0042-2015, appendix D.3, the first example: the HMAC of this suite is HMAC-SM3.
    #[test]
    fn hmac_sm3_matches_the_standard() {
        let key: Vec<u8> = (1..=32).collect();
        let msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".repeat(2);
        assert_eq!(hex::encode(Alg::Sm4.hmac(&key, &[msg.as_bytes()])), "ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a");
        // Chunks are one message: the MAC of parts is the MAC of their concatenation.
        let (a, b) = msg.split_at(7);
        assert_eq!(Alg::Sm4.hmac(&key, &[a.as_bytes(), b.as_bytes()]), Alg::Sm4.hmac(&key, &[msg.as_bytes()]));
    }

    /// RFC 4231, test case 2: the default suite's HMAC is HMAC-SHA256.
    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        assert_eq!(
            hex::encode(Alg::XChaCha.hmac(b"Jefe", &[b"what do ya want for nothing?"])),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// RFC 8998, appendix A.1: SM4-GCM with a 96-bit nonce and a 128-bit tag — the wiring of
    /// `AesGcm<Sm4, U12>` that seals values under an `sm4` key.
    #[test]
    fn sm4_gcm_matches_rfc_8998() {
        let key = unhex("0123456789ABCDEFFEDCBA9876543210");
        let nonce = unhex("00001234567800000000ABCD");
        let aad = unhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        let plain = unhex(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD
             EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
        );
        let expected = unhex(
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735
             D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D
             83DE3541E4C2B58177E065A9BF7B62EC",
        );
        let Cipher::Sm4(c) = Cipher::new(Alg::Sm4, &key) else { unreachable!() };
        assert_eq!(c.encrypt(nonce.as_slice().into(), Payload { msg: &plain, aad: &aad }).unwrap(), expected);
        // And `open` reads the same layout (nonce first).
        let mut stored = nonce.clone();
        stored.extend(&expected);
        assert_eq!(Cipher::new(Alg::Sm4, &key).open(&stored, &aad).unwrap(), plain);
        assert!(Cipher::new(Alg::Sm4, &key).open(&stored, b"another row").is_none());
    }

    #[test]
    fn a_sealed_value_opens_only_under_its_own_suite_and_key() {
        let k32 = [7u8; 32];
        let x = Cipher::new(Alg::XChaCha, &k32);
        let s = Cipher::new(Alg::Sm4, &k32[..16]);
        let by_x = x.seal(b"11010519491231002X", b"row");
        let by_s = s.seal(b"11010519491231002X", b"row");
        assert_eq!(by_x.len(), 24 + 18 + 16);
        assert_eq!(by_s.len(), 12 + 18 + 16);
        assert!(s.open(&by_x, b"row").is_none());
        assert!(x.open(&by_s, b"row").is_none());
        assert!(s.open(&by_s[..20], b"row").is_none(), "a cut value");
        assert_eq!(s.open(&by_s, b"row").unwrap(), b"11010519491231002X");
    }
}
