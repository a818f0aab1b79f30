/* Outbound portal — the order list's selection (row checkboxes, "this page", "all matching") and the batch
   pages' small helpers. Optional: without JavaScript each checkbox still posts what it says. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }

  // A batch result still being applied by a worker: reload until it is done.
  ready(function () {
    var running = document.querySelector("[data-refresh]");
    if (!running) { return; }
    var seconds = parseInt(running.getAttribute("data-refresh"), 10) || 2;
    setTimeout(function () { window.location.reload(); }, seconds * 1000);
  });

  ready(function () {
    var form = document.getElementById("batch-form");
    if (!form) { return; }
    var rows = Array.prototype.slice.call(document.querySelectorAll("input.row-select"));
    var page = document.getElementById("select-page");
    var all = document.getElementById("select-all-matching");
    var count = document.getElementById("selected-count");

    function update() {
      var n = rows.filter(function (box) { return box.checked; }).length;
      if (page) {
        page.checked = n > 0 && n === rows.length;
        page.indeterminate = n > 0 && n < rows.length;
      }
      if (all && all.checked) {
        count.textContent = all.getAttribute("data-total") + " " + count.getAttribute("data-some");
      } else {
        count.textContent = n ? n + " " + count.getAttribute("data-some") : count.getAttribute("data-none");
      }
    }

    if (page) {
      page.addEventListener("change", function () {
        rows.forEach(function (box) { box.checked = page.checked; });
        if (!page.checked && all) { all.checked = false; }
        update();
      });
    }
    if (all) {
      all.addEventListener("change", function () {
        if (all.checked) { rows.forEach(function (box) { box.checked = true; }); }
        update();
      });
    }
    rows.forEach(function (box) {
      box.addEventListener("change", function () {
        if (!box.checked && all) { all.checked = false; }
        update();
      });
    });
    update();
  });

  // The batch ship form: a row whose carrier (its own, or the default) is not the one its order asked for is
  // flagged as the carriers change; the page draws the same flags without JavaScript when it is sent.
  ready(function () {
    var form = document.getElementById("batch-ship-form");
    if (!form) { return; }
    var fallback = document.getElementById("id_carrier");
    var rows = Array.prototype.slice.call(form.querySelectorAll("tr.batch-row"));
    function update() {
      rows.forEach(function (row) {
        var asked = row.getAttribute("data-requested");
        var own = row.querySelector("select");
        var flag = row.querySelector(".carrier-flag");
        var shipping = (own && own.value) || (fallback && fallback.value) || "";
        var differs = Boolean(asked && shipping && shipping !== asked);
        row.classList.toggle("carrier-differs", differs);
        if (flag) { flag.hidden = !differs; }
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target && event.target.tagName === "SELECT") { update(); }
    });
    update();
  });
})();
