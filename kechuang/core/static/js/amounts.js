// Amount inputs ([data-amount], kechuang.core.money.AmountInput): under each, how people read what is
// typed — 即17万元 for 170000, = ¥1.2 million in English — so that a zero more or less is seen before the
// form is sent. The reading follows kechuang.core.money.readable_amount (a browser test holds the two
// to the same answers); the input's data-amount is the translated pattern, "{}" the amount.
(function () {
  "use strict";
  var english = (document.documentElement.lang || "").indexOf("en") === 0;
  var STEPS = english
    ? [[1e9, "¥", " billion"], [1e6, "¥", " million"]]
    : [[1e8, "", "亿元"], [1e4, "", "万元"]];

  function grouped(value, decimals) {
    // thousands separators and at most two decimals, rounded half up as the server rounds
    return value.toLocaleString("en-US", {
      minimumFractionDigits: decimals,
      maximumFractionDigits: 2,
      roundingMode: "halfExpand",
    });
  }

  function reading(text) {
    if (!/^\s*\d+(\.\d*)?\s*$/.test(text)) return "";
    var amount = Math.round(Number(text) * 100) / 100;
    var big = STEPS[0], unit = STEPS[1];
    // 99,999,999.99 reads as 1亿元, as it does on the server
    if (Math.round((amount / big[0]) * 100) / 100 >= 1) {
      return big[1] + grouped(amount / big[0], 0) + big[2];
    }
    if (amount >= unit[0]) return unit[1] + grouped(amount / unit[0], 0) + unit[2];
    // below one unit the amount stays exact: 9,999.50元
    var small = grouped(amount, amount % 1 ? 2 : 0);
    return english ? "¥" + small : small + "元";
  }

  function show(input) {
    var output = input.amountReading;
    if (!output) {
      output = document.createElement("output");
      output.className = "amount-reading";
      output.setAttribute("aria-live", "polite");
      if (input.id) output.htmlFor = input.id;
      // after the unit beside the input (1800000 元), not between them
      (input.closest(".with-unit") || input).insertAdjacentElement("afterend", output);
      input.amountReading = output;
    }
    var read = reading(input.value);
    output.textContent = read ? input.dataset.amount.replace("{}", read) : "";
  }

  function showAll() {
    document.querySelectorAll("input[data-amount]").forEach(show);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[data-amount]")) show(event.target);
  });
  document.addEventListener("DOMContentLoaded", showAll);
  document.addEventListener("htmx:after:swap", showAll);
  window.kechuangAmountReading = reading;
})();
