/* dashboards_sse on django-dashboards pages (dashboards_sse.contrib.django_dashboards).
 *
 * django-dashboards loads htmx 1.x and its own SSE extension; we drive neither. Each SSEStat
 * and SSEChart renders a [data-dsse-live] element naming its dashboard's stream and its event.
 * Elements naming the same stream share one ResilientSource (dashboards_sse.js): one
 * connection per dashboard page, resumed from the id the page was rendered with, with jittered
 * backoff, and data-dsse-status (connecting, live, reconnecting, offline) on every element.
 *
 * One push is one dsse-update message naming each component it changed (dashboards_sse.js
 * reads it, drops anything not newer than what the page shows). A Stat's update is its
 * re-rendered HTML, swapped in. A Chart's update is JSON: the windowed figure plus counters of
 * points appended per trace. Events stored before that format carry one component each, named
 * by the event type, and are applied the same way. We extend the plot with only the points
 * it lacks (Plotly.extendTraces, windowed), or redraw it (Plotly.react) when the figure was
 * replaced, so a replayed or merged event never draws a point twice.
 */
(function () {
  "use strict";

  function swapStat(element, html) {
    element.innerHTML = html;
    if (window.htmx) window.htmx.process(element);
  }

  function known(element) {
    if (element.dsseChart === undefined) {
      element.dsseChart = JSON.parse(element.getAttribute("data-dsse-chart") || "null");
    }
    return element.dsseChart;
  }

  // The points of each trace the plot lacks: {indices, x, y}, or null when it must redraw.
  function missingPoints(shown, update, plot) {
    if (!shown || !plot.data || shown.generation !== update.generation) return null;
    if (shown.appended.length !== update.appended.length) return null;
    if (plot.data.length !== update.appended.length) return null;
    var missing = { indices: [], x: [], y: [] };
    for (var i = 0; i < update.appended.length; i++) {
      var count = update.appended[i] - shown.appended[i];
      if (count <= 0) continue; // an event replayed after the page was rendered
      var trace = update.figure.data[i];
      if (count > trace.x.length) return null; // more than the window: redraw
      missing.indices.push(i);
      missing.x.push(trace.x.slice(-count));
      missing.y.push(trace.y.slice(-count));
    }
    return missing;
  }

  function updateChart(element, update) {
    var plot = document.getElementById(update.target);
    if (!plot || typeof Plotly === "undefined") return;
    var shown = known(element);
    if (shown && update.generation < shown.generation) return; // older than the plot
    var missing = missingPoints(shown, update, plot);
    var appended = update.appended.slice();
    if (missing === null) {
      Plotly.react(plot, update.figure.data, update.figure.layout || {}, update.config);
    } else {
      if (missing.indices.length) {
        Plotly.extendTraces(plot, { x: missing.x, y: missing.y }, missing.indices, update.window);
      }
      for (var i = 0; i < appended.length; i++) {
        appended[i] = Math.max(appended[i], shown.appended[i]);
      }
    }
    element.dsseChart = { generation: update.generation, appended: appended };
  }

  function apply(element, content) {
    if (element.classList.contains("dsse-live-chart")) updateChart(element, JSON.parse(content));
    else swapStat(element, content);
  }

  function listen(source, elements) {
    var byName = {};
    elements.forEach(function (element) {
      var name = element.getAttribute("data-dsse-event");
      (byName[name] = byName[name] || []).push(element);
      source.addEventListener(name, function (event) { apply(element, event.data); });
    });
    source.addEventListener(window.dashboardsSSE.UPDATE_EVENT, function (event) {
      var updates = window.dashboardsSSE.readUpdates(event);
      (updates || []).forEach(function (update) {
        (byName[update.component] || []).forEach(function (element) {
          apply(element, update.html);
        });
      });
    });
  }

  function start() {
    if (!window.dashboardsSSE) {
      console.error("dashboards_sse: dashboards_sse.js must load before django_dashboards.js.");
      return;
    }
    var byStream = {};
    document.querySelectorAll("[data-dsse-live]").forEach(function (element) {
      var url = element.getAttribute("data-dsse-stream");
      (byStream[url] = byStream[url] || []).push(element);
    });
    Object.keys(byStream).forEach(function (url) {
      var elements = byStream[url];
      var source = new window.dashboardsSSE.ResilientSource(url, elements[0]);
      source.onstatus = function (status) {
        elements.forEach(function (element) { element.setAttribute("data-dsse-status", status); });
      };
      listen(source, elements);
      window.dashboardsSSE.sources.push(source);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
