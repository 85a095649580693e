/* Add-a-row inputs (kechuang.core.rows). A [data-rows] box holds rows ([data-row]) in [data-rows-body],
   a <template data-rows-template> with one blank row, an add button [data-rows-add] and a remove button
   [data-rows-remove] per row. Without this script the buttons stay hidden and the blank rows the server
   renders are what one can fill in. */
(function () {
  "use strict";

  function show(root) {
    root.querySelectorAll("[data-rows] [data-rows-add], [data-rows] [data-rows-remove]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function clear(row) {
    row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    row.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-rows-add]");
    if (add) {
      var box = add.closest("[data-rows]");
      var row = box.querySelector("template[data-rows-template]").content.firstElementChild.cloneNode(true);
      box.querySelector("[data-rows-body]").appendChild(row);
      var first = row.querySelector("input, select");
      if (first) first.focus();
      return;
    }
    var remove = event.target.closest("[data-rows-remove]");
    if (remove) {
      var current = remove.closest("[data-row]");
      var body = current.parentNode;
      if (body.querySelectorAll("[data-row]").length > 1) {
        current.remove();
      } else {
        clear(current);
      }
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { show(document); });
  } else {
    show(document);
  }
  document.addEventListener("htmx:load", function (event) { show(event.target); });
})();
