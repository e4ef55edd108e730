// tmonbench report: draws the charts and tables from #report-data.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var main = document.getElementById("main");
  var nav = document.getElementById("nav");
  var charts = [];
  window.reportCharts = charts;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function section(id, title) {
    var h = el("h2", { id: id }, title);
    main.appendChild(h);
    var a = el("a", { href: "#" + id }, title);
    nav.appendChild(a);
  }
  function chart(grid, id, option) {
    var card = el("div", { "class": "card" });
    var div = el("div", { "class": "chart", id: id });
    card.appendChild(div);
    grid.appendChild(card);
    var c = echarts.init(div, null, { renderer: "canvas" });
    option.animation = false;
    c.setOption(option);
    charts.push({ id: id, chart: c });
    if (option.xAxis.type === "time") {
      spaceTimeTicks(c);
      c.on("datazoom", function () { spaceTimeTicks(c); });
    }
  }
  // The tick spacings of a time axis, ECharts' own round steps (its
  // TimeScale: 1, 2, 5, 10, 15, 20, 30 s and min, 1, 2, 4, 6, 12 h, 1, 2,
  // 4, 7, 16 days, 1, 2, 3, 6 months, a year). ECharts' pick from the span
  // alone put a label every 5 s on the 60 s axis of a capture shorter than
  // a minute: 13 labels of 48 px ("14:45:05", 12 px sans-serif, bold on
  // the minute) on 454 px, run into each other.
  var S = 1e3, M = 60 * S, H = 60 * M, D = 24 * H;
  var TIME_STEPS_MS = [S, 2 * S, 5 * S, 10 * S, 15 * S, 20 * S, 30 * S, M, 2 * M, 5 * M, 10 * M, 15 * M, 20 * M, 30 * M,
    H, 2 * H, 4 * H, 6 * H, 12 * H, D, 2 * D, 4 * D, 7 * D, 16 * D, 30 * D, 60 * D, 90 * D, 180 * D, 365 * D];
  // LABEL_PX is the room a time label needs: the widest, 48 px, and a gap.
  var LABEL_PX = 80;
  // timeStep is the smallest step of TIME_STEPS_MS (whole years beyond)
  // that puts at most one label every LABEL_PX on px pixels for a span
  // of spanMs: seconds for a short capture on a wide chart.
  function timeStep(spanMs, px) {
    var most = Math.max(1, Math.floor(px / LABEL_PX));
    for (var i = 0; i < TIME_STEPS_MS.length; i++) {
      if (spanMs / TIME_STEPS_MS[i] <= most) return TIME_STEPS_MS[i];
    }
    return Math.ceil(spanMs / most / (365 * D)) * 365 * D;
  }
  // spaceTimeTicks sets the tick spacing of chart c's time axis from the
  // span it shows (zoomed or not) and its length in pixels (timeStep).
  // ECharts takes the largest of its steps below the interval it is
  // given: a step and a thousandth gives the step. hideOverlap is the
  // safety net for the ticks ECharts adds at the ends of a zoomed axis
  // and at unit boundaries (the 1st of a month after the 29th).
  function spaceTimeTicks(c) {
    var axis = c.getModel().getComponent("xAxis", 0).axis;
    var span = axis.scale.getExtent(), px = axis.getExtent();
    var step = timeStep(span[1] - span[0], Math.abs(px[1] - px[0]));
    if (c.tickStepMs === step) return;
    c.tickStepMs = step;
    c.setOption({ xAxis: { minInterval: step * 1.001, maxInterval: step * 1.001, axisLabel: { hideOverlap: true } } });
  }
  function chartSection(items, id, title, optionOf) {
    if (!(items || []).length) return;
    section(id, title);
    var g = el("div", { "class": "grid" });
    main.appendChild(g);
    items.forEach(function (x) {
      var option = optionOf(x);
      option.title = { text: x.title, textStyle: { fontSize: 13 } };
      chart(g, x.id, option);
    });
  }
  function fmtNum(v) {
    if (typeof v !== "number") return v === null ? "" : String(v);
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    return String(Math.round(v * 1000) / 1000);
  }

  document.getElementById("title").textContent = data.title;
  var meta = "Output: " + data.source;
  if (data.generated) meta += " · generated " + data.generated;
  var f = data.filters || {};
  var fs = Object.keys(f).sort().map(function (k) { return k + " = " + f[k]; });
  meta += " · filters: " + (fs.length ? fs.join(", ") : "none");
  document.getElementById("meta").textContent = meta;

  chartSection(data.series, "timeseries", "Time series (drag the slider or scroll to zoom)", function (s) {
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 22, type: "scroll" },
      grid: { top: 60, left: 70, right: 20, bottom: 70 },
      // from the first interval's start to the last one's end (ECharts
      // would show one point in a 2-day axis)
      xAxis: { type: "time", min: s.t[0], max: s.t[s.t.length - 1] + s.step_ms },
      yAxis: { type: "value", name: s.unit },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 10 }],
      series: s.lines.map(function (l) {
        return { name: l.name, type: "line", showSymbol: s.t.length < 60, connectNulls: false,
          data: s.t.map(function (t, i) { return [t, l.values[i]]; }) };
      })
    };
  });
  chartSection(data.histograms, "histograms", "Histograms", function (h) {
    return {
      tooltip: { trigger: "axis" },
      grid: { top: 40, left: 60, right: 20, bottom: 60 },
      xAxis: { type: "category", data: h.bins, axisLabel: { rotate: 30, fontSize: 10 } },
      yAxis: { type: "value", name: "count" },
      series: [{ type: "bar", name: "count", data: h.counts }]
    };
  });
  chartSection(data.top, "top", "Top talkers", function (t) {
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { top: 40, left: 230, right: 30, bottom: 30 },
      xAxis: { type: "value", name: t.unit },
      yAxis: { type: "category", inverse: true, data: t.labels, axisLabel: { fontSize: 10 } },
      series: [{ type: "bar", name: t.unit, data: t.values }]
    };
  });
  (data.tables || []).forEach(function (t) {
    section("view-" + t.name, t.title + " (" + t.name + ")");
    if (t.error) {
      main.appendChild(el("p", { "class": "note error" }, t.error));
      return;
    }
    var shown = (t.rows || []).length;
    main.appendChild(el("p", { "class": "note" }, t.total + " rows" + (shown < t.total ? ", first " + shown + " shown" : "") +
      " · tmonbench query " + t.name + (t.empty ? " · " + t.empty : "")));
    var wrap = el("div", { "class": "tablewrap" });
    var tb = el("table");
    var tr = el("tr");
    t.columns.forEach(function (c) { tr.appendChild(el("th", {}, c)); });
    var thead = el("thead");
    thead.appendChild(tr);
    tb.appendChild(thead);
    var body = el("tbody");
    (t.rows || []).forEach(function (r) {
      var row = el("tr");
      r.forEach(function (v) { row.appendChild(el("td", typeof v === "number" ? { "class": "num" } : {}, fmtNum(v))); });
      body.appendChild(row);
    });
    tb.appendChild(body);
    wrap.appendChild(tb);
    main.appendChild(wrap);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.chart.resize(); }); });
  window.reportReady = true;
})();
