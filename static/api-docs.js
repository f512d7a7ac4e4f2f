// API reference of the gateway, rendered in the browser from GET /openapi.json (served by the
// same binary; no CDN, no framework). Every text from the document is inserted as text, never
// as HTML.

const METHOD_ORDER = ["get", "post", "put", "patch", "delete"];

/** Create an element: el("div", {class: "x"}, child, "text", …). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Follow a local `#/components/...` reference. */
function deref(doc, schema) {
  let s = schema;
  const seen = new Set();
  while (s && typeof s.$ref === "string" && s.$ref.startsWith("#/") && !seen.has(s.$ref)) {
    seen.add(s.$ref);
    s = s.$ref.slice(2).split("/").reduce((o, k) => (o ? o[k] : undefined), doc);
  }
  return s ?? {};
}

function refName(schema) {
  return schema && typeof schema.$ref === "string" ? schema.$ref.split("/").pop() : null;
}

/** A one-line type: `string`, `integer ≥ 1 ≤ 200`, `array of string`, `RunSnapshot`, `A | B`. */
function typeText(doc, schema, depth = 0) {
  if (!schema || typeof schema !== "object") return "any";
  const name = refName(schema);
  if (name) return name;
  for (const key of ["oneOf", "anyOf"]) {
    if (Array.isArray(schema[key])) return schema[key].map((s) => typeText(doc, s, depth + 1)).join(" | ");
  }
  if (Array.isArray(schema.allOf)) return schema.allOf.map((s) => typeText(doc, s, depth + 1)).join(" & ");
  let t = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type;
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (t === "array" || (schema.items && !t)) t = `array of ${typeText(doc, schema.items, depth + 1)}`;
  if (!t) t = schema.properties ? "object" : "any";
  const limits = [];
  if (schema.format) limits.push(schema.format);
  if (schema.minimum !== undefined) limits.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) limits.push(`≤ ${schema.maximum}`);
  if (schema.minLength !== undefined) limits.push(`length ≥ ${schema.minLength}`);
  if (schema.maxLength !== undefined) limits.push(`length ≤ ${schema.maxLength}`);
  if (schema.maxItems !== undefined) limits.push(`≤ ${schema.maxItems} items`);
  if (schema.pattern) limits.push(`pattern ${schema.pattern}`);
  return limits.length ? `${t} (${limits.join(", ")})` : t;
}

/** The fields of an object schema as a table (nested objects one level deep, then by name). */
function schemaView(doc, schema, depth = 0) {
  const s = deref(doc, schema);
  const variants = s.oneOf ?? s.anyOf;
  if (Array.isArray(variants) && depth < 3) {
    return el("div", { class: "variants" }, ...variants.map((v, i) =>
      el("div", { class: "variant" }, el("div", { class: "variant-label" }, `${i === 0 ? "either" : "or"}: ${typeText(doc, v)}`), schemaView(doc, v, depth + 1))));
  }
  if (s.type === "array" && s.items && depth < 3) {
    return el("div", {}, el("div", { class: "variant-label" }, `array of ${typeText(doc, s.items)}`), schemaView(doc, s.items, depth + 1));
  }
  const props = s.properties ?? {};
  const names = Object.keys(props);
  if (names.length === 0) {
    return el("p", { class: "type" }, typeText(doc, s), s.description ? ` — ${s.description}` : "");
  }
  const required = new Set(s.required ?? []);
  const rows = names.map((name) => {
    const p = props[name];
    const inner = deref(doc, p);
    const nested = depth < 2 && inner.properties && Object.keys(inner.properties).length > 0 && !refName(p);
    return el("tr", {},
      el("td", { class: "field" }, el("code", {}, name), required.has(name) ? el("span", { class: "req", title: "required" }, " *") : ""),
      el("td", { class: "type" }, typeText(doc, p)),
      el("td", {}, inner.description ?? p.description ?? "", inner.default !== undefined ? el("span", { class: "default" }, ` default ${JSON.stringify(inner.default)}`) : "",
        nested ? schemaView(doc, inner, depth + 1) : ""));
  });
  const extra = s.additionalProperties === true || (s.additionalProperties && typeof s.additionalProperties === "object")
    ? el("p", { class: "note" }, "other fields may appear (additive)") : "";
  return el("div", {}, s.description && depth === 0 ? el("p", {}, s.description) : "",
    el("table", { class: "fields" }, el("thead", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "meaning"))), el("tbody", {}, rows)), extra);
}

