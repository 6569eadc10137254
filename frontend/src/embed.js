// The read-only player (/embed/<token>/): the timeline, the chart, the traffic strip and the rollout
// status line of one simulation, following it live, with no editor and no actions. It reads with
// the link's token from its own address: inside an iframe on another site it has no session cookie.
import { SimStore } from "./store.js";
import { connectStream } from "./connection.js";
import { TimeView, formatSimTime } from "./view.js";
import { Timeline } from "./timeline.js";
import { ReplicaChart } from "./chart.js";
import { TrafficStrip } from "./traffic_strip.js";
import { legendHtml, paintSwatches } from "./palette.js";

export function initEmbed() {
  const simId = parseInt(document.body.dataset.simId, 10);
  const token = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
  const store = new SimStore();
  const view = new TimeView();
  const timeline = new Timeline(document.getElementById("timeline"), store, view, {});
  const chart = new ReplicaChart(document.getElementById("replica-chart"), store, view);
  const strip = new TrafficStrip(document.getElementById("traffic-strip"), store, view);
  const legend = document.getElementById("legend");
  legend.innerHTML = legendHtml();
  paintSwatches(legend);
  const time = document.getElementById("sim-time");
  const line = document.getElementById("rollout-status");
  store.subscribe(() => {
    time.textContent = formatSimTime(store.t);
    const name = store.deploymentNames()[0];
    line.textContent = store.meta[name]?.rollout_status?.message || "";
  });
  const connection = document.getElementById("connection");
  connectStream(simId, store, {
    token,
    onStatus: (text, kind) => {
      connection.textContent = text;
      connection.dataset.state = kind;
    },
  });
  window.rolloutviz = { store, view, timeline, chart, strip };
}
