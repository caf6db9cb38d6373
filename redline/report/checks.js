/* The reviewer's page: past checks from GET v1/checks, filtered, a page of PAGE at a time (sorted within the page),
   each linking to its map and review report; a check can be run again against the current layers (the earlier
   result stays); the 台账 of the filtered checks downloads as xlsx (GET v1/checks.xlsx). */
(function () {
  "use strict";
  var words = window.redlineWords;  // both languages, shown as the page's language switch says (lang.js)
  var WORDS = {violation: ["不符合", "violation"], review: ["需补充论证", "review"], pass: ["符合", "pass"]};
  var STATES = {pending: ["待审", "pending"], approved: ["已通过", "approved"], returned: ["退回补正", "returned"],
                rejected: ["不予通过", "rejected"]};

  function say(element, pair) { element.textContent = ""; element.appendChild(words(pair[0], pair[1])); return element; }
  var PAGE = 100;
  var rows = [], order = {key: "created", ascending: false}, offset = 0, total = 0;

  function headers() { return window.redlineHeaders(); }  // the API token or the page session's CSRF token

  function fail(response) {
    return response.json().then(function (body) { throw new Error(response.status + ": " + body.detail); });
  }

  function filters() {
    var query = new URLSearchParams();
    ["verdict", "since", "q"].forEach(function (name) {
      var value = document.getElementById(name).value;
      if (value) { query.set(name, value); }
    });
    return query;
  }

  function load(event) {
    if (event) { event.preventDefault(); offset = 0; }
    var query = filters();
    query.set("limit", String(PAGE)); query.set("offset", String(offset));
    document.getElementById("error").textContent = "";
    fetch("v1/checks?" + query.toString(), {headers: headers()}).then(function (response) {
      if (!response.ok) { return fail(response); }
      total = Number(response.headers.get("X-Total-Count") || 0);
      return response.json();
    }).then(function (found) { rows = found; draw(); }).catch(function (error) {
      document.getElementById("error").textContent = error.message;
    });
  }

  function pager() {
    var first = rows.length ? offset + 1 : 0, last = offset + rows.length;
    say(document.getElementById("page"), ["第 " + first + "–" + last + " 条，共 " + total + " 条",
                                          first + "–" + last + " of " + total]);
    document.getElementById("prev").disabled = offset === 0;
    document.getElementById("next").disabled = last >= total;
  }

  function exportLedger() {
    var button = document.getElementById("export");
    button.disabled = true;
    document.getElementById("error").textContent = "";
    window.redlineDownload("v1/checks.xlsx?" + filters().toString(), "redline-ledger.xlsx").catch(function (error) {
      document.getElementById("error").textContent = error.message;
    }).then(function () { button.disabled = false; });
  }

  function link(text, href) {
    var anchor = document.createElement("a");
    anchor.href = href; anchor.textContent = text; anchor.target = "_blank";
    return anchor;
  }

  function draw() {
    rows.sort(function (a, b) {
      var x = a[order.key], y = b[order.key];
      var result = (typeof x === "number" && typeof y === "number") ? x - y : String(x || "").localeCompare(String(y || ""));
      return order.ascending ? result : -result;
    });
    var body = document.querySelector("#checks tbody");
    body.textContent = "";
    rows.forEach(function (check) {
      var row = body.insertRow();
      row.setAttribute("data-id", check.id);
      row.setAttribute("data-verdict", check.verdict);
      row.insertCell().textContent = new Date(check.created).toLocaleString("zh-CN", {timeZone: "Asia/Shanghai", hour12: false});
      var verdict = row.insertCell();
      say(verdict, WORDS[check.verdict] || [check.verdict, check.verdict]); verdict.className = check.verdict;
      say(row.insertCell(), STATES[check.state] || [check.state || "", check.state || ""]);
      var name = row.insertCell();
      name.className = "name";
      name.textContent = check.name || check.file;
      if (check.previous) {
        name.appendChild(document.createTextNode(" ("));
        name.appendChild(words("重新检查 " + check.previous.slice(0, 8), "re-run of " + check.previous.slice(0, 8)));
        name.appendChild(document.createTextNode(")"));
      }
      row.insertCell().textContent = (check.area_m2 / 10000).toFixed(4);
      var open = row.insertCell();
      [[["地图", "map"], check.links.map], ["PDF", check.links.pdf], ["Word", check.links.docx], ["JSON", check.links.report]]
        .forEach(function (item) {
          var anchor = link(typeof item[0] === "string" ? item[0] : "", item[1]);
          if (typeof item[0] !== "string") { say(anchor, item[0]); }
          open.appendChild(anchor); open.appendChild(document.createTextNode(" "));
        });
      var button = document.createElement("button");
      button.className = "rerun"; say(button, ["按现行图层重新检查", "re-run"]);
      button.addEventListener("click", function () { rerun(check.id, button); });
      row.insertCell().appendChild(button);
    });
    pager();
  }

  function rerun(id, button) {
    button.disabled = true;
    fetch("v1/checks/" + encodeURIComponent(id) + "/rerun", {method: "POST", headers: headers()}).then(function (response) {
      return response.ok ? response.json() : fail(response);
    }).then(function () { load(); }).catch(function (error) {
      document.getElementById("error").textContent = error.message;
      button.disabled = false;
    });
  }

  document.querySelectorAll("#checks th[data-key]").forEach(function (header) {
    header.addEventListener("click", function () {
      var key = header.getAttribute("data-key");
      order = {key: key, ascending: order.key === key ? !order.ascending : true};
      draw();
    });
  });
  document.getElementById("filters").addEventListener("submit", load);
  document.getElementById("prev").addEventListener("click", function () { offset = Math.max(offset - PAGE, 0); load(); });
  document.getElementById("next").addEventListener("click", function () { offset += PAGE; load(); });
  document.getElementById("export").addEventListener("click", exportLedger);
  load();
})();
