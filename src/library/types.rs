//! Library values the pages render and the parsers of what the counter types: an ISBN (kept as
//! ISBN-13), a copy's barcode, and the views of the member's and the librarians' screens.
use crate::admin::AdminInfo;
use crate::i18n::T;
use serde::{Deserialize, Serialize};

/// How long a loan runs unless the library says otherwise.
pub const DEFAULT_LOAN_DAYS: i64 = 30;
/// The due-soon SMS goes out this many days before the due day.
pub const REMIND_DAYS_BEFORE: i64 = 2;
/// Reminders are sent from this local hour (no SMS at midnight).
pub const REMIND_HOUR: u32 = 9;
pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_AUTHOR_CHARS: usize = 60;
pub const MAX_LIBRARY_NAME_CHARS: usize = 60;

/// An ISBN as the catalogue keys it: 13 digits, check digit verified; an ISBN-10 is converted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Isbn(String);

impl Isbn {
    pub fn parse(input: &str) -> Result<Isbn, T> {
        let s: String = input.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{3000}')).collect::<String>().to_uppercase();
        let s: String =
            s.chars().map(|c| if ('０'..='９').contains(&c) { char::from(b'0' + (c as u32 - '０' as u32) as u8) } else { c }).collect();
        let s = s.strip_prefix("ISBN").unwrap_or(&s).to_string();
        let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
        match s.len() {
            13 if digits.len() == 13 && (s.starts_with("978") || s.starts_with("979")) => {
                if check13(&digits[..12]) == digits[12] {
                    Ok(Isbn(s))
                } else {
                    Err(T::LibIsbnBad)
                }
            }
            10 if digits.len() >= 9 && s[..9].chars().all(|c| c.is_ascii_digit()) => {
                let last = s.chars().nth(9).unwrap_or('?');
                let sum: u32 = digits[..9].iter().enumerate().map(|(i, d)| d * (10 - i as u32)).sum();
                let check = (11 - sum % 11) % 11;
                let ok = match last {
                    'X' => check == 10,
                    c => c.to_digit(10) == Some(check),
                };
                if !ok {
                    return Err(T::LibIsbnBad);
                }
                let mut d13 = vec![9, 7, 8];
                d13.extend_from_slice(&digits[..9]);
                let c = check13(&d13);
                d13.push(c);
                Ok(Isbn(d13.iter().map(|d| char::from(b'0' + *d as u8)).collect()))
            }
            _ => Err(T::LibIsbnBad),
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check13(first12: &[u32]) -> u32 {
    let sum: u32 = first12.iter().enumerate().map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 }).sum();
    (10 - sum % 10) % 10
}

/// A copy's barcode: 3–32 of A–Z, 0–9 and `-`, kept in upper case.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Barcode(String);

impl Barcode {
    pub fn parse(input: &str) -> Result<Barcode, T> {
        let s = input.trim().to_uppercase();
        let ok = (3..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Barcode(s))
        } else {
            Err(T::LibBarcodeBad)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short text field (a title, an author, a name): trimmed, not empty, at most `max` characters.
pub fn short_text(input: &str, max: usize, err: T) -> Result<String, T> {
    let s = input.trim();
    if s.is_empty() || s.chars().count() > max || s.chars().any(char::is_control) {
        Err(err)
    } else {
        Ok(s.to_string())
    }
}

/// How the member at the counter is named: a member number, or the code of the e-member card
/// (the code itself, or the whole `/v/{code}` address the card's QR holds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Borrower {
    MemberNo(String),
    CardCode(String),
}

impl Borrower {
    pub fn parse(input: &str) -> Result<Borrower, T> {
        let s = input.trim();
        if s.is_empty() || s.len() > 300 {
            return Err(T::LibBorrowerNeeded);
        }
        if let Some((_, code)) = s.rsplit_once("/v/") {
            let code = code.split(['?', '#']).next().unwrap_or_default();
            return if code.is_empty() { Err(T::LibBorrowerNeeded) } else { Ok(Borrower::CardCode(code.to_string())) };
        }
        // A card code is 48 base64url characters; member numbers are shorter and have no `_`.
        if s.len() == 48 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Ok(Borrower::CardCode(s.to_string()));
        }
        if s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Ok(Borrower::MemberNo(s.to_string()));
        }
        Err(T::LibBorrowerNeeded)
    }
}

/// A loan as its borrower sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoanState {
    OnLoan,
    /// Due within the reminder window.
    DueSoon,
    Overdue,
    /// Returned at this library on this day.
    Returned {
        library: String,
        on: String,
    },
}

impl LoanState {
    /// From the stored loan and today's local day.
    pub fn of(returned: Option<(String, i64)>, due_day: i64, today: i64) -> LoanState {
        match returned {
            Some((library, day)) => LoanState::Returned { library, on: crate::domain::Ymd::from_days_since_epoch(day).to_string() },
            None if today > due_day => LoanState::Overdue,
            None if today >= due_day - REMIND_DAYS_BEFORE => LoanState::DueSoon,
            None => LoanState::OnLoan,
        }
    }
    pub fn label(&self) -> T {
        match self {
            LoanState::OnLoan => T::LibOnLoan,
            LoanState::DueSoon => T::LibDueSoon,
            LoanState::Overdue => T::LibOverdue,
            LoanState::Returned { .. } => T::LibReturned,
        }
    }
}

