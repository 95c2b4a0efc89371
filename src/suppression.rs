//! What keeps an alert from being notified though it fires: maintenance windows (one-off or
//! weekly, for some components or all) and silences (Alertmanager's model: matchers on the
//! rule name, severity and labels, a start, an end, an author, a comment). Pure and a leaf:
//! config validates windows with it, the API validates silences, the evaluator asks it.

use serde::{Deserialize, Serialize};

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A maintenance window as written in config or posted to the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceSpec {
    pub name: String,
    /// Components it covers; empty: every alert.
    #[serde(default)]
    pub components: Vec<String>,
    /// One-off: RFC 3339 start and end.
    pub start: Option<String>,
    pub end: Option<String>,
    /// Weekly: the days (`mon`…`sun`; absent: every day), the local start time `HH:MM`, how
    /// long, and the time zone: an IANA name (`Europe/Berlin`, daylight saving followed), `UTC`
    /// or a fixed offset (`+01:00`).
    pub weekdays: Option<Vec<String>>,
    pub at: Option<String>,
    pub duration: Option<String>,
    pub timezone: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum When {
    Once {
        start_ms: i64,
        end_ms: i64,
    },
    Weekly {
        /// Monday first.
        days: [bool; 7],
        at_minute: i64,
        duration_ms: i64,
        zone: Zone,
    },
}

/// Where a weekly window's clock is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Zone {
    /// Minutes east of UTC, all year.
    Fixed(i64),
    /// An IANA zone, its daylight-saving rules included.
    Named(chrono_tz::Tz),
}

impl Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Zone::Fixed(0) => f.write_str("UTC"),
            Zone::Fixed(o) => write!(
                f,
                "UTC{}{:02}:{:02}",
                if *o < 0 { '-' } else { '+' },
                o.abs() / 60,
                o.abs() % 60
            ),
            Zone::Named(tz) => f.write_str(tz.name()),
        }
    }
}

impl Zone {
    fn parse(v: &str) -> Option<Zone> {
        offset(v)
            .map(Zone::Fixed)
            .or_else(|| v.parse::<chrono_tz::Tz>().ok().map(Zone::Named))
    }

    /// Epoch ms of `minute` after local midnight on local `day` (days since 1970-01-01). A
    /// time that a clock change skips counts from the first minute after the gap; one it
    /// repeats, from its first occurrence.
    fn start_ms(&self, day: i64, minute: i64) -> Option<i64> {
        match self {
            Zone::Fixed(o) => Some(day * DAY_MS + (minute - o) * MINUTE_MS),
            Zone::Named(tz) => {
                use chrono::TimeZone;
                let local =
                    chrono::DateTime::from_timestamp_millis(day * DAY_MS + minute * MINUTE_MS)?
                        .naive_utc();
                (0..=120)
                    .step_by(15)
                    .find_map(|m| {
                        tz.from_local_datetime(&(local + chrono::Duration::minutes(m)))
                            .earliest()
                    })
                    .map(|t| t.timestamp_millis())
            }
        }
    }

    /// The local day (days since 1970-01-01) at `now_ms`.
    fn local_day(&self, now_ms: i64) -> i64 {
        match self {
            Zone::Fixed(o) => (now_ms + o * MINUTE_MS).div_euclid(DAY_MS),
            Zone::Named(tz) => chrono::DateTime::from_timestamp_millis(now_ms)
                .map(|t| {
                    let local = t.with_timezone(tz).naive_local();
                    local.and_utc().timestamp_millis().div_euclid(DAY_MS)
                })
                .unwrap_or_else(|| now_ms.div_euclid(DAY_MS)),
        }
    }
}

/// A validated window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Maintenance {
    pub name: String,
    pub components: Vec<String>,
    pub when: When,
    pub comment: String,
}

/// A validation failure: the field and what is wrong.
pub type FieldError = (&'static str, String);

/// An RFC 3339 time as epoch ms, or the field's error.
pub fn rfc3339(key: &'static str, v: &str) -> Result<i64, FieldError> {
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            (
                key,
                format!(
                    "`{}` is not an RFC 3339 time such as 2026-12-24T22:00:00Z",
                    short(v)
                ),
            )
        })
}

