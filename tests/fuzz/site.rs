//! What the fuzzer reads of the site: the router's routes (from its source) and, on each page,
//! the forms and links a browser would use.

/// Routes as the router declares them: (path pattern, methods).
pub fn routes() -> Vec<(String, Vec<&'static str>)> {
    let source = include_str!("../../src/site/router.rs");
    let body = source.split("Router::new()").nth(1).expect("the router").split(".fallback_service").next().unwrap();
    let mut out = Vec::new();
    for chunk in body.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).expect("a route's path").to_string();
        let handlers = chunk.split_once(',').map(|(_, h)| h).unwrap_or_default();
        let mut methods = Vec::new();
        if handlers.trim_start().starts_with("get(") || handlers.contains("\nget(") || handlers.contains(" get(") {
            methods.push("GET");
        }
        if handlers.contains("post(") {
            methods.push("POST");
        }
        assert!(!methods.is_empty(), "route {path}: no method read from {handlers}");
        out.push((path, methods));
    }
    assert!(out.len() > 100, "the router's routes are read ({} found)", out.len());
    out
}

/// Does a concrete path fit a pattern (`/admin/a/{id}`, `/api/{*fn_name}`)?
pub fn fits(pattern: &str, path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let (p, c): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    if p.last().is_some_and(|s| s.starts_with("{*")) {
        return c.len() >= p.len() && p[..p.len() - 1].iter().zip(&c).all(|(a, b)| a == b || (a.starts_with('{') && !b.is_empty()));
    }
    p.len() == c.len() && p.iter().zip(&c).all(|(a, b)| a == b || (a.starts_with('{') && !b.is_empty()))
}

/// A form seen on a page: where it goes, how, and its fields with the values the page gave.
#[derive(Clone, Debug)]
pub struct Form {
    pub action: String,
    pub method: String,
    pub multipart: bool,
    pub fields: Vec<(String, String)>,
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&#x27;", "'").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// The value of attribute `name` in a tag's text (`<input name="a" value="b">`).
fn attr(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().last();
        let after = &rest[i + name.len()..];
        if before.is_some_and(|c| c.is_whitespace()) && after.starts_with('=') {
            let after = &after[1..];
            let quote = after.chars().next()?;
            if quote == '"' || quote == '\'' {
                return after[1..].split(quote).next().map(unescape);
            }
            return after.split([' ', '>']).next().map(unescape);
        }
        rest = &rest[i + name.len()..];
    }
    None
}

pub fn forms(html: &str, page: &str) -> Vec<Form> {
    let mut out = Vec::new();
    for chunk in html.split("<form").skip(1) {
        let Some((tag, body)) = chunk.split_once('>') else { continue };
        let body = body.split("</form>").next().unwrap_or_default();
        let action = attr(tag, "action").filter(|a| !a.is_empty()).unwrap_or_else(|| page.to_string());
        let method = attr(tag, "method").unwrap_or_else(|| "get".into()).to_lowercase();
        let multipart = attr(tag, "enctype").is_some_and(|e| e.contains("multipart"));
        let mut fields = Vec::new();
        for part in body.split('<').skip(1) {
            let tag = part.split('>').next().unwrap_or_default();
            let kind = tag.split_whitespace().next().unwrap_or_default();
            let Some(name) = attr(tag, "name") else { continue };
            match kind {
                "input" | "button" => {
                    // One choice of a group of radio buttons, as a browser sends.
                    if attr(tag, "type").as_deref() == Some("radio") && fields.iter().any(|(n, _)| *n == name) {
                        continue;
                    }
                    fields.push((name, attr(tag, "value").unwrap_or_default()));
                }
                "select" => {
                    let options = &body[body.find(tag).unwrap_or(0)..];
                    let first =
                        options.split("</select>").next().unwrap_or_default().split("<option").nth(1).and_then(|o| attr(o, "value"));
                    fields.push((name, first.unwrap_or_default()));
                }
                "textarea" => fields.push((name, part.split_once('>').map(|(_, t)| t).unwrap_or_default().to_string())),
                _ => {}
            }
        }
        out.push(Form { action, method, multipart, fields });
    }
    out
}

/// Site-local links on a page (`href="/…"`, `action="/…"`).
pub fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["href=\"", "action=\""] {
        for chunk in html.split(key).skip(1) {
            let link = unescape(chunk.split('"').next().unwrap_or_default());
            if link.starts_with('/') && !link.starts_with("//") && !link.starts_with("/pkg/") {
                out.push(link);
            }
        }
    }
    out
}
