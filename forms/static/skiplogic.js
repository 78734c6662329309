/* Skip logic in the browser: a mirror of forms/rules.py, which stays the authority on the server.
 * Question containers carry data-key (answer key) and data-show-if (a JSON rule). On every change
 * they are evaluated in document order; a hidden container's answers count as unanswered for
 * later rules. Without JavaScript every question stays visible. Load with a plain <script src>.
 * It also unticks the other boxes when an exclusive one is ticked, and disables a date while a
 * box under it ("Før 1.6.2007") is ticked.
 * The shared cases in tests/forms/rules_cases.json run against evaluate() through node. */
(function (root) {
  'use strict';
  var COMPARISONS = ['eq', 'ne', 'in', 'gt', 'gte', 'lt', 'lte', 'has', 'answered'];

  function unanswered(v) {
    return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
  }

  function compare(op, value, operand) {
    if (op === 'eq') return value === operand;  // strict: 1 is neither true nor "1"
    if (op === 'ne') return value !== operand;
    if (op === 'in') return operand.indexOf(value) !== -1;
    if (op === 'has') return Array.isArray(value) && value.indexOf(operand) !== -1;
    if (!Number.isInteger(value) || !Number.isInteger(operand)) return false;
    return op === 'gt' ? value > operand : op === 'gte' ? value >= operand
      : op === 'lt' ? value < operand : value <= operand;
  }

  function evaluate(rule, answers) {
    if (rule === null || rule === undefined) return true;
    var test = function (part) { return evaluate(part, answers); };
    if ('all' in rule) return rule.all.every(test);
    if ('any' in rule) return rule.any.some(test);
    if ('not' in rule) return !evaluate(rule.not, answers);
    var ops = COMPARISONS.filter(function (op) { return op in rule; });
    if (!('q' in rule) || ops.length !== 1) throw new Error('malformed rule ' + JSON.stringify(rule));
    var value = Object.prototype.hasOwnProperty.call(answers, rule.q) ? answers[rule.q] : undefined;
    if (ops[0] === 'answered') return !unanswered(value) === rule.answered;
    return !unanswered(value) && compare(ops[0], value, rule[ops[0]]);
  }

  function toInt(text) {
    text = String(text).trim();
    return /^-?[0-9]{1,9}$/.test(text) ? parseInt(text, 10) : undefined;
  }

  // A date_or_before (D17): the ticked box's code, else the date option's code when a date is written.
  function readDateChoice(doc, el, key) {
    var ticked = doc.querySelector('[name="' + key + '"]:checked');
    if (ticked) return toInt(ticked.value);
    var day = doc.querySelector('[name="' + key + '_dato"]');
    return day && !day.disabled && day.value.trim() ? toInt(el.getAttribute('data-date-code')) : undefined;
  }

  function readValue(doc, key, el) {
    if (el && el.hasAttribute('data-date-code')) return readDateChoice(doc, el, key);
    var inputs = Array.prototype.filter.call(doc.querySelectorAll('[name="' + key + '"]'), function (i) { return !i.disabled; });
    if (!inputs.length) {  // duration_hm: hours and minutes as minutes, a blank part counts as 0
      var h = doc.querySelector('[name="' + key + '_timer"]'), m = doc.querySelector('[name="' + key + '_minutter"]');
      if (!h || !m || (!h.value.trim() && !m.value.trim())) return undefined;
      var hours = toInt(h.value || '0'), minutes = toInt(m.value || '0');
      return hours === undefined || minutes === undefined || minutes > 59 ? undefined : hours * 60 + minutes;
    }
    var checked = Array.prototype.filter.call(inputs, function (i) { return i.checked; });
    if (inputs[0].type === 'radio') return checked.length ? toInt(checked[0].value) : undefined;
    if (inputs[0].type === 'checkbox') {
      return checked.map(function (i) { return toInt(i.value); }).filter(function (c) { return c !== undefined; });
    }
    if (inputs[0].type === 'number' || inputs[0].inputMode === 'numeric') return toInt(inputs[0].value);
    return inputs[0].value.trim();
  }

  function apply(doc) {
    var answers = {};
    Array.prototype.forEach.call(doc.querySelectorAll('[data-key]'), function (el) {
      var outer = el.parentElement && el.parentElement.closest('[data-key]');
      var shown = !(outer && outer.hidden);
      if (shown && el.hasAttribute('data-show-if')) {
        try { shown = evaluate(JSON.parse(el.getAttribute('data-show-if')), answers); } catch (e) { shown = true; }
      }
      el.hidden = !shown;
      var value = shown ? readValue(doc, el.getAttribute('data-key'), el) : undefined;
      if (!unanswered(value)) answers[el.getAttribute('data-key')] = value;
    });
  }

  // Exclusive options (data-exclusive: "Bor alene", "Ingen …", the boxes under a date) untick the
  // other boxes of their question at once; the server refuses the combination anyway.
  function untickOthers(doc, box) {
    if (box.type !== 'checkbox' || !box.checked) return;
    Array.prototype.forEach.call(doc.querySelectorAll('input[type="checkbox"]'), function (other) {
      if (other !== box && other.name === box.name && (box.hasAttribute('data-exclusive') || other.hasAttribute('data-exclusive'))) {
        other.checked = false;
      }
    });
  }

  // The date of a date_or_before is disabled (not posted) while one of its boxes is ticked.
  function syncDates(doc) {
    Array.prototype.forEach.call(doc.querySelectorAll('[data-date-code]'), function (el) {
      var key = el.getAttribute('data-key'), day = doc.querySelector('[name="' + key + '_dato"]');
      if (day) day.disabled = !!doc.querySelector('[name="' + key + '"]:checked');
    });
  }

  function init() {
    var doc = root.document, update = function () { syncDates(doc); apply(doc); };
    doc.addEventListener('change', function (event) {
      if (event.target && event.target.type === 'checkbox') untickOthers(doc, event.target);
      update();
    });
    doc.addEventListener('input', update);
    update();
  }

  root.SkipLogic = { evaluate: evaluate, apply: apply };
  if (root.document) {
    if (root.document.readyState === 'loading') root.document.addEventListener('DOMContentLoaded', init);
    else init();
  }
})(typeof globalThis !== 'undefined' ? globalThis : this);
