//! Two instances on one PostgreSQL database behind nginx, started by `scripts/two-instances.sh`
//! as an operator would: a driver's join and a reviewer's decision go through the proxy while
//! one instance is killed (-9) and started again; the instances see the client nginx saw, not
//! what the client wrote in X-Forwarded-For.
mod common;

use common::process::{free_port, join, join_from, phone, sms_lines, Outcome};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Two {
    dir: PathBuf,
    env: Vec<(String, String)>,
    base: String,
}

impl Two {
    fn script(&self, args: &[&str]) {
        let out = Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/two-instances.sh"))
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "two-instances.sh {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn pid(&self, instance: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{instance}.pid"))).unwrap().trim().to_string()
    }
}

impl Drop for Two {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/two-instances.sh"))
            .arg("stop")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn fresh_pg_database() -> String {
    use sqlx::Connection;
    let admin = common::pg_admin_url();
    let name = format!("ejia_t_{}", ejia::server::crypto::random_token().to_lowercase().replace(['-', '_'], ""));
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL on 127.0.0.1:5432");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn join_and_decision_through_nginx_while_an_instance_is_killed_and_restarted() {
    let dir = std::env::temp_dir().join(format!("ejia-two-{}", ejia::server::crypto::random_token()));
    std::fs::create_dir_all(&dir).unwrap();
    let database_url = fresh_pg_database().await;
    let (port, a, b) = (free_port(), free_port(), free_port());
    let two = Two {
        dir: dir.clone(),
        env: vec![
            ("EJIA_TWO_DIR".into(), dir.display().to_string()),
            ("EJIA_TWO_PORT".into(), port.to_string()),
            ("EJIA_TWO_PORTS".into(), format!("{a} {b}")),
            ("EJIA_BIN".into(), env!("CARGO_BIN_EXE_ejia").into()),
            ("DATABASE_URL".into(), database_url.clone()),
            ("EJIA_LIMIT_IP_HOUR".into(), "100000".into()),
        ],
        base: format!("http://127.0.0.1:{port}"),
    };
    two.script(&["start"]);

    // The reviewer, made as an operator would, on the shared database and key.
    let key = std::fs::read_to_string(dir.join("data_key")).unwrap().trim().to_string();
    let mut add = Command::new(env!("CARGO_BIN_EXE_ejia"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["admin", "add", "340300", "city_admin,manager,reviewer", "city"])
        .env("DATABASE_URL", &database_url)
        .env("EJIA_DATA_KEY", &key)
        .env("EJIA_DATA_DIR", dir.join("data"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    add.stdin.take().unwrap().write_all(b"a long password for the city\n").unwrap();
    assert!(add.wait().unwrap().success());

    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(20)).build().unwrap();
    let pool = {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&database_url).await.unwrap()
    };
    let workplace: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE code = '340300-HY01-LY'").fetch_one(&pool).await.unwrap();
    let workplace = workplace.to_string();
    let sms_dir = dir.clone();

    // A driver joins through the proxy, writing a false address in X-Forwarded-For.
    let res = http
        .post(format!("{}/join", two.base))
        .header("origin", &two.base)
        .header("x-forwarded-for", "198.51.100.66")
        .form(&[("phone", phone(500).as_str()), ("intent", "send_code")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"), "nginx's request id comes back");
    let lie = Some("198.51.100.66");
    let Outcome::Acknowledged(first_status) =
        join_from(&http, &two.base, &sms_dir, 501, &workplace, &ejia::server::crypto::random_token(), lie).await
    else {
        panic!("the first join through nginx")
    };
    let ip: String = sqlx::query_scalar("SELECT consent_ip FROM applications ORDER BY id LIMIT 1").fetch_one(&pool).await.unwrap();
    assert!(ip.starts_with("127.0.0."), "the instance records the client nginx saw: {ip}");

    // Instance a dies; joins and the decision go on through b.
    two.script(&["kill", "a"]);
    let killed = Instant::now();
    let mut during = 0;
    for n in 502..512 {
        match join(&http, &two.base, &sms_dir, n, &workplace, &ejia::server::crypto::random_token()).await {
            Outcome::Acknowledged(_) => during += 1,
            Outcome::Lost => panic!("driver {n} lost while one instance was down"),
        }
    }
    let login = http
        .post(format!("{}/admin/login", two.base))
        .header("origin", &two.base)
        .form(&[("username", "city"), ("password", "a long password for the city"), ("next", "/admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303, "the reviewer signs in through the proxy");
    let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let first: i64 = sqlx::query_scalar("SELECT id FROM applications ORDER BY id LIMIT 1").fetch_one(&pool).await.unwrap();
    let decide = |id: i64| {
        http.post(format!("{}/admin/a/{id}/decide", two.base))
            .header("origin", &two.base)
            .header("cookie", &cookie)
            .form(&[("action", "approve")])
            .send()
    };
    assert_eq!(decide(first).await.unwrap().status(), 303, "a decision while a is down");
    let served_alone = killed.elapsed();

    // a comes back; both serve again.
    two.script(&["start", "a"]);
    assert_eq!(http.get(format!("http://127.0.0.1:{a}/readyz")).send().await.unwrap().status(), 200);
    let Outcome::Acknowledged(_) = join(&http, &two.base, &sms_dir, 512, &workplace, &ejia::server::crypto::random_token()).await else {
        panic!("a join after the restart")
    };
    let last: i64 = sqlx::query_scalar("SELECT MAX(id) FROM applications").fetch_one(&pool).await.unwrap();
    for _ in 0..4 {
        // Several requests, so both instances take some.
        assert_eq!(http.get(format!("{}{first_status}", two.base)).send().await.unwrap().status(), 200);
    }
    assert_eq!(decide(last).await.unwrap().status(), 303, "a decision after the restart");
    let approved: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM applications WHERE status = 'approved'").fetch_one(&pool).await.unwrap();
    assert_eq!(approved, 2);
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM applications").fetch_one(&pool).await.unwrap();
    assert_eq!(total, 12);
    let distinct: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT id_blind) FROM applications").fetch_one(&pool).await.unwrap();
    assert_eq!(distinct, 12, "no join twice");
    // Every receipt once (the approvals' SMS wait out their undo window).
    let deadline = Instant::now();
    loop {
        let receipts = sms_lines(&sms_dir).iter().filter(|l| l.1 == "received").count();
        if receipts == 12 {
            break;
        }
        assert!(receipts < 12, "a receipt twice");
        assert!(deadline.elapsed() < Duration::from_secs(90), "{receipts} of 12 receipts");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_ne!(two.pid("a"), "", "a runs again");
    println!(
        "through nginx: 12 joins and 2 decisions; {during} joins and 1 decision in the {} ms instance a was down; 12 receipts once",
        served_alone.as_millis()
    );
    pool.close().await;
}
