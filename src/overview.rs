//! What the Overview shows of the components at any count: the visitor's filter (name, kind,
//! type, status, kept in the URL), full cards for what needs attention, a compact tile for
//! each healthy component once there are many, and the MCP servers table a page at a time.
//! Shaped on the server, so a page of 1,000 components carries tiles, not 1,000 cards.

use crate::model::{ComponentHealth, ComponentType, HealthSummary, Status};
use serde::{Deserialize, Serialize};

/// Up to this many components, every one gets its full card (in configured order).
pub const FULL_CARDS_UP_TO: usize = 24;
/// Beyond `FULL_CARDS_UP_TO`, at most this many full cards (worst first); the rest are tiles.
pub const MAX_CARDS: usize = 48;
/// Rows of the MCP servers table per page.
pub const MCP_PAGE_ROWS: usize = 25;
/// A name search longer than any name is cut here.
const MAX_QUERY: usize = 64;

/// The Overview's query string; empty means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewFilter {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub q: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The component type (`database`, `network`, …), `type` in the URL.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub component_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// 1-based page of the MCP servers table.
    #[serde(
        default,
        skip_serializing_if = "first_page",
        deserialize_with = "page_or_past_the_end"
    )]
    pub mcp_page: usize,
}

/// A page number as sent; anything that is not one (negative, not a number, too large) reads
/// as a page past the end, so `shape` names it as ignored instead of the call failing.
fn page_or_past_the_end<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match &v {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .unwrap_or(usize::MAX))
}

fn first_page(p: &usize) -> bool {
    *p <= 1
}

