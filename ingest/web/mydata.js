// The clinician's data rights, from their private space: download everything
// stored about them (GET /v1/me/export), and erase it (DELETE /v1/me) after
// a confirmation.
import { $, api, json } from "./dom.js";

// call is api, with a lost connection answered like a failure.
async function call(path, options) {
  try {
    return await api(path, options);
  } catch {
    return { ok: false, json: async () => ({ error: "No connection: nothing was changed. Please try again." }) };
  }
}

function status(text, isError) {
  $("data-status").textContent = text;
  $("data-status").className = isError ? "error" : "";
}

// initMyData wires the section's buttons; onErased runs after an erasure.
export function initMyData(token, onErased) {
  $("download").addEventListener("click", async () => {
    const resp = await call("/v1/me/export", { token });
    if (!resp.ok) {
      status((await json(resp)).error || "The download failed; please try again.", true);
      return;
    }
    const blob = await resp.blob();
    const name = (resp.headers.get("Content-Disposition") || "").match(/filename="?([^";]+)"?/);
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name ? name[1] : "tend-my-data.json";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    status("Downloaded: everything stored about you, as JSON.");
  });
  $("erase").addEventListener("click", () => {
    $("confirm").hidden = false;
    $("erase-no").focus();
  });
  $("erase-no").addEventListener("click", () => {
    $("confirm").hidden = true;
    $("erase").focus();
  });
  $("erase-yes").addEventListener("click", async () => {
    $("erase-yes").disabled = true;
    status("Erasing… this can take a few seconds.");
    const resp = await call("/v1/me", { method: "DELETE", token });
    const data = await json(resp);
    $("erase-yes").disabled = false;
    $("confirm").hidden = true;
    if (!resp.ok) {
      status(data.error || "The erasure failed; nothing was erased. Please try again.", true);
      return;
    }
    status("Erased: " + data.erased + " check-in" + (data.erased === 1 ? "" : "s") + " and everything stored with them.");
    $("erase").focus();
    onErased();
  });
}
