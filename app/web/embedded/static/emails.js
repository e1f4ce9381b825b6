// The email editor's live preview and variable menu (app/web/embedded/emails.py).
//
// While the merchant types, the text as it stands is posted (with the page's proof, through
// page.js's send) to the preview address; the email comes back as HTML for both frames
// (computer and phone width), or the reasons it cannot be shown, with line and column.
// Saving, resetting and test sends are ordinary form posts, which page.js swaps in.
(function () {
  "use strict";

  var timer = null;
  var round = 0;
  var lastField = "subject";

  function editor() {
    return document.getElementById("email-editor");
  }

  async function refresh() {
    var form = editor();
    if (!form || !window.storeflowPage) return;
    var mine = ++round;  // an older answer arriving late is dropped
    var body = new URLSearchParams(new FormData(form));
    body.delete("do");
    var problem = document.getElementById("draft-problem");
    try {
      var response = await window.storeflowPage.send(form.getAttribute("data-preview"), {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: body
      });
      var text = await response.text();
      if (mine !== round) return;
      if (response.ok) {
        document.querySelectorAll("iframe[data-draft-preview]").forEach(function (frame) {
          frame.srcdoc = text;
        });
        problem.hidden = true;
        problem.textContent = "";
        inbox("inbox-subject", response.headers.get("X-Email-Subject"));
        inbox("inbox-preheader", response.headers.get("X-Email-Preheader"));
      } else {
        problem.textContent = text;
        problem.hidden = false;
      }
    } catch (err) {
      if (mine === round) {
        problem.textContent = String(err);
        problem.hidden = false;
      }
    }
  }

  function inbox(id, encoded) {
    var place = document.getElementById(id);
    if (place) place.textContent = decodeURIComponent(encoded || "");
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  function insert(text) {
    var field = document.querySelector('#email-editor [data-copy][name="' + lastField + '"]');
    if (!field) return;
    var start = field.selectionStart == null ? field.value.length : field.selectionStart;
    var end = field.selectionEnd == null ? start : field.selectionEnd;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.focus();
    field.setSelectionRange(start + text.length, start + text.length);
    later();
  }

  document.addEventListener("input", function (event) {
    if (event.target.form && event.target.form.id === "email-editor") later();
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("#email-editor [data-copy]")) {
      lastField = event.target.name;
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-insert]");
    if (!button) return;
    event.preventDefault();
    insert(button.getAttribute("data-insert"));
  });

  function start() {
    refresh();
    // page.js replaces the body with the answer of each post: preview the new page too.
    new MutationObserver(function () {
      lastField = "subject";
      refresh();
    }).observe(document.body, { childList: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
