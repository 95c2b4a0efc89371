//! Charts drawn with charming (ECharts) in the browser. The server renders the empty
//! container; hydration draws into it and later updates the same chart instance in place.

use crate::model::CheckRecord;
use leptos::prelude::*;

/// Draws `make()` into the element `id` once hydrated, then updates the same ECharts instance
/// whenever the signals `make` reads change (no re-creation, no flicker). The first chart on
/// any page fetches ECharts; the effect runs again when it has arrived. `patterns` lays
/// ECharts' decal patterns over bars and areas, so series differ by more than colour.
#[cfg(feature = "hydrate")]
fn draw(id: &'static str, patterns: bool, make: impl Fn() -> charming::Chart + 'static) {
    use std::cell::RefCell;
    use std::rc::Rc;
    let instance: Rc<RefCell<Option<echarts::Instance>>> = Rc::new(RefCell::new(None));
    // Someone who asked their system for less motion gets charts that appear without animating.
    let still = web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|m| m.matches());
    Effect::new(move |_| {
        let chart = if still {
            make().animation(false)
        } else {
            make()
        };
        if !echarts::ready() {
            return;
        }
        let mut slot = instance.borrow_mut();
        if slot.is_none() {
            *slot = echarts::init(id);
        }
        match slot.as_ref() {
            Some(existing) => echarts::set_option(existing, &chart, patterns),
            None => leptos::logging::warn!("chart {id}: no element to draw into"),
        }
    });
}

/// ECharts on demand: about 270 KB even compressed, and the Overview, the first page most
/// people open, draws no chart.
#[cfg(feature = "hydrate")]
mod echarts {
    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast};

    thread_local! {
        // Arc-backed, so no page's owner disposes it when that page goes away.
        static LOADED: ArcRwSignal<bool> = ArcRwSignal::new(false);
        static REQUESTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// True once ECharts is in the page; tracked, so an effect that asked runs again then.
    pub fn ready() -> bool {
        let loaded = LOADED.with(|l| l.clone());
        if loaded.get() {
            return true;
        }
        if has_echarts() {
            loaded.set(true);
            return true;
        }
        if !REQUESTED.with(|r| r.replace(true)) {
            request(loaded);
        }
        false
    }

    #[wasm_bindgen::prelude::wasm_bindgen]
    extern "C" {
        /// One chart drawn by ECharts.
        pub type Instance;
        #[wasm_bindgen(js_namespace = echarts, js_name = init)]
        fn init_on(element: &web_sys::Element) -> Instance;
        #[wasm_bindgen(method, js_name = setOption)]
        fn set_option_js(this: &Instance, option: &wasm_bindgen::JsValue);
    }

    /// ECharts' `aria` option, which charming cannot say in full: decal patterns on, and the
    /// description ECharts would write over the container's own `aria-label` off (it reads
    /// stacked values as "0, 5, 5, NaN").
    #[derive(serde::Serialize)]
    struct Aria {
        enabled: bool,
        label: Switch,
        decal: Show,
    }
    #[derive(serde::Serialize)]
    struct Switch {
        enabled: bool,
    }
    #[derive(serde::Serialize)]
    struct Show {
        show: bool,
    }

    /// A new chart in the element `id`; `None` when the page has no such element.
    pub fn init(id: &str) -> Option<Instance> {
        let element = web_sys::window()?.document()?.get_element_by_id(id)?;
        Some(init_on(&element))
    }

    pub fn set_option(instance: &Instance, chart: &charming::Chart, patterns: bool) {
        let aria = Aria {
            enabled: patterns,
            label: Switch { enabled: false },
            decal: Show { show: patterns },
        };
        let (Ok(option), Ok(aria)) = (
            serde_wasm_bindgen::to_value(chart),
            serde_wasm_bindgen::to_value(&aria),
        ) else {
            leptos::logging::warn!("charts: an option could not be converted");
            return;
        };
        let _ = js_sys::Reflect::set(&option, &"aria".into(), &aria);
        instance.set_option_js(&option);
    }

    fn has_echarts() -> bool {
        web_sys::window().and_then(|w| w.get("echarts")).is_some()
    }

    fn request(loaded: ArcRwSignal<bool>) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        // The server writes the hashed URL into the page head.
        let src = document
            .query_selector("meta[name=pulse-echarts]")
            .ok()
            .flatten()
            .and_then(|m| m.get_attribute("content"))
            .unwrap_or_else(|| "/echarts.min.js".to_string());
        let Ok(script) = document.create_element("script") else {
            return;
        };
        let on_load = Closure::once_into_js(move || loaded.set(true));
        let on_error = Closure::once_into_js(move || {
            REQUESTED.with(|r| r.set(false));
            leptos::logging::warn!("charts: ECharts could not be loaded");
        });
        let _ = script.add_event_listener_with_callback("load", on_load.unchecked_ref());
        let _ = script.add_event_listener_with_callback("error", on_error.unchecked_ref());
        let _ = script.set_attribute("src", &src);
        if let Some(body) = document.body() {
            let _ = body.append_child(&script);
        }
    }
}

