// Small helpers the page's modules share: building elements, calling the API.

export const $ = (id) => document.getElementById(id);

// el builds an HTML element; null children are left out.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
  children.forEach((c) => c !== null && c !== undefined && e.append(c));
  return e;
}

// svg builds an SVG element.
export function svg(tag, attrs, ...children) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
  children.forEach((c) => e.append(c));
  return e;
}

// linkToken is the personal token a personal link carries in its fragment
// (#token=…). Browsers never send a fragment to a server; the page sends the
// token nowhere but in the Authorization header of its own API calls.
export function linkToken() {
  return new URLSearchParams(location.hash.slice(1)).get("token") || "";
}

// api calls the ingest API on this origin, with the token if there is one.
export function api(path, { method = "GET", token = "", body } = {}) {
  const headers = {};
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
}

// json reads a response's JSON body, or {} when it has none.
export async function json(resp) {
  try {
    return await resp.json();
  } catch {
    return {};
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const round = (v) => String(Math.round(v * 100) / 100);

export const scoreName = (name) => name.replaceAll("_", " ");

export const day = (iso) => new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });

// sources says what a band's source means, in words: a clinician must be
// able to tell a published cut-off from a convention or one of tend's own.
const sources = {
  published: "",
  convention: "a widely used convention, not a published cut-off",
  tend: "tend's own band, not a published cut-off",
};

// level is a band's level, given as a band ({level, …}) or as its level.
export const level = (band) => (typeof band === "string" ? band : band && band.level) || "";

// bandText is a band level with where the band comes from, e.g.
// "moderate (tend's own band, not a published cut-off)".
export function bandText(info, band) {
  const lvl = level(band);
  const known = (info && info.bands || []).find((b) => b.level === lvl);
  const src = known ? sources[known.source] : "";
  return src ? lvl + " (" + src + ")" : lvl;
}
