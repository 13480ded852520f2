// Charts as SVG, drawn from the page's own data: a line chart over time, horizontal bars with
// an optional threshold, vertical bars over time, and a job's timeline. Each scales to its
// container's width (viewBox) and is coloured by classes in style.css.
"use strict";

(function () {
  const { svg, h } = PM;
  // Each chart is drawn as wide as the screen has room for (up to 880 units), so that its
  // 12-unit text is about 12 pixels high on a phone as on a desktop.
  let W = 640;
  const measure = () => { W = Math.round(Math.min(880, Math.max(300, document.documentElement.clientWidth - 44))); };

  function frame(id, height, title) {
    return svg("svg", { id, class: "chart", viewBox: `0 0 ${W} ${height}`, role: "img", "aria-label": title,
                        preserveAspectRatio: "xMidYMid meet" }, svg("title", null, title));
  }

  function niceMax(value) {
    if (!(value > 0)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
    return 10 * power;
  }

  /// Lines over time: `series` = [{ name, cls, points: [{ t (ms), v }] }]; gaps where v is null.
  PM.lineChart = function (id, title, series, { since, until, format }) {
    measure();
    const height = 260, left = 64, right = 16, top = 16, bottom = 34;
    const chart = frame(id, height, title);
    const values = series.flatMap((s) => s.points.map((p) => p.v)).filter((v) => v !== null && v !== undefined);
    const max = niceMax(Math.max(0, ...values));
    const x = (t) => left + ((t - since) / Math.max(1, until - since)) * (W - left - right);
    const y = (v) => top + (1 - v / max) * (height - top - bottom);
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4;
      chart.append(svg("line", { class: "grid", x1: left, x2: W - right, y1: y(v), y2: y(v) }),
        svg("text", { class: "axis", x: left - 6, y: y(v) + 4, "text-anchor": "end" }, PM.compact(v)));
    }
    // Fewer, shorter time labels where the chart is narrow, so none overlaps the next.
    const ticks = W < 520 ? 2 : 4;
    const withDay = until - since > 86_400_000 || W >= 520;
    for (let i = 0; i <= ticks; i++) {
      const t = since + ((until - since) * i) / ticks;
      const stamp = new Date(t).toISOString();
      chart.append(svg("text", { class: "axis", x: x(t), y: height - 12, "text-anchor": i === 0 ? "start" : i === ticks ? "end" : "middle" },
        withDay ? stamp.slice(5, 16).replace("T", " ") : stamp.slice(11, 16)));
    }
    for (const s of series) {
      let d = "";
      let pen = false;
      for (const p of s.points) {
        if (p.v === null || p.v === undefined) { pen = false; continue; }
        d += (pen ? "L" : "M") + x(p.t).toFixed(1) + " " + y(p.v).toFixed(1);
        pen = true;
      }
      if (d) chart.append(svg("path", { class: "series " + s.cls, d }));
      for (const p of s.points) {
        if (p.v === null || p.v === undefined) continue;
        chart.append(svg("circle", { class: "dot " + s.cls, cx: x(p.t), cy: y(p.v), r: 3.5, "data-value": p.v },
          svg("title", null, `${s.name} ${format(p.v)} at ${new Date(p.t).toISOString()}`)));
      }
    }
    const legend = h("ul", { class: "legend" }, series.map((s) => h("li", { class: s.cls }, s.name)));
    return h("figure", { class: "figure" }, chart, legend);
  };

  /// Horizontal bars: `items` = [{ label, value, cls, note }]; a dashed line at `threshold`.
  PM.barChart = function (id, title, items, { max, format, threshold, thresholdLabel }) {
    measure();
    const row = 28, left = Math.min(170, Math.round(W * 0.3)), right = 64, top = 8;
    const height = top * 2 + Math.max(1, items.length) * row + (threshold !== undefined ? 18 : 0);
    const chart = frame(id, height, title);
    const scale = max || niceMax(Math.max(0, ...items.map((i) => i.value)));
    const x = (v) => left + (v / scale) * (W - left - right);
    items.forEach((item, i) => {
      const y0 = top + i * row;
      const room = Math.floor((left - 12) / 7);
      const label = item.label.length > room ? item.label.slice(0, Math.max(1, room - 1)) + "…" : item.label;
      chart.append(svg("text", { class: "label", x: left - 8, y: y0 + row / 2 + 4, "text-anchor": "end" }, label,
                       svg("title", null, item.label)),
        svg("rect", { class: "track", x: left, y: y0 + 5, width: W - left - right, height: row - 10, rx: 3 }),
        svg("rect", { class: "bar " + (item.cls || ""), x: left, y: y0 + 5, width: Math.max(0, x(item.value) - left),
                      height: row - 10, rx: 3, "data-value": item.value }),
        svg("text", { class: "value", x: W - right + 6, y: y0 + row / 2 + 4 }, item.note !== undefined ? item.note : format(item.value)));
    });
    if (threshold !== undefined) {
      const bottom = top + items.length * row;
      chart.append(svg("line", { class: "threshold", x1: x(threshold), x2: x(threshold), y1: top, y2: bottom }),
        svg("text", { class: "threshold-label", x: x(threshold), y: bottom + 14, "text-anchor": "middle" }, thresholdLabel || format(threshold)));
    }
    return h("figure", { class: "figure" }, chart);
  };

  /// Vertical bars over time, two per slot: `slots` = [{ t, a, b }] drawn as series `names`.
  PM.columnChart = function (id, title, slots, { names, classes }) {
    measure();
    const height = 200, left = 40, right = 10, top = 12, bottom = 30;
    const chart = frame(id, height, title);
    const max = niceMax(Math.max(1, ...slots.flatMap((s) => [s.a, s.b])));
    const width = (W - left - right) / Math.max(1, slots.length);
    const y = (v) => top + (1 - v / max) * (height - top - bottom);
    for (let i = 0; i <= 2; i++) {
      const v = (max * i) / 2;
      chart.append(svg("line", { class: "grid", x1: left, x2: W - right, y1: y(v), y2: y(v) }),
        svg("text", { class: "axis", x: left - 6, y: y(v) + 4, "text-anchor": "end" }, PM.number(v)));
    }
    slots.forEach((slot, i) => {
      const x0 = left + i * width;
      const bar = Math.max(1, width / 2 - 1);
      [["a", 0], ["b", 1]].forEach(([key, k]) => {
        if (!slot[key]) return;
        chart.append(svg("rect", { class: "bar " + classes[k], x: x0 + k * bar + 1, y: y(slot[key]), width: bar - 1,
                                   height: y(0) - y(slot[key]), "data-value": slot[key] },
          svg("title", null, `${names[k]}: ${slot[key]} from ${new Date(slot.t).toISOString()}`)));
      });
    });
    if (slots.length) {
      chart.append(svg("text", { class: "axis", x: left, y: height - 10 }, PM.shortTime(new Date(slots[0].t).toISOString())),
        svg("text", { class: "axis", x: W - right, y: height - 10, "text-anchor": "end" }, "now"));
    }
    const legend = h("ul", { class: "legend" }, names.map((name, k) => h("li", { class: classes[k] }, name)));
    return h("figure", { class: "figure" }, chart, legend);
  };

  /// A job's life on one time axis: each event a marker, labelled, in order.
  PM.timelineChart = function (id, events) {
    measure();
    const left = 20, right = 20, lane = 26, top = 14;
    const height = top + events.length * lane + 28;
    const chart = frame(id, height, "The job's events over time");
    if (!events.length) return h("figure", { class: "figure" }, chart);
    const times = events.map((e) => new Date(e.at).getTime());
    const start = times[0], end = Math.max(start + 1, times[times.length - 1]);
    const x = (t) => left + ((t - start) / (end - start)) * (W - left - right - Math.min(180, W * 0.45));
    chart.append(svg("line", { class: "axis-line", x1: left, x2: x(end), y1: height - 22, y2: height - 22 }),
      svg("text", { class: "axis", x: left, y: height - 6 }, "0 s"),
      svg("text", { class: "axis", x: x(end), y: height - 6, "text-anchor": "end" }, PM.duration(end - start)));
    events.forEach((event, i) => {
      const y0 = top + i * lane;
      const cx = x(times[i]);
      chart.append(svg("line", { class: "stem", x1: cx, x2: cx, y1: y0 + 8, y2: height - 22 }),
        svg("circle", { class: "marker kind-" + event.kind, cx, cy: y0 + 8, r: 6 }),
        svg("text", { class: "label", x: cx + 10, y: y0 + 12 }, `${event.kind} +${PM.duration(times[i] - start)}`));
    });
    return h("figure", { class: "figure" }, chart);
  };
})();
