/* Outbound portal — the order list's selection (row checkboxes, "this page", "all matching") and the batch
   pages' small helpers. Optional: without JavaScript each checkbox still posts what it says. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }

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
})();
