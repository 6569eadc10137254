// The browser's copy of one simulation: objects, events, per-deployment facts and the recorded
// timeline. Loaded from a snapshot `state`, then advanced by deltas (docs/contracts.md §2);
// each delta's `timeline` patch carries the new segments, marks and series, so the browser
// never re-derives pod states itself.

const MAX_EVENTS = 20000; // per group (pod events / the others)
const KIND_KEYS = { Deployment: "deployments", ReplicaSet: "replicasets", Pod: "pods", Node: "nodes" };

function emptyTimeline() {
  return { pods: new Map(), replicasets: new Map(), deployments: new Map(), markers: [] };
}

export class SimStore {
  constructor() {
    this.listeners = new Set();
    this.clear();
  }

  clear() {
    this.sim = null;
    this.seq = -1;
    this.t = 0;
    this.clock = { running: false, speed: 1 };
    this.objects = { deployments: new Map(), replicasets: new Map(), pods: new Map(), nodes: new Map() };
    // Event name -> core/v1 Event, in arrival order. Pod events are kept apart so the cap drops
    // them first and describe's Deployment events never have to be searched for among them.
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
    for (const [key, map] of Object.entries(this.objects)) {
      for (const obj of state.objects?.[key] || []) map.set(obj.metadata.name, obj);
    }
    for (const event of state.events || []) this.addEvent(event);
    this.meta = structuredClone(state.deployments || {});
    this.mergeTimeline(state.timeline || {});
    this.timeline.markers = (state.timeline?.markers || []).slice();
    this.structureVersion++;
    this.notify(new Set(["snapshot", "objects", "events", "meta", "clock", "timeline", "structure"]));
  }

  /** Apply one delta whose seq the connection has already checked. */
  applyDelta(msg) {
    const topics = new Set(["tick"]);
    this.seq = msg.seq;
    this.t = msg.t;
    if (msg.cause === "reset") {
      this.timeline = emptyTimeline();
      this.structureVersion++;
    }
    for (const change of msg.changes || []) {
      const key = KIND_KEYS[change.kind];
      if (!key) continue;
      const name = change.name || change.object?.metadata?.name;
      if (change.type === "DELETED") this.objects[key].delete(name);
      else this.objects[key].set(name, change.object);
      topics.add("objects");
    }
    for (const event of msg.events || []) if (this.addEvent(event)) topics.add("events");
    for (const [name, facts] of Object.entries(msg.deployments || {})) {
      this.meta[name] = { ...(this.meta[name] || {}), ...facts };
      topics.add("meta");
    }
    if (msg.clock) {
      this.clock = { ...this.clock, ...msg.clock };
      topics.add("clock");
    }
    if (msg.timeline) {
      this.mergeTimeline(msg.timeline);
      topics.add("timeline");
    }
    if (msg.markers?.length) {
      this.timeline.markers.push(...msg.markers);
      topics.add("timeline");
    }
    this.notify(topics);
  }

  /** Add a timeline (snapshot) or a delta's patch: new lanes, segments, marks and series points. */
  mergeTimeline(patch) {
    const tl = this.timeline;
    for (const [name, lane] of Object.entries(patch.pods || {})) {
      let entry = tl.pods.get(name);
      if (!entry) {
        entry = { name, rs: lane.rs, node: lane.node, segments: [], marks: [], deleted: null };
        tl.pods.set(name, entry);
        this.structureVersion++;
      } else if (entry.rs !== lane.rs) this.structureVersion++;
      entry.rs = lane.rs;
      entry.node = lane.node ?? entry.node;
      entry.deleted = lane.deleted ?? null;
      for (const segment of lane.segments || []) entry.segments.push(segment);
      for (const mark of lane.marks || []) entry.marks.push(mark);
    }
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
  }

  /** Store an Event (a repeat of a known one replaces it); true when something new arrived. */
  addEvent(event) {
    if (!event) return false;
    const events = event.involvedObject?.kind === "Pod" ? this.podEvents : this.otherEvents;
    const key = event.metadata?.name || `${event.reason}/${event.involvedObject?.name}/${event.lastTimestamp}`;
    const previous = events.get(key);
    if (previous && previous.count === event.count && previous.lastTimestamp === event.lastTimestamp) return false;
    events.delete(key);
    events.set(key, event);
    if (events.size > MAX_EVENTS) events.delete(events.keys().next().value);
    return true;
  }

  /** Every stored event (Deployment and ReplicaSet ones first, then pods'), for the events list. */
  allEvents() {
    return [...this.otherEvents.values(), ...this.podEvents.values()];
  }

  /** Events about one object, oldest first. */
  eventsFor(kind, name) {
    const events = kind === "Pod" ? this.podEvents : this.otherEvents;
    return [...events.values()].filter((e) => e.involvedObject?.kind === kind && e.involvedObject?.name === name);
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
