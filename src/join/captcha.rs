//! A self-hosted picture check for networks that have asked for many codes: a small sum drawn
//! as seven-segment strokes with jitter and noise (no text for a script to read), answered once.
use super::types::Captcha;
use crate::server::crypto::{random_token, Keyring};
use crate::server::db::Conn;
use rand::Rng;

const TTL_SECS: i64 = 600;

/// Segments a–g of each digit, as in a seven-segment display.
const DIGITS: [u8; 10] = [0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F];

pub async fn create(conn: &mut Conn, keys: &Keyring, ip: &str, now: i64) -> sqlx::Result<Captcha> {
    let (a, b) = {
        let mut rng = rand::thread_rng();
        (rng.gen_range(1..10u32), rng.gen_range(1..10u32))
    };
    let id = random_token();
    sqlx::query("INSERT INTO captchas (id, answer_mac, ip, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(keys.mac(&["captcha", &id, &(a + b).to_string()]))
        .bind(ip)
        .bind(now + TTL_SECS)
        .execute(conn)
        .await?;
    Ok(Captcha { id, svg: draw(&format!("{a}+{b}=?")) })
}

/// Consumes the check: true once for the right answer within its time.
pub async fn solve(conn: &mut Conn, keys: &Keyring, id: &str, answer: &str, now: i64) -> sqlx::Result<bool> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT answer_mac FROM captchas WHERE id = $1 AND solved_at IS NULL AND expires_at > $2")
            .bind(id)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((mac,)) = row else { return Ok(false) };
    sqlx::query("UPDATE captchas SET solved_at = $1 WHERE id = $2").bind(now).bind(id).execute(&mut *conn).await?;
    let answer: String = answer.chars().map(crate::domain::normalize::fold_width).filter(|c| c.is_ascii_digit()).collect();
    Ok(keys.mac_matches(&["captcha", id, &answer], &mac))
}

fn draw(text: &str) -> String {
    let mut rng = rand::thread_rng();
    let mut paths = String::new();
    let mut x = 12.0f32;
    for ch in text.chars() {
        let j = |r: &mut rand::rngs::ThreadRng| r.gen_range(-2.0f32..2.0);
        let y = 12.0 + j(&mut rng);
        let (w, h) = (16.0f32, 14.0f32);
        let mut segs: Vec<((f32, f32), (f32, f32))> = Vec::new();
        match ch {
            '0'..='9' => {
                let bits = DIGITS[ch as usize - '0' as usize];
                let pts = [
                    ((0.0, 0.0), (w, 0.0)),
                    ((w, 0.0), (w, h)),
                    ((w, h), (w, 2.0 * h)),
                    ((0.0, 2.0 * h), (w, 2.0 * h)),
                    ((0.0, h), (0.0, 2.0 * h)),
                    ((0.0, 0.0), (0.0, h)),
                    ((0.0, h), (w, h)),
                ];
                for (i, s) in pts.iter().enumerate() {
                    if bits & (1 << i) != 0 {
                        segs.push(*s);
                    }
                }
            }
            '+' => segs.extend([((0.0, h), (w, h)), ((w / 2.0, h - 7.0), (w / 2.0, h + 7.0))]),
            '=' => segs.extend([((0.0, h - 4.0), (w, h - 4.0)), ((0.0, h + 4.0), (w, h + 4.0))]),
            _ => segs.extend([((0.0, 0.0), (w, 0.0)), ((w, 0.0), (w, h)), ((w / 2.0, h), (w, h)), ((w / 2.0, h + 6.0), (w / 2.0, 2.0 * h))]),
        }
        for ((x1, y1), (x2, y2)) in segs {
            paths.push_str(&format!(
                "M{:.1} {:.1}L{:.1} {:.1}",
                x + x1 + j(&mut rng),
                y + y1 + j(&mut rng),
                x + x2 + j(&mut rng),
                y + y2 + j(&mut rng)
            ));
        }
        x += w + 12.0;
    }
    let mut noise = String::new();
    for _ in 0..5 {
        noise.push_str(&format!(
            "M{} {}L{} {}",
            rng.gen_range(0..200),
            rng.gen_range(0..56),
            rng.gen_range(0..200),
            rng.gen_range(0..56)
        ));
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 200 56\" width=\"200\" height=\"56\" role=\"img\" aria-label=\"captcha\">\
<rect width=\"200\" height=\"56\" fill=\"#fff8e6\"/><path d=\"{noise}\" stroke=\"#c9b48a\" stroke-width=\"1\"/>\
<path d=\"{paths}\" stroke=\"#222\" stroke-width=\"3\" stroke-linecap=\"round\" fill=\"none\"/></svg>"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_picture_holds_no_digits_as_text() {
        let svg = super::draw("3+4=?");
        assert!(svg.starts_with("<svg") && svg.contains("<path"));
        assert!(!svg.contains(">3<") && !svg.contains("<text"));
    }
}