fn short(v: &str) -> String {
    v.chars().take(40).filter(|c| !c.is_control()).collect()
}

/// `UTC`, `Z` or `±HH:MM` → minutes east of UTC.
fn offset(v: &str) -> Option<i64> {
    if v == "UTC" || v == "Z" {
        return Some(0);
    }
    let (sign, rest) = match v.as_bytes().first()? {
        b'+' => (1, &v[1..]),
        b'-' => (-1, &v[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 14 && m < 60 && rest.len() == 5).then_some(sign * (h * 60 + m))
}

/// `HH:MM` → minutes after midnight.
fn clock(v: &str) -> Option<i64> {
    let (h, m) = v.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    (v.len() == 5 && h < 24 && m < 60).then_some(h * 60 + m)
}

impl MaintenanceSpec {
    /// Checks the spec; `components` are the names that exist.
    pub fn validate(&self, components: &[&str]) -> Result<Maintenance, FieldError> {
        let hidden = |t: &str| {
            t.chars()
                .any(|c| c.is_control() || crate::model::is_format_char(c))
        };
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 || hidden(name) {
            return Err(("name", "must be 1 to 100 printable characters".to_string()));
        }
        for c in &self.components {
            if !components.contains(&c.as_str()) {
                return Err((
                    "components",
                    format!("no component is named `{}`", short(c)),
                ));
            }
        }
        let comment = self.comment.clone().unwrap_or_default();
        if comment.chars().count() > 500 || comment.chars().any(crate::model::is_format_char) {
            return Err((
                "comment",
                "must be at most 500 characters, none that reorder or hide text".to_string(),
            ));
        }
        let once = self.start.is_some() || self.end.is_some();
        let weekly = self.at.is_some() || self.duration.is_some() || self.weekdays.is_some();
        let when = match (once, weekly) {
            (true, true) => {
                return Err((
                    "start",
                    "a window is either one-off (start, end) or weekly (weekdays, at, duration)"
                        .to_string(),
                ))
            }
            (false, false) => {
                return Err((
                    "start",
                    "is required (or weekdays, at and duration for a weekly window)".to_string(),
                ))
            }
            (true, false) => {
                let start_ms = rfc3339("start", self.start.as_deref().unwrap_or(""))?;
                let end_ms = rfc3339("end", self.end.as_deref().unwrap_or(""))?;
                if end_ms <= start_ms {
                    return Err(("end", "must be after start".to_string()));
                }
                When::Once { start_ms, end_ms }
            }
            (false, true) => {
                let at = self
                    .at
                    .as_deref()
                    .ok_or(("at", "is required (HH:MM)".to_string()))?;
                let at_minute =
                    clock(at).ok_or(("at", format!("`{}` is not a time HH:MM", short(at))))?;
                let d = self
                    .duration
                    .as_deref()
                    .ok_or(("duration", "is required (e.g. \"1h\")".to_string()))?;
                let duration = humantime::parse_duration(d)
                    .map_err(|_| ("duration", format!("`{}` is not a duration", short(d))))?;
                let duration_ms = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
                if !(MINUTE_MS..=7 * DAY_MS).contains(&duration_ms) {
                    return Err(("duration", "must be from 1m to 7d".to_string()));
                }
                let mut days = [self.weekdays.is_none(); 7];
                for d in self.weekdays.iter().flatten() {
                    let i = WEEKDAYS
                        .iter()
                        .position(|w| w.eq_ignore_ascii_case(d))
                        .ok_or((
                            "weekdays",
                            format!("`{}` is not one of {}", short(d), WEEKDAYS.join(", ")),
                        ))?;
                    days[i] = true;
                }
                if !days.contains(&true) {
                    return Err(("weekdays", "names no day".to_string()));
                }
                let tz = self.timezone.as_deref().unwrap_or("UTC");
                let zone = Zone::parse(tz).ok_or((
                    "timezone",
                    format!(
                        "`{}` is not an IANA time zone such as Europe/Berlin, UTC or an offset such as +01:00",
                        short(tz)
                    ),
                ))?;
                When::Weekly {
                    days,
                    at_minute,
                    duration_ms,
                    zone,
                }
            }
        };
        Ok(Maintenance {
            name: name.to_string(),
            components: self.components.clone(),
            when,
            comment,
        })
    }
}

impl Maintenance {
    /// When the window opens, for people: one-off start → end, or weekly days, time, length.
    pub fn schedule(&self) -> String {
        let fmt = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default()
        };
        match &self.when {
            When::Once { start_ms, end_ms } => format!("{} → {} UTC", fmt(*start_ms), fmt(*end_ms)),
            When::Weekly {
                days,
                at_minute,
                duration_ms,
                zone,
            } => {
                let on: Vec<&str> = WEEKDAYS
                    .iter()
                    .zip(days)
                    .filter(|(_, d)| **d)
                    .map(|(w, _)| *w)
                    .collect();
                let days = if on.len() == 7 {
                    "daily".to_string()
                } else {
                    on.join(", ")
                };
                let tz = zone.to_string();
                let d = std::time::Duration::from_millis(u64::try_from(*duration_ms).unwrap_or(0));
                format!(
                    "{days} {:02}:{:02} for {} ({tz})",
                    at_minute / 60,
                    at_minute % 60,
                    humantime::format_duration(d)
                )
            }
        }
    }

    /// Whether the window is open at `now_ms`.
    pub fn open_at(&self, now_ms: i64) -> bool {
        match self.when {
            When::Once { start_ms, end_ms } => (start_ms..end_ms).contains(&now_ms),
            When::Weekly {
                days,
                at_minute,
                duration_ms,
                zone,
            } => {
                let today = zone.local_day(now_ms);
                // A window may have started up to seven days ago (its longest duration).
                (0..=7).any(|back| {
                    let day = today - back;
                    // 1970-01-01 was a Thursday (index 3, Monday first).
                    let weekday = (day + 3).rem_euclid(7) as usize;
                    days[weekday]
                        && zone
                            .start_ms(day, at_minute)
                            .is_some_and(|start| (start..start + duration_ms).contains(&now_ms))
                })
            }
        }
    }

    /// Whether the window covers an alert with these labels (a window naming components
    /// covers only alerts labelled with one of them).
    pub fn covers(&self, labels: &[(String, String)]) -> bool {
        self.components.is_empty()
            || labels
                .iter()
                .any(|(k, v)| k == "component" && self.components.contains(v))
    }
}

/// How a silence matcher compares (Alertmanager's four).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MatchOp {
    #[default]
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "=~")]
    Re,
    #[serde(rename = "!~")]
    NotRe,
}

