/* Live lot blocks: a countdown from data-seconds-left (the server's clock, not the viewer's), and the
   bid-history line chart from the json_script "bid-history", redrawn whenever htmx swaps the block. */
(function () {
  "use strict";
  var deadline = null;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var el = document.querySelector("[data-countdown]");
    if (!el || deadline === null) return;
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    el.textContent = (h ? h + ":" : "") + pad(m) + ":" + pad(s);
  }

  function chart() {
    var el = document.querySelector("[data-bid-chart]");
    var source = document.getElementById("bid-history");
    if (!el || !source || !window.echarts) return;
    var rows = JSON.parse(source.textContent);
    if (!rows.length) { el.textContent = el.dataset.empty || ""; el.classList.add("chart-empty"); return; }
    var instance = window.echarts.init(el);
    // Bids are yuan; like charts.js, data-unit scales them and data-unit-label names the unit (万元).
    var unit = Number(el.dataset.unit || 1);
    var title = el.dataset.title || "";
    if (el.dataset.unitLabel) title += "（" + el.dataset.unitLabel + "）";
    instance.setOption({
      title: {text: title, textStyle: {fontSize: 15}},
      tooltip: {trigger: "axis"},
      grid: {left: 56, right: 16},
      xAxis: {type: "category", data: rows.map(function (r) { return r[0]; })},
      yAxis: {type: "value", scale: true},
      series: [{type: "line", step: "end", data: rows.map(function (r) { return Number(r[1]) / unit; })}]
    });
  }

  function refresh() {
    var live = document.getElementById("lot-live");
    if (live && live.dataset.secondsLeft) {
      deadline = Date.now() + Number(live.dataset.secondsLeft) * 1000;
    }
    tick();
    chart();
  }

  document.addEventListener("DOMContentLoaded", refresh);
  document.body.addEventListener("htmx:afterSwap", refresh);
  setInterval(tick, 1000);
})();
