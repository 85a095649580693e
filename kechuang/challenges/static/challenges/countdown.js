/* The countdown to a list's deadline: #countdown[data-deadline] (ISO time) shows data-template with
   {d}, {h} and {m} replaced by the days, hours and minutes left. */
(function () {
  "use strict";
  var el = document.getElementById("countdown");
  if (!el) return;
  var deadline = new Date(el.dataset.deadline);
  function tick() {
    var s = Math.max(0, Math.floor((deadline - new Date()) / 1000));
    el.textContent = el.dataset.template
      .replace("{d}", Math.floor(s / 86400))
      .replace("{h}", Math.floor((s % 86400) / 3600))
      .replace("{m}", Math.floor((s % 3600) / 60));
  }
  tick();
  setInterval(tick, 30000);
})();
