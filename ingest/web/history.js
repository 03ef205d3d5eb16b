// The clinician's own history: per instrument, each banded score over time
// as an inline SVG chart with its bands and cut-offs (published, convention
// or tend's own, drawn differently and labelled), and every check-in in a
// table.
import { $, el, svg, round, scoreName, day, bandText, level } from "./dom.js";
import { feedbackCards } from "./support.js";

// Chart geometry, in SVG units.
const W = 640, H = 190, left = 44, right = 150, top = 12, bottom = 28;

const cutLabel = { published: "published cut-off", convention: "convention", tend: "tend's own" };

// renderHistory draws me.checkins (GET /v1/me) against instruments, after
// the suggestions of the latest check-in.
export function renderHistory(me, instruments) {
  const byInstrument = {};
  (me.checkins || []).forEach((c) => (byInstrument[c.instrument] ||= []).push(c));
  const nodes = latestFeedback(me.checkins || []);
  for (const inst of instruments) {
    const list = (byInstrument[inst.name] || []).sort((a, b) => a.submitted_at.localeCompare(b.submitted_at));
    if (!list.length) continue;
    const part = el("section", { class: "instrument", "aria-label": inst.title }, el("h3", {}, inst.title));
    inst.score_info.filter((si) => si.bands).forEach((si) => part.append(chart(si, list)));
    part.append(table(inst, list));
    nodes.push(part);
  }
  if (!(me.checkins || []).length) {
    nodes.push(el("p", {}, "No check-ins stored yet. After your first, your scores appear here within a few seconds."));
  }
  $("charts").replaceChildren(...nodes);
}

// latestFeedback is what the latest check-in suggested: its support
// contacts when it called for them, and its suggestions.
function latestFeedback(checkins) {
  const last = checkins.slice().sort((a, b) => a.submitted_at.localeCompare(b.submitted_at)).pop();
  if (!last || !(last.suggestions || []).length) return [];
  return [el("h3", {}, "Suggested after your latest check-in (" + day(last.submitted_at) + ")"), ...feedbackCards(last)];
}

// chart is one score over time: its bands as shaded areas, each cut-off as a
// line labelled with its value and whose it is, the scores as a line with a
// point (and a tooltip) per check-in.
function chart(si, list) {
  const points = list.filter((c) => c.scores && c.scores[si.name] !== undefined);
  const id = "chart-" + si.name;
  const y = (v) => top + ((si.max - v) / (si.max - si.min)) * (H - top - bottom);
  const times = points.map((c) => Date.parse(c.submitted_at));
  const t0 = Math.min(...times), t1 = Math.max(...times);
  const x = (t) => (t1 === t0 ? (left + W - right) / 2 : left + ((t - t0) / (t1 - t0)) * (W - left - right));
  const g = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": id + "-title " + id + "-desc" });
  const last = points[points.length - 1];
  const lastBand = last.bands && last.bands[si.name];
  g.append(svg("title", { id: id + "-title" }, scoreName(si.name) + " over time"),
    svg("desc", { id: id + "-desc" }, points.length + " check-ins; latest " + round(last.scores[si.name]) +
      (lastBand ? ", " + bandText(si, lastBand) : "") + ", on " + day(last.submitted_at) + ". Bands: " +
      si.bands.map((b) => b.level + " " + b.from + "–" + b.to + " (" + (cutLabel[b.source] || b.source) + ")").join("; ") + "."));
  si.bands.forEach((b, i) => {
    const tint = b.level === si.risk_side ? "band-risk" : b.level === "moderate" ? "band-mid" : "band-ok";
    g.append(svg("rect", { class: tint, x: left, width: W - left - right, y: y(b.to), height: y(b.from) - y(b.to) }));
    g.append(svg("text", { x: left + 4, y: y(b.to) + 12 }, b.level));
    if (i === 0) return;
    g.append(svg("line", { class: "cut cut-" + b.source, x1: left, x2: W - right, y1: y(b.from), y2: y(b.from) }),
      svg("text", { x: W - right + 6, y: y(b.from) + 4 }, b.from + " " + (cutLabel[b.source] || b.source)));
  });
  g.append(svg("line", { class: "axis", x1: left, x2: left, y1: top, y2: H - bottom }),
    svg("text", { x: left - 6, y: y(si.max) + 4, "text-anchor": "end" }, String(si.max)),
    svg("text", { x: left - 6, y: y(si.min) + 4, "text-anchor": "end" }, String(si.min)),
    svg("text", { x: left, y: H - 8 }, day(points[0].submitted_at)));
  if (points.length > 1) {
    g.append(svg("text", { x: W - right, y: H - 8, "text-anchor": "end" }, day(last.submitted_at)));
  }
  g.append(svg("polyline", { class: "line", points: points.map((c, i) => x(times[i]) + "," + y(c.scores[si.name])).join(" ") }));
  points.forEach((c, i) => {
    const v = c.scores[si.name];
    const band = c.bands && c.bands[si.name];
    g.append(svg("circle", { class: "point", cx: x(times[i]), cy: y(v), r: 4 },
      svg("title", {}, day(c.submitted_at) + ": " + round(v) + (band ? " (" + level(band) + ")" : ""))));
  });
  return el("figure", { class: "chart" }, el("figcaption", {}, scoreName(si.name)), g);
}

// table lists every check-in of inst with each score and its band.
function table(inst, list) {
  const head = el("tr", {}, el("th", { scope: "col" }, "date"), ...inst.score_info.map((si) => el("th", { scope: "col" }, scoreName(si.name))));
  const rows = list.slice().reverse().map((c) => el("tr", {}, el("td", {}, day(c.submitted_at)),
    ...inst.score_info.map((si) => {
      const v = c.scores ? c.scores[si.name] : undefined;
      const band = c.bands && c.bands[si.name];
      return el("td", {}, v === undefined ? "—" : round(v) + (band ? " " + bandText(si, band) : ""));
    })));
  return el("details", {}, el("summary", {}, "Your " + list.length + " check-in" + (list.length === 1 ? "" : "s") + " as a table"),
    el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
}
