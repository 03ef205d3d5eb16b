// The questionnaire: one fieldset per item, each option labelled with its
// anchor, the item's wording when the clinic provided it; and sending a
// check-in, retrying with the same id while the service answers 503.
import { $, el, api, json, sleep, round, scoreName, bandText } from "./dom.js";
import { feedbackCards } from "./support.js";

// renderItems shows inst's items in the form.
export function renderItems(inst) {
  const box = $("items");
  const wording = inst.wording;
  const nodes = [el("h2", {}, inst.title)];
  if (wording && wording.instructions) nodes.push(el("p", {}, wording.instructions));
  nodes.push(el("p", { class: "credit" }, wording
    ? "Source: " + inst.citation
    : "Please answer from the published form you were given; its item wording is not repeated here. Source: " + inst.citation));
  for (let i = 0; i < inst.items; i++) {
    const text = wording ? wording.items[i] : "";
    const choices = el("div", { class: "choices" });
    inst.allowed.forEach((v) => {
      const anchor = inst.anchors[v];
      const id = "a" + i + "-" + v;
      choices.append(el("label", { for: id },
        el("input", { type: "radio", id, name: "a" + i, value: v }),
        anchor ? v + " — " + anchor : String(v)));
    });
    const legend = inst.items === 1 && !text ? "Your answer" : "Item " + (i + 1) + (text ? ": " + text : "");
    nodes.push(el("fieldset", { class: "item", id: "item" + i }, el("legend", {}, legend), choices));
  }
  box.replaceChildren(...nodes);
}

// answers reads the answers given, null for an item left out.
function answers(inst) {
  const out = [];
  for (let i = 0; i < inst.items; i++) {
    const checked = document.querySelector('input[name="a' + i + '"]:checked');
    out.push(checked ? Number(checked.value) : null);
  }
  return out;
}

function context() {
  const c = {};
  ["sessions", "trauma_sessions", "hours_worked", "sleep_hours"].forEach((k) => {
    if ($(k).value !== "") c[k] = Number($(k).value);
  });
  return Object.keys(c).length ? c : undefined;
}

function show(...nodes) {
  $("result").replaceChildren(...nodes);
}

// maxAttempts bounds the retries of a check-in the service could not store.
const maxAttempts = 4;

// send posts body, retrying a 503 (or a lost connection) after the server's
// Retry-After with the same body — the same id — so that it is stored once.
async function send(body, token) {
  for (let attempt = 1; ; attempt++) {
    let resp = null;
    try {
      resp = await api("/v1/checkins", { method: "POST", token, body });
    } catch {
      // no answer: retried like a 503
    }
    if ((resp && resp.status !== 503) || attempt === maxAttempts) return resp;
    const wait = Math.min(30, Number(resp && resp.headers.get("Retry-After")) || 2);
    show(el("p", {}, "Not stored yet: the service is busy. Trying again in " + wait +
      " seconds with the same check-in, so it is stored only once (attempt " + (attempt + 1) + " of " + maxAttempts + ")."));
    await sleep(wait * 1000);
  }
}

// submit sends the form's check-in as identity says (a personal token, or
// the fields typed in development mode) and shows the receipt. It returns
// the stored check-in's id, or "" when it was not stored.
export async function submit(inst, identity) {
  const given = answers(inst);
  const missing = given.map((a, i) => (a === null ? i : -1)).filter((i) => i >= 0);
  if (missing.length) {
    show(el("p", { class: "error" }, "Please answer every item: " +
      missing.map((i) => (inst.items === 1 ? "your answer" : "item " + (i + 1))).join(", ") + " still open."));
    $("item" + missing[0]).querySelector("input").focus();
    return "";
  }
  const body = {
    id: crypto.randomUUID(),
    submitted_at: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    instrument: inst.name,
    answers: given,
    context: context(),
  };
  Object.assign(body, identity.body);
  $("submit").disabled = true;
  const resp = await send(body, identity.token);
  $("submit").disabled = false;
  const data = resp ? await json(resp) : {};
  if (!resp || resp.status !== 202) {
    const fields = Object.entries(data.fields || {}).map(([f, m]) => el("li", {}, f + ": " + m));
    show(el("p", { class: "error" }, data.error || "Your check-in could not be stored; please try again in a few minutes."),
      fields.length ? el("ul", {}, ...fields) : null);
    $("result").focus();
    return "";
  }
  show(...receipt(data, inst));
  $("result").focus();
  return data.id;
}

// receipt is what the clinician reads back: the suggestions (support first
// when the answers call for it), their scores with bands (saying whose).
function receipt(data, inst) {
  const nodes = [el("h2", {}, "Thank you for checking in"), ...feedbackCards(data)];
  const info = (name) => (inst.score_info || []).find((s) => s.name === name);
  const rows = Object.keys(data.scores).map((name) => {
    const b = data.bands[name];
    return el("tr", {}, el("td", {}, scoreName(name)), el("td", {}, round(data.scores[name])),
      el("td", {}, b ? bandText(info(name), b) : "—"));
  });
  nodes.push(el("h3", {}, "Your scores (only you see these)"),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "score"), el("th", { scope: "col" }, "value"), el("th", { scope: "col" }, "band"))),
      el("tbody", {}, ...rows)),
    el("p", { class: "credit" }, "Scores are indicators for reflection, not diagnoses. Source: " + inst.citation));
  return nodes;
}
