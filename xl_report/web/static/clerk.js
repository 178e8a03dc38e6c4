/* The clerk's page: log in with the unit's code, then 下载模板 → 上传并校验 → 定稿 → 提交县里. */
(function () {
  "use strict";
  var $ = Xl.$, show = Xl.show;
  var state = null;

  function busy(on) {
    show("busy", on);
    ["upload", "freeze", "submit"].forEach(function (id) { $(id).disabled = on || $(id).dataset.off === "1"; });
  }

  function enable(id, on) {
    $(id).dataset.off = on ? "0" : "1";
    $(id).disabled = !on;
  }

  function renderState(s) {
    state = s;
    $("title").textContent = s.year + " 年度年报填报";
    var line = "当前状态：" + s.status;
    if (s.updated_at) { line += "（" + s.updated_at.replace("T", " ").slice(0, 16) + "）"; }
    if (s.status !== "未提交") { line += "；错误 " + s.errors + " 处，提示 " + s.warnings + " 处"; }
    if (s.fingerprint) { line += "；定稿指纹 " + s.fingerprint.slice(0, 12); }
    if (s.submitted_at) { line += "；已于 " + s.submitted_at.replace("T", " ").slice(0, 16) + " 提交县里"; }
    $("status-line").textContent = line;
    var ul = $("summary");
    ul.textContent = "";
    (s.summary || []).forEach(function (t) {
      var li = document.createElement("li");
      li.textContent = t;
      ul.appendChild(li);
    });
    renderFindings(s.findings || []);
    show("download-last", s.last_year);
    show("dl-filled", s.files.filled);
    show("dl-frozen", s.files.frozen);
    show("dl-docx", s.files["report.docx"]);
    show("dl-html", s.files["report.html"]);
    enable("freeze", s.files.filled && s.errors === 0 && !s.files.frozen);
    enable("submit", s.files.frozen && s.status !== "已提交" && s.status !== "已上报");
    enable("upload", true);
    var why = "";
    if (!s.files.filled && s.status === "未提交") { why = "请先上传工作簿。"; }
    else if (s.errors > 0) { why = "还有 " + s.errors + " 个错误，在工作簿中改正后重新上传，才能定稿。"; }
    $("freeze").title = why;
    $("freeze-why").textContent = why;
    show("freeze-why", !!why);
  }

  function renderFindings(findings) {
    show("findings", Xl.findingRows($("findings").querySelector("tbody"), findings) > 0);
  }

  function refresh() {
    return Xl.api("GET", "/api/state").then(renderState);
  }

  function fail(err) {
    Xl.message("message", "error", err.message);
    if (err.status === 401) { startLogin(); }
  }

  function upload() {
    var file = $("file").files[0];
    if (!file) { return; }
    var form = new FormData();
    form.append("file", file, file.name);
    Xl.message("message", "", "");
    busy(true);
    Xl.api("POST", "/api/upload", form).then(function (r) {
      var choose = r.findings.filter(function (f) { return f.code === "R10"; }).length;
      var text = choose ? "台账已转换，有 " + choose + " 种写法看不准，没有计数：请下载工作簿，在橙色格子的下拉列表中选择，选好后重新上传。"
        : r.errors ? "已上传并填报，校验发现错误 " + r.errors + " 处、提示 " + r.warnings + " 处：请按下表改正后重新上传。"
        : "已上传并填报，校验没有发现错误" + (r.warnings ? "（提示 " + r.warnings + " 处，请核对）" : "") + "。可以定稿。";
      Xl.message("message", r.errors ? "error" : "ok", text);
      return refresh();
    }).catch(fail).then(function () { busy(false); $("file").value = ""; });
  }

  function freeze() {
    Xl.message("message", "", "");
    busy(true);
    Xl.api("POST", "/api/freeze").then(function (r) {
      var text = "已定稿，指纹 " + r.short + "。请下载定稿工作簿和年报，然后点击“提交县里”。";
      if (r.report_error) { text += "\n年报文档未能生成：" + r.report_error; }
      Xl.message("message", r.report_error ? "info" : "ok", text);
      return refresh();
    }).catch(function (err) {
      fail(err);
      if (err.data && err.data.findings) { renderFindings(err.data.findings); }
    }).then(function () { busy(false); });
  }

  function submit() {
    Xl.message("message", "", "");
    busy(true);
    Xl.api("POST", "/api/submit").then(function () {
      Xl.message("message", "ok", "已提交县里。如需更正，重新上传、定稿、提交即可（县里保留每次提交）。");
      return refresh();
    }).catch(fail).then(function () { busy(false); });
  }

  function startClerk(s) {
    if (s.role === "county") { window.location.href = "/county"; return; }
    $("who").textContent = s.unit;
    show("logout", true);
    show("login", false);
    show("clerk", true);
    refresh().catch(fail);
  }

  function startLogin() {
    show("clerk", false);
    show("logout", false);
    $("who").textContent = "";
    show("login", true);
    $("code").focus();
  }

  $("login-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    $("login-button").disabled = true;
    Xl.message("login-message", "", "");
    Xl.login($("code").value).then(function (s) { $("code").value = ""; startClerk(s); })
      .catch(function (err) { Xl.message("login-message", "error", err.message); })
      .then(function () { $("login-button").disabled = false; });
  });
  $("upload").addEventListener("click", function () { $("file").click(); });
  $("file").addEventListener("change", upload);
  $("freeze").addEventListener("click", freeze);
  $("submit").addEventListener("click", submit);
  $("logout").addEventListener("click", function () { Xl.logout().then(startLogin, startLogin); });

  Xl.session().then(startClerk, startLogin);
})();