/// Response time over the given history (newest first, as stored).
#[component]
pub fn ResponseTimeChart(
    id: &'static str,
    #[prop(into)] history: Signal<Vec<CheckRecord>>,
    #[prop(into)] degraded_after_ms: Signal<Option<f64>>,
) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    draw(id, false, move || {
        build(&history.get(), degraded_after_ms.get())
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (history, degraded_after_ms);
    view! { <div id=id class="chart" data-testid="chart" role="img" aria-label="Response time chart"></div> }
}

#[cfg(feature = "hydrate")]
fn build(rows: &[CheckRecord], degraded_after_ms: Option<f64>) -> charming::Chart {
    use charming::component::{Axis, Grid, Title};
    use charming::element::{
        AxisType, ItemStyle, LineStyle, MarkLine, MarkLineData, MarkLineVariant, Symbol, Tooltip,
        Trigger,
    };
    use charming::series::Line;
    use charming::Chart;

    let oldest_first: Vec<&CheckRecord> = rows.iter().rev().collect();
    let labels: Vec<String> = oldest_first
        .iter()
        .map(|r| {
            chrono::DateTime::from_timestamp_millis(r.timestamp_ms)
                .map(|t| t.format("%H:%M:%S").to_string())
                .unwrap_or_default()
        })
        .collect();
    let values: Vec<f64> = oldest_first.iter().map(|r| r.response_time_ms).collect();
    let mut line = Line::new()
        .name("Response time (ms)")
        .data(values)
        .smooth(0.3)
        .symbol(Symbol::Circle)
        .symbol_size(5)
        .line_style(LineStyle::new().width(2).color("#2563eb"))
        .item_style(ItemStyle::new().color("#2563eb"));
    if let Some(limit) = degraded_after_ms {
        line = line.mark_line(
            MarkLine::new()
                .symbol(vec![Symbol::None, Symbol::None])
                .data(vec![MarkLineVariant::Simple(
                    MarkLineData::new().name("degraded after").y_axis(limit),
                )]),
        );
    }
    Chart::new()
        .title(
            Title::new()
                .text(if rows.is_empty() { "No checks yet" } else { "" })
                .left("center")
                .top("middle"),
        )
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .grid(Grid::new().left(48).right(24).top(24).bottom(32))
        .x_axis(Axis::new().type_(AxisType::Category).data(labels))
        .y_axis(Axis::new().type_(AxisType::Value).name("ms"))
        .series(line)
}

/// ECharts data with `None` as "-" (a gap), never a zero.
#[cfg(feature = "hydrate")]
fn points(values: &[Option<f64>]) -> Vec<charming::datatype::DataPoint> {
    use charming::datatype::DataPoint;
    values
        .iter()
        .map(|v| match v {
            Some(x) => DataPoint::from(*x),
            None => DataPoint::from("-"),
        })
        .collect()
}

/// One line of a `LineChart`; `None` is a gap (no data), never a zero.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesData {
    pub name: &'static str,
    pub color: &'static str,
    pub values: Vec<Option<f64>>,
}

