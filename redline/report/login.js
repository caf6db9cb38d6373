(function () {
  "use strict";
  // The pages' log-in: a name and password give an HttpOnly session cookie (never readable here) and the session's
  // CSRF token, kept in this page's memory only and sent with every change. An API token typed in #token works too.
  var session = {csrf: null};
  var byId = function (id) { return document.getElementById(id); };
  byId("account").innerHTML =  // one log-in box for every page that has an #account place
    '<div id="login" hidden><label><span class="zh">用户名</span> <span class="en">name</span> ' +
    '<input id="login-name" autocomplete="username"></label> ' +
    '<label><span class="zh">密码</span> <span class="en">password</span> ' +
    '<input id="login-password" type="password" autocomplete="current-password"></label> ' +
    '<button id="login-button" type="button"><span class="zh">登录</span> <span class="en">log in</span></button> ' +
    '<span id="login-error" role="alert"></span></div>' +
    '<p id="session" hidden><span id="session-user"></span> ' +
    '<button id="logout-button" type="button"><span class="zh">退出</span> <span class="en">log out</span></button></p>';

  window.redlineHeaders = function () {
    var token = byId("token") ? byId("token").value : "", headers = {};
    if (token) headers["Authorization"] = "Bearer " + token;
    if (session.csrf) headers["X-CSRF-Token"] = session.csrf;
    return headers;
  };

  window.redlineDownload = function (url, name) {  // a file the API gives to this page's user, saved as name
    return fetch(url, {headers: window.redlineHeaders()}).then(function (response) {
      if (response.ok) { return response.blob(); }
      return response.json().catch(function () { return {}; }).then(function (body) {
        throw new Error(response.status + ": " + (body.detail || response.statusText));
      });
    }).then(function (blob) {
      var anchor = document.createElement("a");
      anchor.href = URL.createObjectURL(blob); anchor.download = name;
      document.body.appendChild(anchor); anchor.click(); anchor.remove();
    });
  };

  function show(body) {
    session.csrf = body && body.csrf;
    var inOffice = body === null || (body && body.mode === "office");
    byId("login").hidden = !(inOffice && !(body && body.user));
    byId("session").hidden = !(body && body.user);
    var who = body && body.user ? (body.display_name || body.user) + " (" + body.role + ")" : "";
    byId("session-user").textContent = "";
    if (who) { byId("session-user").appendChild(window.redlineWords("已登录：" + who, "logged in: " + who)); }
  }

  function refresh() {
    fetch("v1/session", {headers: window.redlineHeaders()}).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(show).catch(function () { show(null); });
  }

  byId("login-button").addEventListener("click", function () {
    byId("login-error").textContent = "";
    fetch("login", {method: "POST", headers: {"Content-Type": "application/json"},
                    body: JSON.stringify({name: byId("login-name").value, password: byId("login-password").value})})
      .then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      }).then(function (answer) {
        byId("login-password").value = "";
        if (!answer.ok) { byId("login-error").textContent = answer.body.detail; return; }
        show(answer.body);
      });
  });
  byId("logout-button").addEventListener("click", function () {
    fetch("logout", {method: "POST", headers: window.redlineHeaders()}).then(function () { show(null); });
  });
  refresh();
})();
