//! `email`: SMTP through `lettre`. The channel URL picks the transport as lettre reads it:
//! `smtps://host:465` (TLS), `smtp://host:587?tls=required` (STARTTLS), `smtp://host:25`
//! (plain, for a local relay); credentials as `user:password@`. Text and HTML parts.

use super::{title, value_line, Notification};
use crate::alerts::notify::Attempt;
use crate::config::Channel;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub fn subject(n: &Notification) -> String {
    if n.status == "resolved" {
        let test = if n.test { "[TEST] " } else { "" };
        format!("{test}[RESOLVED] {}", n.name)
    } else {
        title(n)
    }
}

pub fn text(n: &Notification) -> String {
    let mut out = format!(
        "{}\n\n{}\n\nStatus: {}\nValue: {}\nTriggered at: {}\n",
        subject(n),
        n.description,
        n.status,
        value_line(n),
        n.triggered_at
    );
    if let Some(r) = &n.resolved_at {
        out.push_str(&format!("Resolved at: {r}\n"));
    }
    for (k, v) in &n.labels {
        out.push_str(&format!("{k}: {v}\n"));
    }
    out.push_str(&format!("\n{}\n", n.url));
    out
}

pub fn html(n: &Notification) -> String {
    let e = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut rows = format!(
        "<tr><th align=\"left\">Status</th><td>{}</td></tr>\
         <tr><th align=\"left\">Value</th><td>{}</td></tr>\
         <tr><th align=\"left\">Triggered at</th><td>{}</td></tr>",
        e(&n.status),
        e(&value_line(n)),
        e(&n.triggered_at)
    );
    if let Some(r) = &n.resolved_at {
        rows.push_str(&format!(
            "<tr><th align=\"left\">Resolved at</th><td>{}</td></tr>",
            e(r)
        ));
    }
    for (k, v) in &n.labels {
        rows.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
            e(k),
            e(v)
        ));
    }
    format!(
        "<!doctype html><html><body><h2>{}</h2><p>{}</p><table>{rows}</table>\
         <p><a href=\"{}\">Open in Pulse</a></p></body></html>",
        e(&subject(n)),
        e(&n.description),
        e(&n.url)
    )
}

fn failed(detail: String) -> Attempt {
    Attempt {
        ok: false,
        status: None,
        detail,
    }
}

pub async fn send(channel: &Channel, n: &Notification, _kind: &str) -> Attempt {
    let Some(from) = channel
        .from
        .as_deref()
        .and_then(|f| f.parse::<Mailbox>().ok())
    else {
        return failed("the channel's `from` is not an address".to_string());
    };
    let mut builder = Message::builder().from(from).subject(subject(n));
    for to in &channel.to {
        match to.parse::<Mailbox>() {
            Ok(m) => builder = builder.to(m),
            Err(_) => return failed("a `to` entry is not an address".to_string()),
        }
    }
    let message = match builder.multipart(MultiPart::alternative_plain_html(text(n), html(n))) {
        Ok(m) => m,
        Err(e) => return failed(format!("cannot build the message: {e}")),
    };
    let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(&channel.url) {
        Ok(t) => t
            .timeout(Some(crate::alerts::notify::ATTEMPT_TIMEOUT))
            .build(),
        // lettre's error names the URL's problem, not the URL.
        Err(_) => return failed("the SMTP URL is not usable".to_string()),
    };
    match transport.send(message).await {
        Ok(resp) => {
            let code: u16 = resp.code().into();
            Attempt {
                ok: resp.is_positive(),
                status: Some(i64::from(code)),
                detail: format!("SMTP {code}"),
            }
        }
        Err(e) => Attempt {
            ok: false,
            status: e.status().map(|c| i64::from(u16::from(c))),
            detail: if e.is_timeout() {
                "SMTP server timed out".to_string()
            } else if e.is_permanent() {
                "SMTP server refused the message".to_string()
            } else if e.is_transient() {
                "SMTP server deferred the message".to_string()
            } else {
                "could not talk to the SMTP server".to_string()
            },
        },
    }
}