impl MatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Eq => "=",
            MatchOp::Ne => "!=",
            MatchOp::Re => "=~",
            MatchOp::NotRe => "!~",
        }
    }
}

/// One matcher: `alertname` is the rule's name, `severity` its severity, anything else a label
/// (a label the alert lacks reads as empty, as in Alertmanager). Regular expressions match the
/// whole value.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "StoredMatcher")]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    /// Compiled once, on first use.
    #[serde(skip)]
    re: std::sync::OnceLock<Option<regex::Regex>>,
}

impl PartialEq for Matcher {
    fn eq(&self, o: &Self) -> bool {
        (&self.name, self.op, &self.value) == (&o.name, o.op, &o.value)
    }
}

/// Silences stored before operators existed hold `[name, value]` pairs.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredMatcher {
    Pair(String, String),
    Full {
        name: String,
        #[serde(default)]
        op: MatchOp,
        value: String,
    },
}

impl From<StoredMatcher> for Matcher {
    fn from(m: StoredMatcher) -> Self {
        match m {
            StoredMatcher::Pair(name, value) => Matcher::new(name, MatchOp::Eq, value),
            StoredMatcher::Full { name, op, value } => Matcher::new(name, op, value),
        }
    }
}

/// The most a matcher's compiled expression may take: values are at most 256 characters, so
/// only a pathological pattern comes near it.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

