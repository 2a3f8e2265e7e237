//! Legal-aid values the pages render, and the parsed inputs: a weekday's slot list
//! (`09:00, 10:00, 14:30*2`), a slot's key in the booking form, a topic, a question, an answer.
use crate::admin::AdminInfo;
use crate::i18n::T;
use serde::{Deserialize, Serialize};

/// How many days ahead a member sees and books slots.
pub const BOOK_DAYS: i64 = 14;
/// Future appointments one member may hold at once.
pub const MAX_OPEN_BOOKINGS: i64 = 3;
/// Seats a slot may have.
pub const MAX_CAPACITY: i64 = 20;
/// The reminder goes from this hour (China time) on the day before.
pub const REMIND_HOUR: u32 = 10;

/// One slot of a weekday: start (minutes after midnight) and seats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotTime {
    pub start_min: i64,
    pub capacity: i64,
}

impl SlotTime {
    pub fn label(self) -> String {
        format!("{:02}:{:02}", self.start_min / 60, self.start_min % 60)
    }
}

/// A weekday's slots, parsed once from `09:00, 10:00*2` (a capacity after `*` or `×`, default
/// 1): times between 06:00 and 22:00, each once, in order; at most 24.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlotList(Vec<SlotTime>);

impl SlotList {
    pub fn parse(input: &str) -> Result<SlotList, T> {
        let mut slots = Vec::new();
        for part in input.split([',', '，', ' ', ';', '、', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
            let (time, capacity) = match part.split_once(['*', '×', 'x']) {
                Some((t, c)) => (t.trim(), c.trim().parse::<i64>().map_err(|_| T::LegalSlotsInvalid)?),
                None => (part, 1),
            };
            let time = time.replace('：', ":");
            let (h, m) = time.split_once(':').ok_or(T::LegalSlotsInvalid)?;
            if !(1..=2).contains(&h.len()) || m.len() != 2 {
                return Err(T::LegalSlotsInvalid);
            }
            let (h, m): (i64, i64) = (h.parse().map_err(|_| T::LegalSlotsInvalid)?, m.parse().map_err(|_| T::LegalSlotsInvalid)?);
            if !(6..22).contains(&h) || !(0..60).contains(&m) || !(1..=MAX_CAPACITY).contains(&capacity) {
                return Err(T::LegalSlotsInvalid);
            }
            slots.push(SlotTime { start_min: h * 60 + m, capacity });
        }
        slots.sort_by_key(|s| s.start_min);
        if slots.windows(2).any(|w| w[0].start_min == w[1].start_min) || slots.len() > 24 {
            return Err(T::LegalSlotsInvalid);
        }
        Ok(SlotList(slots))
    }

    pub fn from_stored(slots: Vec<SlotTime>) -> SlotList {
        SlotList(slots)
    }

    pub fn slots(&self) -> &[SlotTime] {
        &self.0
    }

    /// As the rota form shows it: `09:00, 10:00*2`.
    pub fn text(&self) -> String {
        self.0
            .iter()
            .map(|s| if s.capacity == 1 { s.label() } else { format!("{}*{}", s.label(), s.capacity) })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A slot as the booking form carries it: `<station>-<start unix>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotKey {
    pub station_id: i64,
    pub starts_at: i64,
}

impl SlotKey {
    pub fn parse(s: &str) -> Option<SlotKey> {
        let (station, at) = s.trim().split_once('-')?;
        Some(SlotKey { station_id: station.parse().ok().filter(|n| *n > 0)?, starts_at: at.parse().ok().filter(|n| *n > 0)? })
    }
    pub fn text(self) -> String {
        format!("{}-{}", self.station_id, self.starts_at)
    }
}

/// Trimmed text of 1..=max characters (`min` at least), else the given error.
pub fn text_between(input: &str, min: usize, max: usize, err: T) -> Result<String, T> {
    let t = input.trim();
    let n = t.chars().count();
    if n < min.max(1) || n > max {
        return Err(err);
    }
    Ok(t.to_string())
}

pub fn parse_topic(input: &str) -> Result<String, T> {
    text_between(input, 2, 100, T::LegalTopicNeeded)
}

pub fn parse_question(input: &str) -> Result<String, T> {
    text_between(input, 10, 2000, T::LegalQuestionNeeded)
}

pub fn parse_answer(input: &str) -> Result<String, T> {
    text_between(input, 2, 4000, T::LegalAnswerNeeded)
}

/// The kinds of question a member may pick (optional).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Category {
    Wages,
    Contract,
    Injury,
    Traffic,
    Social,
    Other,
}

impl Category {
    pub const ALL: [Category; 6] =
        [Category::Wages, Category::Contract, Category::Injury, Category::Traffic, Category::Social, Category::Other];
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Wages => "wages",
            Category::Contract => "contract",
            Category::Injury => "injury",
            Category::Traffic => "traffic",
            Category::Social => "social",
            Category::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
    pub fn label(self) -> T {
        match self {
            Category::Wages => T::LegalCatWages,
            Category::Contract => T::LegalCatContract,
            Category::Injury => T::LegalCatInjury,
            Category::Traffic => T::LegalCatTraffic,
            Category::Social => T::LegalCatSocial,
            Category::Other => T::LegalCatOther,
        }
    }
    /// The label of a stored category ("" or unknown: none).
    pub fn label_of(stored: &str) -> Option<T> {
        Category::parse(stored).map(Category::label)
    }
}

/// The weekday's name (1 = Monday … 7 = Sunday).
pub fn weekday_label(weekday: i64) -> T {
    match weekday {
        1 => T::LegalMon,
        2 => T::LegalTue,
        3 => T::LegalWed,
        4 => T::LegalThu,
        5 => T::LegalFri,
        6 => T::LegalSat,
        _ => T::LegalSun,
    }
}

/// An open slot on `/legal`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenSlot {
    pub key: String,
    pub time: String,
    pub lawyer: String,
    pub left: i64,
}

/// A date's open slots at one workstation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaySlots {
    pub station: String,
    pub date: String,
    pub weekday: T,
    pub slots: Vec<OpenSlot>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MyBooking {
    pub id: i64,
    pub when: String,
    pub station: String,
    pub lawyer: String,
    pub topic: String,
    /// Booked and still ahead: it may be cancelled.
    pub open: bool,
    pub cancelled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MyQuestion {
    pub id: i64,
    pub asked_at: String,
    pub category: Option<T>,
    pub question: String,
    pub station: String,
    /// (answer, when, lawyer)
    pub answer: Option<(String, String, String)>,
}

/// What the member typed into the booking form, kept for a re-render.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BookInput {
    pub slot: String,
    pub topic: String,
}

/// `/legal`: open slots, the booking form, my appointments and my questions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegalHomeView {
    pub days: Vec<DaySlots>,
    pub bookings: Vec<MyBooking>,
    pub questions: Vec<MyQuestion>,
    pub input: BookInput,
    /// An error with the field it belongs to (`slot`, `topic`).
    pub field_error: Option<(&'static str, T)>,
    pub notice: Option<(T, bool)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AskInput {
    pub station: String,
    pub category: String,
    pub question: String,
}

/// `/legal/ask`: the written question form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AskView {
    pub stations: Vec<(i64, String)>,
    pub input: AskInput,
    pub field_error: Option<(&'static str, T)>,
}

/// `/legal/questions/{id}`: one of my questions with its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MyQuestionView {
    pub question: MyQuestion,
}

/// A workstation as the admin list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StationItem {
    pub id: i64,
    pub name: String,
    pub org_name: String,
    pub lawyers: i64,
    pub open_questions: i64,
}

/// `/admin/legal`: the workstations in the admin's subtree; the city admin opens new ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegalAdminView {
    pub admin: AdminInfo,
    pub stations: Vec<StationItem>,
    pub orgs: Vec<crate::org::OrgChoice>,
    pub notice: Option<(T, bool)>,
}

/// One weekday of the rota as its form shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotaDay {
    pub weekday: i64,
    pub lawyer_id: Option<i64>,
    pub slots: String,
}

/// A lawyer of the workstation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LawyerItem {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub disabled: bool,
}

/// A question as the workstation's lists show it: no text, no name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionItem {
    pub id: i64,
    pub asked_at: String,
    pub category: Option<T>,
    pub lawyer: String,
    pub answered: bool,
    pub mine: bool,
}

/// `/admin/legal/{id}`: a workstation's lawyers, rota and questions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StationAdminView {
    pub admin: AdminInfo,
    pub id: i64,
    pub name: String,
    pub org_name: String,
    pub lawyers: Vec<LawyerItem>,
    pub rota: Vec<RotaDay>,
    pub questions: Vec<QuestionItem>,
    pub booked_ahead: i64,
    pub notice: Option<(T, bool)>,
    /// The rota weekday or form (`lawyer`) an error belongs to.
    pub field_error: Option<(String, T)>,
}

/// An appointment on the lawyer's desk: masked name and phone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appointment {
    pub time: String,
    pub name_masked: String,
    pub phone_masked: String,
    pub topic: String,
}

/// `/lawyer`: today's appointments and the workstation's questions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LawyerHomeView {
    pub admin: AdminInfo,
    pub station: String,
    pub today: String,
    pub appointments: Vec<Appointment>,
    pub questions: Vec<QuestionItem>,
    pub notice: Option<(T, bool)>,
}

/// `/lawyer/questions/{id}`: the question (the asker masked) and the answer form or answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LawyerQuestionView {
    pub admin: AdminInfo,
    pub id: i64,
    pub asked_at: String,
    pub category: Option<T>,
    pub name_masked: String,
    pub question: String,
    pub answer: Option<(String, String, String)>,
    pub input: String,
    pub error: Option<T>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_lists_parse_once() {
        let l = SlotList::parse("10:00*2, 09:00，14:30×3").unwrap();
        assert_eq!(
            l.slots(),
            &[SlotTime { start_min: 540, capacity: 1 }, SlotTime { start_min: 600, capacity: 2 }, SlotTime { start_min: 870, capacity: 3 }]
        );
        assert_eq!(l.text(), "09:00, 10:00*2, 14:30*3");
        assert_eq!(SlotList::parse(&l.text()).unwrap(), l);
        assert_eq!(SlotList::parse("").unwrap().slots().len(), 0);
        for bad in ["9", "25:00", "09:60", "09:00*0", "09:00*21", "09:00, 09:00", "05:00", "abc", "09:000"] {
            assert_eq!(SlotList::parse(bad), Err(T::LegalSlotsInvalid), "{bad:?}");
        }
    }

    #[test]
    fn slot_keys_and_texts() {
        assert_eq!(SlotKey::parse("3-1790000000"), Some(SlotKey { station_id: 3, starts_at: 1_790_000_000 }));
        for bad in ["", "3", "-1-2", "a-b", "0-5", "3-"] {
            assert_eq!(SlotKey::parse(bad), None, "{bad:?}");
        }
        assert_eq!(parse_topic(" 欠薪 "), Ok("欠薪".into()));
        assert_eq!(parse_topic("x"), Err(T::LegalTopicNeeded));
        assert_eq!(parse_question("太短"), Err(T::LegalQuestionNeeded));
        assert!(parse_question(&"问".repeat(2001)).is_err());
        assert_eq!(Category::parse("wages"), Some(Category::Wages));
        assert_eq!(Category::label_of(""), None);
    }
}
