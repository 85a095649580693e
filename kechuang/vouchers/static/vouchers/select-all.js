/* 批量审核: a [data-select-all] checkbox ticks or clears every [data-select] box of its form. Without this
   script it stays hidden and each row is ticked by hand. */
(function () {
  "use strict";
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    all.closest("[data-select-all-label]").hidden = false;
    all.addEventListener("change", function () {
      all.form.querySelectorAll("[data-select]").forEach(function (box) { box.checked = all.checked; });
    });
  });
})();