impl OverviewFilter {
    /// `/` with this filter as its query string, on MCP page `mcp_page`.
    pub fn href(&self, mcp_page: usize) -> String {
        let f = OverviewFilter {
            mcp_page,
            ..self.clone()
        };
        match serde_urlencoded::to_string(&f) {
            Ok(q) if !q.is_empty() => format!("/?{q}"),
            _ => "/".to_string(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
            && self.kind.is_empty()
            && self.component_type.is_empty()
            && self.status.is_empty()
    }
}

/// A healthy component in the compact grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tile {
    pub name: String,
    pub kind: String,
    pub status: Status,
    pub response_time_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpTable {
    /// The derived group's status, healthy and total checked servers (all servers, unfiltered).
    pub group: Option<(Status, usize, usize)>,
    pub rows: Vec<ComponentHealth>,
    pub page: usize,
    pub pages: usize,
    pub total: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverviewData {
    /// Counts and overall status of every component; `components` left empty.
    pub summary: HealthSummary,
    pub cards: Vec<ComponentHealth>,
    pub tiles: Vec<Tile>,
    /// Whether healthy components are tiles (many components) rather than cards.
    pub compact: bool,
    /// Components the filter matches.
    pub matched: usize,
    /// Kinds present, for the filter's choices.
    pub kinds: Vec<String>,
    pub mcp: McpTable,
    /// Filter values that were not understood and so were ignored.
    pub ignored: Vec<String>,
    /// The filter as applied (unknown values cleared), for the form.
    pub filter: OverviewFilter,
}

/// Puts worst first: unhealthy, degraded, not yet checked, healthy.
fn rank(s: Status) -> u8 {
    match s {
        Status::Unhealthy => 0,
        Status::Degraded => 1,
        Status::Unknown => 2,
        Status::Healthy => 3,
    }
}

/// The Overview of `summary` under `filter`.
pub fn shape(mut summary: HealthSummary, filter: &OverviewFilter) -> OverviewData {
    let components = std::mem::take(&mut summary.components);
    let mut kinds: Vec<String> = components.iter().map(|c| c.kind.clone()).collect();
    kinds.sort();
    kinds.dedup();
    let mut ignored = Vec::new();
    let mut applied = OverviewFilter {
        q: filter.q.trim().chars().take(MAX_QUERY).collect(),
        ..OverviewFilter::default()
    };
    let status = match filter.status.as_str() {
        "" => None,
        s => match Status::parse(s) {
            Some(st) => {
                applied.status = s.to_string();
                Some(st)
            }
            None => {
                ignored.push("status".to_string());
                None
            }
        },
    };
    let group = match filter.component_type.as_str() {
        "" => None,
        g => match ComponentType::parse(g) {
            Some(t) => {
                applied.component_type = g.to_string();
                Some(t)
            }
            None => {
                ignored.push("type".to_string());
                None
            }
        },
    };
    match filter.kind.as_str() {
        "" => {}
        k if kinds.iter().any(|x| x == k) => applied.kind = k.to_string(),
        _ => ignored.push("kind".to_string()),
    }
    let needle = applied.q.to_lowercase();
    let mcp_group = crate::model::mcp_group_status(&components);
    let matched: Vec<ComponentHealth> = components
        .into_iter()
        .filter(|c| needle.is_empty() || c.component.to_lowercase().contains(&needle))
        .filter(|c| applied.kind.is_empty() || c.kind == applied.kind)
        .filter(|c| group.is_none_or(|g| c.component_type == g))
        .filter(|c| status.is_none_or(|s| c.status == s))
        .collect();
    let compact = summary.total_components > FULL_CARDS_UP_TO;
    let servers: Vec<&ComponentHealth> = matched.iter().filter(|c| c.kind == "mcp").collect();
    let pages = servers.len().div_ceil(MCP_PAGE_ROWS).max(1);
    let page = filter.mcp_page.clamp(1, pages);
    if filter.mcp_page > pages {
        ignored.push("mcp_page".to_string());
    }
    applied.mcp_page = page;
    let mcp = McpTable {
        group: mcp_group,
        total: servers.len(),
        rows: servers
            .into_iter()
            .skip((page - 1) * MCP_PAGE_ROWS)
            .take(MCP_PAGE_ROWS)
            .cloned()
            .collect(),
        page,
        pages,
    };
    let total = matched.len();
    let (cards, tiles) = if compact {
        let mut sorted = matched;
        // Stable: components of equal status keep their configured order.
        sorted.sort_by_key(|c| rank(c.status));
        let attention = sorted
            .iter()
            .take_while(|c| c.status != Status::Healthy)
            .count()
            .min(MAX_CARDS);
        let rest = sorted.split_off(attention);
        let tiles = rest
            .into_iter()
            .map(|c| Tile {
                name: c.component,
                kind: c.kind,
                status: c.status,
                response_time_ms: c.response_time_ms,
            })
            .collect();
        (sorted, tiles)
    } else {
        (matched, Vec::new())
    };
    OverviewData {
        summary,
        cards,
        tiles,
        compact,
        matched: total,
        kinds,
        mcp,
        ignored,
        filter: applied,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(name: &str, kind: &str, status: Status) -> ComponentHealth {
        ComponentHealth {
            component: name.into(),
            component_type: if kind == "mcp" {
                ComponentType::ExternalService
            } else {
                ComponentType::Network
            },
            kind: kind.into(),
            critical: false,
            status,
            response_time_ms: Some(3.0),
            timestamp: None,
            details: serde_json::json!({"big": "x".repeat(100)}),
            error_message: None,
            last_result_status: status,
            consecutive_failures: 0,
            consecutive_successes: 0,
            interval_secs: 30.0,
            timeout_ms: 5000.0,
            degraded_after_ms: None,
            p95_ms: None,
        }
    }

    fn summary(components: Vec<ComponentHealth>) -> HealthSummary {
        HealthSummary {
            overall_status: Status::Degraded,
            total_components: components.len(),
            healthy_components: components
                .iter()
                .filter(|c| c.status == Status::Healthy)
                .count(),
            degraded_components: 0,
            unhealthy_components: 0,
            components,
            health_score: 90.0,
            last_check: None,
            uptime_seconds: 1,
            generated_at_ms: 1,
            version: "t".into(),
        }
    }

    fn many() -> HealthSummary {
        summary(
            (0..1000)
                .map(|i| {
                    let status = match i {
                        500 => Status::Unhealthy,
                        7 | 900 => Status::Degraded,
                        _ => Status::Healthy,
                    };
                    comp(
                        &format!("svc-{i:04}"),
                        if i % 10 == 0 { "mcp" } else { "http" },
                        status,
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn at_a_thousand_components_what_needs_attention_comes_first_and_the_rest_are_tiles() {
        let o = shape(many(), &OverviewFilter::default());
        assert!(o.compact);
        let names: Vec<&str> = o.cards.iter().map(|c| c.component.as_str()).collect();
        assert_eq!(names, ["svc-0500", "svc-0007", "svc-0900"]);
        assert_eq!(o.tiles.len(), 997);
        assert!(o.summary.components.is_empty());
        assert_eq!(o.matched, 1000);
        assert_eq!(o.kinds, ["http", "mcp"]);
        // 100 MCP servers, 25 a page.
        assert_eq!((o.mcp.total, o.mcp.pages, o.mcp.rows.len()), (100, 4, 25));
    }

    #[test]
    fn filters_combine_and_unknown_values_are_ignored_and_named() {
        let f = OverviewFilter {
            q: "  SVC-05 ".into(),
            kind: "mcp".into(),
            status: "unhealthy".into(),
            ..Default::default()
        };
        let o = shape(many(), &f);
        assert_eq!(o.matched, 1);
        assert_eq!(o.cards[0].component, "svc-0500");
        assert_eq!(o.filter.q, "SVC-05");
        let f = OverviewFilter {
            kind: "<script>".into(),
            status: "sideways".into(),
            component_type: "nope".into(),
            mcp_page: 99,
            ..Default::default()
        };
        let o = shape(many(), &f);
        assert_eq!(o.matched, 1000);
        assert_eq!(o.ignored, ["status", "type", "kind", "mcp_page"]);
        assert_eq!(o.mcp.page, 4);
        assert_eq!(o.filter.kind, "");
    }

    #[test]
    fn links_carry_the_filter_encoded() {
        let f = OverviewFilter {
            q: "a&b c".into(),
            status: "degraded".into(),
            ..Default::default()
        };
        assert_eq!(f.href(1), "/?q=a%26b+c&status=degraded");
        assert_eq!(f.href(3), "/?q=a%26b+c&status=degraded&mcp_page=3");
        assert_eq!(OverviewFilter::default().href(1), "/");
    }

    #[test]
    fn a_page_that_is_not_a_number_is_named_not_an_error() {
        for q in [
            "mcp_page=-5",
            "mcp_page=99999999999999999999999",
            "mcp_page=two",
            "mcp_page=2",
        ] {
            let f: OverviewFilter = serde_urlencoded::from_str(q).unwrap();
            let o = shape(many(), &f);
            assert_eq!(
                o.ignored.contains(&"mcp_page".to_string()),
                q != "mcp_page=2",
                "{q}"
            );
        }
    }

    #[test]
    fn a_few_components_keep_a_card_each_in_configured_order() {
        let s = summary(vec![
            comp("a", "http", Status::Healthy),
            comp("b", "http", Status::Unhealthy),
        ]);
        let o = shape(s, &OverviewFilter::default());
        assert!(!o.compact);
        assert!(o.tiles.is_empty());
        let names: Vec<&str> = o.cards.iter().map(|c| c.component.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn cards_are_capped_when_everything_needs_attention() {
        let s = summary(
            (0..200)
                .map(|i| comp(&format!("c{i}"), "http", Status::Unknown))
                .collect(),
        );
        let o = shape(s, &OverviewFilter::default());
        assert_eq!((o.cards.len(), o.tiles.len()), (MAX_CARDS, 200 - MAX_CARDS));
    }
}
