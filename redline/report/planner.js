(function () {
  "use strict";
  var drop = document.getElementById("drop"), input = document.getElementById("file");
  var labels = {pass: "符合 PASS", review: "需补充论证 REVIEW", violation: "不符合 VIOLATION"};
  drop.addEventListener("click", function () { input.click(); });
  drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (e) { e.preventDefault(); drop.classList.remove("over"); submit(e.dataTransfer.files[0]); });
  input.addEventListener("change", function () { submit(input.files[0]); });

  function headers() { return window.redlineHeaders(); }  // the API token or the page session's CSRF token

  var current = 0;  // the latest submission: an earlier one's answer arriving late is dropped

  function submit(file) {
    if (!file) return;
    var mine = ++current;
    var form = new FormData();
    form.append("file", file, file.name);
    // the fields the service declares (rendered into #fields from redline.parameters), each under its own name
    document.querySelectorAll("#fields [name]").forEach(function (field) {
      if (field.type === "checkbox") form.append(field.name, field.checked ? "true" : "false");
      else if (field.value) form.append(field.name, field.value);
    });
    var source = document.getElementById("source").value;  // a web map's offset, when no CRS is typed
    if (source && !form.has("crs")) form.append("crs", source);
    var lang = document.getElementById("lang").value;
    form.append("lang", lang);
    clear();
    document.getElementById("verdict").textContent = "检查中… checking…";
    fetch("v1/checks", {method: "POST", body: form, headers: headers()}).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, status: response.status, body: body}; });
    }).then(function (answer) {
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
    ["error", "verdict", "project", "findings", "warnings", "downloads"].forEach(function (id) {
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
    verdict.textContent = labels[report.verdict];
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
      cell(row, finding.status, finding.status);
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
     ["map.html", base + "/map" + key], ["审查报告 report.pdf", base + "/report.pdf" + key + langQuery],
     ["审查报告 report.docx", base + "/report.docx" + key + langQuery],
     ["避让后用地 compliant footprint.geojson", base + "/avoided.geojson" + key]].forEach(function (item) {
      var link = document.createElement("a"); link.href = item[1]; link.textContent = item[0]; link.download = item[0];
      downloads.appendChild(link); downloads.appendChild(document.createTextNode(" · "));
    });
    document.getElementById("map").src = base + "/map" + key;
    var review = report.review || {state: "pending", state_zh: "待审"};  // a new check waits for a reviewer
    var state = document.createElement("li");
    state.textContent = "审查状态 / review: " + (review.state_zh || review.state) +
      (review.opinion ? " — " + (review.reviewer_name || review.reviewer || "") + "：" + review.opinion : "");
    state.setAttribute("data-code", "review_state");
    document.getElementById("warnings").appendChild(state);
  }
})();
