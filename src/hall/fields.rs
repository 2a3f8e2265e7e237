//! A service's form as data: the typed fields a service asks for, and the one check of an
//! answer, run the same in the browser (as the member types) and on the server (the final
//! word). Each problem is a dictionary key shown next to its field; a good answer comes back
//! in one normal form (digits of a phone, 2 decimals of a yuan amount, an ISO date …).
use crate::domain::{IdNumber, Ymd};
use crate::i18n::T;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest text answer: a paragraph typed on a phone.
pub const TEXT_MAX: usize = 1000;
/// The most fields a service may ask for.
pub const FIELDS_MAX: usize = 20;
/// The most choices a choice field may offer.
pub const OPTIONS_MAX: usize = 20;
/// The largest amount in yuan a form takes (ten million): beyond it a typo is likelier.
pub const AMOUNT_MAX_FEN: i64 = 1_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Date,
    Choice,
    Yesno,
    Phone,
    IdNumber,
    Amount,
    Attachment,
}

impl FieldKind {
    pub const ALL: [FieldKind; 9] = [
        FieldKind::Text,
        FieldKind::Number,
        FieldKind::Date,
        FieldKind::Choice,
        FieldKind::Yesno,
        FieldKind::Phone,
        FieldKind::IdNumber,
        FieldKind::Amount,
        FieldKind::Attachment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::Choice => "choice",
            FieldKind::Yesno => "yesno",
            FieldKind::Phone => "phone",
            FieldKind::IdNumber => "id_number",
            FieldKind::Amount => "amount",
            FieldKind::Attachment => "attachment",
        }
    }

    pub fn parse(s: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    pub fn label(self) -> T {
        match self {
            FieldKind::Text => T::KindText,
            FieldKind::Number => T::KindNumber,
            FieldKind::Date => T::KindDate,
            FieldKind::Choice => T::KindChoice,
            FieldKind::Yesno => T::KindYesno,
            FieldKind::Phone => T::KindPhone,
            FieldKind::IdNumber => T::KindIdNumber,
            FieldKind::Amount => T::KindAmount,
            FieldKind::Attachment => T::KindAttachment,
        }
    }

    /// Answers a screen shows masked (and a reveal shows whole).
    pub fn is_personal(self) -> bool {
        matches!(self, FieldKind::Phone | FieldKind::IdNumber)
    }
}

/// One field of a service's form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint: String,
}

/// The answers of a form, by field key, in normal form.
pub type Answers = BTreeMap<String, String>;

/// Checks one answer (not an attachment: the server checks files by their content). An empty
/// answer to an optional field is fine and stays empty.
pub fn check(field: &FieldDef, raw: &str, today: Ymd) -> Result<String, T> {
    let value = raw.trim();
    if value.is_empty() {
        return if field.required { Err(empty_error(field.kind)) } else { Ok(String::new()) };
    }
    match field.kind {
        FieldKind::Text => {
            if value.chars().count() > TEXT_MAX {
                Err(T::HallTextTooLong)
            } else if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
                Err(T::HallTextChars)
            } else {
                Ok(value.replace("\r\n", "\n"))
            }
        }
        FieldKind::Number => {
            let digits: String = value.chars().map(crate::domain::normalize::fold_width).collect();
            match digits.parse::<u32>() {
                Ok(n) if n <= 100_000 => Ok(n.to_string()),
                _ => Err(T::HallNumberInvalid),
            }
        }
        FieldKind::Amount => amount_fen(value).map(format_fen).ok_or(T::HallAmountInvalid),
        FieldKind::Date => {
            let folded: String = value.chars().map(crate::domain::normalize::fold_width).collect();
            let date = Ymd::parse(&folded.replace(['/', '.'], "-")).ok_or(T::HallDateInvalid)?;
            let (earliest, latest) = (Ymd::new(1900, 1, 1).expect("a date"), today.add_days(366));
            if date < earliest || date > latest {
                return Err(T::HallDateRange);
            }
            Ok(date.to_string())
        }
        FieldKind::Choice => field.options.iter().find(|o| o.as_str() == value).cloned().ok_or(T::HallChoiceInvalid),
        FieldKind::Yesno => match value {
            "yes" | "是" => Ok("是".into()),
            "no" | "否" => Ok("否".into()),
            _ => Err(T::HallChoiceInvalid),
        },
        FieldKind::Phone => crate::join::validate::phone(value).map(|p| p.as_str().to_string()),
        FieldKind::IdNumber => crate::join::validate::id_number(value, today).map(|id| id.as_str().to_string()),
        FieldKind::Attachment => Ok(String::new()),
    }
}

fn empty_error(kind: FieldKind) -> T {
    match kind {
        FieldKind::Choice | FieldKind::Yesno => T::HallChoose,
        FieldKind::Attachment => T::HallFileNeeded,
        _ => T::HallRequired,
    }
}

/// Checks every answer but attachments; all problems at once, by field key.
pub fn check_all(fields: &[FieldDef], raw: &Answers, today: Ymd) -> Result<Answers, Vec<(String, T)>> {
    let mut good = Answers::new();
    let mut bad = Vec::new();
    for f in fields.iter().filter(|f| f.kind != FieldKind::Attachment) {
        match check(f, raw.get(&f.key).map(String::as_str).unwrap_or(""), today) {
            Ok(v) => {
                good.insert(f.key.clone(), v);
            }
            Err(t) => bad.push((f.key.clone(), t)),
        }
    }
    if bad.is_empty() {
        Ok(good)
    } else {
        Err(bad)
    }
}

