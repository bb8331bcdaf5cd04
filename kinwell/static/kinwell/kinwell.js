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
  // HTML rendered (and escaped) by Django templates. 44xx closes mean "not allowed": stop.
  // The wait doubles from 1 s to 30 s, each one spread by up to half again at random, so
  // that a whole room does not knock at the same instant when the server comes back.
  function reconnecting(path, onMessage, hooks) {
    var base = document.body.dataset.wsUrl;
    hooks = hooks || {};
    var handle = { socket: null };
    if (!base || !("WebSocket" in window)) return handle;
    var delay = 1000;
    var dropped = false;
    function open() {
      var socket = new WebSocket(base.replace(/\/$/, "") + path);
      handle.socket = socket;
      socket.onopen = function () {
        delay = 1000;
        if (hooks.onOpen) hooks.onOpen(dropped);
        dropped = false;
      };
      socket.onmessage = function (event) { onMessage(event.data); };
      socket.onclose = function (event) {
        handle.socket = null;
        var final = event.code >= 4400 && event.code < 4500;
        if (hooks.onClose) hooks.onClose(event.code, final);
        if (final) return;
        dropped = true;
        setTimeout(open, delay + Math.floor(Math.random() * delay / 2));
        delay = Math.min(delay * 2, 30000);
      };
    }
    open();
    return handle;
  }

  // Circle chat: messages go over the socket, are stored before the server acknowledges
  // them, and arrive for everyone as server-rendered HTML. Without script (or while the
  // socket is down) the same form posts to the page and works.
  function liveChat() {
    var section = document.querySelector("[data-chat-path]");
    if (!section) return;
    var log = section.querySelector("[data-chat-log]");
    var form = section.querySelector("[data-chat-form]");
    var input = form.querySelector("[name=body]");
    var status = section.querySelector("[data-chat-status]");
    var helpBox = section.querySelector("[data-chat-help]");
    var pending = {};
    function say(text) { status.textContent = text; }
    function append(html) {
      var holder = document.createElement("ol");
      holder.innerHTML = html.trim();
      var item = holder.firstElementChild;
      if (!item || document.getElementById(item.id)) return;
      var empty = log.querySelector("[data-empty]");
      if (empty) empty.remove();
      log.appendChild(item);
      if (window.htmx) window.htmx.process(item);
      item.scrollIntoView({ block: "nearest" });
    }
    var chat = reconnecting(section.dataset.chatPath, function (raw) {
      var data;
      try { data = JSON.parse(raw); } catch (e) { return; }
      if (data.type === "message") {
        append(data.html);
        // The same HTML goes to everyone; the writer gets no "I see you" for their own words.
        var own = data.mine && document.getElementById("message-" + data.id);
        if (own) own.querySelectorAll(".ack").forEach(function (f) { f.remove(); });
      }
      else if (data.type === "ack") {
        delete pending[data.client_id];
        if (data.help) { helpBox.innerHTML = data.help; if (window.htmx) window.htmx.process(helpBox); }
        say(data.held ? "Saved. Only you can see it until you choose." : "Sent.");
      } else if (data.type === "error") {
        say(data.message);
        if (data.client_id && pending[data.client_id] !== undefined) {
          input.value = pending[data.client_id];
          delete pending[data.client_id];
        }
      } else if (data.type === "removed") {
        say(data.message);
        form.hidden = true;
      }
    }, {
      onOpen: function (reopened) {
        // Messages that were on their way when the connection dropped go again with the
        // same id: the server keeps one copy and acknowledges it.
        Object.keys(pending).forEach(function (id) {
          chat.socket.send(JSON.stringify({ type: "send", body: pending[id], client_id: id }));
        });
        say(reopened
          ? "Live chat is back. Reload the page to see anything said while it was away."
          : "Live chat is on.");
      },
      onClose: function (code, final) {
        if (code === 4403) say("You can no longer post in this chat.");
        else if (code === 4401) say("Sign in again to chat.");
        else if (!final) say("Chat is reconnecting… Messages you send meanwhile are posted with the page form.");
      }
    });
    form.addEventListener("submit", function (event) {
      var socket = chat.socket;
      if (!socket || socket.readyState !== 1) return; // plain form post instead
      event.preventDefault();
      var body = input.value.trim();
      if (!body) { say("Write something before you send."); return; }
      var id = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
      pending[id] = body;
      socket.send(JSON.stringify({ type: "send", body: body, client_id: id }));
      input.value = "";
      say("Sending…");
    });
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
    liveChat();
  });
})();