function parametersView(doc, params) {
  if (!params?.length) return "";
  return el("section", {}, el("h4", {}, "Parameters"),
    el("table", { class: "fields" },
      el("thead", {}, el("tr", {}, el("th", {}, "name"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "meaning"))),
      el("tbody", {}, params.map((p0) => {
        const p = deref(doc, p0);
        return el("tr", {}, el("td", { class: "field" }, el("code", {}, p.name), p.required ? el("span", { class: "req" }, " *") : ""),
          el("td", {}, p.in), el("td", { class: "type" }, typeText(doc, p.schema)),
          el("td", {}, p.description ?? "", p.schema?.default !== undefined ? el("span", { class: "default" }, ` default ${JSON.stringify(p.schema.default)}`) : ""));
      }))));
}

function bodyView(doc, content) {
  return Object.entries(content ?? {}).map(([type, media]) =>
    el("div", { class: "media" }, el("div", { class: "media-type" }, type), media.schema ? schemaView(doc, media.schema) : ""));
}

function operationView(doc, path, method, op) {
  const id = op.operationId ?? `${method}_${path}`;
  const responses = Object.entries(op.responses ?? {});
  return el("details", { class: "op", id, "data-method": method, "data-path": path },
    el("summary", {}, el("span", { class: `method m-${method}` }, method.toUpperCase()), el("code", { class: "path" }, path), el("span", { class: "summary" }, op.summary ?? "")),
    el("div", { class: "op-body" },
      op.description ? el("p", {}, op.description) : "",
      parametersView(doc, op.parameters),
      op.requestBody ? el("section", { class: "request" }, el("h4", {}, `Request body${op.requestBody.required === false ? " (optional)" : ""}`), bodyView(doc, op.requestBody.content)) : "",
      el("section", { class: "responses" }, el("h4", {}, "Responses"),
        responses.map(([code, r0]) => {
          const r = deref(doc, r0);
          return el("div", { class: "response" }, el("div", {}, el("span", { class: `status s${String(code)[0]}` }, code), " ", r.description ?? ""), bodyView(doc, r.content));
        }))));
}

function render(doc) {
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHOD_ORDER) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([path, method, op]);
    }
  }
  const count = [...byTag.values()].reduce((n, ops) => n + ops.length, 0);
  document.title = `${doc.info?.title ?? "API"} — reference`;
  const main = document.getElementById("content");
  main.replaceChildren(
    el("header", { class: "doc-header" },
      el("h1", {}, doc.info?.title ?? "API"), el("p", { class: "version" }, `version ${doc.info?.version ?? "?"} · OpenAPI ${doc.openapi ?? "?"} · ${count} endpoints · `,
        el("a", { href: "/openapi.json" }, "openapi.json")),
      doc.info?.description ? el("p", {}, doc.info.description) : ""),
    el("nav", { class: "toc", "aria-label": "endpoints" }, [...byTag].map(([tag, ops]) =>
      el("div", {}, el("strong", {}, tag), el("ul", {}, ops.map(([path, method, op]) =>
        el("li", {}, el("a", { href: `#${op.operationId ?? `${method}_${path}`}` }, el("span", { class: `method m-${method}` }, method.toUpperCase()), " ", path))))))),
    ...[...byTag].map(([tag, ops]) => el("section", { class: "tag" }, el("h2", {}, tag), ops.map(([path, method, op]) => operationView(doc, path, method, op)))),
  );
  main.setAttribute("data-ready", String(count));
  // Open the operation named in the URL fragment.
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target && target.tagName === "DETAILS") { target.open = true; target.scrollIntoView(); }
}

async function main() {
  const status = document.getElementById("content");
  try {
    const res = await fetch("/openapi.json", { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`);
    render(await res.json());
  } catch (err) {
    status.replaceChildren(el("p", { class: "error", role: "alert" }, `Could not load the API description: ${err.message}`));
    status.setAttribute("data-ready", "error");
  }
}

void main();
