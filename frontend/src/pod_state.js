// Kubernetes-derived facts about objects, computed in the browser for incremental updates:
// a pod's timeline state (mirrors simulator.kubectl.pod_timeline_state), rollout fenceposts.

const EPOCH_MS = Date.parse("2026-01-01T00:00:00Z");

/** Simulated seconds since the sim epoch for an RFC 3339 timestamp (null when absent). */
export function simSeconds(rfc3339) {
  if (!rfc3339) return null;
  const ms = Date.parse(rfc3339);
  return Number.isNaN(ms) ? null : (ms - EPOCH_MS) / 1000;
}

function condition(obj, type) {
  return (obj.status?.conditions || []).find((c) => c.type === type) || null;
}

/** The time the pod's Ready condition last turned True, or null when it is not Ready. */
export function readySince(pod) {
  const ready = condition(pod, "Ready");
  if (!ready || ready.status !== "True") return null;
  return simSeconds(ready.lastTransitionTime) ?? 0;
}

/** The first container (in spec order) whose state is waiting or terminated with a reason. */
function containerReason(pod) {
  for (const cs of pod.status?.containerStatuses || []) {
    const waiting = cs.state?.waiting;
    if (waiting && waiting.reason) return waiting.reason;
    const terminated = cs.state?.terminated;
    if (terminated) return terminated.reason || (terminated.exitCode === 0 ? "Completed" : "Error");
  }
  return null;
}

/**
 * One of the contract's timeline states: Pending, ContainerCreating, ErrImagePull,
 * ImagePullBackOff, Running (not ready), Ready, Available, Error, Completed,
 * CrashLoopBackOff, Terminating.
 */
export function podTimelineState(pod, now, minReadySeconds = 0) {
  if (pod.metadata?.deletionTimestamp) return "Terminating";
  const phase = pod.status?.phase || "Pending";
  if (phase === "Succeeded") return "Completed";
  if (phase === "Failed") return "Error";
  const reason = containerReason(pod);
  if (reason === "CrashLoopBackOff" || reason === "ErrImagePull" || reason === "ImagePullBackOff") return reason;
  if (reason === "Error" || reason === "OOMKilled" || reason === "ContainerCannotRun") return "Error";
  if (reason === "Completed") return "Completed";
  if (phase === "Pending") {
    return pod.spec?.nodeName ? "ContainerCreating" : "Pending";
  }
  const since = readySince(pod);
  if (since === null) return "Running";
  return isAvailable(since, now, minReadySeconds) ? "Available" : "Ready";
}

/** Ready for minReadySeconds, counted the way the controllers do (strictly before now). */
export function isAvailable(readyAt, now, minReadySeconds) {
  if (!minReadySeconds) return true;
  return readyAt + minReadySeconds < now;
}

/** Sum of container restart counts (kubectl's RESTARTS column). */
export function restartCount(pod) {
  return (pod.status?.containerStatuses || []).reduce((n, cs) => n + (cs.restartCount || 0), 0);
}

/** A short human description of the first container's current state. */
export function containerStateText(pod) {
  const statuses = pod.status?.containerStatuses || [];
  if (!statuses.length) return pod.spec?.nodeName ? "ContainerCreating" : "not scheduled";
  return statuses
    .map((cs) => {
      const [kind, detail] = Object.entries(cs.state || {})[0] || ["unknown", {}];
      const why = detail?.reason ? ` (${detail.reason})` : "";
      return `${cs.name}: ${kind}${why}${cs.ready ? ", ready" : ""}`;
    })
    .join("; ");
}

/** Resolve an int-or-percent against replicas; percentages round up for surge, down otherwise. */
export function intOrPercent(value, total, roundUp) {
  if (value === undefined || value === null) return 0;
  if (typeof value === "number") return value;
  const text = String(value);
  if (text.endsWith("%")) {
    const raw = (parseInt(text, 10) * total) / 100;
    return roundUp ? Math.ceil(raw) : Math.floor(raw);
  }
  return parseInt(text, 10) || 0;
}

/**
 * [maxSurge, maxUnavailable] as the Deployment controller resolves them (both 0 → unavailable 1).
 * Recreate has no fenceposts: null.
 */
export function fenceposts(deployment) {
  const spec = deployment.spec || {};
  if (spec.strategy?.type === "Recreate") return null;
  const replicas = spec.replicas ?? 1;
  const ru = spec.strategy?.rollingUpdate || {};
  const surge = intOrPercent(ru.maxSurge ?? "25%", replicas, true);
  let unavailable = intOrPercent(ru.maxUnavailable ?? "25%", replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

/** The revision number annotation of a ReplicaSet or Deployment (0 when absent). */
export function revisionOf(obj) {
  return parseInt(obj.metadata?.annotations?.["deployment.kubernetes.io/revision"] || "0", 10) || 0;
}

/** Images of a pod template's containers, in spec order. */
export function templateImages(obj) {
  return (obj.spec?.template?.spec?.containers || []).map((c) => c.image);
}

/** The name of the controller owning an object (ReplicaSet of a pod, Deployment of a ReplicaSet). */
export function ownerName(obj) {
  const refs = obj.metadata?.ownerReferences || [];
  const ref = refs.find((r) => r.controller) || refs[0];
  return ref ? ref.name : null;
}
