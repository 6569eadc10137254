// The browser's copy of one simulation: objects, events, per-deployment facts and the recorded
// timeline. Loaded from a snapshot `state`, then advanced by deltas (docs/contracts.md §2):
// objects and events come in the compact form `compact.js` reads (what changed, against what
// is held), and each delta's `timeline` rows carry the new segments, marks and series, so the
// browser never re-derives pod states itself.
import { readChanges, readSteps } from "./compact.js";
import { simSeconds } from "./pod_state.js";

const MAX_EVENTS = 20000; // per group (pod events / the others)
const KIND_KEYS = {
  Deployment: "deployments", ReplicaSet: "replicasets", Pod: "pods", Node: "nodes",
  Service: "services", EndpointSlice: "endpointslices", Endpoints: "endpoints",
};
// A pod's timeline states as the wire numbers them (rolloutviz/protocol.py STATES); others come as text.
const STATES = ["Pending", "ContainerCreating", "ErrImagePull", "ImagePullBackOff", "Running", "Ready", "Available",
  "Error", "Completed", "CrashLoopBackOff", "Terminating"];
const stateName = (code) => (typeof code === "number" ? STATES[code] : code);

function emptyTimeline() {
  return { pods: new Map(), replicasets: new Map(), deployments: new Map(), traffic: new Map(), markers: [] };
}

export class SimStore {
  constructor() {
    this.listeners = new Set();
    this.clear();
  }

  clear() {
    this.generation = (this.generation || 0) + 1; // cancels a delta being applied (deltaWork)
    this.sim = null;
    this.seq = -1;
    this.t = 0;
    this.clock = { running: false, speed: 1 };
    this.objects = Object.fromEntries(Object.values(KIND_KEYS).map((key) => [key, new Map()]));
    // Event name -> SentEvent (compact.js: the event as sent, rebuilt when read), in order of
    // their last writes. Pod events are kept apart so the cap drops them first and describe's
    // Deployment events never have to be searched for among them.
    this.podEvents = new Map();
    this.otherEvents = new Map();
    this.meta = {}; // deployment name -> {manifest, rollout_status, history, describe}
    this.timeline = emptyTimeline();
    this.structureVersion = 0; // bumps when lanes appear, move or are reordered (timeline relayout)
  }

  /** Call fn(topics: Set<string>) after every snapshot or delta. Returns an unsubscribe. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  notify(topics) {
    for (const fn of this.listeners) fn(topics);
  }

  /** Replace everything with a snapshot `state`. */
  loadSnapshot(state) {
    this.clear();
    this.sim = state.sim;
    this.seq = state.seq;
    this.t = state.t;
    this.clock = { ...this.clock, ...(state.clock || {}) };
    readChanges(state, this.held(new Set()));
    this.meta = structuredClone(state.deployments || {});
    const timeline = state.timeline || {};
    for (const [name, rs, node, deleted, flat, marks] of timeline.pods || []) {
      const segments = [];
      for (let i = 0; i < flat.length; i += 2) segments.push([flat[i], stateName(flat[i + 1])]);
      this.timeline.pods.set(name, { name, rs, node, segments, marks: marks.slice(), deleted });
    }
    this.mergeSeries(timeline);
    this.timeline.markers = (timeline.markers || []).slice();
    this.structureVersion++;
    this.notify(new Set(["snapshot", "objects", "events", "meta", "clock", "timeline", "structure"]));
  }

  /** Apply one delta whose seq the connection has already checked. */
  applyDelta(msg) {
    const work = this.deltaWork(msg);
    while (!work.next().done);
  }

