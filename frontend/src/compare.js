// The comparison page: one store and socket per member, their timelines and replica charts side by
// side on one time axis (one TimeView: the members share one clock), the summary table (read from
// /api/comparisons/<id>/ every second), and the group's clock and commands.
import { api } from "./api.js";
import { SimStore } from "./store.js";
import { connectStream } from "./connection.js";
import { TimeView, formatSimTime } from "./view.js";
import { Timeline, esc } from "./timeline.js";
import { ReplicaChart } from "./chart.js";
import { TrafficStrip } from "./traffic_strip.js";
import { confirmDialog, notify } from "./dialogs.js";
import { gateControls } from "./role.js";

const POLL_MS = 1000;

/** How the table shows one figure ("–" before any rollout). */
function figure(value, suffix = "") {
  return value === null || value === undefined ? "–" : `${value}${suffix}`;
}

/** The summary row of one member. */
export function summaryRow(member) {
  const s = member.summary;
  const status = s.start === null ? "no rollout yet" : s.done ? "complete" : "rolling out";
  const duration = s.duration === null ? "–" : `${Math.round(s.duration)} s${s.done ? "" : " so far"}`;
  const failed = s.requests ? `${s.failed_requests} of ${s.requests}` : figure(s.failed_requests);
  return `<tr data-simulation="${member.simulation}" data-start="${s.start ?? ""}"><th scope="row">${esc(member.label)}</th>` +
    `<td data-figure="duration">${esc(duration)}</td><td data-figure="peak_pods">${figure(s.peak_pods)}</td>` +
    `<td data-figure="min_available">${figure(s.min_available)}</td><td data-figure="failed_requests">${esc(failed)}</td>` +
    `<td data-figure="waves">${figure(s.waves)}</td><td data-figure="status">${status}</td></tr>`;
}

/** One member's panel: its own store and socket, drawn with the dashboard's timeline and chart. */
function mountMember(container, member, view) {
  const node = document.getElementById("member-template").content.firstElementChild.cloneNode(true);
  node.dataset.simulation = member.simulation;
  node.querySelector(".member-title").textContent = member.label;
  const link = node.querySelector(".member-link");
  link.href = `/simulations/${member.simulation}/`;
  link.textContent = `simulation ${member.simulation}`;
  node.querySelector(".timeline canvas").setAttribute("aria-label", `Pod timeline of ${member.label}`);
  node.querySelector(".replica-chart canvas").setAttribute("aria-label", `Replicas per ReplicaSet of ${member.label}`);
  container.append(node);
  const store = new SimStore();
  new Timeline(node.querySelector(".timeline"), store, view);
  new ReplicaChart(node.querySelector(".replica-chart"), store, view);
  new TrafficStrip(node.querySelector(".traffic-strip"), store, view);
  const label = node.querySelector(".connection");
  connectStream(member.simulation, store, {
    onStatus: (text, kind) => {
      label.textContent = text;
      label.dataset.state = kind;
    },
    onError: (message) => notify(message, "error"),
  });
  return store;
}

/** The arguments of a group command, from the commands form. */
function commandArgs(name, form, stores) {
  const value = (field) => form.elements[field].value.trim();
  const deployment = value("deployment");
  if (name === "set-image") {
    let container = value("container");
    if (!container) { // the Deployment's first container, as a member holds it
      const found = stores[0]?.objects.deployments.get(deployment);
      container = found?.spec?.template?.spec?.containers?.[0]?.name || "";
    }
    return ["set-image", { deployment, container, image: value("image") }];
  }
  if (name === "scale") return ["scale", { deployment, replicas: Number(value("replicas")) }];
  if (name === "node-down" || name === "node-up") return ["node", { node: value("node"), ready: name === "node-up" }];
  if (name === "traffic") return ["traffic", { service: value("service"), rate: Number(value("rate")) }];
  return [name, { deployment }];
}

export function initCompare() {
  const id = parseInt(document.body.dataset.comparisonId, 10);
  const base = `comparisons/${id}/`;
  const view = new TimeView();
  const stores = [];
  let group = null;

  const summary = document.querySelector("#compare-summary tbody");
  const log = document.getElementById("group-log");
  const toggle = document.getElementById("group-toggle");
  const speed = document.getElementById("group-speed");
  const time = document.getElementById("group-time");

  function render() {
    if (!stores.length) {
      const container = document.getElementById("compare-members");
      for (const member of group.members) stores.push(mountMember(container, member, view));
    }
    const rows = group.members.map(summaryRow).join("");
    if (summary.innerHTML !== rows) summary.innerHTML = rows;
    toggle.textContent = group.running ? "❚❚ Pause" : "▶ Play";
    toggle.setAttribute("aria-pressed", String(group.running));
    if (document.activeElement !== speed) speed.value = String(group.speed);
    time.textContent = formatSimTime(group.t);
    document.body.dataset.groupT = String(group.t);
    const entries = group.commands.slice(-5).reverse().map((c) => {
      const outcome = !c.done ? "waiting for the next step" : c.results.every((r) => "result" in r)
        ? `done on every member at ${formatSimTime(c.t)}`
        : c.results.map((r) => ("errors" in r ? `simulation ${r.simulation}: ${r.errors[0]?.message}` : `simulation ${r.simulation}: ok`)).join("; ");
      return `<li>${esc(c.name)} — ${esc(outcome)}</li>`;
    }).join("");
    if (log.innerHTML !== entries) log.innerHTML = entries;
  }

  async function refresh() {
    try {
      group = await api("GET", base);
      render();
    } catch (error) {
      notify(error.message, "error");
    }
  }

  async function send(path, body) {
    try {
      const answer = await api("POST", base + path, body);
      await refresh();
      return answer;
    } catch (error) {
      notify(error.message, "error");
      return null;
    }
  }

  toggle.addEventListener("click", () => send("clock", { running: !group?.running }));
  speed.addEventListener("change", () => send("clock", { speed: Number(speed.value) }));
  document.getElementById("group-step").addEventListener("click", () => send("step", { count: 1 }));
  const form = document.getElementById("group-commands");
  form.addEventListener("submit", (e) => e.preventDefault());
  form.addEventListener("click", async (e) => {
    const button = e.target.closest("[data-group-command]");
    if (!button) return;
    const [name, args] = commandArgs(button.dataset.groupCommand, form, stores);
    await send(`commands/${name}`, args); // the log below says when it ran, on every member
  });
  document.getElementById("group-share").addEventListener("click", async () => {
    try {
      const link = await api("POST", base + "links", { role: "view" });
      notify(`View link (watch every member, change nothing): ${link.url}`, "info");
    } catch (error) {
      notify(error.message, "error");
    }
  });
  document.getElementById("group-delete").addEventListener("click", async () => {
    if (!(await confirmDialog("Delete this comparison?", "<p>Its member simulations are deleted with it.</p>", "Delete"))) return;
    try {
      await api("DELETE", base);
      location.assign("/");
    } catch (error) {
      notify(error.message, "error");
    }
  });
  gateControls();
  const poll = async () => { // one read at a time, however slow the answer
    await refresh();
    setTimeout(poll, POLL_MS);
  };
  poll();
  window.rolloutviz = { stores, view };
}
