// The browser's copy of one simulation: objects, events, per-deployment facts and the recorded
// timeline. Loaded from a snapshot `state`, then advanced by deltas (docs/contracts.md §2).
import {
  fenceposts, ownerName, podTimelineState, readySince, restartCount,
  revisionOf, simSeconds, templateImages,
} from "./pod_state.js";

const MAX_EVENTS = 5000;
const KIND_KEYS = { Deployment: "deployments", ReplicaSet: "replicasets", Pod: "pods", Node: "nodes" };

/** Append [t, ...values] to a series unless the values did not change; same t replaces. */
function pushSeries(series, t, values) {
  const last = series[series.length - 1];
  if (last && values.every((v, i) => v === last[i + 1])) return false;
  if (last && last[0] === t) series[series.length - 1] = [t, ...values];
  else series.push([t, ...values]);
  return true;
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
    this.events = new Map(); // event name -> core/v1 Event, insertion order = arrival order
    this.meta = {}; // deployment name -> {manifest, rollout_status, history, describe}
    this.timeline = { pods: new Map(), replicasets: new Map(), deployments: new Map(), markers: [] };
    this.awaitingAvailable = new Map(); // pod -> sim time at which it becomes Available
    this.structureVersion = 0; // bumps when lanes appear or disappear (timeline relayout)
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
    for (const event of state.events || []) this.addEvent(event, null);
    this.meta = structuredClone(state.deployments || {});
    this.loadTimeline(state.timeline || {});
    this.structureVersion++;
    this.notify(new Set(["snapshot", "objects", "events", "meta", "clock", "timeline", "structure"]));
  }

  loadTimeline(tl) {
    for (const [name, lane] of Object.entries(tl.pods || {})) {
      const pod = this.objects.pods.get(name);
      this.timeline.pods.set(name, {
        name, rs: lane.rs, node: lane.node, segments: lane.segments.slice(), marks: (lane.marks || []).slice(),
        deleted: lane.deleted ?? null, restarts: pod ? restartCount(pod) : 0,
      });
      if (pod) this.trackAvailability(pod);
    }
    for (const [name, rs] of Object.entries(tl.replicasets || {})) {
      this.timeline.replicasets.set(name, { name, ...rs, series: rs.series.slice() });
    }
    for (const [name, dep] of Object.entries(tl.deployments || {})) {
      this.timeline.deployments.set(name, { name, series: dep.series.slice() });
    }
    this.timeline.markers = (tl.markers || []).slice();
  }

  /** Apply one delta whose seq the connection has already checked. */
  applyDelta(msg) {
    const topics = new Set(["tick"]);
    this.seq = msg.seq;
    this.t = msg.t;
    for (const change of msg.changes || []) this.applyChange(change, msg.t, topics);
    for (const item of msg.events || []) {
      if (this.addEvent(item.object || item, msg.t)) topics.add("events");
    }
    for (const [name, facts] of Object.entries(msg.deployments || {})) {
      this.meta[name] = { ...(this.meta[name] || {}), ...facts };
      topics.add("meta");
    }
    if (msg.clock) {
      this.clock = { ...this.clock, ...msg.clock };
      topics.add("clock");
    }
    for (const marker of msg.markers || []) {
      this.timeline.markers.push(marker);
      topics.add("timeline");
    }
    if (this.promoteAvailable(msg.t)) topics.add("timeline");
    this.notify(topics);
  }

  applyChange(change, t, topics) {
    if (change.type === "EVENT") {
      if (this.addEvent(change.object, t)) topics.add("events");
      return;
    }
    const key = KIND_KEYS[change.kind];
    if (!key) return;
    const name = change.name || change.object?.metadata?.name;
    if (change.type === "DELETED") this.objects[key].delete(name);
    else this.objects[key].set(name, change.object);
    topics.add("objects");
    topics.add("timeline");
    if (change.kind === "Pod") this.recordPod(name, change.object, change.type === "DELETED", t);
    else if (change.kind === "ReplicaSet") this.recordReplicaSet(name, change.object, t);
    else if (change.kind === "Deployment" && change.type !== "DELETED") this.recordDeployment(name, change.object, t);
  }

  minReadySecondsOf(rsName) {
    return this.objects.replicasets.get(rsName)?.spec?.minReadySeconds || 0;
  }

  recordPod(name, pod, deleted, t) {
    let lane = this.timeline.pods.get(name);
    if (!lane) {
      lane = { name, rs: ownerName(pod), node: pod.spec?.nodeName || null, segments: [], marks: [], deleted: null, restarts: 0 };
      this.timeline.pods.set(name, lane);
      this.structureVersion++;
    }
    if (deleted) {
      lane.deleted = t;
      this.awaitingAvailable.delete(name);
      return;
    }
    lane.node = pod.spec?.nodeName || lane.node;
    const restarts = restartCount(pod);
    if (restarts > lane.restarts) lane.marks.push([t, "restart", `restart #${restarts}`]);
    lane.restarts = restarts;
    const state = podTimelineState(pod, t, this.minReadySecondsOf(lane.rs));
    const last = lane.segments[lane.segments.length - 1];
    if (!last || last[1] !== state) {
      if (last && last[0] === t) lane.segments[lane.segments.length - 1] = [t, state];
      else lane.segments.push([t, state]);
    }
    this.trackAvailability(pod);
  }

  /** Remember when a Ready pod will become Available (nothing on the pod changes then). */
  trackAvailability(pod) {
    const name = pod.metadata.name;
    const lane = this.timeline.pods.get(name);
    const readyAt = readySince(pod);
    const minReady = lane ? this.minReadySecondsOf(lane.rs) : 0;
    const current = lane?.segments[lane.segments.length - 1]?.[1];
    if (readyAt !== null && minReady > 0 && current === "Ready" && !pod.metadata.deletionTimestamp) {
      this.awaitingAvailable.set(name, readyAt + minReady);
    } else {
      this.awaitingAvailable.delete(name);
    }
  }

  promoteAvailable(now) {
    let changed = false;
    for (const [name, at] of this.awaitingAvailable) {
      if (!(at < now)) continue; // strictly before now, as the controllers count
      const lane = this.timeline.pods.get(name);
      this.awaitingAvailable.delete(name);
      if (!lane || lane.segments[lane.segments.length - 1]?.[1] !== "Ready") continue;
      lane.segments.push([at, "Available"]);
      changed = true;
    }
    return changed;
  }

  recordReplicaSet(name, rs, t) {
    let entry = this.timeline.replicasets.get(name);
    if (!entry) {
      entry = { name, revision: 0, images: [], hash: "", series: [] };
      this.timeline.replicasets.set(name, entry);
      this.structureVersion++;
    }
    const revision = revisionOf(rs);
    if (revision !== entry.revision) this.structureVersion++; // lanes are ordered by revision
    entry.revision = revision;
    entry.images = templateImages(rs);
    entry.hash = rs.metadata?.labels?.["pod-template-hash"] || entry.hash;
    entry.deployment = ownerName(rs);
    const s = rs.status || {};
    pushSeries(entry.series, t, [rs.spec?.replicas ?? 0, s.readyReplicas || 0, s.availableReplicas || 0]);
  }

  recordDeployment(name, dep, t) {
    let entry = this.timeline.deployments.get(name);
    if (!entry) {
      entry = { name, series: [] };
      this.timeline.deployments.set(name, entry);
    }
    const posts = fenceposts(dep) || [null, null];
    pushSeries(entry.series, t, [dep.spec?.replicas ?? 1, ...posts]);
  }

  /**
   * Store an Event (a repeat of a known one replaces it). Probe failures become lane marks.
   * Returns true when something new arrived.
   */
  addEvent(event, t) {
    if (!event) return false;
    const key = event.metadata?.name || `${event.reason}/${event.involvedObject?.name}/${event.lastTimestamp}`;
    const previous = this.events.get(key);
    if (previous && previous.count === event.count && previous.lastTimestamp === event.lastTimestamp) return false;
    this.events.delete(key);
    this.events.set(key, event);
    if (this.events.size > MAX_EVENTS) this.events.delete(this.events.keys().next().value);
    if (t !== null && event.reason === "Unhealthy" && event.involvedObject?.kind === "Pod") {
      const lane = this.timeline.pods.get(event.involvedObject.name);
      if (lane) lane.marks.push([simSeconds(event.lastTimestamp) ?? t, "unhealthy", event.message]);
    }
    return true;
  }

  /** Events about one object, oldest first. */
  eventsFor(kind, name) {
    return [...this.events.values()].filter((e) => e.involvedObject?.kind === kind && e.involvedObject?.name === name);
  }

  deploymentNames() {
    const names = new Set([...this.objects.deployments.keys(), ...Object.keys(this.meta)]);
    return [...names].sort();
  }

  /** The earliest recorded time (for "fit all"). */
  startTime() {
    let start = this.t;
    for (const lane of this.timeline.pods.values()) if (lane.segments.length) start = Math.min(start, lane.segments[0][0]);
    for (const rs of this.timeline.replicasets.values()) if (rs.series.length) start = Math.min(start, rs.series[0][0]);
    return start;
  }
}
