/* dashboards_sse client.
 *
 * htmx's SSE extension asks `htmx.createEventSource(url)` for a source and then only calls
 * addEventListener / onopen / onerror / close on it. We hand it a ResilientSource that keeps
 * one real EventSource alive per dashboard root and adds what the extension lacks:
 *   - resume from the last event id on every reconnect (it drops it: htmx-extensions#184),
 *     starting from the id the page was rendered with, so nothing pushed in between is missed;
 *   - exponential backoff with full jitter and a cap, also after non-200 answers such as a
 *     502 while Django restarts (a bare EventSource gives up on those for good); a stream that
 *     was live and drops (Pushpin restarted: every screen at once) first waits a random time
 *     within the spread window, so a big audience does not come back in the same half second;
 *   - a status on the root (data-dsse-status: connecting, live, reconnecting, offline), with
 *     the reason a connection is refused (data-dsse-reason, shown in the badge): an EventSource
 *     cannot read a failed answer, so the first failure of a streak fetches the stream URL once
 *     and reads the few words the server puts in its Dashboards-SSE-Reason header;
 *   - a fresh page when the server says the history needed to resume has expired;
 *   - never an older state after a newer one: ids are per dashboard channel and increasing, so
 *     an event at or below the last one applied (Pushpin re-sending what it recovered, a replay
 *     overlapping the page) is dropped and counted on the root (data-dsse-dropped-duplicate,
 *     data-dsse-dropped-older), and the stream resumes from the newest id applied.
 *
 * One push is one `dsse-update` message: {"v": 1, "updates": [{component, action, html}]},
 * applied here to the root's components in one go (wire.py describes the format): "replace"
 * swaps a component's content; a list component (Feed) gets "insert" (or replace by key),
 * "remove" and "clear" of single items instead, so a push costs the same however long the list. Events
 * stored before that format (type = component name, data = its HTML) are still swapped by
 * htmx's SSE extension through each component's sse-swap attribute.
 */
