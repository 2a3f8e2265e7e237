//! Input normalisation without Unicode tables (they would bloat the WASM): the few full-width
//! forms a Chinese phone keyboard produces are mapped by hand.

/// Maps full-width ASCII (U+FF01..U+FF5E) to ASCII and the ideographic space to a space,
/// which is what NFKC does for the characters our identifiers use.
pub fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Folds width, drops every kind of white space and the separators people type inside numbers.
pub fn compact(input: &str, also_drop: &[char]) -> String {
    input.chars().map(fold_width).filter(|c| !c.is_whitespace() && !also_drop.contains(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_digits_and_letters() {
        assert_eq!(compact("１２３ｘＸ　4", &[]), "123xX4");
        assert_eq!(compact("138-0013 8000", &['-']), "13800138000");
    }
}
