/* The county dashboard: status counts, a filterable and sortable table of units, charts (Chart.js)
   and the 全县合计 tables. Used by the web page (/county) and by the offline 汇总.html.
   Every unit name is hostile text: written with textContent only. */
(function (global) {
  "use strict";

  var COLORS = ["#2f6db5", "#e07b39", "#3a9a5b", "#c23b3b", "#8a63b8", "#7a7a7a", "#c9a227", "#3aa0a8"];
  var STATUS_CLASS = {
    "未提交": "s-missing", "已上传": "s-uploaded", "有错误": "s-errors", "已定稿": "s-frozen",
    "已提交": "s-submitted", "已上报": "s-reported", "成功": "s-submitted", "失败": "s-errors"
  };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function num(v) { return typeof v === "number" && isFinite(v) ? v : 0; }

  function section(root, title, id) {
    var s = el("section", { "class": "card", id: id });
    s.appendChild(el("h2", null, title));
    root.appendChild(s);
    return s;
  }

  function counts(root, data) {
    var box = el("div", { "class": "counts", id: "status-counts" });
    data.statuses.forEach(function (s) {
      var c = el("div", { "class": "count " + (STATUS_CLASS[s] || "") });
      c.appendChild(el("span", { "class": "n" }, data.counts[s] || 0));
      c.appendChild(el("span", { "class": "label" }, s));
      box.appendChild(c);
    });
    root.appendChild(box);
  }

  var COLUMNS = [
    ["unit", "单位"], ["status", "状态"], ["errors", "错误"], ["warnings", "提示"],
    ["received", "新收"], ["concluded", "办结"], ["updated_at", "最近更新"], ["fingerprint", "指纹"]
  ];

  function cellValue(u, key) {
    if (key === "received") { return u.figures ? num(u.figures[MEASURES[0]]) : null; }
    if (key === "concluded") { return u.figures ? num(u.figures[MEASURES[1]]) : null; }
    return u[key];
  }

  var MEASURES = ["新收", "办结"];

  function unitTable(root, data, opts) {
    var s = section(root, "各单位情况", "units");
    var tools = el("div", { "class": "tools no-print" });
    var search = el("input", { type: "search", placeholder: "按单位名称筛选", "aria-label": "按单位名称筛选", id: "unit-filter" });
    var select = el("select", { "aria-label": "按状态筛选", id: "status-filter" });
    select.appendChild(el("option", { value: "" }, "全部状态"));
    data.statuses.forEach(function (st) { select.appendChild(el("option", { value: st }, st)); });
    tools.appendChild(search);
    tools.appendChild(select);
    s.appendChild(tools);
    var wrap = el("div", { "class": "table-wrap" });
    var table = el("table", { "class": "grid", id: "unit-table" });
    var thead = el("thead");
    var tr = el("tr");
    var sortKey = "unit", sortDir = 1;
    var columns = COLUMNS.filter(function (c) {  // the batch's file has no upload times
      return c[0] !== "updated_at" || data.units.some(function (u) { return u.updated_at; });
    });
    columns.forEach(function (c) {
      var th = el("th", { scope: "col", "data-key": c[0], tabindex: "0", title: "点击排序" }, c[1]);
      function sortBy() {
        sortDir = sortKey === c[0] ? -sortDir : 1;
        sortKey = c[0];
        draw();
      }
      th.addEventListener("click", sortBy);
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { sortBy(); } });
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    table.appendChild(thead);
    var tbody = el("tbody");
    table.appendChild(tbody);
    wrap.appendChild(table);
    s.appendChild(wrap);

    function draw() {
      var q = search.value.trim(), st = select.value;
      var rows = data.units.filter(function (u) {
        return (!q || u.unit.indexOf(q) >= 0) && (!st || u.status === st);
      });
      rows.sort(function (a, b) {
        var x = cellValue(a, sortKey), y = cellValue(b, sortKey);
        if (x === y) { return 0; }
        if (x === null || x === undefined) { return 1; }
        if (y === null || y === undefined) { return -1; }
        return (x < y ? -1 : 1) * sortDir;
      });
      tbody.textContent = "";
      rows.forEach(function (u) {
        var r = el("tr");
        columns.forEach(function (c) {
          var v = cellValue(u, c[0]);
          var td = el("td", c[0] === "unit" ? { "class": "left" } : null);
          if (c[0] === "unit" && opts.onUnit) {
            var a = el("a", { href: "#", "class": "unit-link" }, u.unit);
            a.addEventListener("click", function (ev) { ev.preventDefault(); opts.onUnit(u.unit); });
            td.appendChild(a);
          } else if (c[0] === "status") {
            td.appendChild(el("span", { "class": "status " + (STATUS_CLASS[v] || "") }, v));
          } else if (c[0] === "fingerprint") {
            td.textContent = v ? String(v).slice(0, 12) : "";
            td.className = "mono";
          } else if (c[0] === "updated_at") {
            td.textContent = v ? String(v).replace("T", " ").slice(0, 16) : "";
          } else {
            td.textContent = v === null || v === undefined ? "" : String(v);
          }
          r.appendChild(td);
        });
        tbody.appendChild(r);
      });
      s.querySelector("thead").querySelectorAll("th").forEach(function (th) {
        th.removeAttribute("aria-sort");
        if (th.getAttribute("data-key") === sortKey) {
          th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
        }
      });
    }
    search.addEventListener("input", draw);
    select.addEventListener("change", draw);
    draw();
  }

  function chartBox(parent, title, height, id) {
    var box = el("figure", { "class": "chart" });
    box.appendChild(el("figcaption", null, title));
    var holder = el("div", { "class": "chart-holder" });
    holder.style.height = height + "px";
    var canvas = el("canvas", { id: id, role: "img", "aria-label": title });
    holder.appendChild(canvas);
    box.appendChild(holder);
    parent.appendChild(box);
    return canvas;
  }

  function barChart(canvas, labels, datasets, stacked) {
    if (!global.Chart) { return null; }
    return new global.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: { stacked: !!stacked, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: !!stacked } },
        plugins: { legend: { position: "top" } }
      }
    });
  }

  function charts(root, data) {
    var reported = data.units.filter(function (u) { return u.figures; });
    var s = section(root, "图表", "charts");
    if (!reported.length) {
      s.appendChild(el("p", { "class": "muted" }, "还没有单位上传年报，暂无图表。"));
      return;
    }
    var labels = reported.map(function (u) { return u.unit; });
    var height = Math.max(220, 26 * reported.length + 70);
    var grid = el("div", { "class": "charts" });
    s.appendChild(grid);
    barChart(chartBox(grid, "各单位政府信息公开申请：新收与办结（件）", height, "chart-received"), labels,
      data.measures.map(function (m, i) {
        return { label: m, data: reported.map(function (u) { return num(u.figures[m]); }), backgroundColor: COLORS[i] };
      }), false);
    barChart(chartBox(grid, "各单位办理结果构成（件）", height, "chart-results"), labels,
      data.results.map(function (r, i) {
        return { label: r, data: reported.map(function (u) { return num(u.figures[r]); }), backgroundColor: COLORS[i] };
      }), true);
    barChart(chartBox(grid, "本年与上年比较：新收申请（件）", height, "chart-years"), labels, [
      { label: (data.year || "本") + "年", data: reported.map(function (u) { return num(u.figures[data.measures[0]]); }),
        backgroundColor: COLORS[0] },
      { label: (data.year ? data.year - 1 : "上") + "年", backgroundColor: COLORS[5],
        data: reported.map(function (u) { return u.last ? num(u.last[data.measures[0]]) : null; }) }
    ], false);
    var mix = data.rollup || sumFigures(reported, data.results);
    if (global.Chart) {
      new global.Chart(chartBox(grid, "全县办理结果构成（件）", 260, "chart-mix"), {
        type: "doughnut",
        data: { labels: data.results, datasets: [{ data: data.results.map(function (r) { return num(mix[r]); }),
          backgroundColor: COLORS.slice(0, data.results.length) }] },
        options: { responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { position: "right" } } }
      });
    }
  }

  function sumFigures(units, keys) {
    var out = {};
    keys.forEach(function (k) { out[k] = 0; });
    units.forEach(function (u) { keys.forEach(function (k) { out[k] += num(u.figures[k]); }); });
    return out;
  }

  function tables(root, data) {
    var s = section(root, "全县合计：表二、表三、表四", "rollup");
    if (!data.tables_html) {
      s.appendChild(el("p", { "class": "muted" }, "运行批量处理后显示全县合计（已提交单位之和）。"));
      return;
    }
    var box = el("div", { "class": "rollup-tables" });
    box.innerHTML = data.tables_html;  // built and escaped by the server (document/to_html.table_html)
    s.appendChild(box);
  }

  function render(data, root, opts) {
    opts = opts || {};
    MEASURES = data.measures || MEASURES;
    root.textContent = "";
    counts(root, data);
    unitTable(root, data, opts);
    charts(root, data);
    tables(root, data);
  }

  global.XlDashboard = { render: render };
})(window);
