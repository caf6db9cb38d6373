/* The pages' language: 中文 and English side by side (the default), 中文 only or English only, chosen in #page-lang and
   kept in this browser. Page text comes as <span class="zh">…</span> <span class="en">…</span> (redlineWords makes
   them from script) and the page's style hides one; an <option>, a placeholder or a button's title carries data-zh
   and data-en instead. Messages from the service are shown as they come (中文 / English). */
(function () {
  "use strict";
  var KEY = "redline-page-lang";
  var MODES = [["both", "中文 English"], ["zh", "中文"], ["en", "English"]];
  var root = document.documentElement;

  function mode() { return root.getAttribute("data-show") || "both"; }

  window.redlineWords = function (zh, en) {  // both words, as spans the chosen language shows
    var both = document.createDocumentFragment();
    [["zh", zh], ["en", en]].forEach(function (pair, index) {
      if (index) { both.appendChild(document.createTextNode(" ")); }
      var span = document.createElement("span");
      span.className = pair[0]; span.textContent = pair[1];
      both.appendChild(span);
    });
    return both;
  };

  window.redlineText = function (zh, en) {  // plain text in the chosen language (for attributes)
    return mode() === "zh" ? zh : mode() === "en" ? en : zh + " " + en;
  };

  function apply(chosen) {
    root.setAttribute("data-show", chosen);
    root.lang = chosen === "en" ? "en" : "zh";
    document.querySelectorAll("[data-zh]").forEach(function (element) {
      var text = window.redlineText(element.getAttribute("data-zh"), element.getAttribute("data-en"));
      if (element.tagName === "OPTION") { element.textContent = text; } else { element.setAttribute("placeholder", text); }
    });
    try { window.localStorage.setItem(KEY, chosen); } catch (error) { /* private browsing: not kept */ }
  }

  var select = document.getElementById("page-lang"), kept = null;
  try { kept = window.localStorage.getItem(KEY); } catch (error) { kept = null; }
  MODES.forEach(function (pair) {
    var option = document.createElement("option");
    option.value = pair[0]; option.textContent = pair[1];
    select.appendChild(option);
  });
  select.value = MODES.some(function (pair) { return pair[0] === kept; }) ? kept : "both";
  select.addEventListener("change", function () { apply(select.value); });
  apply(select.value);
})();
