// The chat page's script (kinwell/static/kinwell/kinwell.js) against a dropped socket,
// in Node with a fake page and a fake WebSocket: no browser needed. Run by
// faults/redis_stop.py; prints one JSON object with what the member would see.
//
//     node faults/chat_page_script.js kinwell/static/kinwell/kinwell.js
"use strict";

const fs = require("fs");
const vm = require("vm");

const source = fs.readFileSync(process.argv[2], "utf8");

function element(extra) {
  const listeners = {};
  return Object.assign({
    textContent: "",
    innerHTML: "",
    hidden: false,
    dataset: {},
    addEventListener(type, fn) { listeners[type] = fn; },
    fire(type, event) { return listeners[type](event); },
    querySelector() { return null; },
    querySelectorAll() { return []; },
    appendChild() {},
  }, extra || {});
}

const status = element();
const input = element({ value: "" });
const form = element({ querySelector: (sel) => (sel === "[name=body]" ? input : null) });
const log = element();
const help = element();
const section = element({
  dataset: { chatPath: "/ws/circles/1/chat/" },
  querySelector(sel) {
    return { "[data-chat-log]": log, "[data-chat-form]": form, "[data-chat-status]": status,
             "[data-chat-help]": help }[sel] || null;
  },
});
const docListeners = {};
const document = {
  body: { dataset: { wsUrl: "ws://127.0.0.1:1" } },
  addEventListener(type, fn) { docListeners[type] = fn; },
  querySelector: (sel) => (sel === "[data-chat-path]" ? section : null),
  querySelectorAll: () => [],
  getElementById: () => null,
  createElement: () => element(),
};

const sockets = [];
class FakeWebSocket {
  constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this); }
  send(data) { this.sent.push(JSON.parse(data)); }
  open() { this.readyState = 1; this.onopen(); }
  drop(code) { this.readyState = 3; this.onclose({ code }); }
}

const timers = [];
const window = { WebSocket: FakeWebSocket, matchMedia: () => ({ matches: false }) };
const context = {
  window, document, WebSocket: FakeWebSocket, JSON, Math, Date, Object, Array, Intl,
  setTimeout: (fn, ms) => { timers.push({ fn, ms }); return timers.length; },
};
vm.createContext(context);
vm.runInContext(source, context);
docListeners.DOMContentLoaded();

const seen = {};
const first = sockets[0];
first.open();
seen.on_open = status.textContent;

// A message on its way when the connection drops.
input.value = "hello from the page";
let prevented = false;
form.fire("submit", { preventDefault() { prevented = true; } });
seen.sent_over_socket = prevented && first.sent.length === 1;
const clientId = first.sent.length ? first.sent[0].client_id : null;

// The worker or Redis goes away: abnormal close, then two failed handshakes.
first.drop(1006);
seen.after_drop = status.textContent;
seen.delays = [];
for (let i = 0; i < 3; i++) {
  const timer = timers.shift();
  seen.delays.push(timer ? timer.ms : null);
  if (!timer) break;
  timer.fn();
  if (i < 2) sockets[sockets.length - 1].drop(1011);
}
seen.while_down = status.textContent;
// While down, the form falls back to a plain post (the handler does not intercept it).
let interceptedWhileDown = false;
form.fire("submit", { preventDefault() { interceptedWhileDown = true; } });
seen.form_posts_while_down = !interceptedWhileDown;

// Back: the socket opens again; the dropped message is sent again with the same id.
const last = sockets[sockets.length - 1];
last.open();
seen.after_reopen = status.textContent;
seen.resent_same_id = last.sent.some((m) => m.client_id === clientId && m.body === "hello from the page");
seen.sockets_opened = sockets.length;

// Removed from the circle (44xx): say so and stop retrying.
const before = timers.length;
last.drop(4403);
seen.after_4403 = status.textContent;
seen.retries_after_4403 = timers.length - before;

process.stdout.write(JSON.stringify(seen) + "\n");
