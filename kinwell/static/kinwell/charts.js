// Check-in charts with Chart.js. The page already shows the same numbers as tables and,
// without script, as server-drawn charts; this only swaps in richer, interactive charts.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("insights-data");
    if (!source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    // Colour-blind-safe (Okabe-Ito) colours, and a different point shape for each line,
    // so colour is never the only way to tell them apart.
    var colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000"];
    var shapes = ["circle", "rect", "triangle", "rectRot", "crossRot"];
    var common = { animation: still ? false : { duration: 300 }, maintainAspectRatio: false };
    new window.Chart(document.getElementById("five-s-chart"), {
      type: "line",
      data: {
        labels: data.days,
        datasets: data.lines.map(function (line, i) {
          return {
            label: line.label, data: line.values, borderColor: colours[i],
            backgroundColor: colours[i], pointStyle: shapes[i], pointRadius: 4, tension: 0.2
          };
        })
      },
      options: Object.assign({}, common, {
        scales: { y: { min: 0, max: 4, ticks: { stepSize: 1 } } },
        plugins: { legend: { labels: { usePointStyle: true } } }
      })
    });
    new window.Chart(document.getElementById("window-chart"), {
      type: "bar",
      data: {
        labels: data.window.labels,
        datasets: [{ label: "Days", data: data.window.counts, backgroundColor: ["#0072B2", "#009E73", "#D55E00"] }]
      },
      options: Object.assign({}, common, {
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } }
      })
    });
    document.querySelectorAll("[data-chartjs]").forEach(function (f) { f.hidden = false; });
    document.querySelectorAll("[data-chart-fallback]").forEach(function (f) { f.hidden = true; });
  });
})();
