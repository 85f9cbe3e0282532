// vecbolt's web page: the public HTTP API only, no libraries.
"use strict";
const $ = (id) => document.getElementById(id);
const keyInput = $("apikey");
keyInput.value = sessionStorage.getItem("vecbolt-key") || "";
keyInput.addEventListener("change", () => { sessionStorage.setItem("vecbolt-key", keyInput.value); loadCollections(); });

async function api(method, path, body) {
  const headers = {};
  if (keyInput.value) headers["Authorization"] = "Bearer " + keyInput.value;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = resp.status === 204 ? null : await resp.json();
  if (!resp.ok) throw new Error(data && data.error ? data.error.code + ": " + data.error.message : "HTTP " + resp.status);
  return data;
}

function showError(e) { $("error").textContent = e ? String(e.message || e) : ""; }
const coll = () => encodeURIComponent($("collection").value);

async function loadCollections() {
  showError();
  try {
    const list = await api("GET", "/v1/collections");
    const sel = $("collection");
    const prev = sel.value;
    sel.textContent = "";
    for (const c of list.collections) {
      const o = document.createElement("option");
      o.value = c.name;
      o.dataset.embedder = c.config.embedder || "";
      o.textContent = c.name + " (" + c.records + " × " + c.config.dim + ")";
      sel.appendChild(o);
    }
    if (prev) sel.value = prev;
    fitMode();
  } catch (e) { showError(e); }
}

// fitMode picks hybrid text search for a collection with an embedder and
// word search for one without (vector and hybrid text search need it).
function fitMode() {
  const o = $("collection").selectedOptions[0], mode = $("mode");
  if (!o) return;
  if (o.dataset.embedder && mode.value === "key") mode.value = "hybrid";
  if (!o.dataset.embedder && (mode.value === "vector" || mode.value === "hybrid")) mode.value = "key";
  mode.dispatchEvent(new Event("change"));
}

