//! Fuzzing every form, address and server function with generated input. The routes are read
//! from the router's source, so a route added tomorrow is fuzzed tomorrow. Each route is tried as
//! a visitor, a member, a city admin, a leader, a county reviewer, a workplace manager, a
//! merchant and a lawyer: first as a browser would (pages crawled, their forms' own fields and
//! values, the links they show), then with generated input — wrong types, integer edges, 1e309,
//! values of megabytes, invalid UTF-8, NUL, right-to-left marks, repeated, missing and unknown
//! fields, wrong content types, broken multipart, odd path segments. The rule is a user's: never
//! a 5xx, never a dropped connection (a panic). What was sent and answered is printed; a failure
//! prints the request that caused it and the run's seed (`EJIA_FUZZ_SEED` replays it;
//! `EJIA_FUZZ_CASES` sets the generated cases per route, role and method, 3 by default).
mod common;
#[path = "fuzz/input.rs"]
mod input;
#[path = "fuzz/site.rs"]
mod site;

use common::{TestApp, GOOD_ID, GOOD_ID_2};
use ejia::server::config::Limits;
use ejia::server::db::Backend;
use input::{gen_value, urlencoded, Rng, Val, BAD_UTF8};
use site::{fits, forms, links, routes, Form};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// Who asks: a name and the Cookie header of their session (none for a visitor).
struct Who {
    name: &'static str,
    cookie: Option<String>,
}

/// What a run saw: requests by status, and what broke the rule.
#[derive(Default)]
struct Tally {
    sent: usize,
    by_status: BTreeMap<u16, usize>,
    failures: Vec<String>,
}

