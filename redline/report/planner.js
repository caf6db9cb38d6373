(function () {
  "use strict";
  var drop = document.getElementById("drop"), input = document.getElementById("file");
  var words = window.redlineWords;  // both languages, shown as the page's language switch says (lang.js)
  var labels = {pass: ["符合", "PASS"], review: ["需补充论证", "REVIEW"], violation: ["不符合", "VIOLATION"]};
  var STATUS = {clear: ["不涉及", "clear"], pass: ["符合", "pass"], review: ["需补充论证", "review"],
                violation: ["不符合", "violation"], not_checked: ["未检查", "not checked"]};

  function say(element, pair) { element.textContent = ""; element.appendChild(words(pair[0], pair[1])); }
  drop.addEventListener("click", function () { input.click(); });
  drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (e) { e.preventDefault(); drop.classList.remove("over"); start(e.dataTransfer.files); });
  input.addEventListener("change", function () { start(input.files); });
  var PARTS = (input.getAttribute("data-parts") || "").split(" ");  // a shapefile's parts, sent as one project

  function headers() { return window.redlineHeaders(); }  // the API token or the page session's CSRF token

  var current = 0;  // the latest submission: an earlier one's answer arriving late is dropped

  function projects(files) {  // the chosen files as projects: a shapefile's parts (one name) together, others alone
    var byName = {}, found = [];
    Array.prototype.forEach.call(files || [], function (file) {
      var dot = file.name.lastIndexOf("."), suffix = dot > 0 ? file.name.slice(dot).toLowerCase() : "";
      var stem = (dot > 0 ? file.name.slice(0, dot) : file.name).toLowerCase();
      if (PARTS.indexOf(suffix) < 0) { found.push([file]); return; }
      if (!byName[stem]) { byName[stem] = []; found.push(byName[stem]); }
      byName[stem].push(file);
    });
    return found;
  }

  function start(files) {
    var found = projects(files);
    if (found.length === 1) { submit(found[0]); } else if (found.length > 1) { many(found); }
  }

  function many(found) {  // several projects: checked one after another, each a row that shows its result
    var mine = ++current, lang = document.getElementById("lang").value, ids = [];
    clear();
    var table = document.getElementById("many");
    found.forEach(function (files) {
      var row = table.insertRow();
      cell(row, files[0].name); say(row.insertCell(), ["等待", "waiting…"]);
    });
    function next(index) {
      if (mine !== current) return;
      if (index >= found.length) { ledger(ids, lang); return; }
      var row = table.rows[index];
      say(row.cells[1], ["检查中", "checking…"]);
      send(found[index], lang).then(function (answer) {
        if (mine !== current) return;
        if (!answer.ok) {
          var detail = answer.body && answer.body.detail;
          row.cells[1].textContent = answer.status + ": " + (typeof detail === "string" ? detail : JSON.stringify(detail));
          row.cells[1].className = "violation";
        } else {
          ids.push(answer.body.id);
          say(row.cells[1], labels[answer.body.verdict]); row.cells[1].className = answer.body.verdict;
          row.setAttribute("data-verdict", answer.body.verdict);
          var key = answer.body.key ? "?key=" + encodeURIComponent(answer.body.key) + "&" : "?";
          var pdf = document.createElement("a");  // each project's review report, beside its verdict
          pdf.href = "v1/checks/" + encodeURIComponent(answer.body.id) + "/report.pdf" + key + "lang=" + lang;
          pdf.textContent = "PDF"; pdf.download = found[index][0].name.replace(/\.[^.]*$/, "") + ".pdf";
          pdf.addEventListener("click", function (event) { event.stopPropagation(); });
          row.insertCell().appendChild(pdf);
          row.addEventListener("click", function () {
            Array.prototype.forEach.call(table.rows, function (other) { other.classList.remove("shown"); });
            row.classList.add("shown"); show(answer.body, lang);
          });
        }
        next(index + 1);
      }).catch(function (error) { row.cells[1].textContent = String(error); next(index + 1); });
    }
    next(0);
  }

  function ledger(ids, lang) {  // the 台账 and the review reports of the projects just checked
    if (!ids.length) return;
    var query = new URLSearchParams();
    ids.forEach(function (id) { query.append("id", id); });
    [[["下载台账", "download the ledger"], " (xlsx)", "v1/checks.xlsx?" + query, "redline-ledger.xlsx"],
     [["下载审查报告", "download the review reports"], " (zip)", "v1/checks.zip?" + query + "&lang=" + lang,
      "redline-reports.zip"]].forEach(function (item) {
      var button = document.createElement("button");
      button.type = "button"; say(button, item[0]);
      button.appendChild(document.createTextNode(item[1]));
      button.addEventListener("click", function () {
        window.redlineDownload(item[2], item[3]).catch(function (error) {
          document.getElementById("error").textContent = error.message;
        });
      });
      document.getElementById("ledger").appendChild(button);
      document.getElementById("ledger").appendChild(document.createTextNode(" "));
    });
  }

  function send(files, lang) {  // one project's files, with the form's fields: {ok, status, body}
    var form = new FormData();
    files.forEach(function (file) { form.append("file", file, file.name); });
    // the fields the service declares (rendered into #fields from redline.parameters), each under its own name
    document.querySelectorAll("#fields [name]").forEach(function (field) {
      if (field.type === "checkbox") form.append(field.name, field.checked ? "true" : "false");
      else if (field.value) form.append(field.name, field.value);
    });
    var source = document.getElementById("source").value;  // a web map's offset, when no CRS is typed
    if (source && !form.has("crs")) form.append("crs", source);
    form.append("lang", lang);
    return fetch("v1/checks", {method: "POST", body: form, headers: headers()}).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, status: response.status, body: body}; });
    });
  }

  function submit(files) {
    var mine = ++current, lang = document.getElementById("lang").value;
    clear();
    say(document.getElementById("verdict"), ["检查中…", "checking…"]);
    send(files, lang).then(function (answer) {
      if (mine !== current) return;
      if (!answer.ok) { show_error(answer.status, answer.body); return; }
      show(answer.body, lang);
    }).catch(function (error) {
      if (mine !== current) return;
      clear();
      document.getElementById("error").textContent = String(error);
    });
  }

  function clear() {  // the previous file's result never stays on screen beside a new file or an error
    ["error", "verdict", "project", "findings", "warnings", "downloads", "many", "ledger"].forEach(function (id) {
      document.getElementById(id).textContent = "";
    });
    document.getElementById("verdict").className = "";
    document.getElementById("verdict").setAttribute("data-verdict", "");
    document.getElementById("map").removeAttribute("src");
    document.getElementById("map").removeAttribute("srcdoc");
  }

  function show_error(status, body) {
    clear();
    var detail = body && body.detail;
    document.getElementById("verdict").textContent = "";
    document.getElementById("error").textContent = status + ": " + (typeof detail === "string" ? detail : JSON.stringify(detail));
  }

  function cell(row, text, css) {
    var td = row.insertCell(); td.textContent = text; if (css) td.className = css; return td;
  }

  function show(report, lang) {
    var verdict = document.getElementById("verdict");
    say(verdict, labels[report.verdict]);
    verdict.className = report.verdict;
    verdict.setAttribute("data-verdict", report.verdict);
    var area = report.project.area_m2;
    document.getElementById("project").textContent = (report.project.name || report.project.file) + " · " +
      area.toFixed(1) + " m² = " + (area / 10000).toFixed(4) + " ha = " + (area * 15 / 10000).toFixed(2) + " 亩";
    var table = document.getElementById("findings");
    table.textContent = "";
    report.findings.forEach(function (finding) {
      var row = table.insertRow();
      cell(row, lang === "zh" ? finding.title_zh : finding.title_en);
      say(cell(row, "", finding.status), STATUS[finding.status] || [finding.status, finding.status]);
      cell(row, (lang === "zh" ? finding.reason_zh : finding.reason_en) + (finding.exemption ? " [" + finding.exemption + "]" : ""));
    });
    var warnings = document.getElementById("warnings");
    warnings.textContent = "";
    (report.project.warnings || []).concat(report.project.notes || []).forEach(function (note) {
      var item = document.createElement("li");
      item.textContent = (note.where ? note.where + ": " : "") + (lang === "zh" ? note.zh : note.en);
      item.setAttribute("data-code", note.code);
      warnings.appendChild(item);
    });
    var base = "v1/checks/" + encodeURIComponent(report.id);
    var key = report.key ? "?key=" + encodeURIComponent(report.key) : "";  // set when the service asks for a token
    var downloads = document.getElementById("downloads");
    downloads.textContent = "";
    var langQuery = (key ? "&" : "?") + "lang=" + lang;
    [["report.json", base + key], ["intrusions.geojson", base + "/intrusions.geojson" + key],
     ["map.html", base + "/map" + key], [["审查报告", "report"], base + "/report.pdf" + key + langQuery, "report.pdf"],
     [["审查报告", "report"], base + "/report.docx" + key + langQuery, "report.docx"],
     [["避让后用地", "compliant footprint"], base + "/avoided.geojson" + key, "avoided.geojson"]].forEach(function (item) {
      var link = document.createElement("a"); link.href = item[1];
      if (typeof item[0] === "string") { link.textContent = item[0]; link.download = item[0]; } else {
        say(link, item[0]); link.appendChild(document.createTextNode(" " + item[2])); link.download = item[2];
      }
      downloads.appendChild(link); downloads.appendChild(document.createTextNode(" · "));
    });
    document.getElementById("map").src = base + "/map" + key;
    var review = report.review || {state: "pending", state_zh: "待审"};  // a new check waits for a reviewer
    var state = document.createElement("li");
    say(state, ["审查状态：" + (review.state_zh || review.state), "review: " + review.state]);
    if (review.opinion) {
      state.appendChild(document.createTextNode(" — " + (review.reviewer_name || review.reviewer || "") + "：" + review.opinion));
    }
    state.setAttribute("data-code", "review_state");
    document.getElementById("warnings").appendChild(state);
  }
})();
