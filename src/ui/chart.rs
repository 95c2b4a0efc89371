//! Charts drawn with charming (ECharts) in the browser. The server renders the empty
//! container; hydration draws into it and later updates the same chart instance in place.

use crate::model::CheckRecord;
use leptos::prelude::*;

/// Response time over the given history (newest first, as stored).
#[component]
pub fn ResponseTimeChart(
    id: &'static str,
    #[prop(into)] history: Signal<Vec<CheckRecord>>,
    #[prop(into)] degraded_after_ms: Signal<Option<f64>>,
) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        use charming::WasmRenderer;
        use std::cell::RefCell;
        use std::rc::Rc;
        let instance: Rc<RefCell<Option<charming::Echarts>>> = Rc::new(RefCell::new(None));
        Effect::new(move |_| {
            let rows = history.get();
            let chart = build(&rows, degraded_after_ms.get());
            let mut slot = instance.borrow_mut();
            match slot.as_ref() {
                Some(existing) => WasmRenderer::update(existing, &chart),
                None => match WasmRenderer::new_opt(None, None).render(id, &chart) {
                    Ok(e) => *slot = Some(e),
                    Err(e) => leptos::logging::warn!("chart {id}: {e:?}"),
                },
            }
        });
    }
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
    {
        use charming::WasmRenderer;
        use std::cell::RefCell;
        use std::rc::Rc;
        let instance: Rc<RefCell<Option<charming::Echarts>>> = Rc::new(RefCell::new(None));
        Effect::new(move |_| {
            let chart = build_lines(&labels.get(), &series.get(), unit);
            let mut slot = instance.borrow_mut();
            match slot.as_ref() {
                Some(existing) => WasmRenderer::update(existing, &chart),
                None => match WasmRenderer::new_opt(None, None).render(id, &chart) {
                    Ok(e) => *slot = Some(e),
                    Err(e) => leptos::logging::warn!("chart {id}: {e:?}"),
                },
            }
        });
    }
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
    use charming::datatype::DataPoint;
    use charming::element::{AxisType, ItemStyle, LineStyle, Symbol, Tooltip, Trigger};
    use charming::series::Line;
    use charming::Chart;

    let mut chart = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().top(0))
        .grid(Grid::new().left(52).right(20).top(32).bottom(28))
        .x_axis(Axis::new().type_(AxisType::Category).data(labels.to_vec()))
        .y_axis(Axis::new().type_(AxisType::Value).name(unit));
    for s in series {
        let data: Vec<DataPoint> = s
            .values
            .iter()
            .map(|v| match v {
                Some(x) => DataPoint::from(*x),
                None => DataPoint::from("-"),
            })
            .collect();
        chart = chart.series(
            Line::new()
                .name(s.name)
                .data(data)
                .show_symbol(false)
                .symbol(Symbol::None)
                .line_style(LineStyle::new().width(2).color(s.color))
                .item_style(ItemStyle::new().color(s.color)),
        );
    }
    chart
}
