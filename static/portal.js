/* Outbound portal — the little behaviour the pages need, kept out of the HTML (no inline script, so a
   Content-Security-Policy without 'unsafe-inline' can be set). Every part is optional: without
   JavaScript the forms still submit, the navigation stays open and wide tables scroll in their card. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }

  ready(function () {
    menu();
    foldOnPhone();
    autosubmit();
    confirmations();
    copyButtons();
    stackedTables();
    importProgress();
    brandingPreview();
  });

  // Phone width: the sidebar collapses behind a menu button.
  function menu() {
    var button = document.querySelector(".menu-toggle");
    var sidebar = document.querySelector(".sidebar");
    if (!button || !sidebar) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      sidebar.classList.toggle("open", open);
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && sidebar.classList.contains("open")) {
        sidebar.classList.remove("open");
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  }

  // Phone width: the order list's search and filters fold behind their button (<details data-fold-on-phone
  // open>); wider, they stay open. A form with errors stays open (data-keep-open).
  function foldOnPhone() {
    var boxes = document.querySelectorAll("details[data-fold-on-phone]");
    if (!boxes.length || !window.matchMedia) { return; }
    var phone = window.matchMedia("(max-width: 900px)");
    function apply() {
      boxes.forEach(function (box) {
        box.open = !phone.matches || box.hasAttribute("data-keep-open");
      });
    }
    apply();
    phone.addEventListener("change", apply);
  }

  // Workspace and language pickers submit on change (a button shows without JavaScript).
  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  // A copy button: <button id="copy-key" data-copy="ELEMENT-ID" data-copied="Copied">; hidden without a clipboard.
  function copyButtons() {
    var button = document.getElementById("copy-key");
    if (!button) { return; }
    if (!navigator.clipboard) { button.hidden = true; return; }
    button.addEventListener("click", function () {
      var text = document.getElementById(button.getAttribute("data-copy")).textContent;
      navigator.clipboard.writeText(text).then(function () { button.textContent = button.getAttribute("data-copied"); });
    });
  }

  // Destructive buttons ask first: <form data-confirm="Void this shipment?">.
  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
  }

  // Each cell learns its column's heading, which the phone layout shows when rows become cards.
  function stackedTables() {
    document.querySelectorAll("main table.table").forEach(function (table) {
      var heads = [];
      table.querySelectorAll("thead th").forEach(function (th) {
        var span = parseInt(th.getAttribute("colspan") || "1", 10);
        for (var i = 0; i < span; i++) { heads.push(th.textContent.trim()); }
      });
      if (!heads.length) { return; }
      table.classList.add("stackable");
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        var col = 0;
        Array.prototype.forEach.call(tr.children, function (cell) {
          if (heads[col] && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", heads[col]); }
          col += parseInt(cell.getAttribute("colspan") || "1", 10);
        });
      });
    });
  }

  function setBar(progress, percent, state) {
    var bar = progress.querySelector(".progress-bar");
    progress.setAttribute("aria-valuenow", percent);
    bar.style.width = percent + "%";
    if (state) { bar.className = "progress-bar progress-" + state; }
  }

  // Store page: import progress bars, live for unfinished runs (polled once a second).
  function importProgress() {
    document.querySelectorAll(".progress[aria-valuenow]").forEach(function (p) {
      setBar(p, p.getAttribute("aria-valuenow"));
    });
    document.querySelectorAll("tr[data-progress-url]").forEach(function (row) {
      var url = row.getAttribute("data-progress-url");
      var tones = {succeeded: "green", failed: "red", running: "blue"};
      function tick() {
        fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
          .then(function (r) { return r.json(); })
          .then(function (d) {
            setBar(row.querySelector(".progress"), d.progress_percent, d.state);
            row.querySelector(".js-pages").textContent = d.pages_total ? (d.pages_done + " / " + d.pages_total) : (d.progress_percent + "%");
            var badge = document.createElement("span");
            badge.className = "badge badge-" + (tones[d.state] || "grey");
            badge.textContent = d.state_label;
            row.querySelector(".js-state").replaceChildren(badge);
            ["seen", "created", "updated", "unchanged"].forEach(function (k) { row.querySelector(".js-" + k).textContent = d.counts[k]; });
            if (d.finished) { row.setAttribute("data-finished", d.state); setTimeout(function () { window.location.reload(); }, 800); }
            else { setTimeout(tick, 1000); }
          })
          .catch(function () { setTimeout(tick, 2000); });
      }
      tick();
    });
  }

  // Store page: the e-mail preview follows the branding form (the real e-mail when there is a shipment).
  function brandingPreview() {
    var form = document.getElementById("branding-form");
    var frame = document.getElementById("email-frame");
    var preview = document.getElementById("email-preview");
    if (!form) { return; }
    function val(name) { var el = form.querySelector("[name='branding-" + name + "']"); return el ? el.value : ""; }
    if (frame) {
      var timer = null;
      form.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var params = new URLSearchParams();
          ["company_name", "logo_url", "accent_colour", "website", "phone", "reply_to"].forEach(function (k) {
            var el = form.querySelector("[name='branding-" + k + "']"); if (el) { params.set(k, el.value); }
          });
          frame.src = frame.getAttribute("data-src") + "?" + params.toString();
        }, 300);
      });
      return;
    }
    if (!preview) { return; }
    function render() {
      var company = val("company_name") || preview.getAttribute("data-default-company");
      preview.querySelectorAll("[data-bind=company]").forEach(function (el) { el.textContent = company; });
      preview.querySelectorAll("[data-bind=website]").forEach(function (el) { el.textContent = val("website"); });
      preview.querySelector("[data-bind=reply]").textContent = val("reply_to");
      preview.querySelector("[data-bind=phone]").textContent = val("phone");
      var colour = val("accent_colour") || "#1f6feb";
      preview.querySelector("[data-bind=accent]").style.borderTopColor = colour;
      preview.querySelector("[data-bind=accent-bg]").style.background = colour;
      var logo = preview.querySelector("[data-bind=logo]");
      var url = val("logo_url");
      if (url) { logo.src = url; logo.hidden = false; } else { logo.hidden = true; }
    }
    form.addEventListener("input", render);
    render();
  }
})();
