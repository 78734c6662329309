/* Draws one chart per scale on the page "Effektmåling" from the JSON in #effect-data: the mean at
   intake and at 4, 8, 12 … months with its 95 % confidence interval as a band. The same numbers are
   in the table under each chart, so the page works without JavaScript (strict CSP: no inline JS). */
(function () {
  "use strict";
  var source = document.getElementById("effect-data");
  if (!source || typeof window.Chart !== "function") {
    return;
  }
  var data = JSON.parse(source.textContent);
  function danish(value) {
    return value === null ? "–" : value.toFixed(2).replace(".", ",");
  }
  var canvases = document.querySelectorAll("canvas[data-scale]");
  Array.prototype.forEach.call(canvases, function (canvas) {
    var scale = data[canvas.getAttribute("data-scale")];
    if (!scale) {
      return;
    }
    var chart = new window.Chart(canvas, {
      type: "line",
      data: {
        labels: scale.labels,
        datasets: [
          { label: "95 %-konfidensinterval", data: scale.low, borderColor: "rgba(0, 89, 179, 0.3)",
            borderDash: [4, 4], pointRadius: 0, fill: false, tension: 0 },
          { label: "95 %-konfidensinterval", data: scale.high, borderColor: "rgba(0, 89, 179, 0.3)",
            borderDash: [4, 4], backgroundColor: "rgba(0, 89, 179, 0.12)", pointRadius: 0, fill: "-1", tension: 0 },
          { label: "Gennemsnit", data: scale.mean, borderColor: "#0059b3", backgroundColor: "#0059b3",
            pointRadius: 4, fill: false, tension: 0 }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { title: { display: true, text: scale.label + " (score)" } } },
        plugins: {
          legend: { labels: { filter: function (item) { return item.datasetIndex !== 0; } } },
          tooltip: {
            callbacks: {
              label: function (item) {
                var names = ["Nedre grænse (95 %)", "Øvre grænse (95 %)", "Gennemsnit"];
                return names[item.datasetIndex] + ": " + danish(item.raw);
              },
              afterBody: function (items) {
                return items.length ? "n = " + scale.n[items[0].dataIndex] : "";
              }
            }
          }
        }
      }
    });
    canvas.setAttribute("data-chart-ready", String(chart.data.datasets[2].data.length));
  });
})();
