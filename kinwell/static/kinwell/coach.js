// Empathy coach: after a short pause in typing, ask the server what it notices about the
// draft and show it beside the reply box. The server renders (and escapes) the HTML; the
// draft is never stored or sent anywhere else. Without script, nothing here runs.
(function () {
  "use strict";
  if (window.kinwellCoach) return; // the include may appear more than once on a page
  window.kinwellCoach = true;

  var PAUSE_MS = 700;

  function csrfToken() {
    // The site puts the token in the body's hx-headers for htmx; use the same one.
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return headers["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function findTextarea(box) {
    if (box.dataset.coachFor) {
      var byId = document.getElementById(box.dataset.coachFor);
      if (byId) return byId;
    }
    var form = box.closest("form");
    var inForm = form && form.querySelector("textarea[data-coach]");
    if (inForm) return inForm;
    var previous = box.previousElementSibling;
    var near = previous && previous.querySelector && previous.querySelector("textarea[data-coach]");
    return near || document.querySelector("textarea[data-coach]");
  }

  function seekerFor(box, textarea) {
    if (textarea.dataset.seeker) return textarea.dataset.seeker;
    if (box.dataset.seeker) return box.dataset.seeker;
    var form = textarea.form;
    var hidden = form && form.querySelector("input[name=seeker_post]");
    return hidden ? hidden.value : "";
  }

  function swap(region, html) {
    // Keep the live region itself in place (screen readers follow it); replace its content.
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector(".coach-feedback");
    region.innerHTML = fresh ? fresh.innerHTML : holder.innerHTML;
  }

  function say(region, text) {
    region.innerHTML = "";
    var p = document.createElement("p");
    p.className = "coach-message";
    p.textContent = text;
    region.appendChild(p);
  }

  function attach(box) {
    var textarea = findTextarea(box);
    var region = box.querySelector(".coach-feedback");
    if (!textarea || !region || textarea.dataset.coachAttached) return;
    textarea.dataset.coachAttached = "1";
    var timer = null;
    var sequence = 0;
    var controller = null;
    var lastSent = null;

    function send() {
      var text = textarea.value;
      if (text === lastSent) return;
      lastSent = text;
      var mine = ++sequence;
      if (controller) controller.abort();
      controller = "AbortController" in window ? new AbortController() : null;
      var body = new FormData();
      body.append("text", text);
      body.append("seeker", seekerFor(box, textarea));
      box.setAttribute("aria-busy", "true");
      fetch(box.dataset.endpoint, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "X-Coach-Request": "1" },
        signal: controller ? controller.signal : undefined
      }).then(function (response) {
        if (response.redirected || response.status === 403) {
          say(region, "Sign in again to use the coach.");
          return null;
        }
        if (!response.ok && response.status !== 429) {
          say(region, "The coach could not read this just now. Your reply is safe; try again in a moment.");
          return null;
        }
        return response.text();
      }).then(function (html) {
        if (html === null || mine !== sequence) return;
        swap(region, html);
        var compare = document.querySelector("[data-coach-compare]");
        if (compare && text.trim()) compare.hidden = false;
      }).catch(function (error) {
        if (error && error.name === "AbortError") return;
        lastSent = null;
        say(region, "The coach is out of reach. Your reply is safe; it will try again when you type.");
      }).then(function () {
        if (mine === sequence) box.removeAttribute("aria-busy");
      });
    }

    textarea.addEventListener("input", function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(send, PAUSE_MS);
    });

    var off = box.querySelector("[data-coach-off]");
    if (off) {
      off.addEventListener("click", function () {
        var body = new FormData();
        body.append("enabled", "off");
        fetch(box.dataset.settings, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), "X-Coach-Request": "1" }
        }).then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        }).then(function (html) {
          if (timer) clearTimeout(timer);
          sequence++;
          var holder = document.createElement("div");
          holder.innerHTML = html;
          box.replaceWith.apply(box, Array.prototype.slice.call(holder.childNodes));
        }).catch(function () {
          say(region, "The coach could not be turned off just now. You can do it in Coach settings.");
        });
      });
    }

    if (textarea.value.trim() && !region.querySelector(".coach-meters")) {
      send();
    } else {
      lastSent = textarea.value; // already rated on the server (practice form post)
    }
  }

  function init() {
    document.querySelectorAll("[data-coach-box]").forEach(attach);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