/// Yuan as typed ("1,234.5", "１２００", "88元") in fen; None when it is not an amount.
pub fn amount_fen(value: &str) -> Option<i64> {
    let folded: String =
        value.chars().map(crate::domain::normalize::fold_width).filter(|c| !matches!(c, ',' | ' ' | '元' | '¥' | '￥')).collect();
    let (whole, frac) = folded.split_once('.').unwrap_or((&folded, ""));
    if whole.is_empty()
        || whole.len() > 10
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let fen = whole.parse::<i64>().ok()? * 100 + format!("{frac:0<2}").parse::<i64>().ok()?;
    (fen <= AMOUNT_MAX_FEN).then_some(fen)
}

pub fn format_fen(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// What a screen shows of an answer: phones and ID numbers masked unless revealed.
pub fn shown(kind: FieldKind, value: &str, reveal: bool) -> String {
    if reveal || value.is_empty() {
        return value.to_string();
    }
    match kind {
        FieldKind::Phone => crate::domain::Phone::mask_stored(value),
        FieldKind::IdNumber => match IdNumber::parse(value, Ymd::new(2100, 1, 1).expect("a date")) {
            Ok(id) => id.masked(),
            Err(_) => "******".into(),
        },
        _ => value.to_string(),
    }
}

/// Checks a form definition the city admin wrote: keys unique and plain, labels present,
/// choices for choice fields. Returns the problem for the whole definition.
pub fn check_definition(fields: &[FieldDef]) -> Result<(), T> {
    if fields.len() > FIELDS_MAX {
        return Err(T::HallTooManyFields);
    }
    let mut keys = std::collections::BTreeSet::new();
    for f in fields {
        let key_ok =
            !f.key.is_empty() && f.key.len() <= 30 && f.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !key_ok || !keys.insert(f.key.clone()) {
            return Err(T::HallFieldKeyInvalid);
        }
        if f.label.trim().is_empty() || f.label.chars().count() > 60 {
            return Err(T::HallFieldLabelNeeded);
        }
        if f.kind == FieldKind::Choice && (f.options.is_empty() || f.options.len() > OPTIONS_MAX) {
            return Err(T::HallChoicesNeeded);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind, required: bool) -> FieldDef {
        FieldDef {
            key: "k".into(), label: "L".into(), kind, required, options: vec!["本人".into(), "配偶".into()], hint: String::new()
        }
    }
    fn today() -> Ymd {
        Ymd::new(2026, 12, 1).unwrap()
    }

    #[test]
    fn amounts_in_yuan() {
        assert_eq!(check(&field(FieldKind::Amount, true), "1,234.5元", today()), Ok("1234.50".into()));
        assert_eq!(check(&field(FieldKind::Amount, true), "１２００", today()), Ok("1200.00".into()));
        assert_eq!(check(&field(FieldKind::Amount, true), "12.345", today()), Err(T::HallAmountInvalid));
        assert_eq!(check(&field(FieldKind::Amount, true), "-5", today()), Err(T::HallAmountInvalid));
        assert_eq!(check(&field(FieldKind::Amount, true), "99999999999", today()), Err(T::HallAmountInvalid));
        assert_eq!(check(&field(FieldKind::Amount, true), " ", today()), Err(T::HallRequired));
        assert_eq!(check(&field(FieldKind::Amount, false), "", today()), Ok(String::new()));
    }

    #[test]
    fn dates_choices_and_personal_numbers() {
        assert_eq!(check(&field(FieldKind::Date, true), "2026/11/3", today()), Err(T::HallDateInvalid));
        assert_eq!(check(&field(FieldKind::Date, true), "2026-11-03", today()), Ok("2026-11-03".into()));
        assert_eq!(check(&field(FieldKind::Date, true), "2026-02-30", today()), Err(T::HallDateInvalid));
        assert_eq!(check(&field(FieldKind::Date, true), "2030-01-01", today()), Err(T::HallDateRange));
        assert_eq!(check(&field(FieldKind::Choice, true), "配偶", today()), Ok("配偶".into()));
        assert_eq!(check(&field(FieldKind::Choice, true), "邻居", today()), Err(T::HallChoiceInvalid));
        assert_eq!(check(&field(FieldKind::Choice, true), "", today()), Err(T::HallChoose));
        assert_eq!(check(&field(FieldKind::Yesno, true), "yes", today()), Ok("是".into()));
        assert_eq!(check(&field(FieldKind::Phone, true), "+86 139-0000-1234", today()), Ok("13900001234".into()));
        assert_eq!(check(&field(FieldKind::IdNumber, true), "11010519491231002x", today()), Ok("11010519491231002X".into()));
        assert_eq!(check(&field(FieldKind::IdNumber, true), "110105194912310021", today()), Err(T::ErrIdCheck));
        assert_eq!(check(&field(FieldKind::Number, true), "３", today()), Ok("3".into()));
        assert_eq!(check(&field(FieldKind::Text, true), "a\u{7}b", today()), Err(T::HallTextChars));
        assert_eq!(check(&field(FieldKind::Text, true), &"字".repeat(TEXT_MAX + 1), today()), Err(T::HallTextTooLong));
    }

    #[test]
    fn masks_and_definitions() {
        assert_eq!(shown(FieldKind::IdNumber, "11010519491231002X", false), "11**************2X");
        assert_eq!(shown(FieldKind::Phone, "13900001234", false), "139****1234");
        assert_eq!(shown(FieldKind::Phone, "13900001234", true), "13900001234");
        let mut f = vec![field(FieldKind::Text, true), field(FieldKind::Text, false)];
        assert_eq!(check_definition(&f), Err(T::HallFieldKeyInvalid));
        f[1].key = "other".into();
        assert_eq!(check_definition(&f), Ok(()));
        f[1].kind = FieldKind::Choice;
        f[1].options.clear();
        assert_eq!(check_definition(&f), Err(T::HallChoicesNeeded));
    }
}
