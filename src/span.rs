//! Time spans: the one type every view, API, server function and page uses for "how far
//! back", and the set of spans each view accepts (with its default and its parameter name),
//! so parsing, labels and error messages are written once.

use serde::{Deserialize, Serialize};

/// How far back a view looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Span {
    #[serde(rename = "1h")]
    H1,
    #[serde(rename = "6h")]
    H6,
    #[serde(rename = "24h")]
    H24,
    #[serde(rename = "7d")]
    D7,
    #[serde(rename = "30d")]
    D30,
}

impl Span {
    pub const ALL: [Span; 5] = [Span::H1, Span::H6, Span::H24, Span::D7, Span::D30];

    /// The name in URLs, APIs and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Span::H1 => "1h",
            Span::H6 => "6h",
            Span::H24 => "24h",
            Span::D7 => "7d",
            Span::D30 => "30d",
        }
    }

    /// Exactly one of the names above; nothing else (no case folding, no spaces, no `1d`).
    pub fn parse(s: &str) -> Option<Span> {
        Span::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn hours(self) -> u32 {
        match self {
            Span::H1 => 1,
            Span::H6 => 6,
            Span::H24 => 24,
            Span::D7 => 168,
            Span::D30 => 720,
        }
    }
}

/// The spans one view accepts, the one it uses when none is given, and the name of the
/// parameter that carries it.
#[derive(Debug, Clone, Copy)]
pub struct Spans {
    pub param: &'static str,
    /// What a picker of these spans is called (its accessible name).
    pub label: &'static str,
    pub allowed: &'static [Span],
    pub default: Span,
}

/// The endpoint tables (Requests page, `/api/v1/analytics/endpoints`).
pub const WINDOWS: Spans = Spans {
    param: "window",
    label: "Time window",
    allowed: &[Span::H1, Span::H6, Span::H24, Span::D7],
    default: Span::H1,
};

/// The traffic summary (`/api/v1/analytics/summary`).
pub const PERIODS: Spans = Spans {
    param: "period",
    label: "Period",
    allowed: &Span::ALL,
    default: Span::H24,
};

/// The role views (Roles page, `/api/v1/roles/*`).
pub const TIMEFRAMES: Spans = Spans {
    param: "timeframe",
    label: "Timeframe",
    allowed: &[Span::H1, Span::H24, Span::D7, Span::D30],
    default: Span::H24,
};

/// The hours the trends chart and API take.
pub const TREND_HOURS: std::ops::RangeInclusive<u32> = 1..=168;

impl Spans {
    /// The caller's value (the default when absent), or a message naming what is accepted
    /// and echoing at most a short printable prefix of what was sent.
    pub fn parse(&self, value: Option<&str>) -> Result<Span, String> {
        let Some(v) = value else {
            return Ok(self.default);
        };
        Span::parse(v)
            .filter(|s| self.allowed.contains(s))
            .ok_or_else(|| {
                let names: Vec<&str> = self.allowed.iter().map(|s| s.as_str()).collect();
                format!(
                    "`{}` must be one of {}, not `{}`",
                    self.param,
                    names.join(", "),
                    crate::model::shown(v)
                )
            })
    }

    /// A page's URL value: what it names when allowed, else the default (a page never fails
    /// on a hand-edited query string).
    pub fn or_default(&self, value: Option<&str>) -> Span {
        self.parse(value).unwrap_or(self.default)
    }
}

/// `hours` for the trends: 1 to 168, or a message saying so.
pub fn trend_hours(hours: u32) -> Result<u32, String> {
    parse_trend_hours(&hours.to_string())
}

/// `hours` as text (a query string's): an integer 1 to 168, or a message saying so.
pub fn parse_trend_hours(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(h) if TREND_HOURS.contains(&h) => Ok(h),
        _ => Err(format!(
            "`hours` must be an integer from {} to {}, not `{}`",
            TREND_HOURS.start(),
            TREND_HOURS.end(),
            crate::model::shown(value)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_nothing_else_parses() {
        for s in Span::ALL {
            assert_eq!(Span::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        for bad in [
            "",
            "1d",
            "24H",
            "24h;DROP TABLE audit_events",
            "720h",
            " 1h",
        ] {
            assert_eq!(Span::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn each_view_accepts_its_own_spans_only() {
        assert_eq!(WINDOWS.parse(None), Ok(Span::H1));
        assert_eq!(WINDOWS.parse(Some("7d")), Ok(Span::D7));
        assert_eq!(
            WINDOWS.parse(Some("30d")).unwrap_err(),
            "`window` must be one of 1h, 6h, 24h, 7d, not `30d`"
        );
        assert_eq!(PERIODS.parse(None), Ok(Span::H24));
        assert_eq!(PERIODS.parse(Some("30d")), Ok(Span::D30));
        assert_eq!(TIMEFRAMES.parse(None), Ok(Span::H24));
        assert_eq!(
            TIMEFRAMES.parse(Some("6h")).unwrap_err(),
            "`timeframe` must be one of 1h, 24h, 7d, 30d, not `6h`"
        );
        assert_eq!(TIMEFRAMES.or_default(Some("6h")), Span::H24);
        assert_eq!(TIMEFRAMES.or_default(Some("30d")), Span::D30);
    }

    #[test]
    fn long_values_are_not_echoed_whole() {
        let long = "x".repeat(5_000);
        let e = WINDOWS.parse(Some(&long)).unwrap_err();
        assert!(e.len() < 120, "{e}");
    }

    #[test]
    fn trend_hours_are_one_to_a_week() {
        assert_eq!(trend_hours(1), Ok(1));
        assert_eq!(trend_hours(168), Ok(168));
        assert!(trend_hours(0).is_err());
        assert_eq!(parse_trend_hours("24"), Ok(24));
        assert!(parse_trend_hours("-1").is_err());
        assert!(parse_trend_hours(" 1").is_err());
        assert_eq!(
            trend_hours(169).unwrap_err(),
            "`hours` must be an integer from 1 to 168, not `169`"
        );
    }
}
