// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Sign-up: preselect the browser's time zone so times read right from day one.
  function presetTimeZone() {
    var select = document.getElementById("id_time_zone");
    if (!select || select.dataset.touched) return;
    try {
      var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (tz && select.value === "UTC" && select.querySelector('option[value="' + tz + '"]')) {
        select.value = tz;
      }
    } catch (e) { /* old browser: UTC stays */ }
  }

  // A WebSocket that reconnects with backoff and never blocks the page. Messages are
  // HTML rendered (and escaped) by Django templates. 4401/4403: not allowed, stop.
  function reconnecting(path, onMessage) {
    var base = document.body.dataset.wsUrl;
    if (!base || !("WebSocket" in window)) return;
    var delay = 1000;
    function open() {
      var socket = new WebSocket(base.replace(/\/$/, "") + path);
      socket.onopen = function () { delay = 1000; };
      socket.onmessage = function (event) { onMessage(event.data); };
      socket.onclose = function (event) {
        if (event.code === 4401 || event.code === 4403) return;
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    open();
  }

  function connectNotifications() {
    if (!document.body.dataset.notify) return;
    var region = document.getElementById("live-notifications");
    reconnecting("/ws/notifications/", function (html) {
      var holder = document.createElement("div");
      holder.innerHTML = html;
      while (holder.firstChild) region.appendChild(holder.firstChild);
    });
  }

  // Safety queue: rows arrive live; a new urgent row is announced to screen readers.
  function liveQueue() {
    var table = document.getElementById("queue");
    if (!table) return;
    var body = document.getElementById("queue-rows");
    var region = document.getElementById("live-notifications");
    var state = table.dataset.queueState;
    reconnecting("/ws/safety/queue/", function (html) {
        var holder = document.createElement("tbody");
        holder.innerHTML = html.trim();
        var row = holder.querySelector("tr");
        if (!row) return;
        var existing = document.getElementById(row.id);
        var fits = state === "all" || row.dataset.state === state;
        if (existing) {
          if (fits) existing.replaceWith(row); else existing.remove();
        } else if (fits) {
          var empty = document.getElementById("queue-empty");
          if (empty) empty.remove();
          row.classList.add("new");
          body.insertBefore(row, body.firstChild);
          var level = row.querySelector(".badge");
          var note = document.createElement("div");
          note.className = "live-note";
          note.setAttribute("role", "status");
          note.textContent = "New " + (level ? level.textContent.toLowerCase() : "") + " escalation in the queue.";
          region.appendChild(note);
        }
    });
  }

  // Questionnaires: one question per screen on narrow screens, all on one page when wide.
  // Without script (or on wide screens) every question shows and the form works as is.
  function stepper() {
    var form = document.querySelector("[data-stepper]");
    if (!form || !window.matchMedia("(max-width: 40rem)").matches) return;
    var questions = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));
    if (questions.length < 2) return;
    var nav = form.querySelector("[data-step-nav]");
    var finalActions = form.querySelector("[data-final]");
    var progress = form.querySelector("[data-progress]");
    var prev = form.querySelector("[data-prev]");
    var next = form.querySelector("[data-next]");
    var firstError = questions.findIndex(function (q) { return q.classList.contains("has-error"); });
    var current = firstError >= 0 ? firstError : 0;
    function show(index) {
      current = Math.max(0, Math.min(index, questions.length - 1));
      questions.forEach(function (q, i) { q.hidden = i !== current; });
      prev.disabled = current === 0;
      next.hidden = current === questions.length - 1;
      finalActions.hidden = current !== questions.length - 1;
      progress.textContent = "Question " + (current + 1) + " of " + questions.length;
    }
    nav.hidden = false;
    prev.addEventListener("click", function () { show(current - 1); });
    next.addEventListener("click", function () { show(current + 1); });
    show(current);
  }

  function wirePrintButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wirePrintButtons();
    stepper();
    liveQueue();
    presetTimeZone();
    connectNotifications();
  });
})();
