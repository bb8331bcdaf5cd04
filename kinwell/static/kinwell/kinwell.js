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

  // Live notifications over a WebSocket; reconnects with backoff, never blocks the page.
  function connectNotifications() {
    if (!document.body.dataset.notify || !("WebSocket" in window)) return;
    var base = document.body.dataset.wsUrl;
    if (!base) return;
    var region = document.getElementById("live-notifications");
    var delay = 1000;
    function open() {
      var socket = new WebSocket(base.replace(/\/$/, "") + "/ws/notifications/");
      socket.onopen = function () { delay = 1000; };
      socket.onmessage = function (event) {
        var holder = document.createElement("div");
        holder.innerHTML = event.data; // server-rendered, escaped by Django templates
        while (holder.firstChild) region.appendChild(holder.firstChild);
      };
      socket.onclose = function (event) {
        if (event.code === 4401) return;
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    open();
  }

  // Safety queue: rows arrive live; a new urgent row is announced to screen readers.
  function liveQueue() {
    var table = document.getElementById("queue");
    var base = document.body.dataset.wsUrl;
    if (!table || !base || !("WebSocket" in window)) return;
    var body = document.getElementById("queue-rows");
    var region = document.getElementById("live-notifications");
    var state = table.dataset.queueState;
    var delay = 1000;
    function open() {
      var socket = new WebSocket(base.replace(/\/$/, "") + "/ws/safety/queue/");
      socket.onopen = function () { delay = 1000; };
      socket.onmessage = function (event) {
        var holder = document.createElement("tbody");
        holder.innerHTML = event.data.trim();
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
      };
      socket.onclose = function (event) {
        if (event.code === 4401 || event.code === 4403) return;
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    open();
  }

  function wirePrintButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wirePrintButtons();
    liveQueue();
    presetTimeZone();
    connectNotifications();
  });
})();
