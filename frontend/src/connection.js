// The live stream: one WebSocket per page, versioned messages, seq checking, resync, reconnect.

const PROTOCOL_VERSION = 2;
const CLOSE_NOT_FOUND = 4404; // the server's close code for a simulation that does not exist
// Message work done in one go before the page may draw a frame: a big delta (a tick that starts
// hundreds of pods) is applied over several tasks, each a slice of about this long.
const SLICE_MS = 8;

/**
 * Connect the store to /ws/simulations/<id>/. Deltas with seq <= the last seen are dropped,
 * a gap asks the server for a fresh snapshot, unknown message types are ignored.
 * onStatus(text, kind) reports the connection state ("live", "stalled: <reason>", a clock that
 * cannot keep its speed, …); onError(message) server errors; onOpen() each (re)connection;
 * onPresenter(view) the presenter's view and onAudience(n) how many watch (presenter mode);
 * onLesson({step, steps}) the tutorial step the presenter moved to.
 * token: a link's token to connect with instead of the session (the embed player).
 * While held() (the page shows a past moment: rewind.js), deltas and snapshots go to onHeld(msg)
 * instead of the store; release() says the store holds a fresh state again.
 * Messages are handled in the order they came, in slices of SLICE_MS of work while the page is
 * visible (the store only ever shows a whole seq: SimStore.deltaWork).
 * Returns { send(message), release() }.
 */
export function connectStream(simId, store, { onStatus = () => {}, onError = () => {}, onOpen = () => {},
  onPresenter = () => {}, onAudience = () => {}, onLesson = () => {}, stats = null, token = "",
  held = () => false, onHeld = () => {} } = {}) {
  let socket = null;
  let awaitingSnapshot = true;
  let retryDelay = 500;
  let shown = "";
  const inbox = []; // messages received and not yet handled, oldest first
  let current = null; // the message being handled: {steps, bytes, ms}
  let scheduled = false; // a task will handle the rest

  function show(text, kind) {
    if (text === shown) return;
    shown = text;
    onStatus(text, kind);
  }

  // "live" again with every delta or snapshot; a clock that falls behind says by how much.
  function live(clock) {
    const effective = clock?.running ? clock.effective : undefined;
    if (typeof effective === "number" && effective < 1) show(liveText(effective), "warn");
    else show("live", "ok");
  }

  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = token ? `?token=${encodeURIComponent(token)}` : ""; // the embed player's link token
    socket = new WebSocket(`${scheme}://${location.host}/ws/simulations/${simId}/${query}`);
    awaitingSnapshot = true;
    show("connecting…", "pending");
    socket.addEventListener("open", () => {
      retryDelay = 500;
      onOpen();
    });
    socket.addEventListener("message", (event) => {
      inbox.push(event.data);
      if (!scheduled) work();
    });
    socket.addEventListener("close", (event) => {
      if (event.code === CLOSE_NOT_FOUND) {
        show("not found", "bad");
        return;
      }
      show("reconnecting…", "bad");
      setTimeout(open, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 5000);
    });
  }

  function resync() {
    awaitingSnapshot = true;
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "resync" }));
  }

  /** Handle messages until none is left or a slice's time is up (then a task goes on later). */
  function work() {
    scheduled = false;
    const started = performance.now();
    while (current || inbox.length) {
      if (!current) {
        const text = inbox.shift();
        current = { steps: receive(text), bytes: text.length, ms: 0 };
      }
      const before = performance.now();
      let done = true;
      try {
        done = current.steps.next().done;
      } catch (error) {
        reportError(error); // (a panel's bug: the messages after it are still handled)
      }
      current.ms += performance.now() - before;
      if (done) {
        stats?.recordMessage(current.ms, current.bytes);
        current = null;
      }
      if ((current || inbox.length) && !document.hidden && performance.now() - started >= SLICE_MS) {
        scheduled = true;
        setTimeout(work, 0);
        break;
      }
    }
    stats?.recordSlice(performance.now() - started);
  }

  /** One message's handling, as steps (a delta's apply may pause: SimStore.deltaWork). */
  function* receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.v === PROTOCOL_VERSION) yield* handle(msg);
  }

  function* handle(msg) {
    if ((msg.type === "snapshot" || msg.type === "delta") && held()) {
      onHeld(msg);
      return;
    }
    if (msg.type === "snapshot") {
      awaitingSnapshot = false;
      store.loadSnapshot({ ...msg.state, sim: msg.sim ?? msg.state?.sim, seq: msg.seq, t: msg.t });
      live(msg.state?.clock);
      markProgress();
    } else if (msg.type === "delta") {
      if (awaitingSnapshot || msg.seq <= store.seq) return;
      if (msg.seq > store.seq + 1) {
        resync();
        return;
      }
      if (yield* store.deltaWork(msg)) {
        live(msg.clock);
        markProgress();
      } else yield* handle(msg); // the store was replaced meanwhile (a rewind): as if it came now
    } else if (msg.type === "status") {
      if (msg.state === "stalled") show(`stalled: ${msg.reason || "unknown reason"}`, "bad");
      else if (msg.state === "live") live(store.clock);
    } else if (msg.type === "presenter") {
      onPresenter(msg.view);
    } else if (msg.type === "audience") {
      onAudience(msg.viewers);
    } else if (msg.type === "lesson") {
      onLesson(msg);
    } else if (msg.type === "error") {
      onError(msg.message || msg.code);
    }
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  // Tests and the benchmark wait on these attributes instead of on wall-clock time.
  function markProgress() {
    document.body.dataset.lastSeq = String(store.seq);
    document.body.dataset.simT = String(store.t);
  }

  function release() {
    awaitingSnapshot = false;
  }

  open();
  return { send, release };
}

/** The label of a running clock that cannot keep its chosen speed. */
export function liveText(effective) {
  return `live · running at ${effective.toFixed(effective < 0.1 ? 2 : 1)}× of the chosen speed`;
}