(function () {
  "use strict";

  var CONNECTING = 0;
  var OPEN = 1;
  var CLOSED = 2;
  var OFFLINE_AFTER_ATTEMPTS = 4;
  var UPDATE_EVENT = "dsse-update";
  var REASON_HEADER = "Dashboards-SSE-Reason";
  var WIRE_VERSION = 1;

  // The number of a one-channel stream id ("dashboard.shop.sales:42" -> 42), else null
  // (no number: "error", or an id naming several channels, which we do not order).
  function eventNumber(id) {
    var match = /^[^,]*:(\d+)$/.exec(id || "");
    return match ? Number(match[1]) : null;
  }

  function appendParam(url, name, value) {
    return url + (url.indexOf("?") === -1 ? "?" : "&") + name + "=" + encodeURIComponent(value);
  }

  function ResilientSource(url, root) {
    this.url = url;
    this.root = root;
    this.lastEventId = root ? root.getAttribute("data-dsse-last-event-id") || "" : "";
    // The page shows the state as of its render-time id: only newer events change it.
    this.applied = eventNumber(this.lastEventId);
    this.dropped = { duplicate: 0, older: 0 };
    this.baseDelay = Number(root && root.getAttribute("data-dsse-backoff-base")) || 500;
    this.maxDelay = Number(root && root.getAttribute("data-dsse-backoff-max")) || 30000;
    this.spread = Number(root && root.getAttribute("data-dsse-backoff-spread")) || 3000;
    this.fromLive = false; // the current failure streak began with a live stream dropping
    this.withCredentials = true;
    this.readyState = CONNECTING;
    this.onopen = null;
    this.onerror = null;
    this.onmessage = null;
    this.onstatus = null; // optional: called with each status, for pages without a status badge
    this.listeners = {};
    this.attempt = 0;
    this.timer = null;
    this.inner = null;
    this.status = "connecting";
    this.reason = ""; // why the server refuses the stream (from its answer), or ""
    this.refused = false; // a 4xx answer: offline at once, not after a few attempts
    this.explaining = false; // the failure streak's one fetch of the reason is under way or done
    this.connect();
  }

  ResilientSource.prototype.addEventListener = function (type, listener) {
    (this.listeners[type] = this.listeners[type] || []).push(listener);
    if (this.inner) this.forward(this.inner, type);
  };

  ResilientSource.prototype.removeEventListener = function (type, listener) {
    var list = this.listeners[type] || [];
    var index = list.indexOf(listener);
    if (index !== -1) list.splice(index, 1);
  };

  ResilientSource.prototype.forward = function (inner, type) {
    if (inner.dsseTypes[type]) return;
    inner.dsseTypes[type] = true;
    var self = this;
    inner.addEventListener(type, function (event) {
      if (inner !== self.inner || !self.admit(event)) return;
      (self.listeners[type] || []).slice().forEach(function (listener) {
        listener.call(self, event);
      });
    });
  };

  // Whether an event is newer than the last one applied (and, if so, now the last one).
  ResilientSource.prototype.admit = function (event) {
    var number = eventNumber(event.lastEventId);
    if (number === null) return true;
    if (this.applied !== null && number <= this.applied) {
      var kind = number === this.applied ? "duplicate" : "older";
      this.dropped[kind] += 1;
      if (this.root) this.root.setAttribute("data-dsse-dropped-" + kind, this.dropped[kind]);
      return false;
    }
    this.applied = number;
    this.lastEventId = event.lastEventId;
    if (this.root) this.root.setAttribute("data-dsse-last-event-id", event.lastEventId);
    return true;
  };

  ResilientSource.prototype.connect = function () {
    var self = this;
    var url = this.lastEventId ? appendParam(this.url, "lastEventId", this.lastEventId) : this.url;
    var inner = new EventSource(url, { withCredentials: true });
    inner.dsseTypes = {};
    this.inner = inner;
    Object.keys(this.listeners).forEach(function (type) { self.forward(inner, type); });

    inner.addEventListener("stream-reset", function () {
      // The history needed to resume is gone: the HTML on screen may be stale.
      if (inner === self.inner) window.location.reload();
    });
    inner.addEventListener("stream-error", function (event) {
      if (inner !== self.inner) return;
      var condition = "";
      try { condition = JSON.parse(event.data).condition; } catch (e) { /* not JSON */ }
      if (condition === "forbidden") {
        self.reason = "not permitted";
        self.close();
        self.setStatus("offline");
      } else {
        inner.close();
        self.scheduleReconnect();
      }
    });
    inner.onopen = function (event) {
      if (inner !== self.inner) return;
      self.readyState = OPEN;
      self.attempt = 0;
      self.fromLive = false;
      inner.dsseOpened = true;
      self.reason = "";
      self.refused = false;
      self.explaining = false;
      self.setStatus("live");
      if (self.onopen) self.onopen(event);
    };
    inner.onerror = function (event) {
      if (inner !== self.inner || self.readyState === CLOSED) return;
      // Take reconnection over from the browser: its retry keeps no backoff and stops for good
      // on a non-200 answer. readyState stays CONNECTING so htmx does not build a new source.
      inner.close();
      if (!inner.dsseOpened) self.explain(); // refused, not cut: ask why
      else if (self.attempt === 0) self.fromLive = true;
      self.scheduleReconnect();
      if (self.onerror) self.onerror(event);
    };
  };

  // Fetch the stream URL once per failure streak to read why it is refused (status and the
  // reason header); a stream that opens after all is aborted at once.
  ResilientSource.prototype.explain = function () {
    if (this.explaining || typeof fetch !== "function") return;
    this.explaining = true;
    var self = this;
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    fetch(this.url, {
      credentials: "include",
      cache: "no-store",
      headers: { Accept: "text/event-stream" },
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      if (controller) controller.abort();
      if (response.ok || self.readyState !== CONNECTING) return;
      self.reason = response.headers.get(REASON_HEADER) || "HTTP " + response.status;
      self.refused = response.status >= 400 && response.status < 500;
      self.setStatus(self.refused ? "offline" : self.status);
    }).catch(function () { /* unreachable: the status says so already */ });
  };

  ResilientSource.prototype.scheduleReconnect = function () {
    if (this.readyState === CLOSED || this.timer !== null) return;
    var self = this;
    this.readyState = CONNECTING;
    this.attempt += 1;
    var offline =
      this.refused || this.attempt >= OFFLINE_AFTER_ATTEMPTS || navigator.onLine === false;
    this.setStatus(offline ? "offline" : "reconnecting");
    var delay = reconnectDelay(
      this.attempt,
      this.fromLive,
      { base: this.baseDelay, max: this.maxDelay, spread: this.spread },
      Math.random
    );
    this.timer = window.setTimeout(function () { self.reconnectNow(); }, delay);
  };

  ResilientSource.prototype.reconnectNow = function () {
    if (this.readyState === CLOSED) return;
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    if (this.inner) this.inner.close();
    this.connect();
  };

  ResilientSource.prototype.close = function () {
    this.readyState = CLOSED;
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    if (this.inner) this.inner.close();
    this.setStatus("offline");
  };

  ResilientSource.prototype.setStatus = function (status) {
    this.status = status;
    if (this.onstatus) this.onstatus(status);
    if (!this.root) return;
    this.root.setAttribute("data-dsse-status", status);
    var reason = status === "live" ? "" : this.reason;
    if (reason) this.root.setAttribute("data-dsse-reason", reason);
    else this.root.removeAttribute("data-dsse-reason");
    var text = this.root.querySelector(".dsse-status-text");
    if (text) text.textContent = reason ? status + ": " + reason : status;
  };

  // A dsse-update message, or null (and a reload) when its format is newer than this
  // script: the page was served by an older release than the server now runs.
  function readMessage(event) {
    var message = JSON.parse(event.data);
    if (message.v !== WIRE_VERSION) {
      window.location.reload();
      return null;
    }
    return message;
  }

  function readUpdates(event) {
    var message = readMessage(event);
    return message ? message.updates : null;
  }

  function swap(element, html) {
    if (typeof htmx !== "undefined" && htmx.swap) {
      htmx.swap(element, html, { swapStyle: "innerHTML" });
    } else {
      element.innerHTML = html;
    }
  }

  function itemOf(list, key) {
    return list.querySelector('[data-dsse-key="' + CSS.escape(String(key)) + '"]');
  }

  // A list component's item actions: insert (or replace, by key), remove, clear; the list
  // ([data-dsse-items]) says where new items go and how many it keeps.
  function applyItem(target, update) {
    var list = target.querySelector("[data-dsse-items]");
    if (!list) return;
    var newestFirst = list.getAttribute("data-dsse-order") !== "oldest-first";
    if (update.action === "clear") {
      list.replaceChildren();
      return;
    }
    var existing = itemOf(list, update.key);
    if (update.action === "remove") {
      if (existing) existing.remove();
      return;
    }
    var template = document.createElement("template");
    template.innerHTML = update.html;
    var item = template.content.firstElementChild;
    if (!item) return;
    // An item already shown is replaced where it is (a replay leaves the list as it was); a
    // new one goes before the item the server names, last when it names none.
    var anchor = update.before === undefined ? null : itemOf(list, update.before);
    if (existing) existing.replaceWith(item);
    else if (anchor) list.insertBefore(item, anchor);
    else if (update.before !== undefined && newestFirst) list.prepend(item);
    else list.append(item);
    if (!existing && list.hasAttribute("data-dsse-toast")) toast(target, item);
    var limit = Number(list.getAttribute("data-dsse-limit")) || Infinity;
    while (list.children.length > limit) {
      (newestFirst ? list.lastElementChild : list.firstElementChild).remove();
    }
    if (typeof htmx !== "undefined") htmx.process(item);
  }

  var ITEM_ACTIONS = { insert: true, remove: true, clear: true };
  var TOAST_MS = 6000;

  // A Feed with toast=True: its new item shown briefly over the page (a notification).
  function toast(target, item) {
    var root = target.closest("[data-dsse-root]") || document.body;
    var box = root.querySelector(".dsse-toast");
    if (!box) {
      box = document.createElement("div");
      box.className = "dsse-toast";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      root.appendChild(box);
    }
    var shown = item.cloneNode(true);
    shown.removeAttribute("data-dsse-key"); // the list's item is the one that item actions find
    box.replaceChildren(shown);
    box.setAttribute("data-dsse-shown", "");
    window.clearTimeout(box.dsseTimer);
    box.dsseTimer = window.setTimeout(function () { box.removeAttribute("data-dsse-shown"); }, TOAST_MS);
  }

  // A Data component's value: the JSON its <script class="dsse-data"> carries.
  function readData(element) {
    var script = element.querySelector("script.dsse-data");
    return script ? JSON.parse(script.textContent) : undefined;
  }

  // After a Data component is replaced: a dsse:data event with its value, for the page's JS.
  function announceData(element) {
    if (!element.querySelector("script.dsse-data")) return;
    element.dispatchEvent(new CustomEvent("dsse:data", { detail: readData(element), bubbles: true }));
  }

  // Freshness (freshness.py): each component's age, "updated 12 s ago", ticked here from
  // the server's clock as of the render (data-dsse-now), so a viewer's wrong clock shifts
  // nothing; stale (data-dsse-stale) past its data-dsse-stale-after, counted on the root
  // (data-dsse-stale = how many) and shown next to the connection badge.
  function ageText(seconds) {
    seconds = Math.max(seconds, 0);
    if (seconds < 2) return "updated just now";
    if (seconds < 60) return "updated " + Math.floor(seconds) + " s ago";
    if (seconds < 3600) return "updated " + Math.floor(seconds / 60) + " min ago";
    if (seconds < 86400) return "updated " + Math.floor(seconds / 3600) + " h ago";
    return "updated " + Math.floor(seconds / 86400) + " d ago";
  }

  // The server's time now (epoch ms), by the offset measured at load.
  function serverNow(root) {
    if (root.dsseOffset === undefined) {
      var rendered = Number(root.getAttribute("data-dsse-now"));
      root.dsseOffset = rendered ? Date.now() - rendered : 0;
      root.dsseLoaded = rendered || Date.now();
    }
    return Date.now() - root.dsseOffset;
  }

  function showAges(root) {
    var now = serverNow(root);
    var stale = 0;
    var components = root.querySelectorAll("[data-dsse-updated], [data-dsse-stale-after]");
    for (var i = 0; i < components.length; i++) {
      var element = components[i];
      var updated = element.getAttribute("data-dsse-updated");
      var age = updated === null ? null : (now - Number(updated)) / 1000;
      if (age !== null) element.setAttribute("data-dsse-age", ageText(age));
      var after = element.getAttribute("data-dsse-stale-after");
      var waited = age === null ? (now - root.dsseLoaded) / 1000 : age;
      var isStale = after !== null && waited > Number(after) / 1000;
      element.toggleAttribute("data-dsse-stale", isStale);
      if (isStale) stale += 1;
    }
    var badge = root.querySelector("span.dsse-status");
    if (stale) {
      root.setAttribute("data-dsse-stale", stale);
      if (badge) badge.setAttribute("data-dsse-stale-text", stale + " stale");
    } else {
      root.removeAttribute("data-dsse-stale");
      if (badge) badge.removeAttribute("data-dsse-stale-text");
    }
  }

  function showAllAges() {
    var roots = document.querySelectorAll("[data-dsse-root]");
    for (var i = 0; i < roots.length; i++) showAges(roots[i]);
  }

  // Apply one message to a dashboard root: every component it names, in one go.
  function applyUpdates(root, event) {
    var message = readMessage(event);
    if (!message) return;
    var updates = message.updates;
    // when it was sent: a replayed event is as old as it is, not as old as its arrival
    var sentAt = typeof message.t === "number" ? message.t : serverNow(root);
    updates.forEach(function (update) {
      var targets = root.querySelectorAll('[sse-swap="' + update.component + '"]');
      for (var i = 0; i < targets.length; i++) {
        targets[i].setAttribute("data-dsse-updated", sentAt);
        if (update.action === "replace") {
          swap(targets[i], update.html);
          announceData(targets[i]);
        }
        else if (ITEM_ACTIONS[update.action]) applyItem(targets[i], update);
        else console.error("dashboards_sse: unknown action " + update.action);
      }
    });
    showAges(root);
  }

  var AGE_TICK_MS = 1000;
  window.setInterval(showAllAges, AGE_TICK_MS);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showAllAges);
  else showAllAges();

  // How long to wait before reconnect attempt ``attempt`` (1, 2, ...), in ms: full jitter
  // under a ceiling that doubles per attempt up to ``o.max``. The first ceiling is ``o.base``,
  // or ``o.spread`` when the failures began with a live stream dropping (a Pushpin restart
  // drops every viewer at once: N viewers then come back at ~N / spread a second).
  function reconnectDelay(attempt, fromLive, o, random) {
    var first = fromLive ? Math.max(o.base, o.spread) : o.base;
    var ceiling = Math.min(o.max, first * Math.pow(2, attempt - 1));
    return random() * ceiling;
  }

  var sources = [];

  function findRoot(url) {
    var roots = document.querySelectorAll("[data-dsse-root]");
    for (var i = 0; i < roots.length; i++) {
      if (roots[i].getAttribute("sse-connect") === url && !roots[i].dsseSource) return roots[i];
    }
    return null;
  }

  function createEventSource(url) {
    var root = findRoot(url);
    if (!root) return new EventSource(url, { withCredentials: true });
    var source = new ResilientSource(url, root);
    source.addEventListener(UPDATE_EVENT, function (event) { applyUpdates(root, event); });
    root.dsseSource = source;
    sources.push(source);
    return source;
  }

  window.addEventListener("online", function () {
    sources.forEach(function (source) {
      if (source.readyState === CONNECTING && source.timer !== null) source.reconnectNow();
    });
  });

  // Exported before the htmx check: django_dashboards.js uses ResilientSource on pages whose
  // htmx (django-dashboards' own 1.x) we do not drive.
  window.dashboardsSSE = {
    ResilientSource: ResilientSource,
    sources: sources,
    UPDATE_EVENT: UPDATE_EVENT,
    readUpdates: readUpdates,
    ageText: ageText,
    eventNumber: eventNumber,
    reconnectDelay: reconnectDelay,
    data: readData,
  };

  // Legacy events (type = a component's name, stored before the dsse-update format) on a root
  // we connected ourselves: what htmx's SSE extension does with sse-swap.
  function swapLegacy(root, source) {
    var targets = root.querySelectorAll("[sse-swap]");
    Array.prototype.forEach.call(targets, function (target) {
      target.getAttribute("sse-swap").split(",").forEach(function (name) {
        source.addEventListener(name.trim(), function (event) { swap(target, event.data); });
      });
    });
  }

  // Roots htmx's SSE extension did not connect once htmx processed the page: a second htmx
  // was loaded (the page's own, e.g. {% htmx_script %}, and ours), and the one that processed
  // the page has no SSE extension; or there is no htmx at all. Connect them ourselves, so a
  // dashboard never stays on "connecting", and say how to load htmx once.
  function connectOrphans() {
    var roots = document.querySelectorAll("[data-dsse-root][sse-connect]");
    for (var i = 0; i < roots.length; i++) {
      var root = roots[i];
      if (root.dsseSource) continue;
      console.warn(
        "dashboards_sse: htmx's SSE extension did not connect " +
          root.getAttribute("data-dsse-dashboard") +
          " (htmx loaded twice, or not at all?): connected without it. If the page loads its " +
          "own htmx, put {% dashboards_sse_head htmx=False %} after it."
      );
      swapLegacy(root, createEventSource(root.getAttribute("sse-connect")));
    }
  }

  // The page's htmx creates our sources, also one loaded after this script: the SSE extension
  // calls whichever `htmx` is global then, so every script that runs before the page is
  // processed is followed by a look (a script's load event comes before DOMContentLoaded).
  function adopt() {
    if (typeof htmx !== "undefined" && htmx.createEventSource !== createEventSource) {
      htmx.createEventSource = createEventSource;
    }
  }
  function adoptAfterScript(event) {
    if (event.target && event.target.tagName === "SCRIPT") adopt();
  }
  function later() { window.setTimeout(connectOrphans, 0); } // after every htmx processed
  adopt();
  // A deferred script runs once the page is parsed ("interactive"), before DOMContentLoaded.
  var script = document.currentScript;
  var beforeReady =
    document.readyState === "loading" ||
    (script && script.defer && document.readyState !== "complete");
  if (beforeReady) {
    document.addEventListener("load", adoptAfterScript, true);
    document.addEventListener("DOMContentLoaded", function () {
      document.removeEventListener("load", adoptAfterScript, true);
      adopt();
      later();
    });
  } else {
    later();
  }
  document.addEventListener("htmx:load", later); // content swapped in later
})();