/// A time-series line chart that keeps its ECharts instance and updates in place.
#[component]
pub fn LineChart(
    id: &'static str,
    label: &'static str,
    unit: &'static str,
    #[prop(into)] labels: Signal<Vec<String>>,
    #[prop(into)] series: Signal<Vec<SeriesData>>,
) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    draw(id, false, move || {
        build_lines(&labels.get(), &series.get(), unit)
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (labels, series, unit);
    view! {
        <figure class="chart-panel">
            <figcaption>{label}</figcaption>
            <div id=id class="chart" data-testid="chart" role="img" aria-label=label></div>
        </figure>
    }
}

#[cfg(feature = "hydrate")]
fn build_lines(labels: &[String], series: &[SeriesData], unit: &str) -> charming::Chart {
    use charming::component::{Axis, Grid, Legend};
    use charming::element::{
        AxisType, ItemStyle, LineStyle, LineStyleType, Symbol, Tooltip, Trigger,
    };
    use charming::series::Line;
    use charming::Chart;

    // Lines told apart without colour: solid, dashed, dotted, in series order.
    let dashes = [
        LineStyleType::Solid,
        LineStyleType::Dashed,
        LineStyleType::Dotted,
    ];

    let mut chart = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().top(0))
        .grid(Grid::new().left(52).right(20).top(32).bottom(28))
        .x_axis(Axis::new().type_(AxisType::Category).data(labels.to_vec()))
        .y_axis(Axis::new().type_(AxisType::Value).name(unit));
    for (i, s) in series.iter().enumerate() {
        let data = points(&s.values);
        // A line needs two neighbouring points: a figure alone (the first minute of data, or
        // one between gaps) is drawn as a dot, or the chart would look empty.
        let dots = has_lone_point(&s.values);
        chart = chart.series(
            Line::new()
                .name(s.name)
                .data(data)
                .show_symbol(dots)
                .symbol(if dots { Symbol::Circle } else { Symbol::None })
                .symbol_size(5)
                .line_style(
                    LineStyle::new()
                        .width(2)
                        .color(s.color)
                        .type_(dashes[i % dashes.len()]),
                )
                .item_style(ItemStyle::new().color(s.color)),
        );
    }
    chart
}

/// Whether some value has no value beside it, so no line segment would show it.
#[cfg(any(feature = "hydrate", test))]
fn has_lone_point(values: &[Option<f64>]) -> bool {
    let near = |i: Option<usize>| i.and_then(|i| values.get(i)).is_some_and(Option::is_some);
    values
        .iter()
        .enumerate()
        .any(|(i, v)| v.is_some() && !near(i.checked_sub(1)) && !near(i.checked_add(1)))
}

#[cfg(test)]
mod tests {
    use super::has_lone_point;

    #[test]
    fn a_value_without_neighbours_is_found() {
        assert!(has_lone_point(&[None, None, Some(1.0)]));
        assert!(has_lone_point(&[Some(1.0)]));
        assert!(has_lone_point(&[
            Some(1.0),
            Some(2.0),
            None,
            Some(3.0),
            None
        ]));
        assert!(!has_lone_point(&[None, Some(1.0), Some(2.0)]));
        assert!(!has_lone_point(&[None, None]));
        assert!(!has_lone_point(&[]));
    }
}

/// How a `BarChart` series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Draw {
    Bar,
    /// Bars sharing a stack name pile up.
    Stacked(&'static str),
    Line,
    /// A dashed line with square markers: a target or limit per category.
    Target,
}

/// One series of a `BarChart`; `None` is "no data", never a zero.
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    pub name: String,
    pub color: &'static str,
    pub draw: Draw,
    pub values: Vec<Option<f64>>,
}

