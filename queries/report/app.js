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
  }
  // chartSection adds a section of charts, one per item (with its id and
  // title), optionOf giving the rest of each chart's ECharts option;
  // nothing when there are no items.
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
