/* Shared by the clerk's and the county's pages: the JSON API with the session's CSRF token. */
(function (global) {
  "use strict";
  var csrf = null;

  function $(id) { return document.getElementById(id); }

  function show(id, on) { $(id).classList.toggle("hidden", !on); }

  function message(boxId, kind, text) {
    var box = $(boxId);
    box.textContent = "";
    if (!text) { return; }
    var div = document.createElement("div");
    div.className = "message " + kind;
    div.textContent = text;
    box.appendChild(div);
  }

  function api(method, url, body) {
    var headers = {};
    if (method !== "GET" && csrf) { headers["X-CSRF-Token"] = csrf; }
    if (body && !(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    return fetch(url, { method: method, headers: headers, body: body, credentials: "same-origin" })
      .then(function (r) {
        return r.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          if (!r.ok) {
            var err = new Error((data && data.message) || ("服务器返回错误（" + r.status + "），请稍后重试。"));
            err.status = r.status;
            err.data = data;
            throw err;
          }
          return data;
        });
      }, function () {
        throw new Error("无法连接服务器：请检查网络，或联系县信息中心。");
      });
  }

  function session() {
    return api("GET", "/api/session").then(function (s) { csrf = s.csrf; return s; });
  }

  function login(code) {
    return api("POST", "/api/login", { code: code }).then(function (s) { csrf = s.csrf; return s; });
  }

  function logout() {
    return api("POST", "/api/logout").then(function () { csrf = null; });
  }

  var SEVERITY = { error: "错误", warning: "提示" };

  /* Findings as table rows (errors first): 类别, 代码, 说明 (and what the rule requires), 工作表, 单元格. */
  function findingRows(tbody, findings) {
    tbody.textContent = "";
    var sorted = findings.slice().sort(function (a, b) {
      return (a.severity === "error" ? 0 : 1) - (b.severity === "error" ? 0 : 1);
    });
    sorted.forEach(function (f) {
      var tr = document.createElement("tr");
      tr.className = "sev-" + f.severity;
      [SEVERITY[f.severity] || f.severity, f.code, f.message, f.sheet || "", f.cell || ""].forEach(function (v, i) {
        var td = document.createElement("td");
        td.textContent = v;
        if (i === 0) { td.className = "sev " + f.severity; }
        if (i === 2) {
          td.className = "message-cell";
          if (f.rule) {  // what the rule requires: how to put it right
            var rule = document.createElement("div");
            rule.className = "rule";
            rule.textContent = "要求：" + f.rule;
            td.appendChild(rule);
          }
        }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    return sorted.length;
  }

  global.Xl = { $: $, show: show, message: message, api: api, session: session, login: login, logout: logout,
    findingRows: findingRows };
})(window);
