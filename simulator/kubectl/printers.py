"""kubectl's text views over `kubectl get -o yaml`-shaped objects.

`get_text` (kubectl get deploy/rs/pods/nodes/events/svc/endpointslices/endpoints),
`describe_deployment`, `describe_service`,
`rollout_history_text` and the pod STATUS column, written after kubectl's printers
(pkg/printers/internalversion printers.go, kubectl/pkg/describe describe.go,
polymorphichelpers/history.go) and laid out with a port of Go's text/tabwriter so the
columns line up exactly as kubectl's do.

`cluster` is duck-typed: only `cluster.list(kind)`, `cluster.get(kind, name)`,
`cluster.now` and `cluster.rollout_history(name)` are used. Ages are computed from the
objects' RFC 3339 timestamps against the simulated clock (`cluster.now` seconds after
`2026-01-01T00:00:00Z`). A missing object gives kubectl's NotFound text instead of a table.

Known simplifications: init containers and volumes other than emptyDir/configMap/secret
are not described; `get events` keeps the store's order (oldest first), like
`kubectl get events --sort-by=.lastTimestamp`.
"""
from __future__ import annotations

import datetime

from simulator.controllers.deployment.revisions import revision_number
from simulator.timers import EPOCH

CHANGE_CAUSE = "kubernetes.io/change-cause"
REVISION = "deployment.kubernetes.io/revision"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_ANNOTATION_LEN = 140

_KINDS = {
    "deployment": ("deployment", "deployments.apps"), "deployments": ("deployment", "deployments.apps"),
    "deploy": ("deployment", "deployments.apps"), "deployment.apps": ("deployment", "deployments.apps"),
    "replicaset": ("replicaset", "replicasets.apps"), "replicasets": ("replicaset", "replicasets.apps"),
    "rs": ("replicaset", "replicasets.apps"), "replicaset.apps": ("replicaset", "replicasets.apps"),
    "pod": ("pod", "pods"), "pods": ("pod", "pods"), "po": ("pod", "pods"),
    "node": ("node", "nodes"), "nodes": ("node", "nodes"), "no": ("node", "nodes"),
    "event": ("event", "events"), "events": ("event", "events"), "ev": ("event", "events"),
    "service": ("service", "services"), "services": ("service", "services"),
    "svc": ("service", "services"),
    "endpointslice": ("endpointslice", "endpointslices.discovery.k8s.io"),
    "endpointslices": ("endpointslice", "endpointslices.discovery.k8s.io"),
    "endpointslice.discovery.k8s.io": ("endpointslice", "endpointslices.discovery.k8s.io"),
    "endpoints": ("endpoints", "endpoints"), "ep": ("endpoints", "endpoints"),
}
# kinds printed from the server-side Table's cells (simulator/api/tables.py): how many of
# the leading columns kubectl shows without -o wide
_TABLE_KINDS = {"service": ("Service", 6), "endpointslice": ("EndpointSlice", 5),
                "endpoints": ("Endpoints", 3)}


# --- time ------------------------------------------------------------------------------

