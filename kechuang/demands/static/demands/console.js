// The operator console's funnel chart, drawn from the stages the page carries in #funnel-data.
(function () {
  "use strict";
  var el = document.getElementById("funnel-chart");
  var source = document.getElementById("funnel-data");
  if (!el || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var chart = window.echarts.init(el);
  chart.setOption({
    tooltip: {trigger: "item"},
    series: [{type: "funnel", sort: "none", minSize: "5%", label: {formatter: "{b}：{c}"}, data: data}]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
