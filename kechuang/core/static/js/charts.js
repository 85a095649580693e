/* Kechuang charts: every ECharts chart on a page, driven by data attributes (no inline script, strict CSP).
 *
 *   <div class="chart" data-chart="bar|pie|funnel" data-source="ID" data-title="…" data-empty="暂无数据"
 *        data-unit="10000" data-unit-label="万元"></div>
 *
 * The rows come from the element with id ID: a json_script of [name, value] pairs or {name, value}
 * objects, or any element whose children carry data-value (their text is the name). Without rows, or
 * when every value is zero, the chart shows its title and the data-empty text instead of an empty circle.
 * data-unit divides the values (yuan shown in 万元). A row may carry a url: clicking its bar or slice opens it
 * (an indicator's figure opens its lineage).
 *
 *   <div class="chart" data-chart="line|stack" data-source="ID" …></div>
 *
 * draws several series over shared categories from a json_script of {categories: [...], series: [{name,
 * data: [...], urls: [...]}]} (months or years on the x axis, one series per district or tier step);
 * null values leave a gap, and a point with a url opens it.
 */
(function () {
  "use strict";

  function rows(source) {
    if (!source) return [];
    if (source.tagName === "SCRIPT") {
      return JSON.parse(source.textContent).map(function (row) {
        return Array.isArray(row) ? {name: row[0], value: Number(row[1])} : {name: row.name, value: Number(row.value), url: row.url};
      });
    }
    return Array.prototype.map.call(source.querySelectorAll("[data-value]"), function (item) {
      return {name: item.textContent.trim(), value: Number(item.dataset.value)};
    });
  }

  function showEmpty(el, title, text) {
    el.classList.add("chart-empty");
    el.textContent = "";
    if (title) {
      var heading = document.createElement("strong");
      heading.textContent = title;
      el.appendChild(heading);
    }
    var note = document.createElement("span");
    note.textContent = text;
    el.appendChild(note);
  }

  // A label and its number: a full-width colon on Chinese pages, ": " on English ones (<html lang>).
  var LABEL_SEPARATOR = document.documentElement.lang.indexOf("zh") === 0 ? "：" : ": ";

  function option(kind, title, data) {
    var base = {title: {text: title, textStyle: {fontSize: 15}}, tooltip: {trigger: "item"}};
    if (kind === "bar") {
      base.tooltip = {};
      base.grid = {left: 60, right: 16};
      base.xAxis = {type: "category", data: data.map(function (r) { return r.name; })};
      base.yAxis = {type: "value"};
      base.series = [{type: "bar", data: data.map(function (r) { return r.value; }), cursor: "pointer"}];
    } else if (kind === "funnel") {
      base.series = [{type: "funnel", sort: "none", minSize: "5%", top: 40, left: "6%", width: "62%", label: {formatter: "{b}" + LABEL_SEPARATOR + "{c}"}, data: data}];
    } else {
      // Names in a legend below, shares on the slices: a pie in a narrow card (a grid column, a phone)
      // has no room for names beside it, which ECharts would cut to "苏…".
      base.legend = {type: "scroll", bottom: 0};
      base.series = [{
        type: "pie", radius: "58%", center: ["50%", "50%"], data: data, minShowLabelAngle: 25,
        label: {position: "inside", color: "#fff", formatter: function (p) { return Math.round(p.percent) + "%"; }}
      }];
    }
    return base;
  }

  function multi(el) {
    var source = document.getElementById(el.dataset.source);
    var spec = source ? JSON.parse(source.textContent) : {categories: [], series: []};
    var title = el.dataset.title || "";
    if (el.dataset.unitLabel) title += "（" + el.dataset.unitLabel + "）";
    var unit = Number(el.dataset.unit || 1);
    var empty = spec.series.every(function (s) { return s.data.every(function (v) { return !v; }); });
    if (empty) {
      showEmpty(el, title, el.dataset.empty || "");
      return;
    }
    if (!window.echarts) return;
    var stack = el.dataset.chart === "stack";
    var chart = window.echarts.init(el);
    chart.setOption({
      title: {text: title, textStyle: {fontSize: 15}},
      tooltip: {trigger: "axis"},
      legend: {type: "scroll", bottom: 0},
      grid: {left: 60, right: 16, top: 40, bottom: 50},
      xAxis: {type: "category", data: spec.categories},
      yAxis: {type: "value"},
      series: spec.series.map(function (s) {
        return {
          name: s.name,
          type: stack ? "bar" : "line",
          stack: stack ? "total" : undefined,
          connectNulls: false,
          data: s.data.map(function (v) { return v === null ? null : Number(v) / unit; })
        };
      })
    });
    chart.on("click", function (params) {
      var s = spec.series[params.seriesIndex];
      var url = s && s.urls && s.urls[params.dataIndex];
      if (url) window.location.href = url;
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function draw(el) {
    if (el.dataset.chart === "line" || el.dataset.chart === "stack") {
      multi(el);
      return;
    }
    var data = rows(document.getElementById(el.dataset.source));
    var unit = Number(el.dataset.unit || 1);
    var title = el.dataset.title || "";
    if (el.dataset.unitLabel) title += "（" + el.dataset.unitLabel + "）";
    data.forEach(function (r) { r.value = r.value / unit; });
    var empty = data.every(function (r) { return !r.value; });
    if (empty) {
      showEmpty(el, title, el.dataset.empty || "");
      return;
    }
    if (!window.echarts) return;
    var chart = window.echarts.init(el);
    chart.setOption(option(el.dataset.chart, title, data));
    chart.on("click", function (params) {
      var row = data[params.dataIndex];
      if (row && row.url) window.location.href = row.url;
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll("[data-chart]").forEach(draw);
})();
