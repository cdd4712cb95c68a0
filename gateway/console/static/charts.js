// Charts: time series drawn by uPlot (vendor/uPlot.iife.min.js, loaded before this module), and
// horizontal bars built from <meter> elements, which need no script library and read well aloud.

const PALETTE = ["#1d4ed8", "#b45309", "#15803d", "#b91c1c", "#7c3aed", "#0e7490", "#be185d",
                 "#4d7c0f", "#a16207", "#334155", "#9333ea", "#0369a1"];
const plots = new Map();

// One chart per container; series keep their colour as long as their names do.
// ``dates``: the x values are days (a week's Monday), labelled as dates rather than times.
export function timeSeries(container, xs, series, locale, { dates = false } = {}) {
  const width = Math.max(240, container.clientWidth || 600);
  const names = `${series.map((s) => s.label).join("|")}|${locale}`;
  const data = [xs, ...series.map((s) => s.values)];
  const known = plots.get(container);
  if (known && known.names === names && known.width === width) {
    known.plot.setData(data);
    return;
  }
  if (known) known.plot.destroy();
  const time = new Intl.DateTimeFormat(locale, dates ? { day: "numeric", month: "short" }
    : { hour: "2-digit", minute: "2-digit" });
  const precise = dates ? time : new Intl.DateTimeFormat(locale, {
    hour: "2-digit", minute: "2-digit", second: "2-digit" });
  // ticks a few minutes apart read as hours and minutes; closer ones need the seconds
  const ticksOf = (ticks) => {
    const format = ticks.length > 1 && ticks[ticks.length - 1] - ticks[0] < 600 ? precise : time;
    return ticks.map((v) => format.format(new Date(v * 1000)));
  };
  const plot = new window.uPlot({
    width,
    height: 220,
    series: [
      { value: (u, v) => (v == null ? "" : precise.format(new Date(v * 1000))) },
      ...series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length],
                                 width: 2, spanGaps: true })),
    ],
    axes: [{ values: (u, ticks) => ticksOf(ticks) }, {}],
    scales: { y: { range: (u, min, max) => [0, Math.max(1, max)] } },
    legend: { live: false },
  }, data, container);
  plots.set(container, { plot, names, width });
}

// Rows of label, a meter and the count, largest first unless ``keepOrder``.
export function bars(container, entries, { max = null, keepOrder = false, total = null } = {}) {
  const rows = keepOrder ? entries : [...entries].sort((a, b) => b.value - a.value);
  const top = max ?? Math.max(1, ...rows.map((row) => row.value));
  const list = document.createElement("dl");
  list.className = "bar-list";
  for (const row of rows) {
    const term = document.createElement("dt");
    term.textContent = row.label;
    const detail = document.createElement("dd");
    const meter = document.createElement("meter");
    meter.min = 0;
    meter.max = row.max ?? top;
    meter.value = row.value;
    meter.setAttribute("aria-label", row.label);
    const count = document.createElement("span");
    count.className = "count";
    count.textContent = row.max != null ? `${row.value} / ${row.max}` : String(row.value);
    detail.append(meter, count);
    list.append(term, detail);
  }
  container.replaceChildren(list);
  if (total != null) container.dataset.total = total;
}
