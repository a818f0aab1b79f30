/* Outbound portal — a print job's page: polls the job's status and moves the progress bar; once the job is
   finished (ready or failed) the page is loaded again to show the download or the reason. Optional:
   without JavaScript the page refreshes itself (a <noscript> refresh) until the job is finished. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }

  ready(function () {
    var job = document.getElementById("print-job");
    var url = job && job.getAttribute("data-status-url");
    if (!url) { return; }
    var seconds = parseInt(job.getAttribute("data-poll"), 10) || 2;
    var bar = document.getElementById("print-progress");
    var state = document.getElementById("print-job-state");
    var count = document.getElementById("print-job-count");
    var stalled = document.getElementById("print-job-stalled");

    function tick() {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (d) {
          if (d.finished) { window.location.reload(); return; }
          bar.max = d.total || 1;
          bar.value = d.done;
          bar.textContent = d.percent + "%";
          state.textContent = d.state_label;
          count.textContent = d.count_label;
          if (stalled) { stalled.hidden = !d.stalled; }
          setTimeout(tick, seconds * 1000);
        })
        .catch(function () { setTimeout(tick, seconds * 2000); });
    }
    setTimeout(tick, seconds * 1000);
  });
})();
