//! Parsed domain values shared by the browser and the server: each is parsed once, from what a
//! person typed, and carries its rules. The same parsers give instant feedback in WASM and the
//! final word on the server.
pub mod date;
pub mod id_number;
pub mod name;
pub mod normalize;
pub mod phone;
pub mod plate;
pub mod sms_code;

pub use date::Ymd;
pub use id_number::{IdError, IdNumber, Sex};
pub use name::{NameError, PersonName};
pub use phone::{Phone, PhoneError};
pub use plate::{PlateError, PlateNumber};
pub use sms_code::{CodeError, SmsCode};
