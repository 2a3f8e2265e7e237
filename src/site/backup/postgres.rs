//! PostgreSQL's own tools for a backup: `pg_dump --format=custom` inside a snapshot exported
//! by our connection (so the rows we count are the rows it dumps) and `pg_restore --no-owner`
//! in one transaction. The database URL reaches them without its password — that goes in a
//! private password file for the length of the run — so no password shows in `ps`, in the
//! environment of a child process, or in a message.
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A connection for the PostgreSQL tools: the URL without its password, and the password
/// in a password file that is removed when this is dropped.
pub struct PgTarget {
    url: String,
    passfile: Option<PathBuf>,
}

impl PgTarget {
    pub fn new(database_url: &str) -> anyhow::Result<PgTarget> {
        let mut url = url::Url::parse(database_url)
            .with_context(|| format!("DATABASE_URL ({}) is not a URL", crate::server::db::redact(database_url)))?;
        let password = url.password().map(percent_decode).transpose()?;
        let _ = url.set_password(None);
        // sqlx's own settings mean nothing to libpq, which refuses what it does not know.
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !matches!(k.as_ref(), "statement-cache-capacity" | "ssl-mode" | "ssl-root-cert"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.set_query(None);
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept);
        }
        let passfile = match password {
            None => None,
            Some(p) => Some(write_passfile(&p)?),
        };
        Ok(PgTarget { url: url.to_string(), passfile })
    }

    /// A PostgreSQL tool set to this database, never prompting for a password.
    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.arg(format!("--dbname={}", self.url)).arg("--no-password");
        if let Some(p) = &self.passfile {
            c.env("PGPASSFILE", p);
        }
        c
    }

    /// `pg_dump --format=custom` of the snapshot `snapshot` (from `pg_export_snapshot()`) into
    /// the new file `out`.
    pub async fn dump(&self, snapshot: &str, out: &Path) -> anyhow::Result<()> {
        let mut c = self.command("pg_dump");
        c.arg("--format=custom").arg(format!("--snapshot={snapshot}")).arg(format!("--file={}", out.display()));
        run(c, "pg_dump").await
    }

    /// `pg_restore` of the custom-format dump `dump` into an empty database, in one
    /// transaction that stops at the first error (so a failed restore leaves it as it was).
    /// Owners and grants are the target's own: the restoring role owns what it makes.
    pub async fn restore(&self, dump: &Path) -> anyhow::Result<()> {
        let mut c = self.command("pg_restore");
        c.args(["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]).arg(dump);
        run(c, "pg_restore").await
    }
}

impl Drop for PgTarget {
    fn drop(&mut self) {
        if let Some(p) = &self.passfile {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Runs a tool to its end off the async threads; its complaint, if it fails.
async fn run(mut c: Command, name: &str) -> anyhow::Result<()> {
    let name = name.to_string();
    let out = tokio::task::spawn_blocking(move || c.output())
        .await?
        .with_context(|| format!("running {name} (the PostgreSQL client tools must be installed and on PATH)"))?;
    if !out.status.success() {
        bail!("{name} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// A password file (`*:*:*:*:password`, owner-only, as libpq requires) in the temp folder.
fn write_passfile(password: &str) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    let path = std::env::temp_dir().join(format!("ejia-pgpass-{}", crate::server::crypto::random_token()));
    let escaped = password.replace('\\', "\\\\").replace(':', "\\:");
    let mut f = super::archive::create_private(&path).context("writing a password file for the PostgreSQL tools")?;
    f.write_all(format!("*:*:*:*:{escaped}\n").as_bytes())?;
    Ok(path)
}

/// `%XX` sequences to bytes, as URLs carry a password with reserved characters.
fn percent_decode(s: &str) -> anyhow::Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).context("the password in DATABASE_URL is not UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_a_private_file() {
        let t = PgTarget::new("postgres://ejia:s%3Acr%40t\\x@db.example:5433/ejia?sslmode=require&statement-cache-capacity=10").unwrap();
        assert_eq!(t.url, "postgres://ejia@db.example:5433/ejia?sslmode=require");
        let file = t.passfile.clone().unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "*:*:*:*:s\\:cr@t\\\\x\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let c = t.command("pg_dump");
        let args: Vec<String> = c.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert!(args.iter().all(|a| !a.contains("cr@t") && !a.contains("s%3A")), "{args:?}");
        drop(t);
        assert!(!file.exists(), "the password file goes with the run");

        let t = PgTarget::new("postgres://postgres@127.0.0.1:5432/test").unwrap();
        assert!(t.passfile.is_none());
        assert_eq!(percent_decode("a%2").unwrap(), "a%2");
    }
}