/// Bars (grouped, stacked or horizontal) over categories, optionally with lines and
/// horizontal marks (such as a warning level); updates in place like `LineChart`.
#[component]
pub fn BarChart(
    id: &'static str,
    label: &'static str,
    unit: &'static str,
    #[prop(into)] categories: Signal<Vec<String>>,
    #[prop(into)] series: Signal<Vec<BarSeries>>,
    /// Categories down the side, values across.
    #[prop(optional)]
    horizontal: bool,
    /// Value lines drawn across the chart: (name, value).
    #[prop(optional)]
    marks: Vec<(&'static str, f64)>,
) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    draw(id, true, move || {
        build_bars(&categories.get(), &series.get(), unit, horizontal, &marks)
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (categories, series, unit, horizontal, marks);
    view! {
        <figure class="chart-panel">
            <figcaption>{label}</figcaption>
            <div id=id class="chart" data-testid="chart" role="img" aria-label=label></div>
        </figure>
    }
}

#[cfg(feature = "hydrate")]
const LINE_MARKERS: [charming::element::Symbol; 3] = [
    charming::element::Symbol::Circle,
    charming::element::Symbol::Triangle,
    charming::element::Symbol::Diamond,
];

#[cfg(feature = "hydrate")]
const TARGET_DASHES: [charming::element::LineStyleType; 2] = [
    charming::element::LineStyleType::Dashed,
    charming::element::LineStyleType::Dotted,
];

#[cfg(feature = "hydrate")]
fn build_bars(
    categories: &[String],
    series: &[BarSeries],
    unit: &str,
    horizontal: bool,
    marks: &[(&'static str, f64)],
) -> charming::Chart {
    use charming::component::{Axis, Grid, Legend};
    use charming::element::{
        AxisPointer, AxisPointerType, AxisType, ItemStyle, LineStyle, LineStyleType, MarkLine,
        MarkLineData, MarkLineVariant, Symbol, Tooltip, Trigger,
    };
    use charming::series::{Bar, Line};
    use charming::Chart;

    let cat_axis = Axis::new()
        .type_(AxisType::Category)
        .data(categories.to_vec());
    let val_axis = Axis::new().type_(AxisType::Value).name(unit);
    let (x, y) = if horizontal {
        (val_axis, cat_axis)
    } else {
        (cat_axis, val_axis)
    };
    let mut chart = Chart::new()
        .tooltip(
            Tooltip::new()
                .trigger(Trigger::Axis)
                .axis_pointer(AxisPointer::new().type_(AxisPointerType::Shadow)),
        )
        .legend(Legend::new().top(0))
        .grid(
            Grid::new()
                .left(if horizontal { 84 } else { 52 })
                .right(24)
                // A long legend wraps to a second row; keep it clear of the axis name.
                .top(if series.len() > 4 { 64 } else { 36 })
                .bottom(28),
        )
        .x_axis(x)
        .y_axis(y);
    let mark_line = (!marks.is_empty()).then(|| {
        let data: Vec<MarkLineVariant> = marks
            .iter()
            .map(|(name, v)| {
                let d = MarkLineData::new().name(*name);
                MarkLineVariant::Simple(if horizontal {
                    d.x_axis(*v)
                } else {
                    d.y_axis(*v)
                })
            })
            .collect();
        MarkLine::new()
            .symbol(vec![Symbol::None, Symbol::None])
            .line_style(
                LineStyle::new()
                    .color("#dc2626")
                    .type_(LineStyleType::Dashed),
            )
            .data(data)
    });
    for (i, s) in series.iter().enumerate() {
        let data = points(&s.values);
        chart = match s.draw {
            Draw::Bar | Draw::Stacked(_) => {
                let mut bar = Bar::new()
                    .name(s.name.clone())
                    .data(data)
                    .item_style(ItemStyle::new().color(s.color));
                if let Draw::Stacked(stack) = s.draw {
                    bar = bar.stack(stack);
                }
                if i == 0 {
                    if let Some(m) = mark_line.clone() {
                        bar = bar.mark_line(m);
                    }
                }
                chart.series(bar)
            }
            Draw::Line | Draw::Target => {
                // Lines told apart without colour: figures by their marker, targets (square
                // markers) by their dash.
                let target = s.draw == Draw::Target;
                let nth = series[..i].iter().filter(|o| o.draw == s.draw).count();
                let (symbol, dash, size) = if target {
                    (Symbol::Rect, TARGET_DASHES[nth % TARGET_DASHES.len()], 10)
                } else {
                    (
                        LINE_MARKERS[nth % LINE_MARKERS.len()].clone(),
                        LineStyleType::Solid,
                        7,
                    )
                };
                chart.series(
                    Line::new()
                        .name(s.name.clone())
                        .data(data)
                        .symbol(symbol)
                        .symbol_size(size)
                        .line_style(LineStyle::new().width(2).color(s.color).type_(dash))
                        .item_style(ItemStyle::new().color(s.color)),
                )
            }
        };
    }
    chart
}
