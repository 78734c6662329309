// A form that comes back with errors moves the focus to its error summary (DKFDS pattern), so a
// keyboard or screen-reader user lands on the list of problems, each linking to its field.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
