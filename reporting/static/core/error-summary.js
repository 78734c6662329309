// A form that comes back with errors moves the focus to its error summary (DKFDS pattern), so a
// keyboard or screen-reader user lands on the list of problems, each linking to its field.
// Following a link puts the question (its legend or label) at the top of the screen, then focuses
// the input, so the worker sees what is asked and not just a red box.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) { return; }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) { return; }
    var input = document.getElementById(link.getAttribute("href").slice(1));
    if (!input) { return; }
    event.preventDefault();
    var question = input.closest("fieldset") || input.closest(".form-group") || input;
    question.scrollIntoView({ block: "start" });
    input.focus({ preventScroll: true });
  });
})();
