/**
 * The /docs page: the OpenAPI document rendered as plain HTML on the server, plus a small
 * inline script to try POST /score_ticket. No CDN, fonts or external assets, so it works on
 * a city network without internet access.
 */

type JsonObject = Record<string, unknown>;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}

function asObject(value: unknown): JsonObject {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : {};
}

function resolveRef(document: JsonObject, schema: JsonObject): JsonObject {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  let node: unknown = document;
  for (const part of ref.slice(2).split('/')) node = asObject(node)[part];
  return asObject(node);
}

function describeType(document: JsonObject, schema: JsonObject): string {
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop() ?? 'object';
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map((option) => describeType(document, asObject(option))).join(' | ');
  const limits: string[] = [];
  for (const [key, label] of [
    ['minimum', '≥'],
    ['maximum', '≤'],
    ['minLength', 'min length'],
    ['maxLength', 'max length'],
    ['minItems', 'min items'],
    ['maxItems', 'max items'],
  ] as const) {
    // zod's int() adds the safe-integer bounds; they say nothing to a reader.
    if (typeof schema[key] === 'number' && Math.abs(schema[key] as number) < Number.MAX_SAFE_INTEGER) limits.push(`${label} ${String(schema[key])}`);
  }
  let type = typeof schema.type === 'string' ? schema.type : Array.isArray(schema.type) ? schema.type.join(' | ') : 'any';
  if (type === 'array') type = `array of ${describeType(document, asObject(schema.items))}`;
  if (schema.format === 'date-time' || (typeof schema.pattern === 'string' && schema.pattern.includes('T(?:'))) type = 'string (ISO 8601 date-time)';
  return limits.length ? `${type} (${limits.join(', ')})` : type;
}

function renderPropertyRows(document: JsonObject, schema: JsonObject, prefix: string): string[] {
  const properties = asObject(schema.properties);
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  return Object.entries(properties).flatMap(([name, raw]) => {
    const property = asObject(raw);
    const description = typeof property.description === 'string' ? property.description : '';
    const row = `<tr><td><code>${escapeHtml(prefix + name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''}</td><td>${escapeHtml(describeType(document, property))}</td><td>${escapeHtml(description)}</td></tr>`;
    // Nested objects (error.code, model.version) are listed field by field.
    return property.type === 'object' && property.properties ? [row, ...renderPropertyRows(document, property, `${prefix}${name}.`)] : [row];
  });
}

function renderSchemaTable(document: JsonObject, id: string, schema: JsonObject): string {
  const rows = renderPropertyRows(document, schema, '');
  const closed = schema.additionalProperties === false ? '<p class="note">Other fields are rejected.</p>' : '';
  return `<section class="schema" id="schema-${escapeHtml(id)}"><h3>${escapeHtml(id)}</h3><table><thead><tr><th>Field</th><th>Type</th><th>Meaning</th></tr></thead><tbody>${rows.join('')}</tbody></table>${closed}</section>`;
}

