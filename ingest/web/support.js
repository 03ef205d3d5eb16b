// The support contacts and crisis line, always one click away on the page.
import { $, el, api, json } from "./dom.js";

// contactItem is one contact: its name, and its phone, web address and hours
// as links where they are ones.
function contactItem(c) {
  const parts = [el("strong", {}, c.name)];
  if (c.phone) parts.push(" · ", el("a", { href: "tel:" + c.phone.replace(/[^0-9+]/g, "") }, c.phone));
  if (c.url) parts.push(" · ", el("a", { href: c.url, rel: "noreferrer" }, c.url));
  if (c.hours) parts.push(" · " + c.hours);
  return el("li", {}, ...parts);
}

// feedbackCards are a check-in's suggestions as cards; when its answers
// called for support, the contacts follow the suggestion that names them.
export function feedbackCards(fb) {
  const nodes = [];
  (fb.suggestions || []).forEach((s) => {
    nodes.push(el("div", { class: "card" }, s.text));
    if (s.kind === "support" && (fb.support || []).length) {
      nodes.push(el("div", { class: "card support" }, el("strong", {}, "Support is there for you"), el("ul", {}, ...fb.support.map(contactItem))));
    }
  });
  return nodes;
}

// renderSupport fills the support section: the clinic's contacts and crisis
// line (the personal link's clinic, or the one typed in development mode).
export async function renderSupport(token, clinic) {
  const q = !token && clinic ? "?clinic=" + encodeURIComponent(clinic) : "";
  let r = {};
  try {
    r = await json(await api("/v1/support" + q, { token }));
  } catch {
    // offline: the crisis line below still says what to do
  }
  const crisis = r.crisis || { name: "In a crisis, or if you may be in danger: call your local emergency number now" };
  const c = contactItem(crisis);
  $("crisis").replaceChildren(...c.childNodes);
  $("contacts").replaceChildren(...(r.contacts || []).map(contactItem));
}
