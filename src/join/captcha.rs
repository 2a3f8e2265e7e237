//! A self-hosted picture check for networks that have asked for many codes: five random digits
//! (100,000 answers), each drawn from a hand-written skeleton under its own random rotation,
//! skew and scale, its strokes split and jittered, crossed by noise strokes of the same width
//! and colour, all segments in random order — so the path data is never a fixed lookup. Large
//! and high-contrast for a person on a phone. The answer is kept only as a MAC; a check expires
//! and is answered once (a wrong answer consumes it).
use super::types::Captcha;
use crate::server::crypto::{random_token, Keyring};
use crate::server::db::Conn;
use rand::seq::SliceRandom;
use rand::Rng;

const TTL_SECS: i64 = 600;
/// Digits in an answer: a blind guess passes once in 100,000.
pub const DIGITS: usize = 5;
const WIDTH: f32 = 300.0;
const HEIGHT: f32 = 100.0;

pub async fn create(conn: &mut Conn, keys: &Keyring, ip: &str, now: i64) -> sqlx::Result<Captcha> {
    let answer: String = {
        let mut rng = rand::thread_rng();
        (0..DIGITS).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
    };
    let id = random_token();
    // Checks past their time are of no use to anyone: each new one clears them away, so the
    // table holds only live checks.
    super::repo::captchas::insert(conn, &id, &keys.mac(&["captcha", &id, &answer]), ip, now, now + TTL_SECS).await?;
    Ok(Captcha { id, svg: draw(&answer) })
}

/// Consumes the check: true once for the right answer within its time.
pub async fn solve(conn: &mut Conn, keys: &Keyring, id: &str, answer: &str, now: i64) -> sqlx::Result<bool> {
    let Some(mac) = super::repo::captchas::take(conn, id, now).await? else { return Ok(false) };
    let answer: String = answer.chars().map(crate::domain::normalize::fold_width).filter(|c| c.is_ascii_digit()).collect();
    Ok(keys.mac_matches(&["captcha", id, &answer], &mac))
}

/// A posted answer (if any) to a check: `Ok(true)` solved, `Ok(false)` none posted, `Err` a
/// wrong answer — with a fresh check to show instead.
pub async fn check_posted(
    conn: &mut Conn,
    keys: &Keyring,
    id: &str,
    answer: &str,
    ip: &str,
    now: i64,
) -> sqlx::Result<Result<bool, Captcha>> {
    if id.is_empty() {
        return Ok(Ok(false));
    }
    if solve(conn, keys, id, answer, now).await? {
        return Ok(Ok(true));
    }
    Ok(Err(create(conn, keys, ip, now).await?))
}

/// The skeleton of each digit: polylines in a box 1 wide and 2 high (two variants for some).
fn skeleton(digit: u8, variant: bool) -> Vec<Vec<(f32, f32)>> {
    let v = |pts: &[(f32, f32)]| pts.to_vec();
    match digit {
        0 => vec![v(&[(0.5, 0.0), (0.95, 0.4), (1.0, 1.0), (0.95, 1.6), (0.5, 2.0), (0.05, 1.6), (0.0, 1.0), (0.05, 0.4), (0.5, 0.0)])],
        1 if variant => vec![v(&[(0.2, 0.45), (0.55, 0.0), (0.55, 2.0)]), v(&[(0.2, 2.0), (0.9, 2.0)])],
        1 => vec![v(&[(0.25, 0.4), (0.6, 0.0), (0.6, 2.0)])],
        2 => vec![v(&[(0.0, 0.45), (0.45, 0.0), (0.95, 0.35), (0.95, 0.8), (0.0, 2.0), (1.0, 2.0)])],
        3 if variant => vec![v(&[(0.0, 0.0), (1.0, 0.0), (0.45, 0.8), (1.0, 1.25), (0.8, 1.85), (0.4, 2.0), (0.0, 1.75)])],
        3 => vec![v(&[(0.0, 0.25), (0.5, 0.0), (0.95, 0.4), (0.45, 0.95), (1.0, 1.45), (0.55, 2.0), (0.0, 1.75)])],
        4 if variant => vec![v(&[(0.35, 0.0), (0.0, 1.35), (1.0, 1.35)]), v(&[(0.75, 0.7), (0.75, 2.0)])],
        4 => vec![v(&[(0.75, 2.0), (0.75, 0.0), (0.0, 1.35), (1.0, 1.35)])],
        5 => vec![v(&[(0.95, 0.0), (0.1, 0.0), (0.0, 0.9), (0.55, 0.75), (1.0, 1.25), (0.6, 2.0), (0.0, 1.8)])],
        6 => vec![v(&[(0.9, 0.1), (0.4, 0.0), (0.0, 0.8), (0.0, 1.6), (0.5, 2.0), (1.0, 1.6), (0.95, 1.15), (0.5, 0.9), (0.0, 1.25)])],
        7 if variant => vec![v(&[(0.0, 0.0), (1.0, 0.0), (0.35, 2.0)]), v(&[(0.3, 1.0), (0.9, 1.0)])],
        7 => vec![v(&[(0.0, 0.2), (0.0, 0.0), (1.0, 0.0), (0.4, 2.0)])],
        8 => vec![v(&[(0.5, 1.0), (0.05, 0.5), (0.5, 0.0), (0.95, 0.5), (0.5, 1.0), (0.0, 1.5), (0.5, 2.0), (1.0, 1.5), (0.5, 1.0)])],
        _ => vec![v(&[(1.0, 0.75), (0.5, 1.1), (0.0, 0.75), (0.05, 0.3), (0.5, 0.0), (0.95, 0.35), (1.0, 1.2), (0.6, 2.0), (0.1, 1.9)])],
    }
}

