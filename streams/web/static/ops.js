// The ops page: one uPlot chart per panel, refreshed every 5 s from /api/ops/series (the app
// runs the panel's PromQL against Prometheus).
"use strict";
(function () {
  const words = JSON.parse(document.getElementById("o-words").textContent);
  const windowSelect = document.getElementById("o-window");
  const palette = ["#0b5cad", "#c77c02", "#2e7d4f", "#c0392b", "#7b3fa0", "#00838f", "#6d4c41", "#546e7a"];
  const charts = new Map();
  const units = { s: (v) => v < 1 ? (v * 1000).toFixed(0) + " ms" : v.toFixed(2) + " s",
    short: (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(Number.isInteger(v) ? 0 : 2)),
    ops: (v) => v.toFixed(v < 10 ? 2 : 0) + "/s", bytes: (v) => (v / 1048576).toFixed(1) + " MiB",
    percent: (v) => (v * 100).toFixed(1) + "%" };
  window.hireviewOps = { drawn: {} }; // read by the browser test

  function aligned(series) {
    const xs = Array.from(new Set(series.flatMap((s) => s.points.map((p) => p[0])))).sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const ys = series.map((s) => {
      const y = new Array(xs.length).fill(null);
      s.points.forEach(([t, v]) => { y[index.get(t)] = Number.isFinite(v) ? v : null; });
      return y;
    });
    return [xs, ...ys];
  }

  async function refresh(figure) {
    const id = figure.dataset.panel;
    const box = figure.querySelector(".chart");
    const msg = figure.querySelector(".chart-msg");
    let body;
    try {
      const r = await fetch(`/api/ops/series?panel=${encodeURIComponent(id)}&window=${windowSelect.value}`,
        { credentials: "same-origin" });
      body = await r.json();
      if (!r.ok) throw new Error(body.detail || r.status);
    } catch (e) {
      msg.textContent = `${words.down}: ${e.message}`;
      return;
    }
    const series = body.series.slice(0, palette.length);
    msg.textContent = series.length ? "" : words.empty;
    window.hireviewOps.drawn[id] = series.reduce((n, s) => n + s.points.length, 0);
    const data = aligned(series);
    const key = id + "|" + series.map((s) => s.label).join(";");
    const fmt = units[figure.dataset.unit] || ((v) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)));
    let chart = charts.get(id);
    if (chart && chart.key !== key) { chart.plot.destroy(); chart = null; }
    if (!chart) {
      box.innerHTML = "";
      const plot = new uPlot({
        width: box.clientWidth || 560, height: 220,
        series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: palette[i], width: 1.5,
          value: (u, v) => v == null ? "–" : fmt(v) }))],
        axes: [{}, { size: 70, values: (u, vals) => vals.map(fmt) }],
        legend: { live: false },
      }, data, box);
      chart = { plot, key };
      charts.set(id, chart);
    } else {
      chart.plot.setData(data);
    }
    // The whole window, also while the data covers only its end (a run that just started).
    chart.plot.setScale("x", { min: body.start, max: body.end });
  }

  function all() {
    document.querySelectorAll("figure.panel").forEach(refresh);
    document.getElementById("o-updated").textContent = `${words.updated} ${new Date().toLocaleTimeString()}`;
  }
  windowSelect.addEventListener("change", () => { charts.forEach((c) => c.plot.destroy()); charts.clear(); all(); });
  window.addEventListener("resize", () => charts.forEach((c, id) => {
    const box = document.querySelector(`figure[data-panel="${id}"] .chart`);
    c.plot.setSize({ width: box.clientWidth, height: 220 });
  }));
  all();
  setInterval(all, 5000);
})();