function showHits(title, hits, withText) {
  $("results-title").textContent = title;
  $("text-col").hidden = !withText;
  const tbody = $("results").querySelector("tbody");
  tbody.textContent = "";
  if (hits.length === 0) {
    const tr = document.createElement("tr"), td = document.createElement("td");
    td.colSpan = 4;
    td.textContent = "no results";
    tr.appendChild(td);
    tbody.appendChild(tr);
  }
  hits.forEach((h, i) => {
    const tr = document.createElement("tr");
    const cells = [[i + 1, ""], [h.key, "key"], [h.score.toFixed(4), "score"]];
    if (withText) cells.push([h.text || "", "text"]);
    for (const [v, cls] of cells) {
      const td = document.createElement("td");
      td.textContent = v;
      if (cls) td.className = cls;
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  });
  $("results-wrap").hidden = false;
}

// pca2 projects the rows of X on their first two principal components
// (power iteration with deflation on the covariance).
function pca2(X) {
  const n = X.length, d = X[0].length;
  const mean = new Array(d).fill(0);
  for (const x of X) for (let j = 0; j < d; j++) mean[j] += x[j] / n;
  const C = X.map((x) => x.map((v, j) => v - mean[j]));
  const comps = [];
  for (let c = 0; c < 2; c++) {
    let v = Array.from({ length: d }, (_, j) => Math.sin(j + 1 + c));
    for (let it = 0; it < 100; it++) {
      const w = new Array(d).fill(0);
      for (const x of C) {
        let s = 0;
        for (let j = 0; j < d; j++) s += x[j] * v[j];
        for (let j = 0; j < d; j++) w[j] += s * x[j];
      }
      for (const p of comps) {
        let s = 0;
        for (let j = 0; j < d; j++) s += w[j] * p[j];
        for (let j = 0; j < d; j++) w[j] -= s * p[j];
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((x) => x / norm);
    }
    comps.push(v);
  }
  return C.map((x) => comps.map((p) => x.reduce((s, v, j) => s + v * p[j], 0)));
}

function plot(keys, points) {
  // A label goes right of its point, or left of it when it would run past
  // the edge, and moves down a line while it would cover a label already
  // placed (about 6.5 px a character at 11 px).
  const svg = $("plot"), W = 640, H = 440, pad = 40, ns = "http://www.w3.org/2000/svg";
  svg.textContent = "";
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => pad + ((x - x0) / (x1 - x0 || 1)) * (W - 2 * pad);
  const sy = (y) => H - pad - ((y - y0) / (y1 - y0 || 1)) * (H - 2 * pad);
  const placed = [];
  const overlaps = (b) => placed.some((o) => b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h);
  points.forEach((p, i) => {
    const cx = sx(p[0]), cy = sy(p[1]);
    const c = document.createElementNS(ns, "circle");
    c.setAttribute("cx", cx); c.setAttribute("cy", cy); c.setAttribute("r", i === 0 ? 5 : 3);
    c.setAttribute("fill", i === 0 ? "#c33" : "#36c");
    const w = 6.5 * keys[i].length, left = cx + 6 + w > W - 4;
    const box = { x: left ? cx - 6 - w : cx + 6, y: cy - 8, w, h: 12 };
    for (let tries = 0; tries < 4 && overlaps(box); tries++) box.y += 12;
    placed.push(box);
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", left ? cx - 6 : cx + 6); t.setAttribute("y", box.y + 12);
    if (left) t.setAttribute("text-anchor", "end");
    t.textContent = keys[i];
    svg.append(c, t);
  });
  $("plot-wrap").hidden = false;
}

async function neighbourhood(word, hits) {
  const keys = [word, ...hits.map((h) => h.key)];
  const got = await api("POST", "/v1/collections/" + coll() + "/records/get", { keys });
  if (got.records.length < 3) { $("plot-wrap").hidden = true; return; }
  plot(got.records.map((r) => r.key), pca2(got.records.map((r) => r.vector)));
}

$("search-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showError();
  const q = $("query").value.trim();
  if (!q) { showError("type a word, a vector or a text"); return; }
  const body = { k: Number($("k").value) || 10, exact: $("exact").checked };
  const mode = $("mode").value;
  if (mode !== "key") {
    // Text search: vector and hybrid modes need the collection's embedder
    // (the server answers 422 no_embedder without one); keyword mode
    // ranks the stored texts by BM25.
    Object.assign(body, { text: q, mode, with_text: true });
    try {
      const res = await api("POST", "/v1/collections/" + coll() + "/search", body);
      showHits("Documents for \u201c" + q + "\u201d (" + mode + ")", res.hits, true);
      $("plot-wrap").hidden = true;
    } catch (e) { showError(e); }
    return;
  }
  const isVector = /^[-+0-9.eE,\s\[\]]+$/.test(q) && q.includes(",");
  if (isVector) body.vector = q.replace(/[\[\]]/g, "").split(",").map(Number);
  else body.key = q;
  try {
    const res = await api("POST", "/v1/collections/" + coll() + "/search", body);
    showHits(isVector ? "Nearest to the vector" : "Neighbours of " + q, res.hits);
    if (isVector) $("plot-wrap").hidden = true;
    else await neighbourhood(q, res.hits);
  } catch (e) { showError(e); }
});

$("analogy-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  showError();
  if (!$("expr").value.trim()) { showError("type an expression such as king - man + woman"); return; }
  try {
    const res = await api("POST", "/v1/collections/" + coll() + "/analogy", { expr: $("expr").value, k: Number($("k").value) || 10 });
    showHits($("expr").value, res.hits);
    $("plot-wrap").hidden = true;
  } catch (e) { showError(e); }
});

$("mode").addEventListener("change", () => {
  $("query").placeholder = $("mode").value === "key" ? "a word, or a vector: 0.1, -0.3, …" : "a question or a few words";
});
$("collection").addEventListener("change", fitMode);
$("reload").addEventListener("click", loadCollections);
loadCollections();
