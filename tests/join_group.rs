//! Joins written together, on SQLite and PostgreSQL: the joins that arrive at the same time go
//! in one transaction (group commit, `server::group`; one statement on PostgreSQL); each must
//! still be judged as if it came alone — mixed posts at once, races across two instances, a busy group with one
//! code piled up behind it, a channel's count; then the group commit itself on a table of its own.
mod common;

use common::join::*;
use common::*;
use ejia::server::config::Limits;
use ejia::server::db::Backend;
use ejia::server::sms::Template;

// 8b — joins posted together. The joins that arrive at the same time are written in one
// transaction (`server::group`); each must still be judged as if it came alone.

/// An app whose one network may ask for many codes (the tests below post from one address).
async fn roomy(backend: Backend) -> TestApp {
    spawn_app_with(backend, Limits { ip_per_hour: 1000, ip_hard_per_hour: 1000, ..Limits::default() }).await
}

/// The application a status link (`/s/<token>`) opens.
async fn application_of_link(app: &TestApp, location: &str) -> i64 {
    let token = location.trim_start_matches("/s/");
    let hash = ejia::join::StatusToken::parse(token).expect("a status link").hash();
    sqlx::query_scalar("SELECT application_id FROM status_tokens WHERE token_hash = $1")
        .bind(hash)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

on_both_with!(joins_posted_together_are_each_judged_on_their_own, roomy, |app: TestApp| async move {
    let union = app.union_id("340300-HY01-LY").await.to_string();
    // Four people who have an open application already.
    for i in 0..4u32 {
        assert_eq!(app.apply(&id_number(20 + i), &format!("1360000{i:04}"), &union).await.status(), 303);
    }
    let (good, wrong, again): (Vec<String>, Vec<String>, Vec<String>) = (
        (0..12).map(|i| format!("1390000{i:04}")).collect(),
        (0..4).map(|i| format!("1370000{i:04}")).collect(),
        (0..4).map(|i| format!("1350000{i:04}")).collect(),
    );
    let mut codes = std::collections::HashMap::new();
    for p in good.iter().chain(&wrong).chain(&again) {
        codes.insert(p.clone(), app.code_for(p).await);
    }
    let mistyped: Vec<String> = wrong.iter().map(|p| format!("{:06}", (codes[p].parse::<u32>().unwrap() + 1) % 1_000_000)).collect();
    let ids: Vec<String> = (0..12).map(id_number).collect();
    let again_ids: Vec<String> = (0..4).map(|i| id_number(20 + i)).collect();
    let keys: Vec<String> = (0..20).map(|i| format!("posted-together-key-{i:04}")).collect();
    let mut forms: Vec<Vec<(&str, &str)>> = Vec::new();
    for i in 0..12 {
        forms.push(join_fields(&ids[i], &good[i], &codes[&good[i]], &union, &keys[i]));
    }
    for i in 0..4 {
        forms.push(join_fields(&ids[i], &wrong[i], &mistyped[i], &union, &keys[12 + i]));
        forms.push(join_fields(&again_ids[i], &again[i], &codes[&again[i]], &union, &keys[16 + i]));
    }
    // Three of the good forms sent twice at once (a double tap).
    for i in 0..3 {
        forms.push(join_fields(&ids[i], &good[i], &codes[&good[i]], &union, &keys[i]));
    }
    let responses = futures_join_all(forms.iter().map(|f| app.post_form("/join", f))).await;
    let mut links = Vec::new();
    for (i, res) in responses.into_iter().enumerate() {
        let status = res.status();
        if status == 303 {
            links.push((i, res.headers()["location"].to_str().unwrap().to_string()));
            continue;
        }
        let html = res.text().await.unwrap();
        match i {
            12..=19 if (i - 12) % 2 == 0 => assert!(html.contains("验证码不正确"), "post {i}: a mistyped code is judged wrong"),
            12..=19 => assert!(html.contains("已有申请"), "post {i}: the person is told an application exists"),
            _ => panic!("post {i} answered {status}"),
        }
    }
    assert_eq!(links.len(), 15, "twelve good posts and their three twins are received");
    let mut made = std::collections::HashMap::new();
    for (i, location) in &links {
        // Posts 20, 21 and 22 are the twins of posts 0, 1 and 2.
        let first = if *i >= 20 { i - 20 } else { *i };
        made.entry(first).or_insert_with(Vec::new).push(application_of_link(&app, location).await);
    }
    let mut distinct: Vec<i64> = made.values().flatten().copied().collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 12, "twelve applications: {made:?}");
    assert!(made.values().all(|apps| apps.iter().all(|a| *a == apps[0])), "a twin opens its first post's application: {made:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 16);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sms_codes WHERE wrong_tries = 1 AND used_at IS NULL AND phone LIKE '1370000%'").await,
        4,
        "each mistyped code counts one wrong try and stays usable"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sms_codes WHERE purpose = 'join' AND used_at IS NULL").await, 4, "every other code spent");
    app.deliver().await;
    for p in &good {
        assert_eq!(app.sms.messages(p, Template::Received).len(), 1, "one receipt to {p}");
    }
    for i in 0..4u32 {
        assert_eq!(app.sms.messages(&format!("1360000{i:04}"), Template::StatusLinkAgain).len(), 1, "the link again to the phone on file");
    }
    let (statements, written) = app.state.joins.counts();
    println!("{written} joins written in {statements} statements");
    assert_eq!(written, 16, "every join that keeps the rules is written by a group statement");
    assert!(statements < written, "joins posted at once share statements: {written} in {statements}");
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(text.contains(&format!("ejia_join_group_rows_total {written}")), "{text}");
    assert!(text.contains(&format!("ejia_join_group_statements_total {statements}")), "{text}");
});

