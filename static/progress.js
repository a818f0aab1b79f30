/* Outbound portal — a long job's page (a print job, a label batch) while workers do it: polls the job's status
   and moves its progress bar; once the job is finished the page is loaded again to show the result. Optional:
   without JavaScript the page refreshes itself (a <noscript> refresh) until the job is finished.

   The page marks its parts: the job's element has data-progress, data-status-url and data-poll (seconds); inside
   it, data-progress-bar (a <progress>), data-progress-count (the count's words), and optionally
   data-progress-state (the state's words) and data-progress-stalled (shown while the status says stalled).
   The status answers JSON: finished, total, done, percent, count_label, and optionally state_label, stalled. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }

  function follow(job) {
    var url = job.getAttribute("data-status-url");
    if (!url) { return; }
    var seconds = parseInt(job.getAttribute("data-poll"), 10) || 2;
    var part = function (name) { return job.querySelector("[data-progress-" + name + "]"); };
    var bar = part("bar"), count = part("count"), state = part("state"), stalled = part("stalled");

    function tick() {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (d) {
          if (d.finished) { window.location.reload(); return; }
          bar.max = d.total || 1;
          bar.value = d.done;
          bar.textContent = d.percent + "%";
          count.textContent = d.count_label;
          if (state && d.state_label !== undefined) { state.textContent = d.state_label; }
          if (stalled) { stalled.hidden = !d.stalled; }
          setTimeout(tick, seconds * 1000);
        })
        .catch(function () { setTimeout(tick, seconds * 2000); });
    }
    setTimeout(tick, seconds * 1000);
  }

  ready(function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-progress]"), follow);
  });
})();