/// One stroke of the picture: a quadratic curve, its control point bent off the straight line.
struct Stroke([(f32, f32); 3]);

impl Stroke {
    fn path(&self) -> String {
        let [(x1, y1), (cx, cy), (x2, y2)] = self.0;
        format!("M{x1:.1} {y1:.1}Q{cx:.1} {cy:.1} {x2:.1} {y2:.1}")
    }
}

fn bent(rng: &mut impl Rng, a: (f32, f32), b: (f32, f32), bend: f32) -> Stroke {
    let t = rng.gen_range(0.35..0.65);
    let (mx, my) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
    Stroke([a, (mx + rng.gen_range(-bend..bend), my + rng.gen_range(-bend..bend)), b])
}

fn draw(answer: &str) -> String {
    let mut rng = rand::thread_rng();
    let mut strokes: Vec<Stroke> = Vec::new();
    let cell = (WIDTH - 30.0) / answer.len().max(1) as f32;
    for (i, ch) in answer.chars().enumerate() {
        let digit = ch.to_digit(10).unwrap_or(0) as u8;
        // Each glyph its own affine transform: scale, skew, rotation and a jittered place.
        let (sx, sy) = (rng.gen_range(24.0..34.0f32), rng.gen_range(28.0..36.0f32));
        let skew = rng.gen_range(-0.3..0.3f32);
        let angle = rng.gen_range(-0.3..0.3f32);
        let (sin, cos) = angle.sin_cos();
        let cx = 15.0 + cell * (i as f32 + 0.5) + rng.gen_range(-4.0..4.0);
        let cy = HEIGHT / 2.0 + rng.gen_range(-6.0..6.0);
        let place = |(x, y): (f32, f32)| {
            let (x, y) = ((x - 0.5) * sx, (y - 1.0) * sy);
            let x = x + skew * y;
            (cx + x * cos - y * sin, cy + x * sin + y * cos)
        };
        for line in skeleton(digit, rng.gen_bool(0.5)) {
            for pair in line.windows(2) {
                let (a, b) = (place(pair[0]), place(pair[1]));
                let mut j = |p: (f32, f32)| (p.0 + rng.gen_range(-1.5..1.5), p.1 + rng.gen_range(-1.5..1.5));
                let (a, b) = (j(a), j(b));
                // Split each edge once, at a random point, with a small gap or overlap.
                let t = rng.gen_range(0.3..0.7f32);
                let g = rng.gen_range(-0.06..0.04f32);
                let m1 = (a.0 + (b.0 - a.0) * (t - g), a.1 + (b.1 - a.1) * (t - g));
                let m2 = (a.0 + (b.0 - a.0) * (t + g), a.1 + (b.1 - a.1) * (t + g));
                strokes.push(bent(&mut rng, a, m1, 2.0));
                strokes.push(bent(&mut rng, m2, b, 2.0));
            }
        }
    }
    // Noise strokes of the same width and colour crossing the digits.
    for _ in 0..4 {
        let a = (rng.gen_range(0.0..40.0), rng.gen_range(10.0..HEIGHT - 10.0));
        let b = (rng.gen_range(WIDTH - 40.0..WIDTH), rng.gen_range(10.0..HEIGHT - 10.0));
        strokes.push(bent(&mut rng, a, b, 40.0));
    }
    strokes.shuffle(&mut rng);
    let d: String = strokes.iter().map(Stroke::path).collect();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"captcha\">\
<rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#ffffff\"/>\
<path d=\"{d}\" stroke=\"#111111\" stroke-width=\"4\" stroke-linecap=\"round\" stroke-linejoin=\"round\" fill=\"none\"/></svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_data(svg: &str) -> String {
        svg.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
    }

    #[test]
    fn the_picture_holds_no_digits_as_text() {
        let svg = draw("34071");
        assert!(svg.starts_with("<svg") && svg.contains("<path"));
        assert!(!svg.contains(">3<") && !svg.contains("<text") && !svg.contains("34071"));
    }

    #[test]
    fn the_same_answer_never_draws_the_same_strokes() {
        let (a, b) = (path_data(&draw("12345")), path_data(&draw("12345")));
        assert_ne!(a, b);
        // Not even one stroke in common: no fixed piece to look up.
        let strokes = |d: &str| d.split('M').filter(|s| !s.is_empty()).map(str::to_string).collect::<std::collections::HashSet<_>>();
        assert!(strokes(&a).is_disjoint(&strokes(&b)));
    }
}
