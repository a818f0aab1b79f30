/* Outbound portal — keyboard shortcuts on the order list and an order's page (issue 17):
     j / k   next / previous order (the list's rows; on an order's page, the list's next / previous order)
     x       select the chosen row (the list's checkbox .row-select, when the list has one)
     s       ship the chosen order
     /       search orders
     ?       the help dialog (#shortcuts-help, rendered and translated by the server)
   Keys typed into a field, or pressed with Ctrl, Alt or Cmd, are left alone. No inline script: CSP-safe. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  ready(function () {
    var list = document.querySelector("table.orders-table");
    var orderPage = document.querySelector("[data-order-page]");
    var help = document.getElementById("shortcuts-help");
    if (!list && !orderPage) { return; }
    var current = -1;

    function rows() { return list ? Array.prototype.slice.call(list.querySelectorAll("tbody tr")) : []; }

    function choose(index) {
      var all = rows();
      if (!all.length) { return; }
      index = Math.max(0, Math.min(all.length - 1, index));
      all.forEach(function (tr) { tr.classList.remove("kbd-current"); });
      var row = all[index];
      row.classList.add("kbd-current");
      current = index;
      var link = row.querySelector("a[href]");
      if (link) { link.focus(); }
      if (row.scrollIntoView) { row.scrollIntoView({block: "nearest"}); }
    }

    function chosenRow() {
      var all = rows();
      if (current < 0) {
        // A row whose link has focus (reached with Tab) counts as chosen.
        var focused = document.activeElement && document.activeElement.closest
          ? document.activeElement.closest("table.orders-table tbody tr") : null;
        if (focused) { current = all.indexOf(focused); }
      }
      return all[current] || null;
    }

    function shipUrl(row) {
      // The row links to /orders/<id>/?<the list's query>; its ship form is /orders/<id>/ship/?<same query>.
      var link = row && row.querySelector("a[href]");
      if (!link) { return null; }
      var url = new URL(link.href, window.location.href);
      url.pathname = url.pathname.replace(/\/?$/, "/") + "ship/";
      return url.toString();
    }

    function follow(selector) {
      var link = document.querySelector(selector);
      if (link) { window.location.assign(link.href); }
    }

    function search() {
      var box = document.querySelector("main input[type=search]");
      if (box) {
        var fold = box.closest("details");  // folded on a phone
        if (fold) { fold.open = true; }
        box.focus(); box.select(); return;
      }
      var back = document.getElementById("back-to-list");
      if (back) {
        var url = new URL(back.href, window.location.href);
        url.hash = "search";
        window.location.assign(url.toString());
      }
    }

    function openHelp() {
      if (!help || help.open) { return; }
      if (typeof help.showModal === "function") { help.showModal(); } else { help.setAttribute("open", ""); }
      var close = help.querySelector("[data-close-dialog]");
      if (close) { close.focus(); }
    }

    if (help) {
      help.querySelectorAll("[data-close-dialog]").forEach(function (button) {
        button.addEventListener("click", function () {
          if (typeof help.close === "function") { help.close(); } else { help.removeAttribute("open"); }
        });
      });
    }
    document.querySelectorAll("[data-open-shortcuts]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", openHelp);
    });

    if (list && window.location.hash === "#search" && document.querySelector("main input[type=search]")) {
      search();
    }

    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || typing(e.target)) { return; }
      if (help && help.open) { return; }  // the dialog handles its own keys (Esc closes it)
      var key = e.key;
      if (key === "?") { e.preventDefault(); openHelp(); return; }
      if (key === "/") { e.preventDefault(); search(); return; }
      if (list) {
        if (key === "j") { e.preventDefault(); choose(current + 1); }
        else if (key === "k") { e.preventDefault(); choose(current < 0 ? 0 : current - 1); }
        else if (key === "x") {
          var row = chosenRow();
          var box = row && row.querySelector("input.row-select");
          if (box) { e.preventDefault(); box.click(); }
        } else if (key === "s") {
          var url = shipUrl(chosenRow());
          if (url) { e.preventDefault(); window.location.assign(url); }
        }
      } else if (orderPage) {
        if (key === "j") { e.preventDefault(); follow("a[data-shortcut=next]"); }
        else if (key === "k") { e.preventDefault(); follow("a[data-shortcut=prev]"); }
        else if (key === "s") {
          var ship = document.getElementById("ship-button");
          if (ship) { e.preventDefault(); window.location.assign(ship.href); }
        }
      }
    });
  });
})();
