// Small facts about Kubernetes objects that the page shows: times, restarts, container states,
// revisions, images and applied manifests.
import { toYaml } from "./yaml_text.js";

const EPOCH_MS = Date.parse("2026-01-01T00:00:00Z");

/** Simulated seconds since the sim epoch for an RFC 3339 timestamp (null when absent). */
export function simSeconds(rfc3339) {
  if (!rfc3339) return null;
  const ms = Date.parse(rfc3339);
  return Number.isNaN(ms) ? null : (ms - EPOCH_MS) / 1000;
}

/** Sum of container restart counts (kubectl's RESTARTS column). */
export function restartCount(pod) {
  return (pod.status?.containerStatuses || []).reduce((n, cs) => n + (cs.restartCount || 0), 0);
}

/** Each container's current state, e.g. "web: waiting (CrashLoopBackOff)" or "web: running, ready". */
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

/** The revision number annotation of a ReplicaSet or Deployment (0 when absent). */
export function revisionOf(obj) {
  return parseInt(obj.metadata?.annotations?.["deployment.kubernetes.io/revision"] || "0", 10) || 0;
}

/** Images of a pod template's containers, in spec order. */
export function templateImages(obj) {
  return (obj.spec?.template?.spec?.containers || []).map((c) => c.image);
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const appliedTexts = new Map(); // annotation JSON -> its YAML text (objects change every tick, it rarely)

/** An object's manifest as last applied, as `kubectl apply view-last-applied` shows it (null: none). */
export function lastAppliedText(obj) {
  const json = obj.metadata?.annotations?.[LAST_APPLIED];
  if (!json) return null;
  if (!appliedTexts.has(json)) {
    if (appliedTexts.size >= 64) appliedTexts.clear();
    let text = null;
    try {
      text = toYaml(JSON.parse(json));
    } catch {
      text = null; // not JSON: nothing to show
    }
    appliedTexts.set(json, text);
  }
  return appliedTexts.get(json);
}
