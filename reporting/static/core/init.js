/* Starts Det Fælles Designsystem's components (dkfds.min.js from the npm package: the header's
   menu drawer and submenus, responsive tables, accordions …) and makes questions revealed by the
   skip logic known to screen readers. Loaded with `defer`; no inline script (CSP).
   dkfds.min.js (19 KiB) is fetched once the page has loaded and painted: the components only
   respond to taps, and a phone on 4G should spend its first bytes and its first frames on the
   page's text (Lighthouse counted the script, and the set-up's long task on a report form, in the
   largest contentful paint). Sets html[data-dkfds=ready] when the components run. */
(function () {
  "use strict";
  function afterLoadAndPaint(start) {
    function paintThenStart() {
      if (window.requestAnimationFrame) { window.requestAnimationFrame(function () { window.setTimeout(start, 0); }); }
      else { window.setTimeout(start, 0); }
    }
    if (document.readyState === "complete") { paintThenStart(); }
    else { window.addEventListener("load", paintThenStart, { once: true }); }
  }
  var dkfdsUrl = document.currentScript && document.currentScript.getAttribute("data-dkfds");
  afterLoadAndPaint(function () {
    announceRevealed();
    if (!dkfdsUrl) { return; }
    var script = document.createElement("script");
    script.src = dkfdsUrl;
    script.onload = function () {
      if (window.DKFDS && typeof window.DKFDS.init === "function") { window.DKFDS.init(); }
      document.documentElement.setAttribute("data-dkfds", "ready");
    };
    document.head.appendChild(script);
  });

  function announceRevealed() {

  /* Skip logic (forms/static/skiplogic.js) shows and hides question containers ([data-show-if]) by
     their `hidden` attribute. Here, without touching that script: every answer that controls other
     questions gets aria-controls, and a question that appears after the user answered is announced
     in a polite live region ("Nyt spørgsmål: …"). */
  var containers = document.querySelectorAll("[data-show-if]");
  var announcer = document.getElementById("revealed-announcer");
  if (!containers.length || !announcer || !window.MutationObserver) { return; }

  var controls = {};
  Array.prototype.forEach.call(containers, function (el, i) {
    if (!el.id) { el.id = "vist-hvis-" + i; }
    var keys = [];
    (function collect(rule) {
      if (!rule || typeof rule !== "object") { return; }
      if (typeof rule.q === "string") { keys.push(rule.q); }
      ["all", "any"].forEach(function (k) { if (Array.isArray(rule[k])) { rule[k].forEach(collect); } });
      if (rule.not) { collect(rule.not); }
    })((function () { try { return JSON.parse(el.getAttribute("data-show-if")); } catch (e) { return null; } })());
    keys.forEach(function (key) { (controls[key] = controls[key] || []).push(el.id); });
  });
  Object.keys(controls).forEach(function (key) {
    var names = [key, key + "_dato", key + "_timer", key + "_minutter"];
    names.forEach(function (name) {
      Array.prototype.forEach.call(document.getElementsByName(name), function (input) {
        var own = (input.getAttribute("aria-controls") || "").split(" ").filter(Boolean);
        controls[key].forEach(function (id) { if (own.indexOf(id) === -1) { own.push(id); } });
        input.setAttribute("aria-controls", own.join(" "));
      });
    });
  });

  var lastAnswer = 0;
  ["change", "input"].forEach(function (type) {
    document.addEventListener(type, function () { lastAnswer = Date.now(); }, true);
  });
  function title(el) {
    var label = el.querySelector("legend, label, .form-label, h2, h3");
    var text = label ? label.textContent.replace(/\s+/g, " ").trim() : "";
    return text.length > 140 ? text.slice(0, 137) + " …" : text;
  }
  var pending = [], timer = null;
  function flush() {
    timer = null;
    var titles = pending.filter(Boolean);
    pending = [];
    if (!titles.length) { return; }
    announcer.textContent = titles.length === 1 ? "Nyt spørgsmål: " + titles[0]
      : titles.length + " nye spørgsmål: " + titles.slice(0, 3).join("; ") + (titles.length > 3 ? " …" : "");
  }
  new MutationObserver(function (records) {
    if (Date.now() - lastAnswer > 1500) { return; }
    records.forEach(function (record) {
      var el = record.target;
      if (!el.hasAttribute("data-show-if") || el.hidden || record.oldValue === null) { return; }
      var outer = el.parentElement && el.parentElement.closest("[data-show-if]");
      if (outer && pending.indexOf(title(outer)) !== -1) { return; }
      pending.push(title(el));
    });
    if (pending.length && !timer) { timer = window.setTimeout(flush, 150); }
  }).observe(document.body, { attributes: true, attributeFilter: ["hidden"], attributeOldValue: true, subtree: true });
  }
})();
