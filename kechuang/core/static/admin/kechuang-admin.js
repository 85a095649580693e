/* Words of the admin's widgets that Django's zh_Hans JavaScript catalogue lacks (the two-box selector
 * of industry chains and fields). Runs deferred, after jsi18n and before the selectors are drawn on
 * "load"; a word the catalogue translates keeps its translation. */
(function () {
  "use strict";
  var translate = globalThis.gettext;
  if (!/^zh/i.test(document.documentElement.lang || "") || typeof translate !== "function") return;
  var words = {
    "Choose %s by selecting them and then select the \"Choose\" arrow button.": "选中要添加的%s，再点击“选择”箭头。",
    "Remove %s by selecting them and then select the \"Remove\" arrow button.": "选中要移除的%s，再点击“删除”箭头。",
    "Choose all %s": "全选%s",
    "Remove all %s": "全部移除%s",
    "Choose selected %s": "添加选中的%s",
    "Remove selected %s": "移除选中的%s",
    "(click to clear)": "（点击清除）"
  };
  globalThis.gettext = function (msgid) {
    var text = translate(msgid);
    return text === msgid && Object.prototype.hasOwnProperty.call(words, msgid) ? words[msgid] : text;
  };
})();