/// Posts `forms` at the same time, alternately to `a` and `b`.
async fn post_to_both(a: &TestApp, b: &TestApp, forms: &[Vec<(&str, &str)>]) -> Vec<reqwest::Response> {
    futures_join_all(forms.iter().enumerate().map(|(i, f)| if i % 2 == 0 { a.post_form("/join", f) } else { b.post_form("/join", f) }))
        .await
}

on_both_with!(joins_raced_across_two_instances_make_one_application_each, roomy, |a: TestApp| async move {
    let b = spawn_second_instance(&a).await;
    let union = a.union_id("340300-HY01-LY").await.to_string();
    // One code posted for twenty people, half to each instance.
    let code = a.code_for("13800138000").await;
    let ids: Vec<String> = (0..20).map(id_number).collect();
    let keys: Vec<String> = (0..20).map(|i| format!("two-instances-code-{i:04}")).collect();
    let forms: Vec<_> = (0..20).map(|i| join_fields(&ids[i], "13800138000", &code, &union, &keys[i])).collect();
    let created = post_to_both(&a, &b, &forms).await.iter().filter(|r| r.status() == 303).count();
    assert_eq!((created, a.count("SELECT COUNT(*) FROM applications").await), (1, 1), "one code, one application");
    // One person from ten phones, half to each instance.
    let ten = TenPhones::new(&a, 25, "two-instances-person").await;
    let forms = ten.forms(&union);
    let created = post_to_both(&a, &b, &forms).await.iter().filter(|r| r.status() == 303).count();
    assert_eq!(created, 1, "one person, one application");
    assert_eq!(a.count("SELECT COUNT(*) FROM applications").await, 2);
    assert_eq!(a.count("SELECT COUNT(*) FROM sms_codes WHERE purpose = 'join' AND used_at IS NULL").await, 0, "every code spent");
});

/// Posts a join form to `path` from a task of its own (it goes on while the test holds a lock).
fn post_in_background(app: &TestApp, path: &str, form: Vec<(&str, &str)>) -> tokio::task::JoinHandle<reqwest::StatusCode> {
    let (http, url, origin) = (app.http.clone(), format!("{}{path}", app.base), app.base.clone());
    let form: Vec<(String, String)> = form.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    tokio::spawn(async move { http.post(url).header("origin", origin).form(&form).send().await.unwrap().status() })
}

/// Both of an app's group statements held waiting (PostgreSQL): two joins posted one after the
/// other, each its own statement, wait on their code rows, which a transaction of the test's
/// holds locked; posts made meanwhile pile up and go together when `release` lets them on.
struct BusyGroup {
    lock: sqlx::Transaction<'static, sqlx::Any>,
    held: Vec<tokio::task::JoinHandle<reqwest::StatusCode>>,
}

