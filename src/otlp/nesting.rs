//! Which span of an MCP operation counts. One call through a gateway leaves several MCP spans
//! in one trace — ContextForge's `tool.invoke`, and under it (through spans that are not MCP
//! operations) its client's `tools/call`, `initialize` and `tools/list` to the server behind
//! it — and the operation must be counted once, by the outermost span (its status and
//! duration are what the caller saw). Spans of one operation usually leave in one export; when
//! an export splits them, what earlier exports held is remembered (hashed ids, two bounded
//! generations), so a later relative is still recognised.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// A span as the judge sees it: its key, its parent's key, and whether it is an MCP operation.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub key: u64,
    pub parent: Option<u64>,
    pub mcp: bool,
}

/// A span's key: its trace and span id, hashed.
pub fn key(trace: &[u8], span: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    (trace, span).hash(&mut h);
    h.finish()
}

/// Spans remembered per generation; two generations are kept (a few seconds at full rate).
const GENERATION: usize = 200_000;
/// Longest parent chain followed inside an export.
const MAX_DEPTH: usize = 64;

#[derive(Default)]
pub struct Nesting {
    /// Spans of earlier exports that are MCP operations or lie under one.
    covered: [HashSet<u64>; 2],
    /// Spans (seen or not) that have an MCP operation below them in an earlier export.
    below: [HashSet<u64>; 2],
}

enum Walk {
    /// `visit` said stop at an ancestor inside the export.
    Stopped,
    /// The chain left the export: the parent key it named.
    Left(u64),
    /// The chain reached a root (or was too long to follow).
    Root,
}

/// Follows parents from `from` inside the export, calling `visit` on each ancestor found.
fn walk(
    nodes: &HashMap<u64, Link>,
    from: Option<u64>,
    mut visit: impl FnMut(&Link) -> bool,
) -> Walk {
    let mut cur = from;
    for _ in 0..MAX_DEPTH {
        let Some(k) = cur else { return Walk::Root };
        let Some(node) = nodes.get(&k) else {
            return Walk::Left(k);
        };
        if visit(node) {
            return Walk::Stopped;
        }
        cur = node.parent;
    }
    Walk::Root
}

fn has(sets: &[HashSet<u64>; 2], k: u64) -> bool {
    sets.iter().any(|s| s.contains(&k))
}

impl Nesting {
    /// The MCP spans of an export that are not to be counted (an outer MCP span, here or in an
    /// earlier export, or an inner one in an earlier export, belongs to the same operation);
    /// then remembers this export.
    pub fn judge(&mut self, spans: &[Link]) -> HashSet<u64> {
        let nodes: HashMap<u64, Link> = spans.iter().map(|l| (l.key, *l)).collect();
        // Whether a span lies under an MCP operation: inside the export, or through the
        // parent it leaves the export by.
        let under_mcp = |l: &Link| match walk(&nodes, l.parent, |a| a.mcp) {
            Walk::Stopped => true,
            Walk::Left(p) => has(&self.covered, p),
            Walk::Root => false,
        };
        // Spans here with an MCP operation below them in an earlier export.
        let mut above_earlier: HashSet<u64> = HashSet::new();
        for l in spans.iter().filter(|l| has(&self.below, l.key)) {
            above_earlier.insert(l.key);
            walk(&nodes, l.parent, |a| !above_earlier.insert(a.key));
        }
        let mut nested = HashSet::new();
        let mut covered = Vec::new();
        let mut below = Vec::new();
        for l in spans {
            let under = under_mcp(l);
            if l.mcp && (under || above_earlier.contains(&l.key)) {
                nested.insert(l.key);
            }
            if l.mcp || under {
                covered.push(l.key);
            }
            if l.mcp || above_earlier.contains(&l.key) {
                if let Walk::Left(p) = walk(&nodes, l.parent, |_| false) {
                    below.push(p);
                }
            }
        }
        self.remember(covered, below);
        nested
    }

    fn remember(&mut self, covered: Vec<u64>, below: Vec<u64>) {
        if self.covered[0].len() + covered.len() > GENERATION {
            self.covered.swap(0, 1);
            self.below.swap(0, 1);
            self.covered[0].clear();
            self.below[0].clear();
        }
        self.covered[0].extend(covered);
        self.below[0].extend(below);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(key: u64, parent: Option<u64>, mcp: bool) -> Link {
        Link { key, parent, mcp }
    }

    /// ContextForge's shape: tool.invoke (1, MCP by name) → gateway_call (2) → client.call (3)
    /// → client.request (4) → "MCP send tools/call" (5, MCP) and "MCP send tools/list" (6, MCP),
    /// under the HTTP server span (0).
    fn forge() -> Vec<Link> {
        vec![
            l(0, None, false),
            l(1, Some(0), true),
            l(2, Some(1), false),
            l(3, Some(2), false),
            l(4, Some(3), false),
            l(5, Some(4), true),
            l(6, Some(4), true),
        ]
    }

    #[test]
    fn in_one_export_the_outermost_mcp_span_counts() {
        let nested = Nesting::default().judge(&forge());
        assert_eq!(nested, HashSet::from([5, 6]));
    }

    #[test]
    fn split_across_exports_in_either_order_still_once() {
        let all = forge();
        // Inner spans first (they end first), the rest later.
        let mut n = Nesting::default();
        // Without their outer span in view, the inner calls count (they are all there is).
        assert!(n.judge(&all[4..]).is_empty());
        let later = n.judge(&all[..4]);
        assert_eq!(
            later,
            HashSet::from([1]),
            "1 has an MCP span below it already"
        );
        // Outer spans first, inner later.
        let mut n = Nesting::default();
        assert!(n.judge(&all[..3]).is_empty());
        assert_eq!(n.judge(&all[3..]), HashSet::from([5, 6]));
    }

    #[test]
    fn separate_calls_under_one_parent_count_separately() {
        let spans = [l(0, None, false), l(1, Some(0), true), l(2, Some(0), true)];
        assert!(Nesting::default().judge(&spans).is_empty());
        let mut n = Nesting::default();
        assert!(n.judge(&spans[1..2]).is_empty());
        assert!(n.judge(&spans[2..]).is_empty());
    }
}
