/* The county's page: the dashboard of all units, unit details, batch, downloads, sending upward. */
(function () {
  "use strict";
  var $ = Xl.$, show = Xl.show;
  var polling = null;

  function fail(err) {
    Xl.message("message", "error", err.message);
    if (err.status === 401 || err.status === 403) { startLogin(); }
  }

  function load() {
    return Xl.api("GET", "/api/county/dashboard").then(function (data) {
      $("title").textContent = data.year + " 年度全县政府信息公开工作年度报告情况";
      XlDashboard.render(data, $("dashboard"), { onUnit: openUnit });
      batchStatus(data.batch);
    });
  }

  function openUnit(unit) {
    Xl.api("GET", "/api/county/unit?unit=" + encodeURIComponent(unit)).then(function (s) {
      $("unit-title").textContent = s.unit;
      var line = "状态：" + s.status + "；错误 " + s.errors + " 处，提示 " + s.warnings + " 处";
      if (s.fingerprint) { line += "；定稿指纹 " + s.fingerprint.slice(0, 12); }
      $("unit-line").textContent = line;
      var q = "?unit=" + encodeURIComponent(s.unit);
      $("unit-file").href = "/api/county/inbox.xlsx" + q;
      show("unit-file", !!s.submitted_at);
      [["unit-filled", "filled"], ["unit-docx", "report.docx"], ["unit-html", "report.html"]].forEach(function (p) {
        $(p[0]).href = "/api/county/files/" + p[1] + q;
        show(p[0], !!s.files[p[1]]);
      });
      Xl.findingRows($("unit-findings").querySelector("tbody"), s.findings || []);
      show("unit-panel", true);
      $("unit-panel").scrollIntoView();
    }).catch(fail);
  }

  function batchStatus(b) {
    if (!b) { return; }
    if (b.running) {
      show("busy", true);
      $("busy").textContent = "正在批量处理：" + b.done + " / " + b.total;
      $("run-batch").disabled = true;
      if (!polling) { polling = setInterval(pollBatch, 1000); }
      return;
    }
    show("busy", false);
    $("run-batch").disabled = false;
    if (polling) {
      clearInterval(polling);
      polling = null;
      if (b.error) { Xl.message("message", "error", "批量处理未完成：" + b.error); }
      else {
        var parts = Object.keys(b.counts || {}).map(function (k) { return k + " " + b.counts[k] + " 个"; });
        Xl.message("message", "ok", "批量处理完成（" + b.seconds + " 秒）：" + parts.join("，") + "。");
        load().catch(fail);
      }
    }
  }

  function pollBatch() {
    Xl.api("GET", "/api/county/batch").then(batchStatus).catch(fail);
  }

  function runBatch() {
    Xl.message("message", "", "");
    Xl.api("POST", "/api/county/batch").then(function (b) {
      if (!polling) { polling = setInterval(pollBatch, 1000); }
      batchStatus(b);
    }).catch(fail);
  }

  function send() {
    if (!window.confirm("把各单位提交的定稿工作簿发给上级？已发送过的相同定稿不会重复发送。")) { return; }
    Xl.message("message", "", "");
    show("busy", true);
    $("busy").textContent = "正在上报……";
    Xl.api("POST", "/api/county/send").then(function (r) {
      Xl.message("message", r.ok ? "ok" : "error", (r.ok ? "上报完成：\n" : "部分未能上报：\n") + r.messages.join("\n"));
      return load();
    }).catch(fail).then(function () { show("busy", false); });
  }

  function start(s) {
    if (s.role !== "county") { window.location.href = "/"; return; }
    $("who").textContent = "县里";
    show("logout", true);
    show("login", false);
    show("county", true);
    load().catch(fail);
  }

  function startLogin() {
    show("county", false);
    show("logout", false);
    show("login", true);
  }

  $("login-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    Xl.message("login-message", "", "");
    Xl.login($("code").value).then(function (s) { $("code").value = ""; start(s); })
      .catch(function (err) { Xl.message("login-message", "error", err.message); });
  });
  $("run-batch").addEventListener("click", runBatch);
  $("send").addEventListener("click", send);
  $("print").addEventListener("click", function () { window.print(); });
  $("panel-close").addEventListener("click", function () { show("unit-panel", false); });
  $("logout").addEventListener("click", function () { Xl.logout().then(startLogin, startLogin); });
  Xl.session().then(start, startLogin);
})();
