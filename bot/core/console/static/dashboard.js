/* The dashboard's charts (bot/core/console/dashboard.py): each <figure data-chart> is drawn with Chart.js (the global
 * `Chart` of /agent/static/chart.umd.min.js, vendored from the npm registry by `make`) from the table it names, so a
 * chart never shows other numbers than its table. Readable without colour: every bar is named on its axis and carries
 * its value as text; the lines of the trend differ by point shape and dash, named in the legend with that shape.
 * No inline script or style: the console's CSP forbids them (Chart.js sets sizes through the CSSOM, which it allows).
 */

const INK = "#1d1d1f";
const LINES = [
  { color: "#cc0000", point: "circle", dash: [] },
  { color: "#1f4e9c", point: "triangle", dash: [8, 4] },
  { color: "#4d4d4d", point: "rectRot", dash: [2, 3] }
];
const BAR = "#cc0000";
// characters per line of an axis label: fewer on a narrow screen, where Chart.js gives the axis little room
function wrapAt(width) { return width < 500 ? 12 : 24; }

function wrapped(text, wrap) {
  const words = text.split(" ");
  const lines = [""];
  words.forEach(function (word) {
    const last = lines.length - 1;
    if (lines[last] && (lines[last] + " " + word).length > wrap) lines.push(word);
    else lines[last] = lines[last] ? lines[last] + " " + word : word;
  });
  return lines.length > 1 ? lines : lines[0];
}

// The table's rows: label, and per column key its value (a number or null) and the text shown.
function readTable(table, limit) {
  const rows = Array.from(table.querySelectorAll("tbody tr"));
  return rows.slice(0, limit || rows.length).map(function (tr) {
    const cells = {};
    tr.querySelectorAll("td[data-column]").forEach(function (td) {
      const raw = td.getAttribute("data-value");
      cells[td.getAttribute("data-column")] = { value: raw === "" ? null : Number(raw), text: td.textContent };
    });
    return { label: tr.querySelector("th").textContent, cells: cells };
  });
}

function heading(table, column) {
  const th = table.querySelector('thead th[data-column="' + column + '"]');
  return th ? th.textContent : column;
}

// Draws each bar's value (and percentage, when the table has one) after its end.
const valueLabels = {
  id: "valueLabels",
  afterDatasetsDraw: function (chart) {
    const texts = chart.options.plugins.valueLabels.texts;
    if (!texts) return;
    const ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = INK;
    ctx.font = "13px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    chart.getDatasetMeta(0).data.forEach(function (bar, index) {
      ctx.fillText(texts[index], bar.x + 6, bar.y);
    });
    ctx.restore();
  }
};

function barChart(canvas, table, series, limit) {
  const rows = readTable(table, limit);
  const column = series[0];
  const box = canvas.parentElement;
  const wrap = wrapAt(box.clientWidth);
  const labels = rows.map(function (row) { return wrapped(row.label, wrap); });
  const height = labels.reduce(function (sum, label) {
    return sum + Math.max(34, (Array.isArray(label) ? label.length : 1) * 16 + 12);
  }, 40);
  box.style.height = Math.max(140, height) + "px";
  return new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: labels,
      datasets: [{
        label: heading(table, column),
        data: rows.map(function (row) { return row.cells[column].value || 0; }),
        backgroundColor: BAR, borderColor: INK, borderWidth: 1, maxBarThickness: 26
      }]
    },
    options: {
      indexAxis: "y", animation: false, maintainAspectRatio: false, responsive: true,
      layout: { padding: { right: wrap < 20 ? 96 : 110 } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0, color: INK } }, y: { ticks: { color: INK, autoSkip: false } } },
      plugins: {
        legend: { display: false },
        tooltip: { enabled: true },
        valueLabels: {
          texts: rows.map(function (row) {
            const count = row.cells[column].text;
            const share = row.cells.percent;
            return share && share.value !== null ? count + " (" + share.text + ")" : count;
          })
        }
      }
    },
    plugins: [valueLabels]
  });
}

function lineChart(canvas, table, series) {
  const rows = readTable(table);
  canvas.parentElement.style.height = "320px";
  return new window.Chart(canvas, {
    type: "line",
    data: {
      labels: rows.map(function (row) { return row.label; }),
      datasets: series.map(function (column, index) {
        const look = LINES[index % LINES.length];
        return {
          label: heading(table, column),
          data: rows.map(function (row) { return row.cells[column].value || 0; }),
          borderColor: look.color, backgroundColor: look.color, borderDash: look.dash, borderWidth: 2,
          pointStyle: look.point, pointRadius: 5, pointHoverRadius: 6, tension: 0
        };
      })
    },
    options: {
      animation: false, maintainAspectRatio: false, responsive: true,
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, ticks: { precision: 0, color: INK } }, x: { ticks: { color: INK } } },
      plugins: { legend: { labels: { usePointStyle: true, pointStyleWidth: 16, boxHeight: 8, color: INK } } }
    }
  });
}

function draw(figure) {
  const canvas = figure.querySelector("canvas");
  const table = document.getElementById(figure.getAttribute("data-table"));
  if (!canvas || !table || !window.Chart) return;
  const series = figure.getAttribute("data-series").split(",");
  const limit = parseInt(figure.getAttribute("data-limit") || "0", 10);
  const chart = figure.getAttribute("data-chart") === "line"
    ? lineChart(canvas, table, series)
    : barChart(canvas, table, series, limit);
  figure.setAttribute("data-drawn", chart ? "true" : "false");
}

document.querySelectorAll("figure[data-chart]").forEach(draw);