impl Matcher {
    pub fn new(name: impl Into<String>, op: MatchOp, value: impl Into<String>) -> Matcher {
        Matcher {
            name: name.into(),
            op,
            value: value.into(),
            re: std::sync::OnceLock::new(),
        }
    }

    /// `name=value`, `name!=value`, `name=~regex` or `name!~regex`; the value may be quoted.
    pub fn parse(text: &str) -> Option<Matcher> {
        let text = text.trim();
        let end = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(text.len());
        let (name, rest) = text.split_at(end);
        let (op, value) = [
            ("=~", MatchOp::Re),
            ("!~", MatchOp::NotRe),
            ("!=", MatchOp::Ne),
            ("=", MatchOp::Eq),
        ]
        .into_iter()
        .find_map(|(p, op)| rest.trim_start().strip_prefix(p).map(|v| (op, v)))?;
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        Some(Matcher::new(name, op, value))
    }

    fn regex(&self) -> Option<&regex::Regex> {
        self.re
            .get_or_init(|| {
                regex::RegexBuilder::new(&format!("^(?:{})$", self.value))
                    .size_limit(REGEX_SIZE_LIMIT)
                    .dfa_size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// Whether `actual` (the alert's value for this name, empty when it has none) matches. A
    /// regular expression that does not compile matches nothing (creation refuses it anyway).
    pub fn matches(&self, actual: &str) -> bool {
        match self.op {
            MatchOp::Eq => actual == self.value,
            MatchOp::Ne => actual != self.value,
            MatchOp::Re => self.regex().is_some_and(|r| r.is_match(actual)),
            MatchOp::NotRe => self.regex().is_some_and(|r| !r.is_match(actual)),
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}{}", self.name, self.op.as_str(), self.value)
    }
}

/// A silence: alerts whose rule, severity and labels all match are not notified between
/// start and end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    pub id: i64,
    pub matchers: Vec<Matcher>,
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub created_by: String,
    pub comment: String,
    pub created_ms: i64,
}

impl Silence {
    pub fn active_at(&self, now_ms: i64) -> bool {
        (self.starts_ms..self.ends_ms).contains(&now_ms)
    }

    pub fn matches(&self, rule: &str, severity: &str, labels: &[(String, String)]) -> bool {
        // Without matchers a silence would hold back everything: none is ever stored so, and
        // one read back so (a damaged row) matches nothing.
        !self.matchers.is_empty()
            && self.matchers.iter().all(|m| {
                let actual = match m.name.as_str() {
                    "alertname" => rule,
                    "severity" => severity,
                    k => labels
                        .iter()
                        .find(|(lk, _)| lk == k)
                        .map_or("", |(_, v)| v.as_str()),
                };
                m.matches(actual)
            })
    }
}

/// The longest a silence may run.
const MAX_SILENCE_MS: i64 = 90 * DAY_MS;

impl Silence {
    /// A new silence from what a person asked for, checked: the matchers and comment (see
    /// [`check_silence`]), and an end in the future, after the start, at most 90 days later.
    pub fn new(
        matchers: Vec<Matcher>,
        (starts_ms, ends_ms): (i64, i64),
        now_ms: i64,
        created_by: String,
        comment: &str,
    ) -> Result<Silence, FieldError> {
        check_silence(&matchers, comment)?;
        if ends_ms <= starts_ms.max(now_ms) || ends_ms - starts_ms > MAX_SILENCE_MS {
            return Err((
                "ends_at",
                "must be in the future, after `starts_at`, and at most 90 days after it"
                    .to_string(),
            ));
        }
        Ok(Silence {
            id: 0,
            matchers,
            starts_ms,
            ends_ms,
            created_by,
            comment: comment.trim().to_string(),
            created_ms: now_ms,
        })
    }
}

/// Checks a silence's matchers and comment as posted (1 to 10 matchers; names are
/// `alertname`, `severity` or label names of 1-64 word characters; values 1-256 characters;
/// regular expressions must compile; and, as Alertmanager asks, at least one matcher must not
/// match an empty value, so that no silence holds back every alert).
pub fn check_silence(matchers: &[Matcher], comment: &str) -> Result<(), FieldError> {
    if matchers.is_empty() || matchers.len() > 10 {
        return Err((
            "matchers",
            "needs 1 to 10 matchers (alertname, severity or a label)".to_string(),
        ));
    }
    for m in matchers {
        let (k, v) = (&m.name, &m.value);
        let name_ok = !k.is_empty()
            && k.len() <= 64
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok {
            return Err(("matchers", format!("`{}` is not a label name", short(k))));
        }
        let hidden = |c: char| c.is_control() || crate::model::is_format_char(c);
        if v.is_empty() || v.chars().count() > 256 || v.chars().any(hidden) {
            return Err((
                "matchers",
                format!("the value for `{k}` must be 1 to 256 printable characters"),
            ));
        }
        if matches!(m.op, MatchOp::Re | MatchOp::NotRe) && m.regex().is_none() {
            return Err((
                "matchers",
                format!("`{}` is not a regular expression Pulse accepts", short(v)),
            ));
        }
    }
    if matchers.iter().all(|m| m.matches("")) {
        return Err((
            "matchers",
            "at least one matcher must require a value (these would silence every alert)"
                .to_string(),
        ));
    }
    if comment.trim().is_empty() || comment.chars().count() > 500 {
        return Err((
            "comment",
            "must be 1 to 500 characters (say why)".to_string(),
        ));
    }
    if comment.chars().any(crate::model::is_format_char) {
        return Err((
            "comment",
            "must not hold characters that reorder or hide text".to_string(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(t: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(t)
            .unwrap()
            .timestamp_millis()
    }

    fn weekly(days: Option<&[&str]>, at: &str, duration: &str, tz: &str) -> Maintenance {
        MaintenanceSpec {
            name: "w".into(),
            weekdays: days.map(|d| d.iter().map(|s| s.to_string()).collect()),
            at: Some(at.into()),
            duration: Some(duration.into()),
            timezone: Some(tz.into()),
            ..Default::default()
        }
        .validate(&[])
        .unwrap()
    }

    #[test]
    fn weekly_windows_open_on_their_days_in_their_offset_and_across_midnight() {
        // Saturdays 23:00 for 2 h at +01:00: Sat 22:00Z to Sun 00:00Z.
        let w = weekly(Some(&["sat"]), "23:00", "2h", "+01:00");
        assert!(!w.open_at(ms("2026-12-05T21:59:00Z")), "Sat 22:59 local");
        assert!(w.open_at(ms("2026-12-05T22:00:00Z")));
        assert!(w.open_at(ms("2026-12-05T23:59:00Z")), "past midnight UTC");
        assert!(!w.open_at(ms("2026-12-06T00:00:00Z")));
        assert!(
            !w.open_at(ms("2026-12-12T21:00:00Z")),
            "next Saturday, too early"
        );
        assert!(w.open_at(ms("2026-12-12T22:30:00Z")));
        let daily = weekly(None, "02:00", "30m", "UTC");
        for day in ["2026-12-01", "2026-12-03", "2026-12-06"] {
            assert!(daily.open_at(ms(&format!("{day}T02:10:00Z"))), "{day}");
            assert!(!daily.open_at(ms(&format!("{day}T02:31:00Z"))), "{day}");
        }
    }

    #[test]
    fn named_zones_follow_daylight_saving() {
        // Mondays 22:00 Berlin time for 2 h: 20:00Z in summer (CEST), 21:00Z in winter (CET).
        let w = weekly(Some(&["mon"]), "22:00", "2h", "Europe/Berlin");
        assert!(!w.open_at(ms("2026-07-06T19:59:00Z")));
        assert!(w.open_at(ms("2026-07-06T20:00:00Z")));
        assert!(!w.open_at(ms("2026-07-06T22:00:00Z")));
        assert!(
            !w.open_at(ms("2026-01-05T20:30:00Z")),
            "winter: an hour later"
        );
        assert!(w.open_at(ms("2026-01-05T21:30:00Z")));
        assert_eq!(w.schedule(), "mon 22:00 for 2h (Europe/Berlin)");
        // 02:30 does not exist on 2026-03-29 in Berlin (02:00 → 03:00): the window opens at
        // 03:00 CEST, 01:00Z, and still lasts an hour.
        let gap = weekly(Some(&["sun"]), "02:30", "1h", "Europe/Berlin");
        assert!(!gap.open_at(ms("2026-03-29T00:59:00Z")));
        assert!(gap.open_at(ms("2026-03-29T01:00:00Z")));
        assert!(!gap.open_at(ms("2026-03-29T02:00:00Z")));
        // New York, west of UTC, across its midnight: Fridays 23:30 for 1 h.
        let ny = weekly(Some(&["fri"]), "23:30", "1h", "America/New_York");
        assert!(ny.open_at(ms("2026-12-05T04:45:00Z")), "Fri 23:45 EST");
        assert!(!ny.open_at(ms("2026-12-05T05:31:00Z")));
    }

    #[test]
    fn one_off_windows_cover_their_components_only() {
        let w = MaintenanceSpec {
            name: "db upgrade".into(),
            components: vec!["gateway-db".into()],
            start: Some("2026-12-24T22:00:00Z".into()),
            end: Some("2026-12-25T02:00:00+01:00".into()),
            ..Default::default()
        }
        .validate(&["gateway-db", "docs-api"])
        .unwrap();
        assert!(w.open_at(ms("2026-12-24T23:00:00Z")));
        assert!(!w.open_at(ms("2026-12-25T01:00:00Z")), "the end is 01:00Z");
        let db = [("component".to_string(), "gateway-db".to_string())];
        let api = [("component".to_string(), "docs-api".to_string())];
        assert!(w.covers(&db) && !w.covers(&api) && !w.covers(&[]));
    }

    #[test]
    fn bad_windows_and_silences_name_the_field() {
        let bad = |s: MaintenanceSpec| s.validate(&["db"]).unwrap_err().0;
        let base = MaintenanceSpec {
            name: "x".into(),
            ..Default::default()
        };
        assert_eq!(bad(base.clone()), "start");
        assert_eq!(
            bad(MaintenanceSpec {
                components: vec!["nope".into()],
                start: Some("2026-12-24T22:00:00Z".into()),
                end: Some("2026-12-24T23:00:00Z".into()),
                ..base.clone()
            }),
            "components"
        );
        assert_eq!(
            bad(MaintenanceSpec {
                start: Some("2026-12-24T22:00:00Z".into()),
                end: Some("2026-12-24T21:00:00Z".into()),
                ..base.clone()
            }),
            "end"
        );
        let weekly = |at: &str, d: &str, days: &[&str], tz: &str| MaintenanceSpec {
            at: Some(at.into()),
            duration: Some(d.into()),
            weekdays: Some(days.iter().map(|s| s.to_string()).collect()),
            timezone: Some(tz.into()),
            ..base.clone()
        };
        assert_eq!(bad(weekly("25:00", "1h", &["mon"], "UTC")), "at");
        assert_eq!(bad(weekly("02:00", "8d", &["mon"], "UTC")), "duration");
        assert_eq!(bad(weekly("02:00", "1h", &["someday"], "UTC")), "weekdays");
        assert_eq!(
            bad(weekly("02:00", "1h", &["mon"], "Mars/Olympus_Mons")),
            "timezone"
        );
        assert_eq!(bad(weekly("02:00", "1h", &["mon"], "+25:00")), "timezone");
        assert_eq!(check_silence(&[], "why").unwrap_err().0, "matchers");
        let m = vec![Matcher::new("alertname", MatchOp::Eq, "docs-api down")];
        assert_eq!(check_silence(&m, " ").unwrap_err().0, "comment");
        let evil = vec![Matcher::new("a b", MatchOp::Eq, "x")];
        assert_eq!(check_silence(&evil, "why").unwrap_err().0, "matchers");
        let bidi = vec![Matcher::new("alertname", MatchOp::Eq, "down\u{202E}")];
        assert_eq!(check_silence(&bidi, "why").unwrap_err().0, "matchers");
        assert_eq!(check_silence(&m, "why\u{202E}").unwrap_err().0, "comment");
        assert!(check_silence(&m, "deploying").is_ok());
    }

    #[test]
    fn silences_match_rule_severity_and_labels_all_together() {
        let s = Silence {
            id: 1,
            matchers: vec![
                Matcher::new("alertname", MatchOp::Eq, "down"),
                Matcher::new("component", MatchOp::Eq, "db"),
            ],
            starts_ms: 10,
            ends_ms: 20,
            created_by: "ann".into(),
            comment: "upgrade".into(),
            created_ms: 5,
        };
        let db = [("component".to_string(), "db".to_string())];
        let api = [("component".to_string(), "api".to_string())];
        assert!(s.matches("down", "high", &db));
        assert!(!s.matches("down", "high", &api));
        assert!(!s.matches("slow", "high", &db));
        assert!(s.active_at(10) && s.active_at(19) && !s.active_at(20) && !s.active_at(9));
    }

    fn silence(matchers: &[&str]) -> Silence {
        Silence {
            id: 1,
            matchers: matchers
                .iter()
                .map(|m| Matcher::parse(m).unwrap())
                .collect(),
            starts_ms: 0,
            ends_ms: 1,
            created_by: "ann".into(),
            comment: "why".into(),
            created_ms: 0,
        }
    }

    #[test]
    fn matchers_take_alertmanagers_four_operators() {
        let labels = |c: &str| [("component".to_string(), c.to_string())];
        let s = silence(&["alertname=down", r#"component=~"docs-.*""#]);
        assert!(s.matches("down", "high", &labels("docs-api")));
        // The expression matches the whole value, not a part of it.
        assert!(!s.matches("down", "high", &labels("old-docs-api")));
        let s = silence(&["alertname=down", "component!=db"]);
        assert!(s.matches("down", "high", &labels("api")));
        assert!(!s.matches("down", "high", &labels("db")));
        // A label the alert lacks reads as empty.
        assert!(s.matches("down", "high", &[]));
        let s = silence(&["severity!~low|medium", "alertname=~.+"]);
        assert!(s.matches("down", "high", &[]));
        assert!(!s.matches("down", "low", &[]));
        assert_eq!(
            Matcher::parse(" component =~ \"a|b\" ")
                .unwrap()
                .to_string(),
            "component=~a|b"
        );
        assert!(Matcher::parse("no operator").is_none());
    }

    #[test]
    fn a_silence_that_would_hold_back_everything_or_does_not_compile_is_refused() {
        for bad in [
            &["alertname=~.*"][..],
            &["component!=db"],
            &["alertname!~down", "severity=~(low)?"],
            &["alertname=~(unclosed"],
        ] {
            let m: Vec<Matcher> = bad.iter().map(|t| Matcher::parse(t).unwrap()).collect();
            assert_eq!(
                check_silence(&m, "why").unwrap_err().0,
                "matchers",
                "{bad:?}"
            );
        }
        let ok: Vec<Matcher> = ["component!=db", "alertname=~down|slow"]
            .iter()
            .map(|t| Matcher::parse(t).unwrap())
            .collect();
        assert!(check_silence(&ok, "why").is_ok());
    }

    #[test]
    fn silences_stored_before_operators_read_back_as_equality() {
        let old: Vec<Matcher> = serde_json::from_str(r#"[["alertname","down"]]"#).unwrap();
        assert_eq!(old, vec![Matcher::new("alertname", MatchOp::Eq, "down")]);
        let new = serde_json::to_string(&[Matcher::new("component", MatchOp::Re, "a.*")]).unwrap();
        assert_eq!(new, r#"[{"name":"component","op":"=~","value":"a.*"}]"#);
        let back: Vec<Matcher> = serde_json::from_str(&new).unwrap();
        assert_eq!(back[0].op, MatchOp::Re);
        // No matcher at all (a damaged row) matches nothing rather than everything.
        assert!(!silence(&[]).matches("down", "high", &[]));
    }
}
