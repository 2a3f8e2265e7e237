//! The fuzzer's generated input: a seeded generator, values that break naive parsers, and the
//! urlencoding that can carry bytes no browser sends.

/// A small, seeded generator: the same seed sends the same requests.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values that break naive parsers: integer edges, floats past f64, dates that do not exist,
/// markup, SQL, NUL, bidi marks, emoji, line breaks, paths, and a few real-looking values.
pub const EDGES: &[&str] = &[
    "",
    "0",
    "-1",
    "1",
    "2",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "1.5",
    "0x1F",
    " 7 ",
    "１２３",
    "٣",
    "true",
    "null",
    "[]",
    "{\"a\":1}",
    "2026-02-30",
    "2026-13-01",
    "99999-12-31",
    "0000-00-00",
    "1900-01-01",
    "2026-11-25",
    "25:61",
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "\u{0}",
    "a\u{0}b",
    "\u{202e}gnp.exe",
    "😀😀😀",
    "\r\n\r\n",
    "../../etc/passwd",
    "%",
    "%zz",
    "+",
    "&",
    "=",
    "340300",
    "340300-HY01-LY",
    "13800138000",
    "11010519491231002X",
    "approve",
    "reject",
    "zh",
    "en",
];

/// Percent-encoded bytes that are not UTF-8, put into a body or query as they are.
pub const BAD_UTF8: &[&str] = &["%FF", "%C3%28", "%ED%A0%80", "%F0%28%8C%BC", "abc%80def", "%E4%B8"];

/// One generated value: text (percent-encoded when sent) or raw bytes already encoded.
#[derive(Clone, Debug)]
pub enum Val {
    Text(String),
    Raw(String),
}

pub fn gen_value(rng: &mut Rng) -> Val {
    match rng.below(20) {
        0 => Val::Raw(rng.pick(BAD_UTF8).to_string()),
        1 => Val::Text("x".repeat([300, 5_000, 20_000, 300_000][rng.below(4)])),
        2 => Val::Text("中".repeat([100, 3_000][rng.below(2)])),
        3 => Val::Text(format!("{}", rng.next() as i64)),
        4 => Val::Text(format!("{}.{}e{}", rng.below(10), rng.below(1000), rng.below(400))),
        _ => Val::Text(rng.pick(EDGES).to_string()),
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn urlencoded(fields: &[(String, Val)]) -> String {
    fields
        .iter()
        .map(|(k, v)| match v {
            Val::Text(t) => format!("{}={}", enc(k), enc(t)),
            Val::Raw(r) => format!("{}={r}", enc(k)),
        })
        .collect::<Vec<_>>()
        .join("&")
}
