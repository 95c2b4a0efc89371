//! Redaction: the one place that takes credentials out of URLs, texts and JSON before they
//! reach a page, an API answer, the store or a log.

use serde_json::Value;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Whether a query parameter or JSON key names something secret.
pub fn sensitive_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace('-', "_");
    const EXACT: [&str; 8] = [
        "key",
        "sig",
        "signature",
        "auth",
        "code",
        "pwd",
        "session",
        "sid",
    ];
    const PARTS: [&str; 8] = [
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "credential",
        "authorization",
    ];
    EXACT.contains(&n.as_str())
        || PARTS.iter().any(|p| n.contains(p))
        || n.ends_with("_key")
        || n.ends_with("sessionid")
}

/// A URL with its userinfo and sensitive query values masked: `https://u:***@h/?api_key=***`.
/// A credential given as the user alone (`https://TOKEN@host`) is masked too. Text that is not
/// a URL comes back unchanged.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest_start = scheme_end + 3;
    let rest = &url[rest_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..rest_start]);
    match authority.rfind('@') {
        Some(at) => {
            match authority[..at].split_once(':') {
                Some((user, _)) => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(MASK);
                }
                None => out.push_str(MASK),
            }
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }
    let tail = &rest[authority_end..];
    let (before_query, query_and_fragment) = match tail.find('?') {
        Some(q) => (&tail[..q], Some(&tail[q + 1..])),
        None => (tail, None),
    };
    out.push_str(before_query);
    if let Some(qf) = query_and_fragment {
        let (query, fragment) = match qf.find('#') {
            Some(h) => (&qf[..h], Some(&qf[h..])),
            None => (qf, None),
        };
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if sensitive_name(&percent_decoded(k)) => format!("{k}={MASK}"),
                _ => pair.to_string(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
        if let Some(f) = fragment {
            out.push_str(f);
        }
    }
    out
}

fn percent_decoded(s: &str) -> String {
    url::form_urlencoded::parse(format!("{s}=").as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_else(|| s.to_string())
}

/// Every URL inside a text redacted, and every known secret (a header value, a password as the
/// peer echoed it) masked.
pub fn redact_text(text: &str, secrets: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        // The URL starts at its scheme and ends at whitespace or a delimiter around it.
        let start = rest[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map(|p| p + 1)
            .unwrap_or(0);
        let end = rest[i..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | ')'))
            .map(|p| i + p)
            .unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        out.push_str(&redact_url(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    out
}

/// Redacts a JSON value in place: strings as texts, values under sensitive keys masked.
pub fn redact_json(v: &mut Value, secrets: &[String]) {
    match v {
        Value::String(s) => {
            let r = redact_text(s, secrets);
            if r != *s {
                *s = r;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| redact_json(i, secrets)),
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if sensitive_name(k) && !matches!(val, Value::Null | Value::Bool(_)) {
                    *val = Value::String(MASK.to_string());
                } else {
                    redact_json(val, secrets);
                }
            }
        }
        _ => {}
    }
}

/// The credentials a URL carries (password or lone user, sensitive query values), as written
/// and percent-decoded, so a peer's error message that echoes them can be masked too.
pub fn url_secrets(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(parsed) = url::Url::parse(url) else {
        return out;
    };
    let mut push = |s: &str| {
        if !s.is_empty() {
            out.push(s.to_string());
            if let Ok(d) = percent_decode(s) {
                if d != s {
                    out.push(d);
                }
            }
        }
    };
    match parsed.password() {
        Some(p) => push(p),
        None => push(parsed.username()),
    }
    for (k, v) in parsed.query_pairs() {
        if sensitive_name(&k) {
            out.push(v.into_owned());
        }
    }
    out
}

fn percent_decode(s: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
            out.push(hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls_lose_userinfo_and_secret_parameters() {
        assert_eq!(
            redact_url("https://user:pass@host:8443/p?api_key=k1&x=1&access_token=t#frag"),
            "https://user:***@host:8443/p?api_key=***&x=1&access_token=***#frag"
        );
        assert_eq!(
            redact_url("postgres://u:secret@h/db?sslmode=require&password=p2"),
            "postgres://u:***@h/db?sslmode=require&password=***"
        );
        assert_eq!(redact_url("redis://:secret@h:6379"), "redis://:***@h:6379");
        assert_eq!(
            redact_url("https://ghp_abc@github.com/x"),
            "https://***@github.com/x"
        );
        assert_eq!(
            redact_url("sqlite://data/pulse.db"),
            "sqlite://data/pulse.db"
        );
        assert_eq!(
            redact_url("http://h/?Token=1&tok=2"),
            "http://h/?Token=***&tok=2"
        );
    }

    #[test]
    fn texts_redact_embedded_urls_and_known_secrets() {
        let secrets = url_secrets("https://user:p%40ss@h/?key=abcd1234");
        assert!(secrets.contains(&"p@ss".to_string()) && secrets.contains(&"abcd1234".to_string()));
        let t = redact_text(
            "error sending request for url (https://user:p%40ss@h/?key=abcd1234): refused; key abcd1234 p@ss",
            &secrets,
        );
        assert_eq!(
            t,
            "error sending request for url (https://user:***@h/?key=***): refused; key *** ***"
        );
    }

    #[test]
    fn json_is_redacted_through_and_through() {
        let mut v = json!({"url": "https://a:b@h/?secret=s", "headers": {"Authorization": "Bearer x"},
                           "list": ["redis://:pw@h"], "n": 1, "password": null});
        redact_json(&mut v, &[]);
        assert_eq!(
            v,
            json!({"url": "https://a:***@h/?secret=***", "headers": {"Authorization": "***"},
                   "list": ["redis://:***@h"], "n": 1, "password": null})
        );
    }
}
