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

  document.addEventListener("DOMContentLoaded", function () {
    presetTimeZone();
    connectNotifications();
  });
})();