  /**
   * Apply one delta as a generator that pauses between slices of its objects and events (see
   * `applyDelta`; its return value: whether it was applied). They are read into a staging area
   * and written into the store at the end, all at once, so that what runs between two steps (a
   * frame drawn) sees the whole previous seq. A `clear()` meanwhile (a snapshot, a rewind) cancels it.
   */
  *deltaWork(msg) {
    const generation = this.generation;
    const reset = msg.cause === "reset"; // the cluster was replaced: the delta holds all of the new one
    const staged = [];
    const records = yield* readSteps(msg, this.staging(reset, staged));
    if (this.generation !== generation) return false;
    const topics = new Set(["tick"]);
    this.seq = msg.seq;
    this.t = msg.t;
    if (reset) {
      for (const map of Object.values(this.objects)) map.clear();
      this.podEvents.clear();
      this.otherEvents.clear();
      this.timeline = emptyTimeline();
      this.structureVersion++;
    }
    const held = this.held(topics);
    for (const [method, ...args] of staged) held[method](...args);
    if (records.length) topics.add("objects");
    for (const [name, facts] of Object.entries(msg.deployments || {})) {
      this.meta[name] = { ...(this.meta[name] || {}), ...facts };
      topics.add("meta");
    }
    if (msg.clock) {
      this.clock = { ...this.clock, ...msg.clock };
      topics.add("clock");
    }
    if (msg.timeline) {
      this.mergePatch(msg.timeline, msg.t, msg.objects || []);
      topics.add("timeline");
    }
    if (msg.markers?.length) {
      this.timeline.markers.push(...msg.markers);
      topics.add("timeline");
    }
    this.notify(topics);
    return true;
  }

  /** A `held` for `readSteps` that writes nothing yet: the writes go to `staged`, in order, and
   *  what is read is the store (nothing after a reset) with those writes on top. */
  staging(reset, staged) {
    const written = new Map(); // kind -> name -> object, null when deleted
    return {
      get: (kind, name) => {
        const mine = written.get(kind);
        if (mine?.has(name)) return mine.get(name) ?? undefined;
        return reset ? undefined : this.objects[KIND_KEYS[kind]]?.get(name);
      },
      put: (kind, name, obj) => {
        if (!(kind in KIND_KEYS)) return;
        if (!written.has(kind)) written.set(kind, new Map());
        written.get(kind).set(name, obj);
        staged.push(["put", kind, name, obj]);
      },
      writeEvent: (sent) => staged.push(["writeEvent", sent]),
      forgetEvent: (name) => staged.push(["forgetEvent", name]),
    };
  }

  /** What `readChanges` needs of this store; a new event adds "events" to `topics`. */
  held(topics) {
    return {
      get: (kind, name) => this.objects[KIND_KEYS[kind]]?.get(name),
      put: (kind, name, obj) => {
        const map = this.objects[KIND_KEYS[kind]];
        if (!map) return;
        if (obj) map.set(name, obj);
        else map.delete(name);
      },
      writeEvent: (event) => {
        if (this.addEvent(event)) topics.add("events");
      },
      forgetEvent: (name) => {
        if (this.podEvents.delete(name) || this.otherEvents.delete(name)) topics.add("events");
      },
    };
  }

  /** A delta's timeline rows [pod, states, facts?] (pod: the index of its record in `objects`, or
   *  its name), at the delta's time `t`, and its ReplicaSet and Deployment series. */
  mergePatch(patch, t, objects) {
    const tl = this.timeline;
    for (const [ref, states, facts = {}] of patch.pods || []) {
      const name = typeof ref === "number" ? objects[ref][2] : ref;
      let entry = tl.pods.get(name);
      if (!entry) {
        entry = { name, rs: null, node: null, segments: [], marks: [], deleted: null };
        tl.pods.set(name, entry);
        this.structureVersion++;
      }
      if ("rs" in facts && facts.rs !== entry.rs) this.structureVersion++;
      for (const key of ["rs", "node", "deleted"]) if (key in facts) entry[key] = facts[key];
      for (const code of Array.isArray(states) ? states : states === null ? [] : [states]) entry.segments.push([t, stateName(code)]);
      for (const mark of facts.marks || []) entry.marks.push([t, ...mark]);
    }
    this.mergeSeries(patch);
  }

