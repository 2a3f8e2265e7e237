//! The SQL of picture checks (`captchas`): only the answer's MAC is kept, and only while live.
use crate::server::db::Conn;

/// Stores a new check, clearing away those past their time.
pub async fn insert(conn: &mut Conn, id: &str, answer_mac: &str, ip: &str, now: i64, expires_at: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM captchas WHERE expires_at <= $1").bind(now).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO captchas (id, answer_mac, ip, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(answer_mac)
        .bind(ip)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes a live, unanswered check: its answer MAC, once (it is marked answered here).
pub async fn take(conn: &mut Conn, id: &str, now: i64) -> sqlx::Result<Option<String>> {
    let mac: Option<String> = sqlx::query_scalar("SELECT answer_mac FROM captchas WHERE id = $1 AND solved_at IS NULL AND expires_at > $2")
        .bind(id)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
    if mac.is_some() {
        sqlx::query("UPDATE captchas SET solved_at = $1 WHERE id = $2").bind(now).bind(id).execute(conn).await?;
    }
    Ok(mac)
}
