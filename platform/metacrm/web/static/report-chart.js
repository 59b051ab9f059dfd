// Draws a report's chart with the vendored ECharts build (vendor/echarts.min.js, loaded
// only where a chart is shown). The server computes what to draw (runtime/report_charts.py,
// the "series" of GET /api/reports/<name>); the page carries it as JSON in a
// <script type="application/json"> (the Content-Security-Policy runs no inline script):
//
//   <div class="report-chart" data-report-chart="chart-data-id" data-list-url="/deal"></div>
//   <script type="application/json" id="chart-data-id">{"kind": "bar", ...}</script>
//
// A click on a bar, point or slice opens the list at data-list-url with the point's
// filters: the chart's "filters" (the run's), its category's ("category_filters") and
// its series' (the measure's own; in a pivot, the column value's too), as
// runtime/report_drill.py composes them. Dashboards call
// window.metacrmReportChart.render(element, data).
"use strict";

(function () {
  const AXIS_KINDS = ["bar", "stacked_bar", "line", "area"];

  function number(value) {
    return value === null || value === undefined ? null : Number(value);
  }

  function percentText(value) {
    return value === null || value === undefined || Number.isNaN(value)
      ? "—" : `${(Number(value) * 100).toFixed(1)}%`;
  }

  function figureText(value, percent, lang) {
    if (value === null || value === undefined) return "—";
    if (percent) return percentText(value);
    return Number(value).toLocaleString(lang, {maximumFractionDigits: 2});
  }

  // A round axis end above ``value`` (12 -> 15, 525000 -> 550000): the axis must reach a
  // target line above every figure, and ECharts shows the end it is given as a label.
  function roundUp(value) {
    if (!(value > 0)) return value;
    const magnitude = 10 ** Math.floor(Math.log10(value));
    return (Math.ceil((value / magnitude) * 2) / 2) * magnitude;
  }

  function targetLine(data, seriesIndex, series) {
    const target = data.target;
    if (!target || series.measure !== target.measure) return undefined;
    // Only the first series of the target's measure carries the line (stacked: the top).
    if (data.series.findIndex((s) => s.measure === target.measure) !== seriesIndex) {
      return undefined;
    }
    // a ratio's target reads as its axis does: 0.3 is "30.0%"
    const percent = data.percent.length === 1 ? data.percent[0] : data.percent[seriesIndex];
    const value = percent ? percentText(target.value) : target.value;
    return {
      silent: true, symbol: "none",
      lineStyle: {type: "dashed", color: "#c0392b", width: 2},
      label: {formatter: target.label ? `${target.label}: ${value}` : `${value}`,
              position: "insideEndTop"},
      data: [{yAxis: Number(target.value)}],
    };
  }

  function axisOption(data, lang, narrow) {
    const percent = data.percent.length === 1 && data.percent[0];
    const kind = data.kind;
    const series = data.series.map((s, index) => {
      const item = {
        name: s.name, type: kind === "line" || kind === "area" ? "line" : "bar",
        data: s.data.map(number), emphasis: {focus: "series"}, barMaxWidth: 56,
        markLine: targetLine(data, index, s),
      };
      if (kind === "stacked_bar") item.stack = "total";
      if (kind === "area") { item.areaStyle = {}; item.stack = data.measure ? "total" : undefined; }
      return item;
    });
    const max = data.target ? Number(data.target.value) : undefined;
    // counts come as JSON integers (decimals as text): no axis step between two records
    const whole = data.series.every((s) => s.data.every((v) => v === null || Number.isInteger(v)));
    return {
      grid: {left: 8, right: 16, top: 40, bottom: 8, containLabel: true},
      legend: {show: series.length > 1, type: "scroll", top: 0},
      tooltip: {trigger: "axis", renderMode: "richText",
                valueFormatter: (v) => figureText(v, percent, lang)},
      xAxis: {type: "category", data: data.categories,
              axisLabel: {rotate: narrow && data.categories.length > 4 ? 45 : 0, hideOverlap: true}},
      yAxis: {type: "value", minInterval: whole ? 1 : undefined,
              max: max !== undefined ? (extent) => roundUp(Math.max(extent.max, max * 1.05))
                : undefined,
              axisLabel: {formatter: (v) => figureText(v, percent, lang)}},
      series,
    };
  }

  function sliceOption(data, lang) {
    const first = data.series[0] || {data: []};
    const percent = data.percent[0];
    const points = data.categories.map((name, i) => ({name, value: number(first.data[i])}));
    const common = {name: first.name, data: points,
                    label: {formatter: (p) => `${p.name}: ${figureText(p.value, percent, lang)}`}};
    const series = data.kind === "pie"
      ? {...common, type: "pie", radius: ["35%", "65%"], avoidLabelOverlap: true}
      : {...common, type: "funnel", sort: "none", gap: 2, left: "10%", width: "80%", min: 0,
         max: Math.max(1, ...points.map((p) => p.value || 0)),
         label: {...common.label, position: "inside"}};
    return {
      legend: {type: "scroll", bottom: 0},
      tooltip: {trigger: "item", renderMode: "richText",
                valueFormatter: (v) => figureText(v, percent, lang)},
      series: [series],
    };
  }

  function optionFor(data, lang, narrow) {
    if (AXIS_KINDS.includes(data.kind)) return axisOption(data, lang, narrow);
    return sliceOption(data, lang);
  }

  // The list query of a point (null where its series has no figure), written as
  // urlencode writes it: the pairs in order, the run's, the category's, the series'.
  function linkOf(data, params) {
    const series = data.kind === "pie" || data.kind === "funnel"
      ? data.series[0] : data.series[params.seriesIndex];
    const index = params.dataIndex;
    if (!series || series.data[index] === null || series.data[index] === undefined) return null;
    const pairs = [...(data.filters || []), ...((data.category_filters || [])[index] || []),
                   ...(series.filters || [])];
    return new URLSearchParams(pairs).toString();
  }

  // Draws ``data`` into ``element``; returns the chart (or null without ECharts).
  function render(element, data) {
    if (!window.echarts || !data || !data.kind) return null;
    const lang = document.documentElement.lang || "en";
    delete element.dataset.rendered;
    const old = window.echarts.getInstanceByDom(element);
    if (old) old.dispose();
    element.classList.remove("chart-empty");
    if (!data.categories || data.categories.length === 0) {
      // nothing to draw: say so in the box rather than leave an empty axis
      element.textContent = element.dataset.empty || "";
      element.classList.add("chart-empty");
      element.dataset.rendered = "true";
      return null;
    }
    const chart = window.echarts.init(element, null, {
      renderer: "canvas", locale: lang.startsWith("zh") ? "ZH" : "EN",
    });
    chart.setOption({aria: {enabled: true}, ...optionFor(data, lang, element.clientWidth < 500)});
    const listUrl = element.dataset.listUrl;
    if (listUrl) {
      chart.on("click", (params) => {
        const query = linkOf(data, params);
        if (query !== undefined && query !== null) window.location.assign(`${listUrl}?${query}`);
      });
      chart.getZr().on("mousemove", (event) => {
        element.style.cursor = event.target ? "pointer" : "default";
      });
    }
    if (resized) resized.observe(element);
    // drawn (its animation over): what a test or a screenshot waits for
    chart.on("finished", () => { element.dataset.rendered = "true"; });
    return chart;
  }

  function renderAll(root) {
    const found = [...root.querySelectorAll("[data-report-chart]")];
    if (root.matches && root.matches("[data-report-chart]")) found.push(root);
    found.forEach((element) => {
      const source = document.getElementById(element.dataset.reportChart);
      if (source) render(element, JSON.parse(source.textContent));
    });
  }

  // A chart follows its box (a window resized, a dashboard's grid reflowed, a tab shown).
  const resized = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
    entries.forEach((entry) => {
      const chart = window.echarts && window.echarts.getInstanceByDom(entry.target);
      if (chart) chart.resize();
    });
  });

  window.metacrmReportChart = {render, renderAll};
  document.addEventListener("DOMContentLoaded", () => renderAll(document));
  // htmx swaps (a dashboard's widgets) bring new charts
  document.addEventListener("htmx:afterSettle", (event) => renderAll(event.target));
})();
