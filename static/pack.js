/* The pack station (templates/portal/pack/station.html, docs/pack-station.md). A USB scanner is a keyboard
   that types fast and presses Enter: one text box takes every code. With no order open a code is a slip
   (an order number); with one open, an item. Each answer comes from the server as JSON (portal/views/pack.py):
   a tick is a green flash of its line, a refusal a large red message with nothing ticked. When every line is
   packed (or verification is skipped) the label is bought and printed, and the box waits for the next slip.
   Escape leaves the open order; Tab reaches the buttons, Enter presses them: no mouse needed. */
(function () {
  "use strict";
  var form = document.getElementById("pack-form");
  if (!form) { return; }
  var input = document.getElementById("pack-code");
  var prompt = document.getElementById("pack-code-label");
  var message = document.getElementById("pack-message");
  var card = document.getElementById("pack-order");
  var title = document.getElementById("pack-order-title");
  var meta = document.getElementById("pack-order-meta");
  var progress = document.getElementById("pack-progress");
  var body = document.getElementById("pack-lines");
  var skip = document.getElementById("pack-skip");
  var reprint = document.getElementById("pack-reprint");
  var leave = document.getElementById("pack-leave");
  var buy = document.getElementById("pack-buy");
  var last = document.getElementById("pack-last");
  var frame = document.getElementById("pack-print");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var current = null; // {session, urls, lines, packed, complete}
  var busy = false;
  var queue = [];

  function say(text, kind) {
    message.textContent = text || "";
    message.className = "pack-message" + (kind ? " pack-" + kind : "");
    message.setAttribute("data-kind", kind || "");
  }

  function post(url, data) {
    var body = new URLSearchParams(data || {});
    return fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrf, "X-Requested-With": "fetch", "Accept": "application/json" },
      body: body,
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () {
        return { refused: true, message: response.status + " " + response.statusText };
      });
    });
  }

  function row(line) {
    var tr = document.createElement("tr");
    tr.id = "pack-line-" + line.id;
    tr.setAttribute("data-line", line.id);
    var item = document.createElement("td");
    var name = document.createElement("strong");
    name.textContent = line.name || line.sku;
    item.appendChild(name);
    if (line.sku) {
      item.appendChild(document.createElement("br"));
      var sku = document.createElement("span");
      sku.className = "pack-sku";
      sku.textContent = line.sku;
      item.appendChild(sku);
    }
    if (line.options) {
      item.appendChild(document.createElement("br"));
      var options = document.createElement("small");
      options.className = "muted";
      options.textContent = line.options;
      item.appendChild(options);
    }
    var location = document.createElement("td");
    location.textContent = line.location || "—";
    var count = document.createElement("td");
    count.className = "num pack-count";
    tr.appendChild(item);
    tr.appendChild(location);
    tr.appendChild(count);
    return tr;
  }

  function render(flashLine) {
    var done = 0, total = 0;
    current.lines.forEach(function (line) {
      var tr = document.getElementById("pack-line-" + line.id);
      var packed = current.packed[line.id] || 0;
      done += Math.min(packed, line.to_pack);
      total += line.to_pack;
      tr.querySelector(".pack-count").textContent = packed + " / " + line.to_pack + (packed >= line.to_pack ? " ✓" : "");
      tr.classList.toggle("pack-done", packed >= line.to_pack);
      if (line.id === flashLine) {
        tr.classList.remove("pack-flash");
        void tr.offsetWidth; // restart the animation
        tr.classList.add("pack-flash");
      }
    });
    progress.textContent = form.getAttribute("data-units").replace("%(done)s", done).replace("%(total)s", total);
    progress.setAttribute("data-done", String(done));
    card.classList.toggle("pack-skipped", !!current.skipped);
  }

  function open(answer) {
    current = { session: answer.session, urls: answer.urls, lines: answer.lines, packed: answer.packed, skipped: false };
    body.textContent = "";
    answer.lines.forEach(function (line) { body.appendChild(row(line)); });
    title.textContent = form.getAttribute("data-order").replace("%(number)s", answer.order.number);
    var parts = [answer.order.store];
    if (answer.order.ship_to) { parts.push(answer.order.ship_to); }
    parts.push(answer.order.preset ? form.getAttribute("data-preset").replace("%(preset)s", answer.order.preset) : form.getAttribute("data-no-preset"));
    meta.textContent = parts.join(" · ");
    reprint.href = answer.urls.slip;
    card.hidden = false;
    buy.hidden = true;
    prompt.textContent = prompt.getAttribute("data-item");
    card.setAttribute("data-session", answer.session);
    render(null);
    say(answer.message, "ok");
  }

  function close() {
    current = null;
    card.hidden = true;
    card.removeAttribute("data-session");
    prompt.textContent = prompt.getAttribute("data-slip");
  }

  // Printing: a cancelable "outbound:print" event first (detail: url, format), so that a local print bridge
  // (QZ Tray, docs/pack-station.md) can take the document; else a ZPL file is downloaded and a PDF printed
  // from a frame of the page (the browser's print dialog).
  function printDocument(url, format) {
    frame.setAttribute("data-printed", url);
    var asked = new CustomEvent("outbound:print", { cancelable: true, detail: { url: url, format: format } });
    if (!document.dispatchEvent(asked)) { input.focus(); return; }
    if (format === "zpl") {
      var link = document.createElement("a");
      link.href = url;
      link.download = "";
      document.body.appendChild(link);
      link.click();
      link.remove();
      return;
    }
    if (navigator.pdfViewerEnabled === false) {
      // No PDF viewer in this browser: the PDF opens (or downloads) on its own, to print from there.
      window.open(url, "_blank");
      return;
    }
    frame.onload = function () {
      try { frame.contentWindow.focus(); frame.contentWindow.print(); } catch (e) { window.open(url, "_blank"); }
      input.focus(); // the print dialog closed: back to the scan box for the next slip
    };
    frame.src = url;
  }

  function buyLabel() {
    var session = current;
    say(form.getAttribute("data-buying"), "wait");
    return post(session.urls.label).then(function (answer) {
      if (answer.refused) {
        say(answer.message, "refused");
        buy.hidden = false; // every item is packed: buy again once the cause is fixed, or leave the order
        return;
      }
      close();
      say(answer.message, "ok");
      last.hidden = false;
      document.getElementById("pack-last-text").textContent = answer.message;
      var again = document.getElementById("pack-last-print");
      again.href = answer.document || answer.order;
      again.setAttribute("data-format", answer.format || "");
      document.getElementById("pack-last-order").href = answer.order;
      if (answer.document) { printDocument(answer.document, answer.format); }
    });
  }

  function handle(code) {
    if (!current) {
      return post(form.getAttribute("data-slip-url"), { code: code }).then(function (answer) {
        if (answer.refused) { say(answer.message, "refused"); return; }
        open(answer);
      });
    }
    var session = current;
    return post(session.urls.scan, { code: code }).then(function (answer) {
      if (current !== session) { return; }
      if (answer.refused) {
        say(answer.message, "refused");
        return;
      }
      session.packed = answer.packed;
      render(answer.line);
      say(form.getAttribute("data-ticked").replace("%(code)s", code), "ok");
      if (answer.complete) { return buyLabel(); }
    });
  }

  // Codes are sent one at a time, in the order scanned: a fast scanner never races itself.
  function pump() {
    if (busy || !queue.length) { return; }
    busy = true;
    var code = queue.shift();
    form.setAttribute("aria-busy", "true");
    Promise.resolve(handle(code)).catch(function () {
      say(form.getAttribute("data-offline"), "refused");
    }).then(function () {
      busy = false;
      form.removeAttribute("aria-busy");
      if (!queue.length) { form.setAttribute("data-idle", "true"); }
      pump();
    });
  }

  function submit(code) {
    code = (code || "").trim();
    if (!code) { return; }
    form.removeAttribute("data-idle");
    queue.push(code);
    pump();
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var code = input.value;
    input.value = "";
    submit(code);
    input.focus();
  });

  function run(fn) {
    form.removeAttribute("data-idle");
    busy = true;
    Promise.resolve(fn()).catch(function () { say(form.getAttribute("data-offline"), "refused"); }).then(function () {
      busy = false;
      form.setAttribute("data-idle", "true");
      input.focus();
      pump();
    });
  }

  skip.addEventListener("click", function () {
    if (!current || busy) { return; }
    var session = current;
    run(function () {
      return post(session.urls.skip).then(function (answer) {
        if (answer.refused) { say(answer.message, "refused"); return; }
        session.skipped = true;
        render(null);
        return buyLabel();
      });
    });
  });

  buy.addEventListener("click", function () {
    if (!current || busy) { return; }
    run(buyLabel);
  });

  function leaveOrder() {
    if (!current || busy) { return; }
    var session = current;
    run(function () {
      return post(session.urls.leave).then(function (answer) {
        close();
        say(answer.message, "");
      });
    });
  }
  leave.addEventListener("click", leaveOrder);

  reprint.addEventListener("click", function (e) {
    e.preventDefault();
    if (current) { printDocument(current.urls.slip, "pdf"); }
    input.focus();
  });

  document.getElementById("pack-last-print").addEventListener("click", function (e) {
    var format = this.getAttribute("data-format");
    if (!format) { return; }
    e.preventDefault();
    printDocument(this.href, format);
    input.focus();
  });

  input.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      e.preventDefault();
      leaveOrder();
    }
  });

  form.setAttribute("data-idle", "true");
  input.focus();
  if (form.getAttribute("data-open")) { submit(form.getAttribute("data-open")); }
})();
