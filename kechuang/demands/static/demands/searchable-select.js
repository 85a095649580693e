// A filter box for long choice lists: every <select data-searchable> gets a search field above it that
// hides the options (and option groups) not containing the typed text, and shows the matches as an open
// list. Without JavaScript the select works as it is.
(function () {
  "use strict";
  function enhance(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-search";
    box.placeholder = select.dataset.searchLabel || "";
    box.setAttribute("aria-label", select.dataset.searchLabel || "");
    box.setAttribute("aria-controls", select.id);
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var text = box.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(select.querySelectorAll("option"), function (option) {
        var hit = !text || option.value === "" || option.textContent.toLowerCase().indexOf(text) !== -1;
        option.hidden = !hit;
        if (hit) shown += 1;
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        var label = group.label.toLowerCase();
        if (text && label.indexOf(text) !== -1) {  // a category's name shows all of it
          Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
            if (option.hidden) { option.hidden = false; shown += 1; }
          });
        }
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      select.size = text ? Math.max(2, Math.min(8, shown)) : 0;
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("select[data-searchable]"), enhance);
})();
