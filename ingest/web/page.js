// The check-in page. Opened with a personal link (#token=…), it knows who
// the clinician is — nothing to type, nothing kept in the browser — and
// shows, below the questionnaire, their own history and their data rights.
// Opened without one, in open development mode, it asks for clinic, team
// and identifier and remembers them in local storage.
import { $, el, api, json, sleep, linkToken } from "./dom.js";
import { renderItems, submit } from "./form.js";
import { renderHistory } from "./history.js";
import { initMyData } from "./mydata.js";
import { renderSupport } from "./support.js";

const token = linkToken();
const devFields = ["clinic", "team", "clinician", "token"];
let instruments = [];

const current = () => instruments.find((i) => i.name === $("instrument").value);

// identity is who a check-in is for: the personal token alone, or in
// development mode the fields typed.
function identity() {
  if (token) return { token, body: {} };
  devFields.forEach((k) => localStorage.setItem("tend." + k, $(k).value));
  return { token: $("token").value, body: { clinic: $("clinic").value, team: $("team").value, clinician: $("clinician").value } };
}

// loadMe shows who the link is for and their history. It returns the
// check-ins, or null when the link does not work (then it says so).
async function loadMe() {
  let resp;
  try {
    resp = await api("/v1/me", { token });
  } catch {
    $("who").textContent = "Your history could not be loaded right now (no connection). You can still check in.";
    return [];
  }
  const me = await json(resp);
  if (resp.status === 401) {
    revoked();
    return null;
  }
  if (!resp.ok) {
    $("who").textContent = "Your history could not be loaded right now. You can still check in.";
    return [];
  }
  $("who").textContent = "Checking in privately as a member of team " + me.team + " at " + me.clinic +
    ". Your personal link says who you are: nothing to type.";
  $("notice").textContent = me.notice || "";
  renderHistory(me, instruments);
  $("history").hidden = false;
  $("mydata").hidden = false;
  $("to-history").hidden = false;
  return me.checkins || [];
}

// revoked says plainly that the link no longer works, and what to do.
function revoked() {
  const who = $("who");
  who.className = "error";
  who.replaceChildren(el("strong", {}, "This personal link no longer works. "),
    "It may have been revoked or replaced by a newer link, or you are no longer on your clinic's roster. " +
    "Please ask your clinic's tend administrator for a new link. Nothing has been submitted with it.");
  $("form").hidden = true;
  $("history").hidden = true;
  $("mydata").hidden = true;
  $("to-history").hidden = true;
}

// refreshUntil reloads the history until the check-in id is in it (the
// processor stores it within seconds), for at most about 15 s.
async function refreshUntil(id) {
  for (let i = 0; i < 15; i++) {
    const list = await loadMe();
    if (list === null || list.some((c) => c.id === id)) return;
    await sleep(1000);
  }
}

async function init() {
  instruments = await (await fetch("/v1/instruments")).json();
  instruments.forEach((i) => $("instrument").append(el("option", { value: i.name }, i.title)));
  $("instrument").addEventListener("change", () => renderItems(current()));
  renderItems(current());
  if (token) {
    initMyData(token, () => loadMe());
    renderSupport(token, "");
    await loadMe();
  } else {
    $("you").hidden = false;
    devFields.forEach((k) => { $(k).value = localStorage.getItem("tend." + k) || ""; });
    $("clinic").addEventListener("change", () => renderSupport("", $("clinic").value));
    renderSupport("", $("clinic").value);
  }
  $("form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const id = await submit(current(), identity());
    if (id && token) await refreshUntil(id);
  });
  window.addEventListener("hashchange", () => location.reload());
  document.body.dataset.ready = "true";
}

init().catch(() => {
  $("who").textContent = "The page could not load its questionnaires. Please reload it in a moment.";
});