impl BusyGroup {
    async fn new(app: &TestApp, union: &str) -> BusyGroup {
        let fillers = ["13600000001", "13600000002"];
        let mut codes = Vec::new();
        for p in fillers {
            codes.push(app.code_for(p).await);
        }
        let mut lock = app.state.db.pool.begin().await.unwrap();
        sqlx::query("SELECT id FROM sms_codes WHERE phone IN ($1, $2) FOR UPDATE")
            .bind(fillers[0])
            .bind(fillers[1])
            .fetch_all(&mut *lock)
            .await
            .unwrap();
        let blocked =
            "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()";
        let mut held = Vec::new();
        for i in 0..2 {
            let (id, key) = (id_number(26 + i as u32), format!("busy-group-held-{i}"));
            held.push(post_in_background(app, "/join", join_fields(&id, fillers[i], &codes[i], union, &key)));
            let waited = std::time::Instant::now();
            while app.count(blocked).await < i as i64 + 1 {
                assert!(waited.elapsed() < std::time::Duration::from_secs(10), "the held post's statement waits on its code");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
        BusyGroup { lock, held }
    }

    /// After the posts made meanwhile have had time to reach the group: lets everything on.
    async fn release(self) {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        self.lock.commit().await.unwrap();
        for h in self.held {
            assert_eq!(h.await.unwrap(), 303, "the held posts go through");
        }
    }
}

/// The statuses of posts made from tasks of their own.
async fn statuses(posts: Vec<tokio::task::JoinHandle<reqwest::StatusCode>>) -> Vec<u16> {
    let mut out = Vec::new();
    for p in posts {
        out.push(p.await.unwrap().as_u16());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_one_code_posted_while_the_group_is_busy_makes_one_application() {
    // Twenty posts of one code are all waiting when the next statement is put together: it
    // must still never hold two of them.
    let app = roomy(Backend::Postgres).await;
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let code = app.code_for("13800138000").await;
    let busy = BusyGroup::new(&app, &union).await;
    let (ids, keys): (Vec<String>, Vec<String>) =
        ((0..20).map(id_number).collect(), (0..20).map(|i| format!("busy-group-{i:04}")).collect());
    let posts = (0..20).map(|i| post_in_background(&app, "/join", join_fields(&ids[i], "13800138000", &code, &union, &keys[i]))).collect();
    busy.release().await;
    let statuses = statuses(posts).await;
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "one of twenty posts of one code is received: {statuses:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications WHERE phone = '13800138000'").await, 1, "one code, one application");
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_channel_counts_every_join_of_a_group() {
    let app = roomy(Backend::Postgres).await;
    let union = app.union_id("340300-HY01-LY").await.to_string();
    let phones: Vec<String> = (0..6).map(|i| format!("1390000{i:04}")).collect();
    let mut codes = Vec::new();
    for p in &phones {
        codes.push(app.code_for(p).await);
    }
    let busy = BusyGroup::new(&app, &union).await;
    let ids: Vec<String> = (0..6).map(id_number).collect();
    let posts = (0..6)
        .map(|i| {
            let form = vec![
                ("name", "张三"),
                ("id_number", &ids[i]),
                ("phone", &phones[i]),
                ("code", &codes[i]),
                ("consent", "yes"),
                ("intent", "submit"),
            ];
            post_in_background(&app, "/j/LY2608", form)
        })
        .collect();
    busy.release().await;
    assert_eq!(statuses(posts).await, [303; 6]);
    let (statements, written) = app.state.joins.counts();
    assert_eq!((statements, written), (3, 8), "the two held joins, then the six of the channel in one statement");
    let (_, completed) = ejia::channel::repo::counts(&app.state.db.pool, "LY2608").await.unwrap().unwrap();
    assert_eq!(completed, 6, "each of the six is counted");
}

// 8c — the group commit itself, on a table of its own (PostgreSQL's statement for many rows,
// then SQLite's transaction of one script a row).

/// A PostgreSQL database with a table `t (k TEXT PRIMARY KEY, n BIGINT, txid BIGINT)`, and a
/// group whose statement writes rows `{"k": …, "n": …}` once the gate is open (`Gate`),
/// failing when an `n` is negative.
async fn scratch_group() -> (ejia::server::db::Db, ejia::server::group::Group, TempDir) {
    let tmp = TempDir(std::env::temp_dir().join(format!("ejia-group-{}", ejia::server::crypto::random_token())));
    std::fs::create_dir_all(&tmp.0).unwrap();
    let url = fresh_database(Backend::Postgres, &tmp.0).await;
    let db = ejia::server::db::Db::connect(&url, 8).await.unwrap();
    sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT NOT NULL, txid BIGINT NOT NULL)").execute(&db.pool).await.unwrap();
    let sql = "WITH r AS (SELECT * FROM json_to_recordset(CAST($1 AS json)) AS x(k text, n bigint)),
         gate AS (SELECT pg_advisory_xact_lock_shared(4242)),
         w AS (INSERT INTO t (k, n, txid)
               SELECT r.k, CAST(CASE WHEN r.n < 0 THEN 'not a number' ELSE CAST(r.n AS text) END AS BIGINT), txid_current()
               FROM r, gate ON CONFLICT DO NOTHING RETURNING k, n)
         SELECT k, n FROM w";
    let group = ejia::server::group::Group::new(db.clone(), ejia::server::group::Sql::AllRows(sql.to_string()));
    (db, group, tmp)
}

/// The scratch group's gate, held shut by a transaction of the test's until `open`.
struct Gate(sqlx::Transaction<'static, sqlx::Any>, ejia::server::db::Db);

impl Gate {
    async fn shut(db: &ejia::server::db::Db) -> Gate {
        let mut tx = db.pool.begin().await.unwrap();
        sqlx::query("SELECT pg_advisory_xact_lock(4242)").execute(&mut *tx).await.unwrap();
        Gate(tx, db.clone())
    }

    /// Waits until `n` statements wait at the gate.
    async fn until_waiting(&self, n: i64) {
        let waited = std::time::Instant::now();
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
            )
            .fetch_one(&self.1.pool)
            .await
            .unwrap();
            if waiting >= n {
                return;
            }
            assert!(waited.elapsed() < std::time::Duration::from_secs(10), "{n} statements wait at the gate");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    async fn open(self) {
        self.0.commit().await.unwrap();
    }
}

fn entry(k: &str, n: i64, exclusive: &str) -> ejia::server::group::Entry {
    ejia::server::group::Entry { key: k.into(), exclusive: vec![exclusive.into()], row: serde_json::json!({ "k": k, "n": n }), after: None }
}

/// Writes an entry from a task of its own.
fn write_in_background(group: &ejia::server::group::Group, e: ejia::server::group::Entry) -> tokio::task::JoinHandle<Option<Vec<i64>>> {
    let group = group.clone();
    tokio::spawn(async move { group.write(e).await })
}

/// Writes `entries` from tasks of their own while both of the group's statements wait at the
/// shut gate (one held row each), so that they gather; then opens the gate. Their outcomes.
async fn behind_a_busy_group(
    db: &ejia::server::db::Db,
    group: &ejia::server::group::Group,
    entries: Vec<ejia::server::group::Entry>,
) -> Vec<Option<Vec<i64>>> {
    let gate = Gate::shut(db).await;
    let mut held = Vec::new();
    for i in 0..2 {
        held.push(write_in_background(group, entry(&format!("held-{i}"), 1000 + i, &format!("held-{i}"))));
        gate.until_waiting(i + 1).await;
    }
    let writes: Vec<_> = entries.into_iter().map(|e| write_in_background(group, e)).collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    gate.open().await;
    for h in held {
        assert!(h.await.unwrap().is_some(), "the held rows are written");
    }
    let mut out = Vec::new();
    for w in writes {
        out.push(w.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_group_writes_rows_together_but_never_two_that_share_a_value() {
    let (db, group, _tmp) = scratch_group().await;
    // Rows i and i + 30 share a value.
    let entries = (0..60).map(|i| entry(&format!("row-{i}"), i, &format!("shared-{}", i % 30))).collect();
    for (i, written) in behind_a_busy_group(&db, &group, entries).await.into_iter().enumerate() {
        assert_eq!(written, Some(vec![i as i64]), "row {i} is written and its ids come back");
    }
    let (statements, written) = group.counts();
    println!("62 rows in {statements} statements");
    assert_eq!(written, 62);
    assert_eq!(statements, 4, "the two held rows, then the sixty in two statements (a shared value waits for the next)");
    let shared: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM t a JOIN t b ON a.txid = b.txid AND a.n + 30 = b.n")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(shared, 0, "two rows sharing a value never went in one statement");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_group_statement_that_fails_writes_nothing_and_the_group_goes_on() {
    let (db, group, _tmp) = scratch_group().await;
    // Three rows, one of them bad: their statement fails.
    let entries = vec![entry("good", 2, "b"), entry("bad", -1, "c"), entry("also-good", 3, "d")];
    for written in behind_a_busy_group(&db, &group, entries).await {
        assert_eq!(written, None, "a failed statement reports none of its rows written");
    }
    assert_eq!(group.counts(), (3, 2));
    let keys: Vec<String> = sqlx::query_scalar("SELECT k FROM t ORDER BY k").fetch_all(&db.pool).await.unwrap();
    assert_eq!(keys, ["held-0", "held-1"], "nothing of the failed statement is kept");
    // The group goes on: the good rows are written next time.
    let again = futures_join_all([entry("good", 2, "b"), entry("also-good", 3, "d")].map(|e| group.write(e))).await;
    assert_eq!(again, [Some(vec![2]), Some(vec![3])]);
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_group_row_of_a_caller_that_stopped_waiting_is_written_and_its_follow_up_runs() {
    let (db, group, _tmp) = scratch_group().await;
    let gate = Gate::shut(&db).await;
    let (tx, rx) = std::sync::mpsc::channel();
    let mut e = entry("abandoned", 7, "a");
    e.after = Some(Box::new(move |ids: &[i64]| tx.send(ids.to_vec()).unwrap()));
    // The caller gives up while its statement waits (a client gone).
    let gave_up = tokio::time::timeout(std::time::Duration::from_millis(100), group.write(e)).await;
    assert!(gave_up.is_err());
    gate.open().await;
    let ids = tokio::task::spawn_blocking(move || rx.recv_timeout(std::time::Duration::from_secs(10))).await.unwrap();
    assert_eq!(ids.unwrap(), [7], "the follow-up ran after the commit");
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT n FROM t").fetch_one(&db.pool).await.unwrap(), 7);
    db.close().await;
}

/// A SQLite database with a table `t (k TEXT PRIMARY KEY, n INTEGER NOT NULL CHECK (n >= 0))`,
/// and a group whose script writes a row `{"k": …, "n": …}`: the rows waiting go one after
/// another in one transaction on the writer.
async fn sqlite_scratch_group() -> (ejia::server::db::Db, ejia::server::group::Group, TempDir) {
    let tmp = TempDir(std::env::temp_dir().join(format!("ejia-group-{}", ejia::server::crypto::random_token())));
    std::fs::create_dir_all(&tmp.0).unwrap();
    let url = fresh_database(Backend::Sqlite, &tmp.0).await;
    let db = ejia::server::db::Db::connect(&url, 8).await.unwrap();
    let mut tx = db.begin_write().await.unwrap();
    sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL CHECK (n >= 0))").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let script = "INSERT INTO t (k, n) SELECT json_extract($1, '$.k'), json_extract($1, '$.n') WHERE TRUE ON CONFLICT DO NOTHING;
         SELECT k, n FROM t WHERE k = json_extract($1, '$.k') AND changes() = 1";
    let group = ejia::server::group::Group::new(db.clone(), ejia::server::group::Sql::EachRow(script.to_string()));
    (db, group, tmp)
}

/// Writes `entries` from tasks of their own while the write gate is held and one row (`held`)
/// waits for it, so that they gather behind it; then lets the writer go. The held row's outcome
/// and theirs.
async fn behind_a_held_writer(
    db: &ejia::server::db::Db,
    group: &ejia::server::group::Group,
    held: ejia::server::group::Entry,
    entries: Vec<ejia::server::group::Entry>,
) -> (Option<Vec<i64>>, Vec<Option<Vec<i64>>>) {
    let writer = db.begin_write().await.unwrap();
    let held = write_in_background(group, held);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let writes: Vec<_> = entries.into_iter().map(|e| write_in_background(group, e)).collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    drop(writer);
    let held = held.await.unwrap();
    let mut out = Vec::new();
    for w in writes {
        out.push(w.await.unwrap());
    }
    (held, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_group_writes_the_waiting_rows_in_one_transaction_and_a_failing_row_undoes_them_all() {
    let (db, group, _tmp) = sqlite_scratch_group().await;
    let entries = (0..5).map(|i| entry(&format!("row-{i}"), 10 + i, &format!("row-{i}"))).collect();
    let (held, written) = behind_a_held_writer(&db, &group, entry("first", 1, "first"), entries).await;
    assert_eq!(held, Some(vec![1]));
    for (i, w) in written.into_iter().enumerate() {
        assert_eq!(w, Some(vec![10 + i as i64]), "row {i} is written and its ids come back");
    }
    assert_eq!(group.counts(), (2, 6), "the first row alone, then the five that waited, together");

    // One bad row among three: their transaction is rolled back whole.
    let entries = vec![entry("good", 2, "g"), entry("bad", -1, "b"), entry("also-good", 3, "a")];
    let (held, written) = behind_a_held_writer(&db, &group, entry("held", 4, "held"), entries).await;
    assert_eq!(held, Some(vec![4]));
    assert_eq!(written, [None, None, None], "a failed transaction reports none of its rows written");
    assert_eq!(group.counts(), (4, 7));
    let keys: Vec<String> = sqlx::query_scalar("SELECT k FROM t ORDER BY k").fetch_all(&db.pool).await.unwrap();
    assert_eq!(keys, ["first", "held", "row-0", "row-1", "row-2", "row-3", "row-4"], "nothing of the failed transaction is kept");
    // The writer is free and the group goes on: the good rows are written next time.
    let again = futures_join_all([entry("good", 2, "g"), entry("also-good", 3, "a")].map(|e| group.write(e))).await;
    assert_eq!(again, [Some(vec![2]), Some(vec![3])]);
    db.close().await;
}
