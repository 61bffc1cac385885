// Renders /api/v1/openapi.json as a plain list of operations (no CDN, no inline script).
(function () {
  "use strict";
  const root = document.getElementById("api-docs");
  if (!root) return;
  const el = (tag, cls, text) => {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  };
  const schemaText = (spec, schema) => {
    if (schema && schema.$ref) {
      const name = schema.$ref.split("/").pop();
      return name + " " + JSON.stringify(spec.components.schemas[name], null, 2);
    }
    return JSON.stringify(schema || {}, null, 2);
  };
  fetch(root.dataset.spec, { credentials: "same-origin" })
    .then((r) => r.json())
    .then((spec) => {
      root.textContent = "";
      Object.keys(spec.paths).forEach((path) => {
        Object.entries(spec.paths[path]).forEach(([method, op]) => {
          const card = el("details", "card p-2 mb-2");
          const head = el("summary", "");
          head.appendChild(el("span", "badge text-bg-secondary me-2", method.toUpperCase()));
          head.appendChild(el("code", "me-2", path));
          head.appendChild(el("span", "text-muted small", op.summary || ""));
          card.appendChild(head);
          (op.parameters || []).forEach((p) => {
            card.appendChild(
              el("div", "small", `${p.in} · ${p.name}${p.required ? "（必填）" : ""} · ${JSON.stringify(p.schema)}`)
            );
          });
          if (op.requestBody) {
            const body = op.requestBody.content["application/json"].schema;
            card.appendChild(el("pre", "small bg-light p-2 mb-0", "请求体 " + schemaText(spec, body)));
          }
          root.appendChild(card);
        });
      });
    })
    .catch(() => {
      root.textContent = "接口说明加载失败";
    });
})();