  /** Add a timeline's (snapshot) or a patch's ReplicaSet, Deployment and traffic entries and series points. */
  mergeSeries(patch) {
    const tl = this.timeline;
    for (const [name, rs] of Object.entries(patch.replicasets || {})) {
      let entry = tl.replicasets.get(name);
      if (!entry) {
        entry = { name, series: [] };
        tl.replicasets.set(name, entry);
        this.structureVersion++;
      } else if (entry.revision !== rs.revision) this.structureVersion++; // lanes sort by revision
      const { series, ...facts } = rs;
      Object.assign(entry, facts);
      for (const point of series || []) entry.series.push(point);
    }
    for (const [name, dep] of Object.entries(patch.deployments || {})) {
      let entry = tl.deployments.get(name);
      if (!entry) tl.deployments.set(name, (entry = { name, series: [] }));
      for (const point of dep.series || []) entry.series.push(point);
    }
    for (const [name, traffic] of Object.entries(patch.traffic || {})) {
      let entry = tl.traffic.get(name);
      if (!entry) tl.traffic.set(name, (entry = { name, series: [] }));
      for (const point of traffic.series || []) entry.series.push(point);
    }
  }

  /** Store a write of an event (a SentEvent; a repeat of a known one replaces it); true when
   *  something new arrived. Its own fields are read as sent: nothing is rebuilt here. */
  addEvent(sent) {
    const fields = sent.normal;
    const involved = sent.involved();
    const events = involved.kind === "Pod" ? this.podEvents : this.otherEvents;
    const key = sent.name() || `${fields.reason}/${involved.name}/${fields.lastTimestamp}`;
    const previous = events.get(key)?.normal;
    if (previous && previous.count === fields.count && previous.lastTimestamp === fields.lastTimestamp) return false;
    events.delete(key);
    events.set(key, sent);
    if (events.size > MAX_EVENTS) events.delete(events.keys().next().value);
    return true;
  }

  /** Every stored event (Deployment and ReplicaSet ones first, then pods'). */
  allEvents() {
    return [...this.otherEvents.values(), ...this.podEvents.values()].map((sent) => sent.event());
  }

  /** The stored events about one object (kind null: all), unbuilt, in allEvents' order. */
  sentEvents(kind = null, name = null) {
    if (kind === null) return [...this.otherEvents.values(), ...this.podEvents.values()];
    const found = [];
    for (const sent of (kind === "Pod" ? this.podEvents : this.otherEvents).values()) {
      const involved = sent.involved();
      if (involved.kind === kind && involved.name === name) found.push(sent);
    }
    return found;
  }

  /** Events about one object, oldest first. */
  eventsFor(kind, name) {
    return this.sentEvents(kind, name).map((sent) => sent.event());
  }

  /** The last `limit` events about one object (kind null: all) by lastTimestamp, oldest first
   *  (equal times in allEvents' order): only those are rebuilt. */
  latestEvents(limit, kind = null, name = null) {
    const keyed = this.sentEvents(kind, name).map((sent, i) => [simSeconds(sent.normal.lastTimestamp) ?? 0, i, sent]);
    keyed.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return keyed.slice(-limit).map((entry) => entry[2].event());
  }

  deploymentNames() {
    const names = new Set([...this.objects.deployments.keys(), ...Object.keys(this.meta)]);
    return [...names].sort();
  }

  /** The pod's current timeline state (its last segment), or null. */
  podState(name) {
    const lane = this.timeline.pods.get(name);
    return lane?.segments[lane.segments.length - 1]?.[1] ?? null;
  }

  /** The earliest recorded time (for "fit all"). */
  startTime() {
    let start = this.t;
    for (const lane of this.timeline.pods.values()) if (lane.segments.length) start = Math.min(start, lane.segments[0][0]);
    for (const rs of this.timeline.replicasets.values()) if (rs.series.length) start = Math.min(start, rs.series[0][0]);
    for (const marker of this.timeline.markers) start = Math.min(start, marker.t);
    return start;
  }
}
