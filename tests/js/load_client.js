// Load dashboards_sse.js outside a browser (a bare page: no htmx, no dashboards) and print
// what the expression in argv[3] evaluates to, with `client` = window.dashboardsSSE, as JSON.
"use strict";
const fs = require("fs");
const vm = require("vm");

const document = {
  querySelectorAll: () => [],
  readyState: "complete",
  addEventListener() {},
  currentScript: null,
};
// No timers that would keep Node running: nothing here needs the page's periodic work.
const window = { addEventListener() {}, setTimeout, clearTimeout, setInterval: () => 0, document };
const context = {
  window,
  document,
  navigator: { onLine: true },
  console,
  EventSource: function EventSource() {},
  setTimeout,
  clearTimeout,
};
vm.createContext(context);
vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), context);
context.client = window.dashboardsSSE;
process.stdout.write(JSON.stringify(vm.runInContext(process.argv[3], context)));
