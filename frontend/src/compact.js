// Reading the v2 wire's compact objects and events (rolloutviz/compact.py writes them; see
// docs/contracts.md §2): each change is a list of ops against what this page already holds,
// or against an earlier entry of the same message. Nothing held is ever changed in place:
// a change copies what it touches, so objects can share their unchanged parts.

const OPS = { A: "ADDED", M: "MODIFIED", D: "DELETED" };

/** A copy of `parent[key]` the caller may change (copied once per applyOps call). */
function writable(parent, key, owned) {
  let child = parent[key];
  if (!owned.has(child)) {
    child = Array.isArray(child) ? child.slice() : { ...child };
    parent[key] = child;
    owned.add(child);
  }
  return child;
}

/** `obj` (or an empty object) with `ops` applied: [path, value] sets, [path] removes. */
export function applyOps(obj, ops) {
  const root = { value: obj ?? {} };
  const owned = new Set();
  for (const op of ops) {
    const path = op[0];
    let node = root;
    let key = "value";
    for (const next of path) {
      if (!Array.isArray(node) && !Object.prototype.hasOwnProperty.call(node, key)) {
        node[key] = {};
        owned.add(node[key]);
      }
      node = writable(node, key, owned);
      key = next;
    }
    if (op.length === 2) node[key] = op[1];
    else delete node[key];
  }
  return root.value;
}

/** The ops of the next entry: a `like` form [back, i, v, ...] is the ops of the entry `back`
 *  places before it with op i's value replaced by v, and so on. */
function unpacked(sent, resolved) {
  if (!sent.length || typeof sent[0] !== "number") return sent;
  const ops = resolved[resolved.length - sent[0]].slice();
  for (let i = 1; i < sent.length; i += 2) ops[sent[i]] = [ops[sent[i]][0], sent[i + 1]];
  return ops;
}

/** The index of the base of an added object's or an event's entry (its ops at `at`), or null. */
function baseOf(entry, at, index) {
  if (entry.length > at + 1) return index - entry[at + 1];
  const ops = entry[at];
  return ops.length && typeof ops[0] === "number" ? index - ops[0] : null;
}

/** The involvedObject an event recorder writes for `obj`. */
function reference(obj) {
  const meta = obj.metadata;
  const ref = { apiVersion: obj.apiVersion, kind: obj.kind, name: meta.name, uid: meta.uid };
  if ("namespace" in meta) ref.namespace = meta.namespace;
  return ref;
}

/** A canonical UUID from its 16 bytes in URL-safe base64 without padding (`uid64`). */
function longUid(short) {
  const bytes = atob(short.replace(/-/g, "+").replace(/_/g, "/") + "==");
  let hex = "";
  for (let i = 0; i < bytes.length; i++) hex += bytes.charCodeAt(i).toString(16).padStart(2, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An event from its normal form, `target` the object its reference names (undefined: none):
 *  its object named by reference, its name by suffix, its UID in base64. */
function fullEvent(normal, target) {
  let involved = normal.involvedObject;
  if (!involved || typeof involved !== "object") return normal;
  const event = { ...normal };
  if ("ref" in involved && !("kind" in involved)) {
    const full = reference(target);
    if ("fieldPath" in involved) full.fieldPath = involved.fieldPath;
    involved = event.involvedObject = full;
  }
  const meta = normal.metadata;
  if (meta && ("nameSuffix" in meta || "uid64" in meta)) {
    event.metadata = {};
    for (const [k, v] of Object.entries(meta)) {
      // (beside the key it stands for, a normal form's key is the event's own: see compact.py)
      if (k === "nameSuffix" && !("name" in meta)) event.metadata.name = `${involved.name}.${v}`;
      else if (k === "uid64" && !("uid" in meta)) event.metadata.uid = longUid(v);
      else event.metadata[k] = v;
    }
  }
  return event;
}

/**
 * One write of an event as the wire sent it: its normal form and the object it names, read at
 * once, the core/v1 Event rebuilt only when first asked for (`event()`). Rebuilding is most of
 * the cost of a big tick (thousands of kubelet events), and a page shows a few of them.
 */
export class SentEvent {
  constructor(normal, target) {
    this.normal = normal; // the wire's normal form: the event's own fields except those below
    this.target = target; // the object its `involvedObject.ref` names (objects are never changed in place)
    this.decoded = null;
  }

  /** The Event, rebuilt once. */
  event() {
    return (this.decoded ??= fullEvent(this.normal, this.target));
  }

  /** Its involvedObject's kind and name, without rebuilding it. */
  involved() {
    if (this.target !== undefined) return { kind: this.target.kind, name: this.target.metadata.name };
    const involved = this.normal.involvedObject;
    return involved && typeof involved === "object" ? involved : {};
  }

  /** Its metadata.name, without rebuilding it. */
  name() {
    const meta = this.normal.metadata;
    if (!meta || typeof meta !== "object") return undefined;
    if ("nameSuffix" in meta && !("name" in meta)) return `${this.involved().name}.${meta.nameSuffix}`;
    return meta.name;
  }
}

const ENTRIES_PER_STEP = 100; // entries read between two looks at the clock (readSteps)

/**
 * Read a message's `objects`, `events` and `expired` (a delta's, or a snapshot's state) against
 * what `held` holds: held.get(kind, name) -> object, held.put(kind, name, object|null),
 * held.writeEvent(sentEvent: a SentEvent), held.forgetEvent(name). Returns the object change records, in order.
 */
export function readChanges(part, held) {
  const steps = readSteps(part, held);
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

/** `readChanges` as a generator that pauses every few entries (its return value: the records),
 *  so that the caller can spread a big message over several tasks. */
export function* readSteps(part, held) {
  const records = [];
  const results = [];
  let resolved = [];
  for (const entry of part.objects || []) {
    const [op, kind, name, sent] = entry;
    const ops = unpacked(sent, resolved);
    resolved.push(ops);
    let obj;
    if (op === "A") {
      const base = baseOf(entry, 3, results.length);
      obj = applyOps(base === null ? null : results[base], ops);
    } else obj = applyOps(held.get(kind, name), ops);
    if (obj.metadata?.name !== name) obj = { ...obj, metadata: { ...(obj.metadata || {}), name } };
    results.push(obj);
    held.put(kind, name, op === "D" ? null : obj);
    records.push({ type: OPS[op], kind, name, object: obj });
    if (results.length % ENTRIES_PER_STEP === 0) yield;
  }
  // (the object as it stands now: a later message may change or delete it)
  const resolve = (ref) => (typeof ref === "number" ? results[ref] : held.get(ref[0], ref[1]));
  resolved = [];
  const normals = [];
  for (const entry of part.events || []) {
    const ops = unpacked(entry[0], resolved);
    resolved.push(ops);
    const base = baseOf(entry, 0, normals.length);
    const normal = applyOps(base === null ? null : normals[base], ops);
    normals.push(normal);
    const involved = normal.involvedObject;
    const named = involved && typeof involved === "object" && "ref" in involved && !("kind" in involved);
    held.writeEvent(new SentEvent(normal, named ? resolve(involved.ref) : undefined));
    if (normals.length % ENTRIES_PER_STEP === 0) yield;
  }
  for (const name of part.expired || []) held.forgetEvent(name);
  return records;
}
