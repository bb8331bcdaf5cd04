// Guided program practices. Each one works as plain text without this file; with it, the
// practice guides the member step by step. Changes are announced politely (aria-live),
// keyboard use is plain buttons, and reduced motion means text only, no animation.
(function () {
  "use strict";

  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  function calm() { return reducedMotion && reducedMotion.matches; }
  function num(el, name, fallback) {
    var value = parseInt(el.dataset[name], 10);
    return isNaN(value) ? fallback : value;
  }

  // A Start/Stop button driving a list of timed phases, one tick a second.
  function timedGuide(root, phases, hooks) {
    var guide = root.querySelector("[data-guide]");
    var status = guide.querySelector("[data-status]");
    var count = guide.querySelector("[data-count]");
    var button = guide.querySelector("[data-toggle]");
    var timer = null;
    var index = 0;
    var left = 0;
    guide.hidden = false;

    function show(phase) {
      status.textContent = phase.say;
      left = phase.seconds;
      count.textContent = left + (left === 1 ? " second" : " seconds");
      if (hooks.onPhase) hooks.onPhase(phase);
    }
    function stop(message) {
      clearInterval(timer);
      timer = null;
      button.textContent = "Start";
      count.textContent = "";
      if (hooks.onStop) hooks.onStop();
      if (message) status.textContent = message;
    }
    function tick() {
      left -= 1;
      if (left > 0) {
        count.textContent = left + (left === 1 ? " second" : " seconds");
        return;
      }
      index += 1;
      if (index >= phases.length) { stop(hooks.done); return; }
      show(phases[index]);
    }
    var waiting = null;
    button.addEventListener("click", function () {
      if (waiting) { clearTimeout(waiting); waiting = null; stop("Stopped."); return; }
      if (timer) { stop("Stopped. You can start again whenever you like."); return; }
      index = 0;
      button.textContent = "Stop";
      if (hooks.syncSeconds) {
        // Breathing together: everyone's rounds start on the same whole multiple of the
        // cycle on the clock, so people pressing Start at different moments breathe in
        // at the same moment (to within their devices' clock difference).
        var cycle = hooks.syncSeconds * 1000;
        var wait = cycle - (Date.now() % cycle);
        status.textContent = "Starting with everyone in " + Math.ceil(wait / 1000) + " seconds…";
        waiting = setTimeout(function () {
          waiting = null;
          show(phases[0]);
          timer = setInterval(tick, 1000);
        }, wait);
        return;
      }
      show(phases[0]);
      timer = setInterval(tick, 1000);
    });
  }

  function breathing(root) {
    var inhale = num(root, "inhale", 4), hold = num(root, "hold", 0);
    var exhale = num(root, "exhale", 6), pause = num(root, "pause", 0);
    var rounds = num(root, "rounds", 6);
    var circle = root.querySelector("[data-circle]");
    var phases = [];
    for (var r = 1; r <= rounds; r++) {
      var of = " Round " + r + " of " + rounds + ".";
      phases.push({ say: "Breathe in…" + of, seconds: inhale, size: "in" });
      if (hold) phases.push({ say: "Hold gently…", seconds: hold, size: "in" });
      phases.push({ say: "Breathe out…", seconds: exhale, size: "out" });
      if (pause) phases.push({ say: "Rest…", seconds: pause, size: "out" });
    }
    timedGuide(root, phases, {
      syncSeconds: root.dataset.together ? inhale + hold + exhale + pause : 0,
      done: "That was " + rounds + " rounds. Notice how you feel now. There is no right result.",
      onPhase: function (phase) {
        if (calm()) { circle.classList.remove("in"); return; }
        // Transition length follows the phase: CSSOM styles are allowed under our CSP.
        circle.style.transitionDuration = phase.seconds + "s";
        circle.classList.toggle("in", phase.size === "in");
      },
      onStop: function () {
        circle.style.transitionDuration = "1s";
        circle.classList.remove("in");
      }
    });
  }

  function bodyScan(root) {
    var seconds = num(root, "stepSeconds", 30);
    var items = Array.prototype.slice.call(root.querySelectorAll("[data-prompts] li"));
    var phases = items.map(function (li, i) {
      return { say: li.textContent, seconds: seconds, item: i };
    });
    function mark(current) {
      items.forEach(function (li, i) {
        if (i === current) li.setAttribute("aria-current", "step");
        else li.removeAttribute("aria-current");
      });
    }
    timedGuide(root, phases, {
      done: "That is the end of the scan. Take a moment before you move on.",
      onPhase: function (phase) { mark(phase.item); },
      onStop: function () { mark(-1); }
    });
  }

  // 5-4-3-2-1: one sense at a time, with Back and Next; every field stays in the form.
  function grounding(root) {
    var steps = Array.prototype.slice.call(root.querySelectorAll("[data-step]"));
    var nav = root.querySelector("[data-nav]");
    if (!steps.length || !nav) return;
    var prev = nav.querySelector("[data-prev]");
    var next = nav.querySelector("[data-next]");
    var status = root.querySelector("[data-status]");
    var firstError = steps.findIndex(function (s) { return s.querySelector(".has-error, .error"); });
    if (firstError >= 0) return; // show every field with its message
    var current = 0;
    var finished = false;
    function show(i, focus) {
      current = Math.max(0, Math.min(i, steps.length - 1));
      steps.forEach(function (s, n) { s.hidden = !finished && n !== current; });
      prev.disabled = current === 0 || finished;
      next.hidden = finished;
      next.textContent = current === steps.length - 1 ? "Done" : "Next";
      status.textContent = finished
        ? "All five senses done. Notice how you feel now."
        : "Step " + (current + 1) + " of " + steps.length + ".";
      if (focus && !finished) steps[current].querySelector("input").focus();
    }
    nav.hidden = false;
    prev.addEventListener("click", function () { show(current - 1, true); });
    next.addEventListener("click", function () {
      if (current === steps.length - 1) { finished = true; show(current, false); return; }
      show(current + 1, true);
    });
    steps.forEach(function (s) {
      s.querySelector("input").addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); next.click(); }
      });
    });
    show(0, false);
  }

  function listening(root) {
    var status = root.querySelector("[data-status]");
    var boxes = root.querySelectorAll("input[type=checkbox]");
    boxes.forEach(function (box) {
      box.addEventListener("change", function () {
        var ticked = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
        status.textContent = ticked === boxes.length
          ? "All three. That is a caring reply."
          : ticked + " of " + boxes.length + " ticked. Any one of them helps.";
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-breathing]").forEach(breathing);
    document.querySelectorAll("[data-body-scan]").forEach(bodyScan);
    document.querySelectorAll("[data-grounding]").forEach(grounding);
    document.querySelectorAll("[data-listening]").forEach(listening);
  });
})();
