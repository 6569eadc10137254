// HTTP JSON calls to /api/, with Django's CSRF token on every state-changing request.

/** Read a cookie by name (Django puts the CSRF token in `csrftoken`). */
function cookie(name) {
  const match = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return match ? decodeURIComponent(match.slice(name.length + 1)) : "";
}

/** An HTTP answer that was not 2xx: keeps the status and the API's `errors` list. */
export class ApiError extends Error {
  constructor(status, body) {
    const errors = normaliseErrors(body);
    super(errors.map((e) => e.message).join("\n") || `HTTP ${status}`);
    this.status = status;
    this.errors = errors;
  }
}

/** The API answers `{"errors":[{field,message,line}]}`; some errors carry only `message`. */
function normaliseErrors(body) {
  if (body && Array.isArray(body.errors)) {
    return body.errors.map((e) => (typeof e === "string" ? { field: "", message: e, line: null } : e));
  }
  if (body && body.message) return [{ field: "", message: body.message, line: null }];
  if (body && body.detail) return [{ field: "", message: body.detail, line: null }];
  return [];
}

/** Call the API and return the parsed JSON body; throws ApiError on a non-2xx answer. */
export async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (method !== "GET" && method !== "HEAD") init.headers["X-CSRFToken"] = cookie("csrftoken");
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch("/api/" + path, init);
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { message: `HTTP ${response.status} ${response.statusText}`.trim() };
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

/** Shortcuts for one simulation's endpoints; `at()` is the past seq the page shows (rewind.js) or
 *  null, and the kubectl texts and explanations are asked for at it. */
export function simApi(simId, { at = () => null, held = () => null } = {}) {
  const base = `simulations/${simId}/`;
  const moment = (sep) => (at() === null ? "" : `${sep}seq=${at()}`);
  // what acts on the live simulation is refused while `held()` gives a reason (a rewound page)
  const act = (path, body) => (held() ? Promise.reject(new Error(held())) : api("POST", base + path, body));
  return {
    apply: (yaml) => act("apply", { yaml }),
    diff: (yaml) => api("POST", base + "diff", { yaml }),
    whatif: (yaml, run) => api("POST", base + "whatif", { yaml, run }),
    command: (name, body = {}) => act("commands/" + name, body),
    refusal: async (name, body = {}) => (await api("POST", `${base}commands/${name}/check`, body)).refusal,
    lesson: (step) => (step === undefined ? api("GET", base + "lesson") : act("lesson", { step })),
    history: (deployment, revision) =>
      api("GET", `${base}history/${encodeURIComponent(deployment)}/` + (revision ? `?revision=${revision}` : "")),
    kubectl: (args) => api("GET", base + "kubectl?args=" + encodeURIComponent(args).replace(/%20/g, "+") + moment("&")),
    explanations: () => api("GET", base + "explanations" + moment("?")),
  };
}
