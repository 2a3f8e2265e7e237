//! Every text the user reads, in one dictionary: zh-CN by default, English selectable. Keys are
//! values (`T::…`) so errors can travel from the server to the browser and be worded there.
//! This module owns the languages, the dictionary's shape and `T::fill`; the entries live in
//! `words/`, one list for each part of the site.
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_tag(tag: &str) -> Option<Lang> {
        match tag {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn short(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

macro_rules! dictionary {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum T { $($key),* }
        impl T {
            pub fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((T::$key, Lang::Zh) => $zh, (T::$key, Lang::En) => $en,)*
                }
            }
        }
    };
}

/// Gathers the word lists of `words/` into the one dictionary: each list's macro adds its
/// entries to what it is handed and passes everything on to the next list.
macro_rules! gather {
    ({ $($acc:tt)* }) => { dictionary! { $($acc)* } };
    ({ $($acc:tt)* } $next:ident $($rest:ident)*) => { $next! { { $($acc)* } $($rest)* } };
}

#[macro_use]
mod words;

gather! { {} site_words join_words review_words command_words transfer_words roster_words benefit_words member_words hall_words event_words library_words legal_words }

impl T {
    /// The entry with each `{}` replaced by the next value (a missing value leaves nothing).
    pub fn fill(self, lang: Lang, values: &[&str]) -> String {
        let mut rest = self.get(lang);
        let mut values = values.iter();
        let mut out = String::with_capacity(rest.len() + 16);
        while let Some(at) = rest.find("{}") {
            out.push_str(&rest[..at]);
            out.push_str(values.next().copied().unwrap_or_default());
            rest = &rest[at + 2..];
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_answer() {
        assert_eq!(T::Submit.get(Lang::Zh), "提交申请");
        assert_eq!(T::Submit.get(Lang::En), "Submit application");
        assert_eq!(Lang::from_tag("en"), Some(Lang::En));
    }

    #[test]
    fn fill_puts_values_in_order() {
        assert_eq!(T::LabelValue.fill(Lang::Zh, &["年龄", "30"]), "年龄：30");
        assert_eq!(T::LabelValue.fill(Lang::En, &["Age", "30"]), "Age: 30");
        assert_eq!(T::InParens.fill(Lang::Zh, &["选填"]), "（选填）");
        assert_eq!(T::InParens.fill(Lang::En, &[]), " ()");
        assert_eq!(T::Submit.fill(Lang::Zh, &["unused"]), "提交申请");
    }
}
