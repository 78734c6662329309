/* Draws the on-time chart of the compliance dashboard from the JSON in #ontime-data.
   The same numbers are in the table below the chart, so the page works without JavaScript. */
(function () {
  "use strict";
  var canvas = document.getElementById("ontime-chart");
  var source = document.getElementById("ontime-data");
  if (!canvas || !source || typeof window.Chart !== "function") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var chart = new window.Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [{
        label: "Andel indsendt til tiden (%)",
        data: data.rates,
        borderColor: "#0059b3",
        backgroundColor: "rgba(0, 89, 179, 0.15)",
        fill: true,
        spanGaps: false,
        tension: 0
      }]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        y: { min: 0, max: 100, title: { display: true, text: "Procent til tiden" } }
      },
      plugins: {
        tooltip: {
          callbacks: {
            afterLabel: function (item) {
              var i = item.dataIndex;
              return data.on_time[i] + " af " + data.expected[i] + " rapporter";
            }
          }
        }
      }
    }
  });
  canvas.setAttribute("data-chart-ready", String(chart.data.datasets[0].data.length));
})();
