//! The join rules that need no database, run the same in the browser (as the driver types)
//! and on the server (the final word). Each problem becomes a dictionary key for its field.
use super::types::{Field, FieldError, JoinForm, NO_FIXED_WORKPLACE};
use crate::domain::*;
use crate::i18n::T;

pub fn name(s: &str) -> Result<PersonName, T> {
    PersonName::parse(s).map_err(|e| match e {
        NameError::Empty => T::ErrNameEmpty,
        NameError::Length => T::ErrNameLength,
        NameError::Characters => T::ErrNameChars,
    })
}

pub fn id_number(s: &str, today: Ymd) -> Result<IdNumber, T> {
    IdNumber::parse(s, today).map_err(|e| match e {
        IdError::Empty => T::ErrIdEmpty,
        IdError::Legacy15 => T::ErrIdLegacy,
        IdError::Length => T::ErrIdLength,
        IdError::Characters => T::ErrIdChars,
        IdError::Region => T::ErrIdRegion,
        IdError::BirthDate => T::ErrIdDate,
        IdError::Before1900 => T::ErrIdBefore1900,
        IdError::FutureBirth => T::ErrIdFuture,
        IdError::Under16 => T::ErrIdUnder16,
        IdError::CheckDigit => T::ErrIdCheck,
    })
}

pub fn phone(s: &str) -> Result<Phone, T> {
    Phone::parse(s).map_err(|e| match e {
        PhoneError::Empty => T::ErrPhoneEmpty,
        PhoneError::Invalid => T::ErrPhoneInvalid,
    })
}

pub fn code(s: &str) -> Result<SmsCode, T> {
    SmsCode::parse(s).map_err(|e| match e {
        CodeError::Empty => T::ErrCodeEmpty,
        CodeError::Format => T::ErrCodeFormat,
    })
}

pub fn plate(s: &str) -> Result<Option<PlateNumber>, T> {
    PlateNumber::parse_optional(s).map_err(|e| match e {
        PlateError::Province => T::ErrPlateProvince,
        PlateError::Invalid => T::ErrPlateInvalid,
    })
}

/// Where the application goes, as the form says it (the server checks the ids exist).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkplaceChoice {
    /// Fixed by the join channel.
    Channel,
    /// A chosen union.
    Union(i64),
    /// 暂无固定单位: the turnover pool of this federation.
    Pool(i64),
}

pub fn workplace(form: &JoinForm, has_channel: bool) -> Result<WorkplaceChoice, FieldError> {
    if has_channel {
        return Ok(WorkplaceChoice::Channel);
    }
    let w = form.workplace.trim();
    if w == NO_FIXED_WORKPLACE {
        return form
            .county
            .trim()
            .parse::<i64>()
            .map(WorkplaceChoice::Pool)
            .map_err(|_| FieldError { field: Field::County, text: T::ErrCounty });
    }
    w.parse::<i64>().map(WorkplaceChoice::Union).map_err(|_| FieldError { field: Field::Workplace, text: T::ErrWorkplace })
}

pub fn consent(form: &JoinForm) -> bool {
    matches!(form.consent.as_str(), "yes" | "on" | "true")
}

/// A form that passed every rule that needs no database.
#[derive(Debug)]
pub struct ParsedJoin {
    pub name: PersonName,
    pub id_number: IdNumber,
    pub phone: Phone,
    pub code: SmsCode,
    pub plate: Option<PlateNumber>,
    pub workplace: WorkplaceChoice,
}

/// Checks the whole form; every problem is reported at once, in the order of the fields.
pub fn submission(form: &JoinForm, today: Ymd, has_channel: bool) -> Result<ParsedJoin, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut note = |field: Field, r: Result<(), T>| {
        if let Err(text) = r {
            errors.push(FieldError { field, text });
        }
    };
    let n = name(&form.name);
    note(Field::Name, n.as_ref().map(|_| ()).map_err(|e| *e));
    let id = id_number(&form.id_number, today);
    note(Field::IdNumber, id.as_ref().map(|_| ()).map_err(|e| *e));
    let p = phone(&form.phone);
    note(Field::Phone, p.as_ref().map(|_| ()).map_err(|e| *e));
    let c = code(&form.code);
    note(Field::Code, c.as_ref().map(|_| ()).map_err(|e| *e));
    let w = workplace(form, has_channel);
    if let Err(e) = &w {
        errors.push(*e);
    }
    let pl = plate(&form.plate);
    if let Err(t) = &pl {
        errors.push(FieldError { field: Field::Plate, text: *t });
    }
    if !consent(form) {
        errors.push(FieldError { field: Field::Consent, text: T::ErrConsent });
    }
    match (n, id, p, c, w, pl) {
        (Ok(name), Ok(id_number), Ok(phone), Ok(code), Ok(workplace), Ok(plate)) if errors.is_empty() => {
            Ok(ParsedJoin { name, id_number, phone, code, plate, workplace })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Ymd {
        Ymd::new(2026, 11, 28).unwrap()
    }

    fn good() -> JoinForm {
        JoinForm {
            name: "张三".into(),
            id_number: "11010519491231002X".into(),
            phone: "13800138000".into(),
            code: "123456".into(),
            workplace: "5".into(),
            consent: "yes".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_form_parses() {
        let p = submission(&good(), today(), false).unwrap();
        assert_eq!(p.workplace, WorkplaceChoice::Union(5));
        assert_eq!(submission(&good(), today(), true).unwrap().workplace, WorkplaceChoice::Channel);
    }

    #[test]
    fn every_problem_is_reported_on_its_field() {
        let form = JoinForm { name: "张".into(), id_number: "110105194912310021".into(), consent: String::new(), ..good() };
        let errors = submission(&form, today(), false).unwrap_err();
        assert_eq!(
            errors,
            vec![
                FieldError { field: Field::Name, text: T::ErrNameLength },
                FieldError { field: Field::IdNumber, text: T::ErrIdCheck },
                FieldError { field: Field::Consent, text: T::ErrConsent },
            ]
        );
    }

    #[test]
    fn no_fixed_workplace_needs_a_county() {
        let form = JoinForm { workplace: NO_FIXED_WORKPLACE.into(), ..good() };
        assert_eq!(submission(&form, today(), false).unwrap_err()[0].field, Field::County);
        let form = JoinForm { workplace: NO_FIXED_WORKPLACE.into(), county: "3".into(), ..good() };
        assert_eq!(submission(&form, today(), false).unwrap().workplace, WorkplaceChoice::Pool(3));
        let form = JoinForm { workplace: String::new(), ..good() };
        assert_eq!(submission(&form, today(), false).unwrap_err()[0].field, Field::Workplace);
    }
}
