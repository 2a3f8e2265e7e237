//! Keys rotation, on SQLite and PostgreSQL: a bad or reused key refused at start with what was
//! expected; every sealed value of every area (applications, outbox parameters, service
//! requests' answers and files, import batches, the kept audit keys) brought to a new key of
//! the other suite — XChaCha20-Poly1305 to SM4-GCM on the default run — in limited batches,
//! then resumed; duplicate checks and searches working before, during and after; the old key
//! removed and everything still opening, the audit chain still verifying; a value changed
//! between rotation's read and write left as the writer made it; a member erased while rotation
//! runs staying erased; and a tripwire on the source for a sealed value rotation does not know.
mod common;
#[path = "keys/data.rs"]
mod data;

use common::*;
use data::*;
use ejia::server::crypto::alg::Alg;
use ejia::server::crypto::{entry, Keyring};
use ejia::site::keys;

on_both_databases!(a_bad_or_reused_key_is_refused_at_start, |app: TestApp| async move {
    let fail = |r: anyhow::Result<ejia::server::state::AppState>| match r {
        Ok(_) => panic!("started"),
        Err(e) => format!("{e:#}"),
    };
    let sm4 = entry::generate(2, Alg::Sm4);
    let b64 = sm4.rsplit(':').next().unwrap();
    let unknown = fail(start_with_key(&app, &format!("2:sm5:{b64},{}", old_key(&app))).await);
    assert!(unknown.contains("EJIA_DATA_KEY") && unknown.contains("sm5") && unknown.contains("id:sm4:base64"), "{unknown}");
    assert!(!unknown.contains(b64), "the key itself is never printed");
    let cut = fail(start_with_key(&app, &format!("2:sm4:{},{}", &b64[..10], old_key(&app))).await);
    assert!(cut.contains("EJIA_DATA_KEY") && cut.contains("expected 16 bytes"), "{cut}");
    // Key 1 again, but another key (of either suite): a reused id would open nothing it sealed.
    for other in [entry::generate(1, Alg::Sm4), entry::generate(1, Alg::XChaCha)] {
        let reused = fail(start_with_key(&app, &other).await);
        assert!(reused.contains("EJIA_DATA_KEY") && reused.contains("never reused"), "{reused}");
    }
    // Key 1 retired before its values were moved: refused, naming what to do.
    let early = fail(start_with_key(&app, &entry::generate(2, Alg::Sm4)).await);
    assert!(early.contains("key 1") && early.contains("ejia keys rotate"), "{early}");
    // The right ring starts.
    start_with_key(&app, &format!("{sm4},{}", old_key(&app))).await.expect("a new first key and the old one");
});

