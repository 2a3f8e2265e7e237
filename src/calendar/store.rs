//! Where the calendar lives at run time: the admin's settings in the database (overrides,
//! office hours, years marked published) and the current `Calendar` behind a lock that a panic
//! cannot poison — readers take a cheap snapshot (`Arc`), a reload swaps in a new one.
use super::{Calendar, OfficeHours};
use crate::domain::Ymd;
use crate::server::db::Conn;
use sqlx::AnyPool;
use std::sync::{Arc, PoisonError, RwLock};

/// The current calendar, shared by every request and worker of an instance.
pub struct CalendarCell(RwLock<Arc<Calendar>>);

impl CalendarCell {
    pub fn new(cal: Calendar) -> CalendarCell {
        CalendarCell(RwLock::new(Arc::new(cal)))
    }

    /// A snapshot; never fails, even after a panic elsewhere while the lock was held (the value
    /// behind it is only ever replaced whole, so it cannot be seen half-changed).
    pub fn get(&self) -> Arc<Calendar> {
        self.0.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn set(&self, cal: Calendar) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(cal);
    }
}

/// An admin's override of one day.
pub struct Override {
    pub day: String,
    pub is_off_day: bool,
    pub note: String,
}

pub async fn overrides(pool: &AnyPool) -> sqlx::Result<Vec<Override>> {
    let rows: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT day, is_off_day, note FROM calendar_overrides ORDER BY day").fetch_all(pool).await?;
    Ok(rows.into_iter().map(|(day, off, note)| Override { day, is_off_day: off != 0, note }).collect())
}

async fn setting(pool: &AnyPool, key: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(pool).await
}

async fn put_setting(conn: &mut Conn, key: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM settings WHERE key = $1").bind(key).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)").bind(key).bind(value).execute(conn).await?;
    Ok(())
}

/// The calendar as configured: the shipped schedules, the office hours (the setting, else the
/// configured default), the years an admin marked published, and the overrides.
pub async fn load(pool: &AnyPool, default_hours: OfficeHours) -> sqlx::Result<Calendar> {
    let hours = setting(pool, "office_hours").await?.and_then(|h| OfficeHours::parse(&h)).unwrap_or(default_hours);
    let mut cal = Calendar::shipped(hours);
    let published = setting(pool, "published_years").await?;
    for year in published.iter().flat_map(|p| p.split(',')).filter_map(|y| y.trim().parse::<i32>().ok()) {
        cal.mark_published(year);
    }
    for o in overrides(pool).await? {
        if let Some(d) = Ymd::parse(&o.day) {
            cal.set_override(d, o.is_off_day);
        }
    }
    Ok(cal)
}

pub async fn set_office_hours(conn: &mut Conn, hours: OfficeHours) -> sqlx::Result<()> {
    put_setting(conn, "office_hours", &hours.to_string()).await
}

pub async fn set_override(conn: &mut Conn, day: Ymd, is_off_day: bool, note: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM calendar_overrides WHERE day = $1").bind(day.to_string()).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO calendar_overrides (day, is_off_day, note, created_at) VALUES ($1, $2, $3, $4)")
        .bind(day.to_string())
        .bind(is_off_day as i64)
        .bind(note)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn remove_override(conn: &mut Conn, day: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM calendar_overrides WHERE day = $1").bind(day).execute(conn).await.map(|_| ())
}

pub async fn mark_published(conn: &mut Conn, year: i32) -> sqlx::Result<()> {
    let current: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'published_years'").fetch_optional(&mut *conn).await?;
    let mut years: Vec<String> = current.iter().flat_map(|c| c.split(',')).map(str::to_string).filter(|y| !y.is_empty()).collect();
    years.push(year.to_string());
    years.sort();
    years.dedup();
    put_setting(conn, "published_years", &years.join(",")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_while_the_lock_is_held_poisons_nothing() {
        let cell = Arc::new(CalendarCell::new(Calendar::shipped(OfficeHours::default())));
        let c = cell.clone();
        let _ = std::thread::spawn(move || {
            let _held = c.0.write().unwrap();
            panic!("a bug while holding the calendar");
        })
        .join();
        assert!(cell.0.is_poisoned(), "the panic did poison the std lock");
        let due = cell.get().deadline(1_764_036_000).due_at;
        assert!(due > 1_764_036_000);
        cell.set(Calendar::shipped(OfficeHours::default()));
        assert_eq!(cell.get().deadline(1_764_036_000).due_at, due);
    }
}
