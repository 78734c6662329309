/* Draws the survey results from the JSON in #survey-data: the share of positive answers per item
   and wave (grouped bars), and the distribution of the answers (stacked bars, percent).
   The same numbers are in the tables beside the charts, so the page works without JavaScript;
   hidden groups (under 5 answers) have no bar. */
(function () {
  "use strict";
  var source = document.getElementById("survey-data");
  if (!source || typeof window.Chart !== "function") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var waveColours = { baseline: "#8fb3d9", followup: "#0059b3" };
  var codeColours = { 5: "#1a7f37", 4: "#7cc48a", 3: "#cfcfcf", 2: "#f4a582", 1: "#b2182b" };

  function percent(value) {
    return String(value).replace(".", ",") + " %";
  }

  function sharesChart(canvas) {
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series) {
          return { label: series.label, data: series.values, backgroundColor: waveColours[series.kind] };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { min: 0, max: 100, title: { display: true, text: "Andel positive svar (%)" } } },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (item) {
                var series = data.series[item.datasetIndex];
                var value = series.values[item.dataIndex];
                if (value === null) { return series.label + ": " + data.hidden_text; }
                return series.label + ": " + percent(value) + " (n = " + series.n[item.dataIndex] + ")";
              }
            }
          }
        }
      }
    });
    canvas.setAttribute("data-chart-ready", String(chart.data.labels.length));
  }

  function distributionChart(canvas) {
    var distribution = data.distribution;
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: distribution.labels,
        datasets: distribution.codes.map(function (code) {
          return { label: code.label, data: code.values, backgroundColor: codeColours[code.code] || "#999999" };
        })
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked: true, min: 0, max: 100, title: { display: true, text: "Procent (uden Ved ikke)" } },
                  y: { stacked: true } },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (item) {
                var value = item.raw;
                return item.dataset.label + ": " + (value === null ? data.hidden_text : percent(value));
              }
            }
          }
        }
      }
    });
    canvas.setAttribute("data-chart-ready", String(chart.data.labels.length));
  }

  var shares = document.getElementById("survey-chart");
  if (shares) { sharesChart(shares); }
  var distribution = document.getElementById("survey-distribution-chart");
  if (distribution) { distributionChart(distribution); }
})();