on_both_databases!(rotation_moves_every_sealed_value_and_the_old_key_can_go, |app: TestApp| async move {
    assert_eq!(app.state.keys.ids(), vec![(1, test_key_alg())], "the harness's suite (EJIA_TEST_KEY_ALG)");
    let seeded = seed(&app).await;
    // A code asked for under key 1, to be used after the switch.
    app.clock.advance(61);
    let early_code = app.code_for("13900003006").await;
    assert!(left_under_other_keys(&app, 1).await.is_empty(), "all under key 1 to begin with");
    let new = entry::generate(2, other_alg());
    let app2 = restart_with_key(&app, &format!("{new},{}", old_key(&app))).await;
    let before = keys::status(&app2.state).await.unwrap();
    assert!(before.held_by(1) >= 10, "{}", before.render());
    assert!(before.retirable().is_empty());
    assert!(before.verdict().contains("key 1 still holds"), "{}", before.verdict());

    // Between the switch and the rotation: the code made under key 1 still checks, a
    // duplicate is still found (its index is under key 1), a person rejected under key 1 may
    // apply again, and a search by ID number finds an application indexed under key 1.
    let (status, html) = apply_page(&app2, &id(3), "13900003007").await;
    assert!(status == 200 && html.contains("已有申请"), "a duplicate across keys is found");
    let union = app2.union_id("340302-DF").await.to_string();
    let res = app2
        .post_form(
            "/join",
            &[
                ("name", "张三"),
                ("id_number", &id(5)),
                ("phone", "13900003006"),
                ("code", &early_code),
                ("workplace", &union),
                ("consent", "yes"),
                ("submission", &ejia::server::crypto::random_token()),
                ("intent", "submit"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "a code MAC'd under key 1 checks under the new ring");
    app2.clock.advance(61);
    let (status, _) = apply_page(&app2, &id(2), "13900003008").await;
    assert_eq!(status, 303, "applying again after a rejection");
    let same_person: i64 = app2
        .count(&format!(
            "SELECT COUNT(*) FROM applications WHERE id_blind = (SELECT id_blind FROM applications WHERE id = {})",
            seeded.people[1].0
        ))
        .await;
    assert_eq!(same_person, 2, "the person's rows share one index (the old one moved with the new application)");
    app2.admin("340300", "reviewer", "city_keys").await;
    let city = app2.login("city_keys").await;
    let page = app2.get_as(&city, &format!("/admin?q={}", id(3))).await.text().await.unwrap();
    assert!(page.contains(&format!("/admin/a/{}\"", seeded.people[2].0)), "a search by ID number finds an index under key 1");

    // Rotation, stopped after a few batches of two (as if killed), then run again.
    let opts = keys::Options { batch: 2, max_batches: Some(3) };
    let first = keys::rotate(&app2.state, opts, &mut |_| {}).await.unwrap();
    assert!(first.stopped && first.batches == 3, "{first:?}");
    let midway = keys::status(&app2.state).await.unwrap();
    assert!(midway.held_by(1) > 0 && midway.held_by(1) < before.held_by(1), "{}", midway.render());
    let (status, html) = apply_page(&app2, &id(1), "13900003009").await;
    assert!(status == 200 && html.contains("已有申请"), "duplicates are found midway");
    let rest = keys::rotate(&app2.state, keys::Options { batch: 2, max_batches: None }, &mut |_| {}).await.unwrap();
    assert!(!rest.stopped && rest.failed == 0, "{rest:?}");
    // Three ID numbers, a message, the answers, the import, key 1's kept audit key, a file.
    assert!(first.resealed + rest.resealed >= 8, "{first:?} {rest:?}");
    let after = keys::status(&app2.state).await.unwrap();
    assert_eq!(after.held_by(1), 0, "{}", after.render());
    assert_eq!(after.retirable(), vec![1]);
    assert!(after.verdict().contains("key 1 is no longer used: it can be removed from EJIA_DATA_KEY"), "{}", after.verdict());
    assert_eq!(left_under_other_keys(&app2, 2).await, Vec::<String>::new(), "nothing is left under key 1");
    // A second run finds nothing to do.
    let again = keys::rotate(&app2.state, keys::Options::default(), &mut |_| {}).await.unwrap();
    assert_eq!((again.resealed, again.reindexed), (0, 0));

    // Key 1 removed: the app starts and everything opens.
    let app3 = restart_with_key(&app, &new).await;
    assert_eq!(app3.state.keys.ids(), vec![(2, other_alg())]);
    every_id_opens(&app3, &seeded.people).await;
    let n_audit = app3.count("SELECT COUNT(*) FROM audit_log").await;
    assert!(app3.count("SELECT COUNT(*) FROM audit_log WHERE key_id IS NULL OR key_id = 1").await > 0);
    assert_eq!(ejia::server::audit::verify(&app3.state).await.unwrap(), Ok(n_audit as usize), "rows MAC'd under key 1 verify");
    let (answers, files): (String, i64) = sqlx::query_as(
        "SELECT r.answers, (SELECT COUNT(*) FROM hall_files f WHERE f.request_id = r.id) FROM hall_requests r WHERE r.id = $1",
    )
    .bind(seeded.hall)
    .fetch_one(&app3.state.db.pool)
    .await
    .unwrap();
    assert!(app3.state.keys.open_text(&answers, &format!("hall_request:{}", seeded.hall)).unwrap().contains("蚌埠医学院"));
    assert_eq!(files, 1);
    let sha: String = sqlx::query_scalar("SELECT sha256 FROM hall_files WHERE request_id = $1")
        .bind(seeded.hall)
        .fetch_one(&app3.state.db.pool)
        .await
        .unwrap();
    assert_eq!(ejia::hall::files::load(&app3.state, &sha).await.unwrap(), png(PHONE_M), "the photo opens");
    // The message held back since key 1 goes out with its parameters.
    let waiting = app3.count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").await;
    assert!(waiting > 0);
    sqlx::query("UPDATE outbox SET next_attempt_at = 0").execute(&app3.state.db.pool).await.unwrap();
    app3.deliver().await;
    assert_eq!(app3.count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").await, 0, "every waiting message was sent");
    assert!(!app3.sms.last_code("13900003005").is_empty(), "the code sealed under key 1 arrived");
    // The import waiting since key 1 is confirmed (its rows open), and the people are found.
    let res = app3.post_as(&seeded.ly_cookie, &format!("/admin/import/{}/confirm", seeded.batch), &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app3.count("SELECT COUNT(*) FROM applications WHERE source = 'import'").await, 2);
    // Duplicates and searches under the new key alone.
    app3.clock.advance(61);
    let (status, html) = apply_page(&app3, &id(1), "13900003010").await;
    assert!(status == 200 && html.contains("已有申请"), "a member's ID is still a duplicate");
    app3.clock.advance(61);
    let (status, html) = apply_page(&app3, &id(101), "13900003011").await;
    assert!(status == 200 && html.contains("已有申请"), "an imported person's ID too");
    let page = app3.get_as(&city, &format!("/admin?q={}", id(3))).await.text().await.unwrap();
    assert!(page.contains(&format!("/admin/a/{}\"", seeded.people[2].0)), "a search by ID number after the rotation");
    // A short-lived MAC made under key 1 expires with it: a code from an instance still on the
    // old ring no longer checks where key 1 is gone.
    app.clock.advance(61);
    let stale_code = app.code_for("13900003012").await;
    let before = app3.count("SELECT COUNT(*) FROM applications").await;
    let res = app3
        .post_form(
            "/join",
            &[
                ("name", "张三"),
                ("id_number", &id(6)),
                ("phone", "13900003012"),
                ("code", &stale_code),
                ("workplace", &union),
                ("consent", "yes"),
                ("submission", &ejia::server::crypto::random_token()),
                ("intent", "submit"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "refused, the form shown again");
    assert_eq!(app3.count("SELECT COUNT(*) FROM applications").await, before);
    assert_eq!(left_under_other_keys(&app3, 2).await, Vec::<String>::new());
});

on_both_databases!(a_value_changed_between_read_and_write_is_left_as_written, |app: TestApp| async move {
    use ejia::join::repo::rekey;
    let a = app.application_at("340302-DF", &id(11), "13900003201").await;
    app.clock.advance(61);
    let b = app.application_at("340302-DF", &id(12), "13900003202").await;
    let app2 = restart_with_key(&app, &format!("{},{}", entry::generate(2, other_alg()), old_key(&app))).await;
    let keys = &app2.state.keys;
    let pool = &app2.state.db.pool;
    // Rotation reads both applications…
    let stale = rekey::stale(pool, 2, 0, 100).await.unwrap();
    assert_eq!(stale.iter().map(|s| s.id).collect::<Vec<_>>(), vec![a, b]);
    // …a writer seals B's ID number again meanwhile (a correction, under the active key)…
    let key_b: String = sqlx::query_scalar("SELECT submission_key FROM applications WHERE id = $1").bind(b).fetch_one(pool).await.unwrap();
    let corrected = ejia::domain::IdNumber::parse(&id(13), ejia::domain::Ymd::new(2026, 11, 25).unwrap()).unwrap();
    let (kid, written) = keys.seal_id(&corrected, &format!("application:{key_b}"));
    sqlx::query("UPDATE applications SET id_cipher = $1, id_key_id = $2 WHERE id = $3")
        .bind(&written)
        .bind(kid)
        .bind(b)
        .execute(pool)
        .await
        .unwrap();
    // …and rotation's writes land: A moves, B keeps the writer's value.
    let mut tx = app2.state.db.begin_write().await.unwrap();
    for s in &stale {
        let r = keys.reseal_id(s.key_id, &s.cipher, &format!("application:{}", s.submission_key)).unwrap();
        let stored = rekey::store_cipher(&mut tx, s, 2, r.cipher.as_ref().unwrap()).await.unwrap();
        assert_eq!(stored, s.id == a, "application {}", s.id);
    }
    tx.commit().await.unwrap();
    let now_b: Vec<u8> = sqlx::query_scalar("SELECT id_cipher FROM applications WHERE id = $1").bind(b).fetch_one(pool).await.unwrap();
    assert_eq!(now_b, written, "the writer's value stands");
    assert_eq!(keys.open_id(2, &now_b, &format!("application:{key_b}")).unwrap(), id(13));

    // The same for a sealed text: a message sent (its parameters emptied) while rotation held it.
    let column = ejia::server::outbox::RESEALED;
    let mut conn = pool.acquire().await.unwrap();
    let found = column.stale(&mut conn, 2, 0, 100).await.unwrap();
    drop(conn);
    assert!(!found.is_empty());
    let victim = &found[0];
    sqlx::query("UPDATE outbox SET params = '{}', status = 'sent' WHERE id = $1").bind(victim.pk).execute(pool).await.unwrap();
    let resealed = keys.reseal_text(&victim.sealed, &victim.identity).unwrap().unwrap();
    let mut tx = app2.state.db.begin_write().await.unwrap();
    assert!(!column.store(&mut tx, victim.pk, &victim.sealed, &resealed).await.unwrap(), "nothing is written over the change");
    tx.commit().await.unwrap();
    let params: String = sqlx::query_scalar("SELECT params FROM outbox WHERE id = $1").bind(victim.pk).fetch_one(pool).await.unwrap();
    assert_eq!(params, "{}", "the emptied parameters stay empty");
    // The whole rotation then finishes around what the writers did.
    let done = keys::rotate(&app2.state, keys::Options::default(), &mut |_| {}).await.unwrap();
    assert!(!done.stopped && done.failed == 0, "{done:?}");
    assert_eq!(left_under_other_keys(&app2, 2).await, Vec::<String>::new());
    assert_eq!(keys.open_id(2, &now_b, &format!("application:{key_b}")).unwrap(), id(13));
});

on_both_databases!(members_leave_and_join_while_rotation_runs, |app: TestApp| async move {
    let mut leaving = Vec::new();
    for i in 0..3 {
        app.clock.advance(61);
        let phone = format!("1390000330{i}");
        app.approved_member("340302-DF", &id(20 + i), &phone).await;
        leaving.push(phone);
    }
    for i in 0..6 {
        app.clock.advance(61);
        app.application_at("340302-DF", &id(30 + i), &format!("1390000340{i}")).await;
    }
    let app2 = restart_with_key(&app, &format!("{},{}", entry::generate(2, other_alg()), old_key(&app))).await;
    let cookies: Vec<String> = {
        let mut c = Vec::new();
        for p in &leaving {
            app2.clock.advance(61);
            c.push(app2.member_session(p).await);
        }
        c
    };
    // One row a batch, so the writers below land between rotation's batches.
    let state = app2.state.clone();
    let rotation =
        tokio::spawn(async move { keys::rotate(&state, keys::Options { batch: 1, max_batches: None }, &mut |_| {}).await.unwrap() });
    for (i, c) in cookies.iter().enumerate() {
        assert_eq!(app2.post_as(c, "/me/leave", &[("confirm", "退出")]).await.status(), 303);
        app2.clock.advance(61);
        let (status, _) = apply_page(&app2, &id(40 + i), &format!("1390000350{i}")).await;
        assert_eq!(status, 303);
    }
    let done = rotation.await.unwrap();
    assert!(!done.stopped && done.failed == 0, "{done:?}");
    // Whatever rotation had read of them, those who left stay erased.
    assert_eq!(app2.count("SELECT COUNT(*) FROM members WHERE left_at IS NOT NULL").await, 3);
    assert_eq!(
        app2.count("SELECT COUNT(*) FROM applications a JOIN members m ON m.application_id = a.id WHERE m.left_at IS NOT NULL AND (length(a.id_cipher) > 0 OR a.id_blind <> '')").await,
        0
    );
    keys::rotate(&app2.state, keys::Options::default(), &mut |_| {}).await.unwrap();
    assert_eq!(left_under_other_keys(&app2, 2).await, Vec::<String>::new());
    every_id_opens(&app2, &[]).await;
});

/// A tripwire on the source: every file that seals something is one whose values rotation
/// walks. A new one fails here until its column is added to `site::keys` (and to this list).
#[test]
fn every_place_that_seals_is_rotated() {
    let known: &[(&str, &str)] = &[
        ("src/join/service.rs", "applications.id_cipher"),
        ("src/roster/import.rs", "applications.id_cipher and import_batches.rows_sealed"),
        ("src/server/outbox/mod.rs", "outbox.params"),
        ("src/hall/service.rs", "hall_requests.answers"),
        ("src/hall/files.rs", "the files under EJIA_DATA_DIR/files"),
        ("src/server/crypto/store.rs", "data_keys.audit_key"),
        // Made-up data for measuring and seeding, all in applications.
        ("src/site/bench.rs", "applications.id_cipher"),
        ("src/site/generate.rs", "applications.id_cipher"),
    ];
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    let mut sealing = Vec::new();
    for f in files {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        if rel.starts_with("src/server/crypto/") && rel != "src/server/crypto/store.rs" {
            continue;
        }
        let source = std::fs::read_to_string(&f).unwrap();
        if [".seal_text(", ".seal_id(", ".seal_bytes("].iter().any(|call| source.contains(call)) {
            sealing.push(rel);
        }
    }
    sealing.sort();
    let mut expected: Vec<String> = known.iter().map(|(f, _)| f.to_string()).collect();
    expected.sort();
    assert_eq!(sealing, expected, "a file seals values rotation may not know: add its column to src/site/keys.rs, then here");
    let names: Vec<String> = keys::TEXT_COLUMNS.iter().map(|c| c.name()).collect();
    assert_eq!(names, ["outbox.params", "hall_requests.answers", "import_batches.rows_sealed", "data_keys.audit_key"]);
}

/// The unit-level counterpart of the start refusal: the keyring names the variable.
#[test]
fn the_keyring_names_the_variable() {
    let e = Keyring::parse("1:sm4:QUJD").err().unwrap().to_string();
    assert!(e.contains("EJIA_DATA_KEY") && e.contains("expected 16 bytes"), "{e}");
}

/// The operator's commands, as the binary runs them on a SQLite file: status, a new SM4 entry,
/// a rotation to it whose last line says the old key can go, and a start without the old key.
#[test]
fn the_commands_add_rotate_and_retire_a_key() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("ejia-keys-cli-{}", ejia::server::crypto::random_token()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |key: &str, args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_ejia"))
            .args(args)
            .env("EJIA_DATA_DIR", &dir)
            .env("EJIA_DATA_KEY", key)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        stdout
    };
    let k1 = test_key_spec(1);
    let status = run(&k1, &["keys", "status"]);
    assert!(status.contains("EJIA_DATA_KEY: 1 (") && status.contains("holds only the active key 1"), "{status}");
    let k2 = run(&k1, &["keys", "new", "--alg", "sm4"]).trim().to_string();
    assert!(k2.starts_with("2:sm4:"), "{k2}");
    Keyring::parse(&k2).expect("a usable entry");
    let rotated = run(&format!("{k2},{k1}"), &["keys", "rotate", "--batch", "50"]);
    assert!(rotated.contains("key 1 is no longer used: it can be removed from EJIA_DATA_KEY"), "{rotated}");
    let status = run(&k2, &["keys", "status"]);
    assert!(status.contains("EJIA_DATA_KEY: 2 (sm4-gcm)"), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}
