/* The check page: upload workbooks one by one to /api/preview, show each report, offer the copies.
 *
 * Every URL is relative to the page, so the page also works behind a proxy under a sub-path.
 * Plain ES2017 (fetch, async/await, no optional chaining) so that the older Chromium builds shipped
 * with domestic desktops run it. Everything from a workbook is shown with textContent, never as HTML.
 */
(function () {
  "use strict";

  var state = { items: [], current: -1, busy: false };
  var RANK = { error: 0, warning: 1, info: 2 };
  /* the localization's finding: its sentence heads the report, not a row among the findings */
  var FIX = "FIX";

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  async function errorText(response) {
    try {
      var body = await response.json();
      if (body && body.error) return body.error;
      if (body && body.reports && body.reports[0] && body.reports[0].error) return body.reports[0].error;
    } catch (e) { /* not JSON */ }
    return "服务器未能处理这个请求（HTTP " + response.status + "）";
  }

  async function loadRules() {
    var select = $("rules");
    try {
      var response = await fetch("api/rules");
      var body = await response.json();
      select.textContent = "";
      body.rulesets.forEach(function (set) {
        var option = el("option", { value: set.name, text: set.title + "（" + set.name + "）" });
        if (set.name === body["default"]) option.selected = true;
        select.appendChild(option);
      });
      var limits = await (await fetch("api/limits")).json();
      $("limits").textContent = "每次最多 " + limits.max_files + " 个文件、共 " + limits.max_upload_mb +
        " MB；本服务没有登录认证，只应在单位内网中使用。";
    } catch (e) {
      select.textContent = "";
      select.appendChild(el("option", { value: "", text: "无法读取规则集" }));
    }
  }

  function form(files) {
    var data = new FormData();
    files.forEach(function (file) { data.append("files", file, file.name); });
    if ($("rules").value) data.append("rules", $("rules").value);
    return data;
  }

  async function checkAll(fileList) {
    var files = Array.prototype.slice.call(fileList);
    if (!files.length || state.busy) return;
    state.busy = true;
    state.items = [];
    state.current = -1;
    $("files").textContent = "";
    $("summary").hidden = true;
    $("progress").hidden = false;
    var bar = $("bar");
    bar.max = files.length;
    for (var i = 0; i < files.length; i++) {
      bar.value = i;
      $("progress-text").textContent = "正在校验 " + (i + 1) + " / " + files.length + "：" + files[i].name;
      var item = { file: files[i], result: null, problem: null };
      try {
        var response = await fetch("api/preview", { method: "POST", body: form([files[i]]) });
        if (response.status === 200 || (response.status === 422 && response.headers.get("content-type") === "application/json")) {
          var body = await response.json();
          if (body.report) item.result = body; else item.problem = body.error;
        } else {
          item.problem = await errorText(response);
        }
      } catch (e) {
        item.problem = "无法连接校验服务，请检查网络后重试";
      }
      state.items.push(item);
      addToList(state.items.length - 1);
      if (state.items.length === 1) show(0);
    }
    bar.value = files.length;
    $("progress-text").textContent = "已校验 " + files.length + " 个文件";
    $("summary").hidden = files.length < 2;
    state.busy = false;
  }

  function verdictClass(item) {
    if (item.problem || item.result.report.error) return "unreadable";
    var report = item.result.report;
    if (report.findings.some(function (f) { return f.severity === "error"; })) return "fail";
    if (report.findings.some(function (f) { return f.severity === "warning"; })) return "warn";
    return "pass";
  }

  function verdictText(item) {
    if (item.problem || item.result.report.error) return "无法校验";
    return item.result.verdict;
  }

  function addToList(index) {
    var item = state.items[index];
    var button = el("button", { type: "button", "data-index": String(index) }, [
      el("span", { className: "name", text: item.file.name }),
      el("span", { className: "verdict " + verdictClass(item), text: verdictText(item) })
    ]);
    button.addEventListener("click", function () { show(index); });
    $("files").appendChild(el("li", {}, [button]));
  }

  function show(index) {
    state.current = index;
    Array.prototype.forEach.call($("files").querySelectorAll("button"), function (b) {
      b.setAttribute("aria-current", b.getAttribute("data-index") === String(index) ? "true" : "false");
    });
    var item = state.items[index];
    var detail = $("detail");
    detail.textContent = "";
    detail.appendChild(el("h2", { text: item.file.name }));
    var problem = item.problem || (item.result && item.result.report.error);
    if (problem) {
      detail.appendChild(el("div", { className: "error-box", role: "alert" }, [
        el("strong", { text: "无法校验：" }), el("span", { text: problem })]));
      return;
    }
    var result = item.result;
    var download = el("button", { type: "button", className: "primary", id: "download", text: "下载标注副本" });
    download.addEventListener("click", function () { fetchDownload(download, "api/annotate", [item.file]); });
    detail.appendChild(el("div", { className: "headline" }, [
      el("span", { className: "verdict " + verdictClass(item), id: "verdict", text: result.verdict }),
      el("span", { className: "muted", text: result.described }),
      download
    ]));
    var fixes = fixPanel(result.report);
    if (fixes) detail.appendChild(fixes);
    if (result.report.findings.some(function (f) { return f.rule !== FIX; })) detail.appendChild(findingTable(result));
    result.tables.forEach(function (table) { detail.appendChild(sheetTable(table)); });
  }

  /* What to change, first: the localization's sentences (最可能填错… / …中有一格填错，无法确定是哪一格…),
   * then the cells of the one smallest fix, or the equally small fixes when the tables cannot tell. */
  function fixPanel(report) {
    var lines = report.findings.filter(function (f) { return f.rule === FIX; });
    var suggestions = report.suggestions || [];
    var candidates = report.candidates || [];
    if (!lines.length && !suggestions.length && !candidates.length) return null;
    var panel = el("section", { id: "fixes", className: "fixes" }, [
      el("h3", { text: suggestions.length || !candidates.length ? "最可能需要修改的单元格" : "可能填错的单元格" })
    ]);
    lines.forEach(function (f) {
      panel.appendChild(el("p", { className: "fix-line", text: f.where ? f.message + "（" + f.where + "）" : f.message }));
    });
    if (suggestions.length) panel.appendChild(suggestionTable(suggestions));
    if (candidates.length) panel.appendChild(candidateTable(candidates));
    return panel;
  }

  var SHOWN_CELLS = 4;

  function cellLinks(cells) {
    var span = el("span");
    cells.forEach(function (ref, i) {
      if (i) span.appendChild(document.createTextNode(" "));
      var link = el("a", { href: "#", className: "cell", text: ref });
      link.addEventListener("click", function (event) { event.preventDefault(); flash(ref); });
      if (i >= SHOWN_CELLS) link.hidden = true;
      span.appendChild(link);
    });
    if (cells.length > SHOWN_CELLS) {
      var more = el("button", { type: "button", className: "more", text: "另 " + (cells.length - SHOWN_CELLS) + " 个…" });
      more.addEventListener("click", function () {
        Array.prototype.forEach.call(span.querySelectorAll("a.cell"), function (a) { a.hidden = false; });
        more.remove();
      });
      span.appendChild(document.createTextNode(" "));
      span.appendChild(more);
    }
    return span;
  }

  /* a suggestion's cell, linked to the preview; on a published report, where it was published */
  function place(s) {
    return s.where ? el("td", { text: s.where }) : el("td", { className: "cells" }, [cellLinks([s.cell])]);
  }

  function number(value) { return value === null || value === undefined ? "（空）" : String(value); }

  function suggestionTable(suggestions) {
    var body = el("tbody");
    suggestions.forEach(function (s) {
      body.appendChild(el("tr", { className: "suggestion" }, [
        place(s),
        el("td", { className: "value", text: number(s.current) }),
        el("td", { className: "value", text: number(s.suggested) }),
        el("td", { text: (s.rules || []).join("、") })
      ]));
    });
    return listTable({ id: "suggestions", className: "findings suggestions" }, ["cells", "value", "value", ""],
                     ["单元格", "现在的值", "应改为", "改后成立的规则"], body);
  }

  function candidateTable(candidates) {
    var body = el("tbody");
    candidates.forEach(function (fix, i) {
      fix.forEach(function (s, j) {
        var row = el("tr", { className: "candidate", "data-option": String(i + 1) });
        if (j === 0) {
          var label = el("td", { className: "option", text: "改法 " + (i + 1) });
          if (fix.length > 1) label.setAttribute("rowspan", String(fix.length));
          row.appendChild(label);
        }
        row.appendChild(place(s));
        row.appendChild(el("td", { className: "value", text: number(s.current) }));
        row.appendChild(el("td", { className: "value", text: number(s.suggested) }));
        body.appendChild(row);
      });
    });
    return listTable({ id: "candidates", className: "findings suggestions" }, ["option", "cells", "value", "value"],
                     ["同样小的改法", "单元格", "现在的值", "可改为"], body);
  }

  /* a table of the report's lists: column classes (their widths), headings, rows */
  function listTable(attrs, classes, headings, body) {
    return el("table", attrs, [
      el("colgroup", {}, classes.map(function (c) { return el("col", c ? { className: c } : {}); })),
      el("thead", {}, [el("tr", {}, headings.map(function (h) { return el("th", { text: h }); }))]),
      body
    ]);
  }

  function findingTable(result) {
    var findings = result.report.findings.map(function (f, i) { return [f, i]; })
      .filter(function (pair) { return pair[0].rule !== FIX; });
    findings.sort(function (a, b) { return (RANK[a[0].severity] - RANK[b[0].severity]) || (a[1] - b[1]); });
    var body = el("tbody");
    findings.forEach(function (pair) {
      var f = pair[0];
      body.appendChild(el("tr", { className: "finding", "data-rule": f.rule, "data-severity": f.severity }, [
        el("td", { className: "level mark-" + f.severity, text: result.labels[f.severity] }),
        el("td", { text: f.rule }),
        el("td", { text: f.where ? f.message + "（" + f.where + "）" : f.message }),
        el("td", { className: "cells" }, [cellLinks(f.cells)])
      ]));
    });
    return el("div", { id: "findings" }, [
      el("h3", { text: "发现的问题" }),
      listTable({ className: "findings" }, ["level", "rule", "", "cells"], ["级别", "规则", "说明", "单元格"], body)
    ]);
  }

  function columnName(n) {
    var name = "";
    while (n > 0) { var r = (n - 1) % 26; name = String.fromCharCode(65 + r) + name; n = Math.floor((n - 1) / 26); }
    return name;
  }

  function sheetTable(table) {
    var width = table.rows.reduce(function (w, row) { return Math.max(w, row.length); }, 0);
    var head = el("tr", {}, [el("th", { text: "" })]);
    for (var c = 1; c <= width; c++) head.appendChild(el("th", { text: columnName(c) }));
    var body = el("tbody");
    table.rows.forEach(function (row, r) {
      var tr = el("tr", {}, [el("th", { className: "row", text: String(table.first_row + r) })]);
      row.forEach(function (cell) {
        if (!cell) return;
        var attrs = { text: cell.text, "data-ref": table.sheet + "!" + cell.ref, title: cell.ref };
        var classes = [];
        if (/^-?[\d.,]+$/.test(cell.text)) classes.push("num");
        if (cell.mark) { classes.push("mark-" + cell.mark); attrs.title = cell.ref + "\n" + cell.note; }
        /* the suspect's look, as in the annotated copy; its note's first line says what to type */
        if (cell.suspect) classes.push("mark-suspect");
        if (cell.suggested !== undefined) {
          classes.push("suggested");
          attrs["data-suggested"] = String(cell.suggested);
          if (!cell.note) attrs.title = cell.ref + "：最可能填错，应为 " + cell.suggested;
        } else if (cell.candidate) {
          classes.push("candidate");
          attrs.title = cell.ref + "：可能填错的格之一" + (cell.note ? "\n" + cell.note : "");
        }
        if (classes.length) attrs.className = classes.join(" ");
        if (cell.rowspan) attrs.rowspan = String(cell.rowspan);
        if (cell.colspan) attrs.colspan = String(cell.colspan);
        tr.appendChild(el("td", attrs));
      });
      body.appendChild(tr);
    });
    return el("div", { className: "preview", "data-table": table.table }, [
      el("h3", { text: table.title + "（工作表 " + table.sheet + "）" }),
      el("div", { className: "sheet-wrap" }, [el("table", { className: "sheet" }, [el("thead", {}, [head]), body])])
    ]);
  }

  function flash(ref) {
    var cells = document.querySelectorAll("td[data-ref]");
    for (var i = 0; i < cells.length; i++) {
      if (cells[i].getAttribute("data-ref") === ref) {
        var cell = cells[i];
        cell.scrollIntoView({ block: "center", inline: "center" });
        cell.classList.add("flash");
        setTimeout(function () { cell.classList.remove("flash"); }, 1500);
        return;
      }
    }
  }

  function fileName(response, fallback) {
    var header = response.headers.get("content-disposition") || "";
    var match = /filename\*=UTF-8''([^;]+)/i.exec(header);
    return match ? decodeURIComponent(match[1]) : fallback;
  }

  async function fetchDownload(button, url, files) {
    var label = button.textContent;
    button.disabled = true;
    button.textContent = "正在生成…";
    try {
      var response = await fetch(url, { method: "POST", body: form(files) });
      if (!response.ok) { alert(await errorText(response)); return; }
      var blob = await response.blob();
      var link = el("a", { href: URL.createObjectURL(blob), download: fileName(response, "xlcheck.xlsx") });
      document.body.appendChild(link);
      link.click();
      setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 60000);
    } catch (e) {
      alert("无法连接校验服务，请检查网络后重试");
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    loadRules();
    var drop = $("drop");
    $("choose").addEventListener("change", function (event) {
      checkAll(event.target.files);
      event.target.value = "";
    });
    ["dragenter", "dragover"].forEach(function (name) {
      drop.addEventListener(name, function (event) { event.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      drop.addEventListener(name, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      checkAll(event.dataTransfer.files);
    });
    drop.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); $("choose").click(); }
    });
    $("summary").addEventListener("click", function () {
      fetchDownload($("summary"), "api/summary", state.items.map(function (item) { return item.file; }));
    });
  });
})();
