/* Outbound portal — a label batch's page while its labels are bought: polls the batch's status and moves the
   progress bar; once the batch is finished the page is loaded again to show each order's result. Optional:
   without JavaScript the page refreshes itself (a <noscript> refresh) until the batch is finished. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }

  ready(function () {
    var batch = document.getElementById("label-batch");
    var url = batch && batch.getAttribute("data-status-url");
    if (!url) { return; }
    var seconds = parseInt(batch.getAttribute("data-poll"), 10) || 2;
    var bar = document.getElementById("label-batch-progress");
    var count = document.getElementById("label-batch-count");

    function tick() {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (d) {
          if (d.finished) { window.location.reload(); return; }
          bar.max = d.total || 1;
          bar.value = d.done;
          bar.textContent = d.percent + "%";
          count.textContent = d.count_label;
          setTimeout(tick, seconds * 1000);
        })
        .catch(function () { setTimeout(tick, seconds * 2000); });
    }
    setTimeout(tick, seconds * 1000);
  });
})();
