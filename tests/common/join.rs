//! What the join tests share: ID numbers and join forms, futures run together, a person with
//! ten phones, and a body run on both databases with an app of the test's making.
use super::*;

/// Runs a body on both databases with an app built by `$spawn(backend)`.
#[macro_export]
macro_rules! on_both_with {
    ($name:ident, $spawn:expr, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = ($spawn)(Backend::Sqlite).await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = ($spawn)(Backend::Postgres).await;
                ($body)(app).await;
            }
        }
    };
}

/// A valid mainland ID number (GB 11643 check digit) for person `n` (0..28).
pub fn id_number(n: u32) -> String {
    valid_id_number("110105198001", n as usize)
}

pub fn join_fields<'a>(id: &'a str, phone: &'a str, code: &'a str, union: &'a str, key: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", "张三"),
        ("id_number", id),
        ("phone", phone),
        ("code", code),
        ("workplace", union),
        ("consent", "yes"),
        ("submission", key),
        ("intent", "submit"),
    ]
}

/// Runs futures concurrently (tokio tasks would need 'static).
pub async fn futures_join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut pending: Vec<(usize, std::pin::Pin<Box<F>>)> = futures.into_iter().enumerate().collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|(i, f)| match f.as_mut().poll(cx) {
            std::task::Poll::Ready(v) => {
                out[*i] = Some(v);
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.into_iter().map(|o| o.unwrap()).collect()
}

/// One person (`id_number(person)`) with ten phones, each with a good code.
pub struct TenPhones {
    id: String,
    phones: Vec<String>,
    codes: Vec<String>,
    keys: Vec<String>,
}

impl TenPhones {
    pub async fn new(app: &TestApp, person: u32, key_prefix: &str) -> TenPhones {
        let phones: Vec<String> = (0..10).map(|i| format!("1390000{i:04}")).collect();
        let mut codes = Vec::new();
        for p in &phones {
            codes.push(app.code_for(p).await);
        }
        let keys = (0..10).map(|i| format!("{key_prefix}-{i:04}")).collect();
        TenPhones { id: id_number(person), phones, codes, keys }
    }

    /// The ten join forms, one a phone.
    pub fn forms<'a>(&'a self, union: &'a str) -> Vec<Vec<(&'a str, &'a str)>> {
        (0..10).map(|i| join_fields(&self.id, &self.phones[i], &self.codes[i], union, &self.keys[i])).collect()
    }
}