function renderOperation(document: JsonObject, path: string, method: string, operation: JsonObject): string {
  const parts = [`<section class="op" id="${escapeHtml(String(operation.operationId ?? path))}">`];
  parts.push(`<h2><span class="method ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h2>`);
  if (typeof operation.summary === 'string') parts.push(`<p class="summary">${escapeHtml(operation.summary)}</p>`);
  if (typeof operation.description === 'string') parts.push(`<p>${escapeHtml(operation.description)}</p>`);
  if (Array.isArray(operation.security) && operation.security.length) parts.push('<p class="note">Requires the <code>X-API-Key</code> header.</p>');
  const body = asObject(asObject(asObject(asObject(operation.requestBody).content)['application/json']).schema);
  if (typeof body.$ref === 'string') {
    const id = body.$ref.split('/').pop() ?? '';
    parts.push(`<p>Request body: <a href="#schema-${escapeHtml(id)}">${escapeHtml(id)}</a></p>`);
  }
  const responses = Object.entries(asObject(operation.responses)).map(([status, raw]) => {
    const response = asObject(raw);
    const schema = asObject(asObject(asObject(response.content)['application/json']).schema);
    const id = typeof schema.$ref === 'string' ? schema.$ref.split('/').pop() ?? '' : '';
    const link = id ? ` → <a href="#schema-${escapeHtml(id)}">${escapeHtml(id)}</a>` : '';
    return `<li><b>${escapeHtml(status)}</b> ${escapeHtml(String(response.description ?? ''))}${link}</li>`;
  });
  parts.push(`<ul class="responses">${responses.join('')}</ul></section>`);
  return parts.join('');
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2733;background:#f7f8fa}
main{max-width:960px;margin:0 auto;padding:24px}
h1{margin:0 0 8px}h2{font-size:18px;margin:0 0 6px}h3{margin:16px 0 6px}
.op,.schema,.try{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:16px;margin:16px 0}
.method{display:inline-block;min-width:52px;text-align:center;border-radius:4px;color:#fff;font-size:13px;padding:2px 6px}
.method.post{background:#2f7d32}.method.get{background:#1d5fa8}
table{border-collapse:collapse;width:100%;font-size:14px}td,th{border-top:1px solid #e6e9ee;padding:6px;text-align:left;vertical-align:top}
.req{color:#b3261e;font-size:12px}.note{color:#5a6675;font-size:14px}
textarea{width:100%;min-height:150px;font:13px ui-monospace,monospace}input{font:14px monospace;width:260px}
pre{background:#10161d;color:#e6edf3;padding:12px;border-radius:6px;overflow:auto;font-size:13px}
button{font-size:15px;padding:6px 16px;cursor:pointer}
`;

// Runs in the browser: send the textarea's JSON to /score_ticket and print the reply.
const TRY_SCRIPT = `
document.getElementById('try-send').addEventListener('click', async function () {
  var out = document.getElementById('try-out');
  var headers = { 'content-type': 'application/json' };
  var key = document.getElementById('try-key').value;
  if (key) headers['x-api-key'] = key;
  out.textContent = 'Sending…';
  try {
    var started = performance.now();
    var res = await fetch('score_ticket', { method: 'POST', headers: headers, body: document.getElementById('try-body').value });
    var text = await res.text();
    var shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
    out.textContent = 'HTTP ' + res.status + ' in ' + Math.round(performance.now() - started) + ' ms\\n\\n' + shown;
  } catch (error) {
    out.textContent = 'Request failed: ' + error;
  }
});
`;

/** The whole /docs page for an OpenAPI document whose schemas live in components.schemas. */
export function renderDocsPage(document: JsonObject, options: { exampleBody: unknown; apiKeyRequired: boolean }): string {
  const info = asObject(document.info);
  const paths = asObject(document.paths);
  const operations: string[] = [];
  for (const [path, rawItem] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(asObject(rawItem))) operations.push(renderOperation(document, path, method, asObject(operation)));
  }
  const schemas = Object.entries(asObject(asObject(document.components).schemas)).map(([id, schema]) =>
    renderSchemaTable(document, id, resolveRef(document, asObject(schema))),
  );
  const description = String(info.description ?? '')
    .split('\n\n')
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`)
    .join('');
  const keyField = options.apiKeyRequired
    ? '<p><label>X-API-Key <input id="try-key" type="password" autocomplete="off"></label></p>'
    : '<input id="try-key" type="hidden" value="">';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(String(info.title ?? 'API'))}</title><style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(String(info.title ?? 'API'))} <small class="note">v${escapeHtml(String(info.version ?? ''))}</small></h1>
${description}
<p class="note">Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI ${escapeHtml(String(document.openapi ?? ''))}).</p>
<section class="try"><h2>Try it: <code>POST /score_ticket</code></h2>
${keyField}
<textarea id="try-body" spellcheck="false">${escapeHtml(JSON.stringify(options.exampleBody, null, 2))}</textarea>
<p><button id="try-send" type="button">Send</button></p>
<pre id="try-out">The reply appears here.</pre></section>
${operations.join('\n')}
<h2>Schemas</h2>
${schemas.join('\n')}
</main><script>${TRY_SCRIPT}</script></body></html>`;
}
