/* The list report's charts: the bounty bars from #money-data's data-* attributes, and one pie per
   .chart[data-rows] from the json_script it names (rows of [label, count]). */
(function () {
  "use strict";
  var money = document.getElementById("money-data");
  if (!money || typeof echarts === "undefined") return;
  var m = money.dataset;
  echarts.init(document.getElementById("money-chart")).setOption({
    title: {text: m.title}, tooltip: {},
    xAxis: {type: "category", data: m.labels.split("|")},
    yAxis: {type: "value"},
    series: [{type: "bar", data: [Number(m.total), Number(m.committed), Number(m.paid)]}]
  });
  document.querySelectorAll(".chart[data-rows]").forEach(function (el) {
    var rows = JSON.parse(document.getElementById(el.dataset.rows).textContent);
    echarts.init(el).setOption({
      title: {text: el.dataset.title}, tooltip: {trigger: "item"},
      series: [{type: "pie", radius: "60%", data: rows.map(function (r) { return {name: r[0], value: r[1]}; })}]
    });
  });
})();
