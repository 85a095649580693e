/* Live lot blocks (#lot-live, swapped by htmx every few seconds): the countdown and the bid-history chart.

   The block carries the close as data-ends-at (epoch ms) and, for an open online lot, data-counting; the
   server renders the same block for every watcher and version, so it holds no "seconds left". The block
   in the page as first served also carries data-server-now, the server clock: the countdown runs on the
   server's time (the viewer's clock may be wrong), as the difference measured when the page loaded.
   The chart is drawn from the json_script "bid-history" whenever a new block arrives.

   The bid form sits outside the block, so its amount ([data-follows-minimum]) follows the block's
   data-next-minimum: its min moves with every new block, and so does its value unless the bidder has typed
   a higher amount than the last minimum (an amount typed above it, now too low, is left for the browser
   to refuse by its min: raising it silently would bid more than the bidder chose). Once the lot is
   closed (no data-next-minimum) the bid and proxy forms ([data-while-open]) are disabled. */
(function () {
  "use strict";
  var skew = 0;        // the viewer's clock minus the server's, in ms
  var deadline = null; // the close in the viewer's clock, while counting
  var shown = null;    // the block the countdown and chart were set up for
  var drawn = false;   // the chart was drawn once: a new block redraws it without the opening animation

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var live = document.getElementById("lot-live");
    if (live !== shown) { refresh(); return; }
    var el = document.querySelector("[data-countdown]");
    if (!el || deadline === null) return;
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600);
    var m = Math.floor((left % 3600) / 60), s = left % 60;
    el.textContent = (d ? d + (el.dataset.dayLabel || "d") + " " : "") + (d || h ? h + ":" : "") + pad(m) + ":" + pad(s);
  }

  function chart() {
    var el = document.querySelector("[data-bid-chart]");
    var source = document.getElementById("bid-history");
    if (!el || !source || !window.echarts) return;
    var rows = JSON.parse(source.textContent);
    if (!rows.length) { el.textContent = el.dataset.empty || ""; el.classList.add("chart-empty"); return; }
    var instance = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    // Bids are yuan; like charts.js, data-unit scales them and data-unit-label names the unit (万元).
    var unit = Number(el.dataset.unit || 1);
    var title = el.dataset.title || "";
    if (el.dataset.unitLabel) title += "（" + el.dataset.unitLabel + "）";
    instance.setOption({
      animation: !drawn,
      title: {text: title, textStyle: {fontSize: 15}},
      tooltip: {trigger: "axis"},
      grid: {left: 56, right: 16},
      xAxis: {type: "category", data: rows.map(function (r) { return r[0]; })},
      yAxis: {type: "value", scale: true},
      series: [{type: "line", step: "end", data: rows.map(function (r) { return Number(r[1]) / unit; })}]
    });
    drawn = true;
  }

  function follow(live) {
    var input = document.querySelector("[data-follows-minimum]");
    if (!input) return;
    var minimum = live.dataset.nextMinimum;
    if (!minimum) {
      document.querySelectorAll("form[data-while-open] input, form[data-while-open] button")
        .forEach(function (el) { el.disabled = true; });
      return;
    }
    if (Number(minimum) === Number(input.min)) return;
    if (input.value === "" || Number(input.value) <= Number(input.min)) {
      input.value = minimum;
      input.dispatchEvent(new Event("input", { bubbles: true })); // its reading (js/amounts.js) follows
      input.classList.remove("bid-moved");
      void input.offsetWidth; // restart the highlight
      input.classList.add("bid-moved");
    }
    input.min = minimum;
  }

  function refresh() {
    var live = document.getElementById("lot-live");
    shown = live;
    if (!live) return;
    if (live.dataset.serverNow) skew = Date.now() - Number(live.dataset.serverNow);
    deadline = "counting" in live.dataset ? Number(live.dataset.endsAt) + skew : null;
    tick();
    chart();
    follow(live);
  }

  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:after:swap", refresh);
  setInterval(tick, 1000);
})();