def parse_time(text: str | None) -> float | None:
    """Seconds on the simulated clock for an RFC 3339 timestamp (None stays None)."""
    if not text:
        return None
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment - EPOCH).total_seconds()


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration (kubectl's AGE column)."""
    secs = int(seconds)  # Go's int(d.Seconds()) truncates toward zero
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 60 * 2:
        return f"{secs}s"
    minutes = secs // 60
    if minutes < 10:
        s = secs % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = secs // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def short_human_duration(seconds: float) -> str:
    """apimachinery's duration.ShortHumanDuration."""
    secs = int(seconds)
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 60:
        return f"{secs}s"
    if secs // 60 < 60:
        return f"{secs // 60}m"
    hours = secs // 3600
    if hours < 24:
        return f"{hours}h"
    if hours < 24 * 365:
        return f"{hours // 24}d"
    return f"{int(seconds / 3600 / 24 / 365)}y"


def _since(timestamp: str | None, now: float) -> str:
    # kubectl's translateTimestampSince
    t = parse_time(timestamp)
    return "<unknown>" if t is None else human_duration(now - t)


def _rfc1123z(timestamp: str | None) -> str:
    t = parse_time(timestamp)
    if t is None:
        return "<unset>"
    return (EPOCH + datetime.timedelta(seconds=t)).strftime("%a, %d %b %Y %H:%M:%S +0000")


# --- Go text/tabwriter (flags 0, space padding) ------------------------------------------

def tabwrite(text: str, minwidth: int, padding: int) -> str:
    """Align tab-separated cells as Go's text/tabwriter does.

    A column block is a run of consecutive lines that have a tab-terminated cell in that
    column; its width is the widest cell plus `padding` (at least `minwidth`). Text after a
    line's last tab is not part of any column.
    """
    lines = [line.split("\t") for line in text.split("\n")]
    widths_of: list[list[int]] = [[] for _ in lines]

    def assign(line0: int, line1: int, widths: list[int]) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                widths_of[this] = widths
                this += 1
                continue
            start, width = this, minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            assign(start, this, widths + [width])

    assign(0, len(lines), [])
    return "\n".join(
        "".join(cell.ljust(widths_of[i][j]) if j < len(widths_of[i]) else cell for j, cell in enumerate(cells))
        for i, cells in enumerate(lines))


def _table(rows: list[list[str]]) -> str:
    # kubectl get's printer: tabwriter(minwidth 6, padding 3)
    return tabwrite("\n".join("\t".join(r) for r in rows) + "\n", 6, 3)


def _tabbed(chunks: list[str]) -> str:
    # kubectl describe's tabbedString: tabwriter(minwidth 0, padding 2); a chunk boundary is
    # a Flush, which ends every column block
    return "".join(tabwrite(chunk, 0, 2) for chunk in chunks)


# --- helpers -----------------------------------------------------------------------------

def _get(cluster, kind: str, name: str):
    try:
        return cluster.get(kind, name)
    except (KeyError, LookupError):
        return None


def _not_found(resource: str, name: str) -> str:
    return f'Error from server (NotFound): {resource} "{name}" not found\n'


def _by_name(objs: list[dict]) -> list[dict]:
    return sorted(objs, key=lambda o: o["metadata"]["name"])


def _owned_by(obj: dict, owner: dict) -> bool:
    uid = owner["metadata"].get("uid")
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("kind") == owner.get("kind", ref.get("kind")) and ref.get("name") == owner["metadata"]["name"]:
            if uid is None or ref.get("uid") in (None, uid):
                return True
    return False


def _revision(obj: dict) -> int | None:
    return revision_number((obj["metadata"].get("annotations") or {}).get(REVISION))


def _int_or_string(value) -> str:
    return "" if value is None else str(value)


# --- pods ----------------------------------------------------------------------------------

def _pod_row_state(pod: dict) -> tuple[str, int, int, float | None]:
    """printPod's (STATUS, ready containers, restarts, last restart time)."""
    status = pod.get("status") or {}
    meta = pod["metadata"]
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    ready = restarts = 0
    last_restart = None
    has_running = False
    # walked last to first, so the first container in the list has the final word
    for cs in reversed(status.get("containerStatuses") or []):
        restarts += int(cs.get("restartCount") or 0)
        finished = parse_time(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
        if finished is not None and (last_restart is None or finished > last_restart):
            last_restart = finished
        state = cs.get("state") or {}
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting is not None and waiting.get("reason"):
            reason = waiting["reason"]
        elif terminated is not None and terminated.get("reason"):
            reason = terminated["reason"]
        elif terminated is not None:
            if terminated.get("signal"):
                reason = f"Signal:{terminated['signal']}"
            else:
                reason = f"ExitCode:{terminated.get('exitCode', 0)}"
        elif cs.get("ready") and state.get("running") is not None:
            has_running = True
            ready += 1
    if reason == "Completed" and has_running:
        ready_cond = any(c.get("type") == "Ready" and c.get("status") == "True"
                         for c in status.get("conditions") or [])
        reason = "Running" if ready_cond else "NotReady"
    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason, ready, restarts, last_restart


def pod_status(pod: dict) -> str:
    """kubectl get pods' STATUS column (printPod)."""
    return _pod_row_state(pod)[0]


def pod_ready(pod: dict) -> str:
    """kubectl get pods' READY column, e.g. '1/1'."""
    total = len((pod.get("spec") or {}).get("containers") or [])
    return f"{_pod_row_state(pod)[1]}/{total}"


def pod_restarts(pod: dict, now: float) -> str:
    """kubectl get pods' RESTARTS column: 'N' or 'N (Xs ago)'."""
    _, _, restarts, last = _pod_row_state(pod)
    if restarts and last is not None:
        return f"{restarts} ({human_duration(now - last)} ago)"
    return str(restarts)


def pod_row(pod: dict, now: float) -> list[str]:
    """One `kubectl get pods` row: NAME, READY, STATUS, RESTARTS, AGE."""
    return [pod["metadata"]["name"], pod_ready(pod), pod_status(pod), pod_restarts(pod, now),
            _since(pod["metadata"].get("creationTimestamp"), now)]


def pod_timeline_state(pod: dict, now: float, min_ready_seconds: int = 0) -> str:
    """The pod's state for the timeline (contracts.md: Pending ... Terminating).

    Terminating while deletion is pending; else the first container (spec order) that is
    waiting or terminated decides (ContainerCreating, ErrImagePull, ImagePullBackOff,
    CrashLoopBackOff, Error, Completed); else Ready/Available per the Ready condition
    and `min_ready_seconds`; else Running or Pending.
    """
    meta, status = pod["metadata"], pod.get("status") or {}
    if meta.get("deletionTimestamp"):
        return "Terminating"
    phase = status.get("phase") or "Pending"
    if phase == "Succeeded":
        return "Completed"
    if phase == "Failed":
        return "Error"
    statuses = {cs.get("name"): cs for cs in status.get("containerStatuses") or []}
    order = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []] or list(statuses)
    for name in order:
        state = (statuses.get(name) or {}).get("state") or {}
        if state.get("waiting") is not None:
            reason = state["waiting"].get("reason") or ""
            if reason in ("ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff"):
                return reason
            return "ContainerCreating"  # ContainerCreating, PodInitializing, config errors
        if state.get("terminated") is not None:
            return "Completed" if state["terminated"].get("reason") == "Completed" else "Error"
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    if ready is not None and ready.get("status") == "True":
        since = parse_time(ready.get("lastTransitionTime"))
        if min_ready_seconds == 0 or (since is not None and since + min_ready_seconds < now):
            return "Available"
        return "Ready"
    if phase == "Running" and statuses:
        return "Running"
    return "Pending"


# --- kubectl get ---------------------------------------------------------------------------

NODE_ROLE_PREFIX = "node-role.kubernetes.io/"


def node_status(node: dict) -> str:
    """The STATUS cell: Ready / NotReady (the last Ready condition counts) or Unknown, then
    SchedulingDisabled when cordoned."""
    ready = None
    for condition in (node.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            ready = condition.get("status")
    states = ["Unknown" if ready is None else "Ready" if ready == "True" else "NotReady"]
    if (node.get("spec") or {}).get("unschedulable"):
        states.append("SchedulingDisabled")
    return ",".join(states)


def node_roles(node: dict) -> str:
    """The ROLES cell: ``node-role.kubernetes.io/<role>`` keys and ``kubernetes.io/role``
    values, sorted, or ``<none>``."""
    roles = set()
    for key, value in (node["metadata"].get("labels") or {}).items():
        if key.startswith(NODE_ROLE_PREFIX) and key[len(NODE_ROLE_PREFIX):]:
            roles.add(key[len(NODE_ROLE_PREFIX):])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(roles)) or "<none>"


def event_row(ev: dict, now: float) -> list[str]:
    """One `kubectl get events` row: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE."""
    first = _since(ev.get("firstTimestamp") or ev.get("eventTime"), now)
    last = _since(ev["lastTimestamp"], now) if ev.get("lastTimestamp") else first
    involved = ev.get("involvedObject") or {}
    target = involved.get("kind", "").lower()
    if involved.get("name"):
        target = f"{target}/{involved['name']}"
    return [last, ev.get("type", ""), ev.get("reason", ""), target, (ev.get("message") or "").strip()]


def get_text(cluster, kind: str, name: str | None = None) -> str:
    """`kubectl get <kind> [name]` as kubectl prints it."""
    if kind not in _KINDS:
        return f'error: the server doesn\'t have a resource type "{kind}"\n'
    store_kind, resource = _KINDS[kind]
    if name is not None:
        obj = _get(cluster, store_kind, name)
        if obj is None:
            return _not_found(resource, name)
        objs = [obj]
    else:
        objs = list(cluster.list(store_kind))
        if store_kind != "event":
            objs = _by_name(objs)
        if not objs:
            where = "" if store_kind == "node" else " in default namespace"
            return f"No resources found{where}.\n"
    now = cluster.now
    if store_kind == "deployment":
        rows = [["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]]
        for d in objs:
            st = d.get("status") or {}
            rows.append([d["metadata"]["name"], f"{st.get('readyReplicas', 0)}/{d['spec'].get('replicas', 0)}",
                         str(st.get("updatedReplicas", 0)), str(st.get("availableReplicas", 0)),
                         _since(d["metadata"].get("creationTimestamp"), now)])
    elif store_kind == "replicaset":
        rows = [["NAME", "DESIRED", "CURRENT", "READY", "AGE"]]
        for rs in objs:
            st = rs.get("status") or {}
            rows.append([rs["metadata"]["name"], str(rs["spec"].get("replicas", 0)), str(st.get("replicas", 0)),
                         str(st.get("readyReplicas", 0)), _since(rs["metadata"].get("creationTimestamp"), now)])
    elif store_kind == "pod":
        rows = [["NAME", "READY", "STATUS", "RESTARTS", "AGE"]]
        rows += [pod_row(p, now) for p in objs]
    elif store_kind in _TABLE_KINDS:
        rows = _table_rows(store_kind, objs, now)
    elif store_kind == "node":
        rows = [["NAME", "STATUS", "ROLES", "AGE", "VERSION"]]
        for n in objs:
            info = (n.get("status") or {}).get("nodeInfo") or {}
            rows.append([n["metadata"]["name"], node_status(n), node_roles(n),
                         _since(n["metadata"].get("creationTimestamp"), now), info.get("kubeletVersion", "")])
    else:
        rows = [["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]]
        rows += [event_row(ev, now) for ev in objs]
    return _table(rows)


def _table_rows(store_kind: str, objs: list[dict], now: float) -> list[list[str]]:
    """Header and rows of a kind whose cells the server-side Table computes."""
    from simulator.api import tables   # (tables reads this module's pod and node cells)
    kind, shown = _TABLE_KINDS[store_kind]
    header = [c["name"].upper() for c in tables.column_definitions(kind)[:shown]]
    return [header] + [[str(cell) for cell in tables.cells(o, now)[:shown]] for o in objs]


# --- kubectl describe deployment -----------------------------------------------------------

def _labels_lines(title: str, labels: dict | None) -> list[str]:
    if not labels:
        return [f"{title}:\t<none>"]
    keys = sorted(labels)
    return [f"{title}:\t{keys[0]}={labels[keys[0]]}"] + [f"\t{k}={labels[k]}" for k in keys[1:]]


def _annotation_lines(title: str, annotations: dict | None) -> list[str]:
    keys = sorted(k for k in (annotations or {}) if k != LAST_APPLIED)
    if not keys:
        return [f"{title}:\t<none>"]
    lines = []
    for i, key in enumerate(keys):
        lead = f"{title}:\t" if i == 0 else "\t"
        value = annotations[key].rstrip("\n") if isinstance(annotations[key], str) else str(annotations[key])
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            lines.append(f"{lead}{key}:")
            for part in value.split("\n"):
                limit = MAX_ANNOTATION_LEN - 2  # kubectl's shorten(s, maxAnnotationLen-2)
                lines.append(f"  {part[:limit] + '...' if len(part) > limit else part}")
        else:
            lines.append(f"{lead}{key}: {value}")
    return lines


def format_selector(selector: dict | None) -> str:
    """metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key."""
    if not selector:
        return "<none>"
    reqs = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), sorted(expr.get("values") or [])
        text = {"In": f"{key} in ({','.join(values)})", "NotIn": f"{key} notin ({','.join(values)})",
                "Exists": key, "DoesNotExist": f"!{key}"}.get(op, key)
        reqs.append((key, text))
    return ",".join(text for _, text in sorted(reqs, key=lambda r: r[0]))


def describe_probe(probe: dict) -> str:
    """kubectl's DescribeProbe, e.g. 'http-get http://:8080/healthz delay=0s timeout=1s ...'."""
    attrs = (f"delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 1)}s "
             f"period={probe.get('periodSeconds', 10)}s #success={probe.get('successThreshold', 1)} "
             f"#failure={probe.get('failureThreshold', 3)}")
    if probe.get("exec") is not None:
        return f"exec [{' '.join(probe['exec'].get('command') or [])}] {attrs}"
    if probe.get("httpGet") is not None:
        http = probe["httpGet"]
        scheme = (http.get("scheme") or "HTTP").lower()
        host, port = http.get("host") or "", _int_or_string(http.get("port"))
        hostport = (f"[{host}]:{port}" if ":" in host else f"{host}:{port}") if port else host
        path = http.get("path") or ""
        if path and not path.startswith("/"):
            path = "/" + path
        return f"http-get {scheme}://{hostport}{path} {attrs}"
    if probe.get("tcpSocket") is not None:
        tcp = probe["tcpSocket"]
        return f"tcp-socket {tcp.get('host') or ''}:{_int_or_string(tcp.get('port'))} {attrs}"
    if probe.get("grpc") is not None:
        return f"grpc <pod>:{probe['grpc'].get('port')} {probe['grpc'].get('service') or ''} {attrs}"
    return f"unknown {attrs}"


def _env_lines(container: dict) -> list[str]:
    env = container.get("env") or []
    lines = ["    Environment:" + ("" if env else "\t<none>")]
    for e in env:
        source = e.get("valueFrom")
        if source is None:
            for i, part in enumerate(str(e.get("value", "")).split("\n")):
                lines.append(f"      {e['name']}:\t{part}" if i == 0 else f"      \t{part}")
        elif source.get("fieldRef"):
            ref = source["fieldRef"]
            lines.append(f"      {e['name']}:\t ({ref.get('apiVersion', 'v1')}:{ref.get('fieldPath')})")
        elif source.get("configMapKeyRef"):
            ref = source["configMapKeyRef"]
            lines.append(f"      {e['name']}:\t<set to the key '{ref.get('key')}' of config map "
                         f"'{ref.get('name')}'>\tOptional: {str(bool(ref.get('optional'))).lower()}")
        elif source.get("secretKeyRef"):
            ref = source["secretKeyRef"]
            lines.append(f"      {e['name']}:\t<set to the key '{ref.get('key')}' in secret "
                         f"'{ref.get('name')}'>\tOptional: {str(bool(ref.get('optional'))).lower()}")
    return lines


def _container_lines(container: dict) -> list[str]:
    lines = [f"   {container.get('name')}:", f"    Image:\t{container.get('image', '')}"]
    ports = container.get("ports") or []
    port_text = ", ".join(f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in ports)
    host_text = ", ".join(f"{p.get('hostPort', 0)}/{p.get('protocol', 'TCP')}" for p in ports)
    lines.append(f"    Ports:\t{port_text}" if "," in port_text else f"    Port:\t{port_text or '<none>'}")
    lines.append(f"    Host Ports:\t{host_text}" if "," in host_text else f"    Host Port:\t{host_text or '<none>'}")
    for field, title in (("command", "Command"), ("args", "Args")):
        if container.get(field):
            lines.append(f"    {title}:")
            lines += [f"      {part}" for item in container[field] for part in str(item).split("\n")]
    resources = container.get("resources") or {}
    for field, title in (("limits", "Limits"), ("requests", "Requests")):
        if resources.get(field):
            lines.append(f"    {title}:")
            lines += [f"      {k}:\t{v}" for k, v in sorted(resources[field].items())]
    for field, title in (("livenessProbe", "Liveness"), ("readinessProbe", "Readiness"), ("startupProbe", "Startup")):
        if container.get(field):
            lines.append(f"    {title}:\t{describe_probe(container[field])}")
    lines += _env_lines(container)
    mounts = sorted(container.get("volumeMounts") or [], key=lambda m: m.get("mountPath", ""))
    lines.append("    Mounts:" + ("" if mounts else "\t<none>"))
    for m in mounts:
        flags = ["ro" if m.get("readOnly") else "rw"] + ([f'path="{m["subPath"]}"'] if m.get("subPath") else [])
        lines.append(f"      {m.get('mountPath')} from {m.get('name')} ({','.join(flags)})")
    return lines


def _volume_lines(volumes: list[dict]) -> list[str]:
    if not volumes:
        return ["  Volumes:\t<none>"]
    lines = ["  Volumes:"]
    for v in volumes:
        lines.append(f"   {v.get('name')}:")
        if "emptyDir" in v:
            ed = v.get("emptyDir") or {}
            lines += ["    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)",
                      f"    Medium:\t{ed.get('medium', '')}", f"    SizeLimit:\t{ed.get('sizeLimit', '<unset>')}"]
        elif "configMap" in v:
            cm = v.get("configMap") or {}
            lines += ["    Type:\tConfigMap (a volume populated by a ConfigMap)",
                      f"    Name:\t{cm.get('name', '')}", f"    Optional:\t{str(bool(cm.get('optional'))).lower()}"]
        elif "secret" in v:
            sec = v.get("secret") or {}
            lines += ["    Type:\tSecret (a volume populated by a Secret)",
                      f"    SecretName:\t{sec.get('secretName', '')}",
                      f"    Optional:\t{str(bool(sec.get('optional'))).lower()}"]
    return lines


def pod_template_lines(template: dict) -> list[str]:
    """kubectl's DescribePodTemplate (v1.28), as lines with tabs still in them."""
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    lines = ["Pod Template:"] + _labels_lines("  Labels", meta.get("labels"))
    if meta.get("annotations"):
        lines += _annotation_lines("  Annotations", meta["annotations"])
    if spec.get("serviceAccountName"):
        lines.append(f"  Service Account:\t{spec['serviceAccountName']}")
    containers = spec.get("containers") or []
    lines.append("  Containers:" + ("" if containers else " <none>"))
    for c in containers:
        lines += _container_lines(c)
    lines += _volume_lines(spec.get("volumes") or [])
    if spec.get("priorityClassName"):
        lines.append(f"  Priority Class Name:\t{spec['priorityClassName']}")
    return lines


def _rs_summary(rss: list[dict]) -> str:
    text = ", ".join(f"{rs['metadata']['name']} ({(rs.get('status') or {}).get('replicas', 0)}/"
                     f"{rs['spec'].get('replicas', 0)} replicas created)" for rs in rss)
    return text or "<none>"


def _event_lines(events: list[dict], now: float) -> list[str]:
    lines = ["Events:", "  Type\tReason\tAge\tFrom\tMessage", "  ----\t------\t----\t----\t-------"]
    for ev in sorted(events, key=lambda e: parse_time(e.get("lastTimestamp")) or 0.0):
        first = _since(ev.get("firstTimestamp") or ev.get("eventTime"), now)
        count = ev.get("count") or 1
        age = f"{_since(ev.get('lastTimestamp'), now)} (x{count} over {first})" if count > 1 else first
        source = (ev.get("source") or {}).get("component") or ev.get("reportingComponent") or ""
        lines.append(f"  {ev.get('type', '')}\t{ev.get('reason', '')}\t{age}\t{source}\t"
                     f"{(ev.get('message') or '').strip()}")
    return lines


def _split_rss(cluster, deployment: dict) -> tuple[list[dict], dict | None]:
    """(old RSs by name, new RS): the new one is the oldest whose template equals the
    deployment's, ignoring the pod-template-hash label (FindNewReplicaSet)."""
    owned = _by_name([rs for rs in cluster.list("replicaset") if _owned_by(rs, deployment)])
    wanted = _without_hash(deployment["spec"].get("template") or {})
    by_age = sorted(owned, key=lambda rs: (parse_time(rs["metadata"].get("creationTimestamp")) or 0.0,
                                          rs["metadata"]["name"]))
    new = next((rs for rs in by_age if _without_hash(rs["spec"].get("template") or {}) == wanted), None)
    return [rs for rs in owned if rs is not new], new


def _without_hash(template: dict) -> dict:
    meta = dict(template.get("metadata") or {})
    meta["labels"] = {k: v for k, v in (meta.get("labels") or {}).items() if k != "pod-template-hash"}
    return {"metadata": meta, "spec": template.get("spec") or {}}


def describe_deployment(cluster, name: str) -> str:
    """`kubectl describe deployment NAME` in the v1.28 layout."""
    d = _get(cluster, "deployment", name)
    if d is None:
        return _not_found("deployments.apps", name)
    meta, spec, status = d["metadata"], d["spec"], d.get("status") or {}
    strategy = spec.get("strategy") or {}
    head = [f"Name:\t{meta['name']}", f"Namespace:\t{meta.get('namespace', 'default')}",
            f"CreationTimestamp:\t{_rfc1123z(meta.get('creationTimestamp'))}"]
    head += _labels_lines("Labels", meta.get("labels"))
    head += _annotation_lines("Annotations", meta.get("annotations"))
    head += [f"Selector:\t{format_selector(spec.get('selector'))}",
             f"Replicas:\t{spec.get('replicas', 0)} desired | {status.get('updatedReplicas', 0)} updated | "
             f"{status.get('replicas', 0)} total | {status.get('availableReplicas', 0)} available | "
             f"{status.get('unavailableReplicas', 0)} unavailable",
             f"StrategyType:\t{strategy.get('type', '')}",
             f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}"]
    if strategy.get("rollingUpdate") is not None:
        ru = strategy["rollingUpdate"]
        head.append(f"RollingUpdateStrategy:\t{_int_or_string(ru.get('maxUnavailable'))} max unavailable, "
                    f"{_int_or_string(ru.get('maxSurge'))} max surge")
    head += pod_template_lines(spec.get("template") or {})
    if status.get("conditions"):
        head += ["Conditions:", "  Type\tStatus\tReason", "  ----\t------\t------"]
        head += [f"  {c.get('type')} \t{c.get('status')}\t{c.get('reason', '')}" for c in status["conditions"]]
    old, new = _split_rss(cluster, d)
    head += [f"OldReplicaSets:\t{_rs_summary(old)}", f"NewReplicaSet:\t{_rs_summary([new] if new else [])}"]
    events = [ev for ev in cluster.list("event")
              if (ev.get("involvedObject") or {}).get("kind") == "Deployment"
              and ev["involvedObject"].get("name") == meta["name"]
              and ev["involvedObject"].get("uid") in (None, meta.get("uid"))]
    if not events:
        return _tabbed(["\n".join(head + ["Events:\t<none>"]) + "\n"])
    return _tabbed(["\n".join(head) + "\n", "\n".join(_event_lines(events, cluster.now)) + "\n"])


# --- kubectl describe service --------------------------------------------------------------

def _ingress_text(ingress: list[dict]) -> str:
    # buildIngressString: each address (or hostname) with its ipMode
    return ", ".join((i.get("ip") or i.get("hostname", ""))
                     + (f" ({i['ipMode']})" if i.get("ipMode") else "") for i in ingress)


def _slice_endpoints_text(slices: list[dict], port_name: str) -> str:
    """formatEndpointSlices for one Service port: ready addresses with that port, at most
    three, then "+ N more..." counting every endpoint."""
    shown: list[str] = []
    more, count = False, 0
    for endpoint_slice in slices:
        for port in endpoint_slice.get("ports") or []:
            if (port.get("name") or "") != port_name:
                continue
            for endpoint in endpoint_slice.get("endpoints") or []:
                if len(shown) == 3:
                    more = True
                ready = (endpoint.get("conditions") or {}).get("ready") is not False
                if not more and ready:
                    shown.append(f"{endpoint['addresses'][0]}:{port.get('port')}")
                count += 1
    text = ",".join(shown)
    return f"{text} + {count - 3} more..." if more else text


def describe_service(cluster, name: str) -> str:
    """`kubectl describe service NAME` (v1.32 layout; EndpointSlices give the endpoints)."""
    svc = _get(cluster, "service", name)
    if svc is None:
        return _not_found("services", name)
    meta, spec = svc["metadata"], svc.get("spec") or {}
    lines = [f"Name:\t{meta['name']}", f"Namespace:\t{meta.get('namespace', 'default')}"]
    lines += _labels_lines("Labels", meta.get("labels"))
    lines += _annotation_lines("Annotations", meta.get("annotations"))
    selector = spec.get("selector") or {}
    lines += [f"Selector:\t{','.join(f'{k}={selector[k]}' for k in sorted(selector))}",
              f"Type:\t{spec.get('type', '')}"]
    if spec.get("ipFamilyPolicy"):
        lines.append(f"IP Family Policy:\t{spec['ipFamilyPolicy']}")
    lines.append(f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}")
    lines.append(f"IP:\t{spec.get('clusterIP', '')}")
    lines.append(f"IPs:\t{','.join(spec.get('clusterIPs') or []) or '<none>'}")
    if spec.get("externalIPs"):
        lines.append(f"External IPs:\t{','.join(spec['externalIPs'])}")
    if spec.get("loadBalancerIP"):
        lines.append(f"IP:\t{spec['loadBalancerIP']}")
    if spec.get("externalName"):
        lines.append(f"External Name:\t{spec['externalName']}")
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        lines.append(f"LoadBalancer Ingress:\t{_ingress_text(ingress)}")
    slices = [s for s in cluster.list("endpointslice")
              if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == name]
    for port in spec.get("ports") or []:
        port_name = port.get("name") or "<unset>"
        protocol = port.get("protocol", "TCP")
        lines.append(f"Port:\t{port_name}\t{port.get('port')}/{protocol}")
        lines.append(f"TargetPort:\t{port.get('targetPort')}/{protocol}")
        if port.get("nodePort"):
            lines.append(f"NodePort:\t{port_name}\t{port['nodePort']}/{protocol}")
        endpoints = _slice_endpoints_text(slices, port.get("name") or "") if slices else "<none>"
        lines.append(f"Endpoints:\t{endpoints}")
    lines.append(f"Session Affinity:\t{spec.get('sessionAffinity', '')}")
    if spec.get("externalTrafficPolicy"):
        lines.append(f"External Traffic Policy:\t{spec['externalTrafficPolicy']}")
    if spec.get("internalTrafficPolicy"):
        lines.append(f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}")
    if spec.get("healthCheckNodePort"):
        lines.append(f"HealthCheck NodePort:\t{spec['healthCheckNodePort']}")
    events = [ev for ev in cluster.list("event")
              if (ev.get("involvedObject") or {}).get("kind") == "Service"
              and ev["involvedObject"].get("name") == name
              and ev["involvedObject"].get("uid") in (None, meta.get("uid"))]
    if not events:
        return _tabbed(["\n".join(lines + ["Events:\t<none>"]) + "\n"])
    return _tabbed(["\n".join(lines) + "\n", "\n".join(_event_lines(events, cluster.now)) + "\n"])


# --- kubectl rollout history ---------------------------------------------------------------

def rollout_history_text(cluster, name: str, revision: int | None = None) -> str:
    """`kubectl rollout history deployment/NAME [--revision=N]`."""
    d = _get(cluster, "deployment", name)
    if d is None:
        return _not_found("deployments.apps", name)
    header = f"deployment.apps/{name}"
    if revision:
        owned = [rs for rs in cluster.list("replicaset") if _owned_by(rs, d)]
        match = next((rs for rs in owned if _revision(rs) == revision), None)
        if match is None:
            return "error: unable to find the specified revision\n"
        template = dict(match["spec"].get("template") or {})
        tmeta = dict(template.get("metadata") or {})
        cause = (match["metadata"].get("annotations") or {}).get(CHANGE_CAUSE)
        if cause:
            tmeta["annotations"] = {**(tmeta.get("annotations") or {}), CHANGE_CAUSE: cause}
        template["metadata"] = tmeta
        # printTemplate writes through a plain PrefixWriter: the tabs stay in the output
        return f"{header} with revision #{revision}\n" + "\n".join(pod_template_lines(template)) + "\n\n"
    # kubectl prints "<name> <operation>" with operation = "\n" + the history: hence the space
    history = sorted(cluster.rollout_history(name), key=lambda h: h["revision"])
    if not history:
        return f"{header} \nNo rollout history found.\n"
    body = "REVISION\tCHANGE-CAUSE\n" + "".join(
        f"{h['revision']}\t{h.get('change_cause') or '<none>'}\n" for h in history)
    return f"{header} \n{_tabbed([body])}\n"