/// One library's holding of a title: (library, available copies, copies held there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
    pub library: String,
    pub available: i64,
    pub held: i64,
}

/// A title found in the catalogue, with where it can be borrowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TitleHit {
    pub id: i64,
    pub isbn: String,
    pub title: String,
    pub author: String,
    pub holdings: Vec<Holding>,
}

/// One of the member's loans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MyLoan {
    pub id: i64,
    pub title: String,
    pub author: String,
    pub library: String,
    pub lent_on: String,
    pub due: String,
    pub state: LoanState,
}

/// `/library`: the shared catalogue's search, and the member's loans when signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryView {
    pub query: String,
    /// `None`: nothing searched yet (the newest titles are shown).
    pub hits: Vec<TitleHit>,
    pub searched: bool,
    pub libraries: Vec<(String, String)>,
    /// `None` when not signed in.
    pub loans: Option<Vec<MyLoan>>,
}

/// A library with its reading figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LibraryFigures {
    pub id: i64,
    pub name: String,
    pub union: String,
    pub address: String,
    pub loan_days: i64,
    pub copies_held: i64,
    pub on_loan: i64,
    pub loans_month: i64,
    pub loans_total: i64,
    pub returns_month: i64,
    pub returns_total: i64,
    pub borrowers_month: i64,
    /// The most borrowed titles at this library: (title, loans).
    pub top: Vec<(String, i64)>,
}

/// `/admin/library`: the libraries of the admin's subtree with their figures (the city admin:
/// all), and the form to open a library (managers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryAdminView {
    pub admin: AdminInfo,
    pub month: String,
    pub libraries: Vec<LibraryFigures>,
    /// The unions a new library may belong to; empty when this admin may not open one.
    pub orgs: Vec<crate::org::OrgChoice>,
    pub input: LibraryInput,
    pub notice: Option<(T, bool)>,
    pub field_error: Option<(&'static str, T)>,
}

/// What was typed into the library form, kept for a re-render.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LibraryInput {
    pub name: String,
    pub org: String,
    pub address: String,
    pub loan_days: String,
}

/// What was typed at the counter (lend, return, add a copy), kept for a re-render.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CounterInput {
    pub borrower: String,
    pub barcode: String,
    pub return_barcode: String,
    pub isbn: String,
    pub title: String,
    pub author: String,
    pub copy_barcode: String,
}

/// An open loan of the library as the counter lists it: the borrower masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterLoan {
    pub id: i64,
    pub barcode: String,
    pub title: String,
    pub name_masked: String,
    pub due: String,
    pub overdue: bool,
}

/// `/admin/library/{id}`: one library's counter — lend, return, add titles and copies — its
/// figures and its open loans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryCounterView {
    pub admin: AdminInfo,
    pub month: String,
    pub library: LibraryFigures,
    pub loans: Vec<CounterLoan>,
    pub input: CounterInput,
    /// A line after a post: the words, the values they are filled with, done or refused.
    pub notice: Option<(T, Vec<String>, bool)>,
    pub field_error: Option<(&'static str, T)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isbns_parse_once() {
        assert_eq!(Isbn::parse("978-7-02-000220-7").unwrap().as_str(), "9787020002207");
        assert_eq!(Isbn::parse("ISBN 9787020002207").unwrap().as_str(), "9787020002207");
        // ISBN-10 of the same book → the same ISBN-13.
        assert_eq!(Isbn::parse("7-02-000220-X").unwrap().as_str(), "9787020002207");
        assert_eq!(Isbn::parse("0-306-40615-2").unwrap().as_str(), "9780306406157");
        for bad in ["9787020002208", "12345", "", "978702000220X", "7-02-000220-1", "0000000000000"] {
            assert_eq!(Isbn::parse(bad), Err(T::LibIsbnBad), "{bad:?}");
        }
    }

    #[test]
    fn barcodes_and_borrowers() {
        assert_eq!(Barcode::parse(" bk-0001 ").unwrap().as_str(), "BK-0001");
        for bad in ["ab", "书屋001", "a b c", &"x".repeat(33)] {
            assert!(Barcode::parse(bad).is_err(), "{bad:?}");
        }
        let code = "A".repeat(48);
        assert_eq!(Borrower::parse(&format!("http://x/v/{code}")), Ok(Borrower::CardCode(code.clone())));
        assert_eq!(Borrower::parse(&code), Ok(Borrower::CardCode(code)));
        assert_eq!(Borrower::parse(" 340302-000001 "), Ok(Borrower::MemberNo("340302-000001".into())));
        assert_eq!(Borrower::parse(""), Err(T::LibBorrowerNeeded));
        assert_eq!(Borrower::parse("张三"), Err(T::LibBorrowerNeeded));
    }

    #[test]
    fn loan_states_from_the_day() {
        assert_eq!(LoanState::of(None, 100, 90), LoanState::OnLoan);
        assert_eq!(LoanState::of(None, 100, 98), LoanState::DueSoon);
        assert_eq!(LoanState::of(None, 100, 100), LoanState::DueSoon);
        assert_eq!(LoanState::of(None, 100, 101), LoanState::Overdue);
        assert!(matches!(LoanState::of(Some(("B".into(), 0)), 100, 200), LoanState::Returned { .. }));
    }
}
