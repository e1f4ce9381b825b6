// The merchant page's requests, each with the shop's proof and none with a cookie.
//
// Inside Shopify admin the proof is a fresh session token from App Bridge
// (shopify.idToken()) as "Authorization: Bearer"; in WordPress and in development it is
// the token the page was opened with (<meta name="storeflow-page-auth">). Form posts, links
// between our pages, email previews and file downloads (a[data-download], saved as a blob) are sent by fetch with that header (and the admin's
// language, <meta name="storeflow-locale">, as X-Storeflow-Locale); the answer is a whole
// page, whose body replaces ours (a link also goes into the history, so Back works). The WordPress token lives five minutes: shortly before it runs
// out the page asks the plugin's admin page around it (postMessage, answered by the plugin's
// assets/js/embedded-page.js) for a fresh one. See app/web/embedded/session.py.
(function () {
  "use strict";

  var RENEW_SECONDS = 60;

  function meta(name) {
    return document.querySelector('meta[name="' + name + '"]');
  }

  function carried() {
    var tag = meta("storeflow-page-auth");
    return tag ? tag.getAttribute("content") : "";
  }

  function secondsLeft(token) {
    // "WordPress <payload>.<signature>", the payload base64url JSON with "exp".
    try {
      var payload = token.split(" ")[1].split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(payload)).exp - Date.now() / 1000;
    } catch (err) {
      return Infinity;
    }
  }

  function askParentForToken(origin) {
    return new Promise(function (resolve) {
      function answered(event) {
        if (event.origin !== origin || event.source !== window.parent) return;
        if (!event.data || event.data.storeflow !== "token" || !event.data.token) return;
        done(event.data.token);
      }
      function done(token) {
        clearTimeout(timer);
        window.removeEventListener("message", answered);
        resolve(token);
      }
      var timer = setTimeout(function () { done(null); }, 5000);
      window.addEventListener("message", answered);
      window.parent.postMessage({ storeflow: "token-request" }, origin);
    });
  }

  async function renewedWordPressToken(token) {
    var origin = (meta("storeflow-renewal-origin") || {}).content;
    if (!origin || window.parent === window || secondsLeft(token) > RENEW_SECONDS) return token;
    var fresh = await askParentForToken(origin);
    if (!fresh) return token;  // the server says so if it has run out
    token = "WordPress " + fresh;
    meta("storeflow-page-auth").setAttribute("content", token);
    return token;
  }

  async function authorization() {
    var token = carried();
    if (token.indexOf("WordPress ") === 0) return await renewedWordPressToken(token);
    if (token) return token;
    if (window.shopify && typeof window.shopify.idToken === "function") {
      return "Bearer " + (await window.shopify.idToken());
    }
    return "";
  }

  async function send(url, options) {
    // Shopify asks for one retry with a fresh token when it marks a 401 so.
    for (var attempt = 0; ; attempt++) {
      var headers = Object.assign({}, options.headers || {});
      var locale = (meta("storeflow-locale") || {}).content;
      if (locale) headers["X-Storeflow-Locale"] = locale;
      var auth = await authorization();
      if (auth) headers["Authorization"] = auth;
      var response = await fetch(url, Object.assign({}, options, {
        headers: headers, credentials: "omit", redirect: "follow"
      }));
      var retry = response.headers.get("X-Shopify-Retry-Invalid-Session-Request") === "1";
      if (response.status !== 401 || !retry || attempt > 0) return response;
    }
  }

  function escapeHtml(text) {
    return text.replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function showProblem(text) {
    var box = document.getElementById("storeflow-problem");
    if (!box) {
      box = document.createElement("p");
      box.id = "storeflow-problem";
      box.className = "error";
      box.setAttribute("role", "alert");
      document.body.insertBefore(box, document.body.firstChild);
    }
    box.textContent = text;
    box.scrollIntoView();
  }

  var previewRound = 0;

  async function loadPreviews() {
    var round = ++previewRound;  // a newer page (after a post) stops this round
    var frames = document.querySelectorAll("iframe[data-preview]");
    for (var i = 0; i < frames.length && round === previewRound; i++) {
      var frame = frames[i];
      try {
        var response = await send(frame.getAttribute("data-preview"), { method: "GET" });
        var body = await response.text();
        var html = (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
        frame.srcdoc = html ? body : "<pre>" + escapeHtml(body) + "</pre>";
      } catch (err) {
        frame.srcdoc = "<pre>" + escapeHtml(String(err)) + "</pre>";
      }
    }
  }

  async function submit(form, body) {
    var response = await send(form.getAttribute("action"), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body
    });
    var text = await response.text();
    if ((response.headers.get("Content-Type") || "").indexOf("text/html") !== 0) {
      showProblem(text || response.statusText);
      return;
    }
    showPage(text);
    var said = document.querySelector(".notice, .error");
    if (said) said.scrollIntoView();
  }

  function showPage(text) {
    var page = new DOMParser().parseFromString(text, "text/html");
    document.body.className = page.body.className;
    document.body.innerHTML = page.body.innerHTML;
    if (page.title) document.title = page.title;
    loadPreviews();
    watchBatch();
  }

  // A file (a label, a bulk print) is fetched with the token like everything else and saved
  // from memory: no address that opens it without the token ever leaves the page.
  async function download(link) {
    var response = await send(link.getAttribute("href"), { method: "GET" });
    if (!response.ok) {
      showProblem((await response.text()) || response.statusText);
      return;
    }
    var blob = await response.blob();
    var named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    var save = document.createElement("a");
    save.href = URL.createObjectURL(blob);
    save.download = named ? named[1] : "labels";
    document.body.appendChild(save);
    save.click();
    save.remove();
    setTimeout(function () { URL.revokeObjectURL(save.href); }, 60000);
  }

  // A bulk print being prepared: ask how far it is every two seconds, then show the page
  // that offers the file.
  var batchRound = 0;

  async function watchBatch() {
    var round = ++batchRound;
    var box = document.querySelector("[data-batch-status]");
    while (box && round === batchRound) {
      await new Promise(function (resolve) { setTimeout(resolve, 2000); });
      if (round !== batchRound || !document.body.contains(box)) return;
      var response = await send(box.getAttribute("data-batch-status"), { method: "GET" });
      if (!response.ok) { showProblem((await response.text()) || response.statusText); return; }
      var state = await response.json();
      if (state.status === "ready") {
        var url = new URL(box.getAttribute("data-batch-page"), location.href);
        await navigate(url, false);
        return;
      }
      box.textContent = box.getAttribute("data-working")
        .replace("{done}", state.done).replace("{total}", state.total);
      var bar = document.querySelector("progress");
      if (bar) { bar.max = state.total || 1; bar.value = state.done; }
    }
  }

  function ours(href) {
    // Our pages only (not a hash on this page, not another site): /embedded/...
    if (!href || href.charAt(0) === "#") return null;
    var url = new URL(href, location.href);
    if (url.origin !== location.origin || url.pathname.indexOf("/embedded/") !== 0) return null;
    if (url.pathname.indexOf("/embedded/static/") === 0) return null;
    return url;
  }

  async function navigate(url, push) {
    var response = await send(url.pathname + url.search, { method: "GET" });
    var text = await response.text();
    if ((response.headers.get("Content-Type") || "").indexOf("text/html") !== 0) {
      showProblem(text || response.statusText);
      return;
    }
    if (push) history.pushState({ storeflow: true }, "", url.pathname + url.search + url.hash);
    showPage(text);
    var target = url.hash && document.getElementById(url.hash.slice(1));
    (target || document.body).scrollIntoView();
    var heading = document.querySelector("h1");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: true }); }
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var link = event.target instanceof Element ? event.target.closest("a[href]") : null;
    if (link && link.hasAttribute("data-download") && ours(link.getAttribute("href"))) {
      event.preventDefault();
      download(link).catch(function (err) { showProblem(String(err)); });
      return;
    }
    if (!link || link.target || link.hasAttribute("download")) return;
    var url = ours(link.getAttribute("href"));
    if (!url) return;
    event.preventDefault();
    navigate(url, true).catch(function (err) { showProblem(String(err)); });
  });

  // App Bridge's navigation (the admin's sidebar, <ui-nav-menu>) asks the app to route.
  document.addEventListener("shopify:navigate", function (event) {
    var url = ours(event.target && event.target.getAttribute && event.target.getAttribute("href"));
    if (!url) return;
    event.preventDefault();
    navigate(url, true).catch(function (err) { showProblem(String(err)); });
  });

  window.addEventListener("popstate", function () {
    var url = ours(location.pathname + location.search);
    if (url) navigate(url, false).catch(function (err) { showProblem(String(err)); });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    event.preventDefault();
    // Read the fields before the buttons are disabled (disabled controls are left out).
    var body = new URLSearchParams(new FormData(form, event.submitter || undefined));
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    submit(form, body).catch(function (err) {
      showProblem(String(err));
    }).finally(function () {
      buttons.forEach(function (b) { b.disabled = false; });
    });
  });

  // Other scripts of the page (the email editor's live preview) send through here too.
  window.storeflowPage = { send: send };

  function started() {
    loadPreviews();
    watchBatch();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", started);
  } else {
    started();
  }
})();