struct Fuzzer<'a> {
    app: &'a TestApp,
    rng: Rng,
    tally: Tally,
    /// Per role: concrete paths seen in links, and forms seen, by the pattern they fit.
    seen_paths: HashMap<(&'static str, String), BTreeSet<String>>,
    seen_forms: HashMap<(&'static str, String), Vec<Form>>,
}

enum Body {
    None,
    Form(String),
    Typed(&'static str, Vec<u8>),
}

impl<'a> Fuzzer<'a> {
    async fn send(&mut self, who: &Who, method: &str, path: &str, body: Body) -> Option<(u16, String)> {
        let url = format!("{}{path}", self.app.base);
        let method_v = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let (content_type, bytes): (Option<&str>, Vec<u8>) = match body {
            Body::None => (None, Vec::new()),
            Body::Form(b) => (Some("application/x-www-form-urlencoded"), b.into_bytes()),
            Body::Typed("", b) => (None, b),
            Body::Typed(t, b) => (Some(t), b),
        };
        let shown_body = match content_type {
            Some("application/x-www-form-urlencoded") | None => String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned(),
            Some(t) => format!("[{t}] {}", String::from_utf8_lossy(&bytes[..bytes.len().min(300)])),
        };
        let request = |client: &reqwest::Client| {
            let mut req = client.request(method_v.clone(), &url).header("origin", &self.app.base);
            if let Some(c) = &who.cookie {
                req = req.header("cookie", c);
            }
            if let Some(t) = content_type {
                req = req.header("content-type", t);
            }
            if method != "GET" {
                req = req.body(bytes.clone());
            }
            req
        };
        self.tally.sent += 1;
        let what = format!("{} {method} {} {shown_body}", who.name, path.chars().take(300).collect::<String>());
        let mut sent = tokio::time::timeout(Duration::from_secs(30), request(&self.app.http).send()).await;
        // A kept-alive connection the server closed after refusing a body it did not read fails
        // the next request on it: that one is sent again on a new connection. A handler that
        // panics drops the new connection too.
        if matches!(&sent, Ok(Err(e)) if e.is_request() || e.is_connect()) {
            let fresh = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).pool_max_idle_per_host(0).build().unwrap();
            sent = tokio::time::timeout(Duration::from_secs(30), request(&fresh).send()).await;
        }
        let res = match sent {
            Ok(Ok(res)) => res,
            // A request this client cannot even build (an address longer than it sends) was
            // never sent: not the server's doing.
            Ok(Err(e)) if e.is_builder() => return None,
            Ok(Err(e)) => {
                self.tally.failures.push(format!("no answer (dropped connection: a panic?) {}: {what}", e.without_url()));
                return None;
            }
            Err(_) => {
                self.tally.failures.push(format!("no answer in 30 s: {what}"));
                return None;
            }
        };
        let status = res.status().as_u16();
        *self.tally.by_status.entry(status).or_default() += 1;
        let streaming = res.headers().get("content-type").is_some_and(|t| t.to_str().unwrap_or_default().starts_with("text/event-stream"));
        let text = if streaming {
            String::new()
        } else {
            match tokio::time::timeout(Duration::from_secs(30), res.bytes()).await {
                Ok(Ok(b)) => String::from_utf8_lossy(&b).into_owned(),
                _ => {
                    self.tally.failures.push(format!("the body broke off: {what}"));
                    String::new()
                }
            }
        };
        // `/readyz` says 503 when it is not ready: that is its answer, not a fault.
        if status >= 500 && !(status == 503 && path.starts_with("/readyz")) {
            self.tally.failures.push(format!("{status}: {what}\n    answer: {}", text.chars().take(200).collect::<String>()));
        }
        Some((status, text))
    }

    /// Reads a page as a browser would and remembers its links and forms under their patterns.
    async fn crawl(&mut self, who: &Who, path: &str, patterns: &[(String, Vec<&'static str>)]) {
        let Some((status, html)) = self.send(who, "GET", path, Body::None).await else { return };
        if status != 200 || !html.contains("<html") {
            return;
        }
        for link in links(&html) {
            if let Some((p, _)) = patterns.iter().find(|(p, _)| fits(p, &link)) {
                let set = self.seen_paths.entry((who.name, p.clone())).or_default();
                if set.len() < 4 {
                    set.insert(link);
                }
            }
        }
        for form in forms(&html, path) {
            if let Some((p, _)) = patterns.iter().find(|(p, _)| fits(p, &form.action)) {
                let list = self.seen_forms.entry((who.name, p.clone())).or_default();
                if list.len() < 4 {
                    list.push(form);
                }
            }
        }
    }

    /// A concrete path for a pattern: one seen in a link, or its parameters generated.
    fn path_for(&mut self, who: &Who, pattern: &str, generated: bool) -> String {
        let seen: Vec<String> =
            self.seen_paths.get(&(who.name, pattern.to_string())).map(|s| s.iter().cloned().collect()).unwrap_or_default();
        if !seen.is_empty() && !generated {
            return self.rng.pick(&seen).clone();
        }
        const SEGMENTS: &[&str] = &[
            "1",
            "2",
            "3",
            "0",
            "-1",
            "9223372036854775807",
            "9223372036854775808",
            "1e309",
            "abc",
            "%00",
            "%FF%FE",
            "%F0%9F%98%80",
            "..",
            "%2E%2E%2F%2E%2E",
            "1%2F2",
            "%20",
            "LY2608",
            "A",
        ];
        pattern
            .split('/')
            .map(|s| {
                if !s.starts_with('{') {
                    return s.to_string();
                }
                match self.rng.below(12) {
                    0 => "a".repeat(300),
                    1 => "9".repeat(40),
                    2 if !seen.is_empty() => {
                        let real = self.rng.pick(&seen).clone();
                        let segment = real
                            .split('?')
                            .next()
                            .unwrap()
                            .split('/')
                            .nth(pattern.split('/').position(|x| x == s).unwrap())
                            .map(str::to_string);
                        segment.unwrap_or_else(|| "1".into())
                    }
                    _ => self.rng.pick(SEGMENTS).to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Fields for a generated request: a seen form's fields, some changed, dropped, repeated,
    /// or joined by unknown ones; or only generated names.
    fn fields_for(&mut self, who: &Who, pattern: &str, method: &str) -> Vec<(String, Val)> {
        let known: Vec<Form> = self
            .seen_forms
            .get(&(who.name, pattern.to_string()))
            .map(|f| f.iter().filter(|f| f.method.eq_ignore_ascii_case(method)).cloned().collect())
            .unwrap_or_default();
        let mut fields: Vec<(String, Val)> = if known.is_empty() {
            const NAMES: &[&str] =
                &["id", "page", "q", "status", "kind", "org", "year", "date", "name", "phone", "code", "action", "next", "token"];
            (0..self.rng.below(5)).map(|_| (self.rng.pick(NAMES).to_string(), Val::Text(String::new()))).collect()
        } else {
            self.rng.pick(&known).fields.iter().map(|(k, v)| (k.clone(), Val::Text(v.clone()))).collect()
        };
        for f in fields.iter_mut() {
            if self.rng.chance(50) {
                f.1 = gen_value(&mut self.rng);
            }
        }
        if self.rng.chance(25) && !fields.is_empty() {
            let i = self.rng.below(fields.len());
            fields.remove(i);
        }
        if self.rng.chance(25) && !fields.is_empty() {
            let i = self.rng.below(fields.len());
            let copy = (fields[i].0.clone(), gen_value(&mut self.rng));
            fields.push(copy);
        }
        if self.rng.chance(20) {
            let name = ["zzz", "", "a[b]", "\u{0}", "名字", "__proto__"][self.rng.below(6)].to_string();
            fields.push((name, gen_value(&mut self.rng)));
        }
        fields
    }

    /// A generated body: a mutated form most of the time, else something no form sends.
    fn body_for(&mut self, who: &Who, pattern: &str) -> Body {
        let multipart = self.seen_forms.get(&(who.name, pattern.to_string())).is_some_and(|f| f.iter().any(|f| f.multipart));
        let fields = self.fields_for(who, pattern, "post");
        match self.rng.below(14) {
            0 => Body::Typed("application/x-www-form-urlencoded", (0..self.rng.below(400)).map(|_| self.rng.next() as u8).collect()),
            1 => Body::Form("a=%zz&&=&b&%=%%&c=%E4%B8".into()),
            2 => Body::Typed("application/json", br#"{"name": 1, "id_number": [1,2], "phone": null}"#.to_vec()),
            3 => Body::Typed("text/plain", "name=张三".as_bytes().to_vec()),
            4 => Body::Typed("", Vec::new()),
            5 => Body::Form(format!("name={}", "a".repeat(200_000))),
            6 => Body::Typed("multipart/form-data", b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb".to_vec()),
            7 => Body::Typed(
                "multipart/form-data; boundary=XYZ",
                b"--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunfinished".to_vec(),
            ),
            8 | 9 if multipart => Body::Typed("multipart/form-data; boundary=FUZZ", self.multipart(&fields)),
            _ => Body::Form(urlencoded(&fields)),
        }
    }

    /// A well-formed multipart body with these fields and a file part of generated bytes and name.
    fn multipart(&mut self, fields: &[(String, Val)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in fields {
            let v = match v {
                Val::Text(t) => t.clone().into_bytes(),
                Val::Raw(_) => vec![0xFF, 0xFE, 0x00],
            };
            out.extend_from_slice(format!("--FUZZ\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n").as_bytes());
            out.extend_from_slice(&v);
            out.extend_from_slice(b"\r\n");
        }
        let names = ["a.jpg", "../../x.pdf", "", "文件.png", "a\u{0}.pdf"];
        let long = format!("{}.pdf", "長".repeat(200));
        let name = if self.rng.chance(20) { long.as_str() } else { names[self.rng.below(names.len())] };
        let field = fields.iter().map(|(k, _)| k.as_str()).find(|k| k.contains("file")).unwrap_or("file");
        let kind = ["image/jpeg", "application/pdf", "text/plain", "application/octet-stream"][self.rng.below(4)];
        out.extend_from_slice(
            format!("--FUZZ\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: {kind}\r\n\r\n")
                .as_bytes(),
        );
        let size = [0, 10, 4_000, 300_000][self.rng.below(4)];
        out.extend((0..size).map(|_| self.rng.next() as u8));
        out.extend_from_slice(b"\r\n--FUZZ--\r\n");
        out
    }
}

/// Routes that end a session or an account go last, so the others are tried signed in.
fn last(pattern: &str) -> bool {
    ["logout", "leave", "disable", "/left"].iter().any(|w| pattern.contains(w))
}

async fn sessions(app: &TestApp) -> Vec<Who> {
    let union = app.union_id("340300-HY01-LY").await.to_string();
    // Something for each screen to show: a pending application, a member, a campaign, a
    // workstation with a lawyer on duty; the demo tree brings events and libraries.
    app.application_at("340300-HY01-LY", GOOD_ID_2, "13900139000").await;
    app.approved_member("340300-HY01-LY", GOOD_ID, "13800138000").await;
    let member = app.member_session("13800138000").await;
    let shop = common::benefit::setup(app).await;
    common::benefit::campaign(app, &shop, &[shop.fuel], 10, 1, &[]).await;
    let hy = app.union_id("340300-HY01").await.to_string();
    let res = app.post_as(&shop.city, "/admin/legal/stations", &[("org", &hy), ("name", "货运行业法律援助工作站")]).await;
    assert_eq!(res.status(), 303, "workstation opened");
    let station = app.count("SELECT id FROM legal_stations").await;
    app.admin("340300-HY01", "manager", "hy_mgr").await;
    let manager = app.login("hy_mgr").await;
    let fields = [("display_name", "王律师"), ("username", "lawyer_wang"), ("phone", ""), ("password", "lawyer_wang-password")];
    let res = app.post_as(&manager, &format!("/admin/legal/{station}/lawyers"), &fields).await;
    assert_eq!(res.status(), 303, "lawyer added");
    let lawyer_id = app.count("SELECT id FROM admins WHERE username = 'lawyer_wang'").await.to_string();
    for weekday in ["1", "2", "3", "4", "5"] {
        let fields = [("weekday", weekday), ("lawyer", lawyer_id.as_str()), ("slots", "09:00*2, 10:00")];
        let res = app.post_as(&manager, &format!("/admin/legal/{station}/rota"), &fields).await;
        assert_eq!(res.status(), 303, "rota");
    }
    let res = app.post_form("/admin/login", &[("username", "lawyer_wang"), ("password", "lawyer_wang-password"), ("next", "")]).await;
    let lawyer = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    for (org, roles, name) in
        [("340300", "leader", "f_leader"), ("340302", "reviewer", "f_county"), ("340300-HY01-LY", "manager,reviewer", "f_workplace")]
    {
        app.admin(org, roles, name).await;
    }
    let _ = union;
    vec![
        Who { name: "visitor", cookie: None },
        Who { name: "member", cookie: Some(member) },
        Who { name: "city admin", cookie: Some(shop.city.clone()) },
        Who { name: "leader", cookie: Some(app.login("f_leader").await) },
        Who { name: "county reviewer", cookie: Some(app.login("f_county").await) },
        Who { name: "workplace manager", cookie: Some(app.login("f_workplace").await) },
        Who { name: "merchant", cookie: Some(shop.fuel_manager.clone()) },
        Who { name: "lawyer", cookie: Some(lawyer) },
    ]
}

async fn fuzz(backend: Backend) {
    // Limits high enough that generated joins reach the form's checks, not the rate limit.
    let limits =
        Limits { phone_per_minute: 1000, phone_per_hour: 1000, phone_per_day: 1000, ip_per_hour: 100_000, ip_hard_per_hour: 100_000 };
    let app = common::spawn_app_with(backend, limits).await;
    let seed: u64 = std::env::var("EJIA_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1);
    let cases: usize = std::env::var("EJIA_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let started = Instant::now();
    let who = sessions(&app).await;
    let mut routes = routes();
    routes.sort_by_key(|(p, _)| last(p));
    let mut f = Fuzzer { app: &app, rng: Rng(seed), tally: Tally::default(), seen_paths: HashMap::new(), seen_forms: HashMap::new() };

    // As a browser: every page each role can open, twice (the second round opens what the
    // first one's lists link to).
    for _round in 0..2 {
        for w in &who {
            let mut pages: Vec<String> = Vec::new();
            for (p, m) in &routes {
                if !m.contains(&"GET") || last(p) || p.contains("/live") {
                    continue;
                }
                let seen = f.seen_paths.get(&(w.name, p.clone())).cloned().unwrap_or_default();
                if seen.is_empty() {
                    pages.push(
                        p.replace("{id}", "1")
                            .replace("{code}", "LY2608")
                            .replace("{token}", "x")
                            .replace("{tag}", "en")
                            .replace("{file}", "1"),
                    );
                } else {
                    pages.extend(seen);
                }
            }
            for page in pages {
                f.crawl(w, &page, &routes).await;
            }
        }
    }
    let crawled = f.tally.sent;

    // Generated input, for every route, method and role.
    for (pattern, methods) in &routes {
        for w in &who {
            for method in methods {
                for case in 0..cases {
                    let path = f.path_for(w, pattern, case % 2 == 1);
                    if *method == "GET" {
                        let fields = f.fields_for(w, pattern, "get");
                        let mut query =
                            if f.rng.chance(20) { BAD_UTF8[f.rng.below(BAD_UTF8.len())].to_string() } else { urlencoded(&fields) };
                        // An address of at most 16 KB, as browsers and proxies pass on.
                        query.truncate(query.char_indices().nth(16 * 1024).map(|(i, _)| i).unwrap_or(query.len()));
                        let sep = if path.contains('?') { '&' } else { '?' };
                        f.send(w, "GET", &format!("{path}{sep}{query}"), Body::None).await;
                    } else {
                        let body = f.body_for(w, pattern);
                        f.send(w, "POST", &path, body).await;
                    }
                }
            }
        }
    }

    // The two server functions, with what their islands send and what no island would.
    let visitor = Who { name: "visitor", cookie: None };
    let join_bodies: Vec<Vec<u8>> = vec![
        r#"{"form":{"name":"张三","id_number":"11010519491231002X","phone":"13800138001","code":"","workplace":"","consent":true,"intent":"send_code"}}"#.as_bytes().to_vec(),
        br#"{"form":{"name":1e309,"id_number":[],"phone":{},"intent":"submit"}}"#.to_vec(),
        br#"{"form":null}"#.to_vec(),
        br#"{"form":"#.to_vec(),
        b"\xff\xfe\x00".to_vec(),
        format!(r#"{{"form":{{"name":"{}","phone":"\u0000","intent":"submit"}}}}"#, "a".repeat(100_000)).into_bytes(),
    ];
    for body in join_bodies {
        f.send(&visitor, "POST", "/api/join_step", Body::Typed("application/json", body)).await;
    }
    for q in ["query=%E5%8A%9B%E6%BA%90", "query=%00", "query=%FF", "query=", "", "query=a&query=b", "x=1"] {
        f.send(&visitor, "POST", "/api/search_workplaces", Body::Form(q.into())).await;
    }
    for q in [format!("query={}", "%E4%B8%AD".repeat(5000))] {
        f.send(&visitor, "POST", "/api/search_workplaces", Body::Form(q)).await;
    }
    f.send(&visitor, "POST", "/api/join_step", Body::Form("form=1".into())).await;
    // Static files and unknown addresses.
    for path in [
        format!("/pkg/{}", "a".repeat(300)),
        format!("/{}", "b".repeat(5000)),
        "/pkg/%00".into(),
        "/%FF%FE".into(),
        "/../../etc/passwd".into(),
        "/pkg/..%2F..%2FCargo.toml".into(),
    ] {
        f.send(&visitor, "GET", &path, Body::None).await;
    }

    let alive = app.get("/healthz").await;
    assert_eq!(alive.status(), 200, "the server still answers after the fuzzing");
    let t = &f.tally;
    println!(
        "fuzz ({backend:?}, seed {seed}, {cases} cases per route, role and method): {} routes, {} requests ({crawled} as a browser) in {:.0} s; by status: {:?}; {} failures",
        routes.len(),
        t.sent,
        started.elapsed().as_secs_f64(),
        t.by_status,
        t.failures.len()
    );
    let shown: Vec<String> = t.failures.iter().take(25).map(|f| f.chars().take(400).collect()).collect();
    assert!(t.failures.is_empty(), "seed {seed}: {} requests broke the rule:\n{}", t.failures.len(), shown.join("\n"));
}

#[test]
fn the_router_is_read() {
    let routes = routes();
    for (p, m) in [
        ("/join", vec!["GET", "POST"]),
        ("/admin/a/{id}/decide", vec!["POST"]),
        ("/hall/{code}", vec!["GET", "POST"]),
        ("/admin/import", vec!["GET", "POST"]),
    ] {
        assert!(routes.iter().any(|(rp, rm)| rp == p && *rm == m), "{p} {m:?} in {routes:?}");
    }
    assert!(fits("/admin/a/{id}", "/admin/a/12"));
    assert!(!fits("/admin/a/{id}", "/admin/a/12/decide"));
    assert!(fits("/api/{*fn_name}", "/api/join_step"));
    let html = r#"<form method="post" action="/x?a=1&amp;b=2"><input type="hidden" name="t" value="v"><select name="s"><option value="o1">1</option></select><textarea name="n">hi</textarea><button name="intent" value="go">go</button></form>"#;
    let f = forms(html, "/p");
    assert_eq!(f[0].action, "/x?a=1&b=2");
    assert_eq!(
        f[0].fields,
        vec![("t".into(), "v".into()), ("s".into(), "o1".into()), ("n".into(), "hi".into()), ("intent".into(), "go".into())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_on_sqlite() {
    fuzz(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_on_postgres() {
    fuzz(Backend::Postgres).await;
}
