// Rewind: a time slider over the recorded history. Moving it loads the state as it was then
// (GET …/state?t= or ?seq=, exact) into the very store the live stream fills, so every panel
// draws the past with its live code; the stream holds its deltas meanwhile (the simulation runs
// on underneath). Play back from there and step through recorded changes (the recorded deltas,
// GET …/deltas, applied as live ones are), jump to the previous or next event or command, "Back to
// live", or "Continue from here" (a copy at that moment). While rewound, the controls that would act
// on the live simulation are held (`LiveControls`). A presenter's rewind is shared with the pages
// that follow it (`shared`, `follow`).
import { api } from "./api.js";
import { notify } from "./dialogs.js";
import { LiveControls } from "./live_controls.js";
import { formatSimTime } from "./view.js";

export const PLAYBACK_SPEEDS = [1, 2, 5, 10];
const PLAYBACK_FRAME_MS = 100; // a playing rewind applies the deltas it has reached this often
const PLAYBACK_AHEAD = 50; // deltas read ahead of the playback
const JUMP_KINDS = new Set(["command", "event"]); // markers "previous/next" stops at
const RETRY_MS = 1000; // a 429's Retry-After
const FOLLOW_APPLY_MAX = 200; // a follower this few recorded changes behind applies them rather than seeks

export class Rewind {
  /** `root` holds the controls and the banner; `store` is the page's store; `simId` its simulation. */
  constructor(root, store, simId) {
    this.root = root;
    this.store = store;
    this.base = `simulations/${simId}/`;
    this.simId = simId;
    this.active = false;
    this.liveT = 0;
    this.liveSeq = 0;
    this.markers = []; // the whole record's markers, as live held them when the rewind began
    this.wanted = null; // the latest moment asked for while a fetch runs ({t} or {seq})
    this.busy = false;
    this.playing = false;
    this.returning = false; // back to live: the live state is on its way
    this.stream = null;
    this.loaded = false; // a past moment is in the store (not only asked for)
    this.controls = new LiveControls();
    this.listeners = [];
    this.sharedKey = JSON.stringify(this.shared());
    this.$ = (id) => root.querySelector("#" + id);
    this.slider = this.$("rewind-slider");
    this.speed = this.$("rewind-speed");
    this.speed.innerHTML = PLAYBACK_SPEEDS.map((s) => `<option value="${s}">${s}×</option>`).join("");
    this.slider.addEventListener("input", () => {
      const t = parseFloat(this.slider.value); // (stopping redraws the slider)
      this.stop();
      if (t >= this.liveT) this.backToLive(); // the slider's end is now
      else this.seek({ t });
    });
    this.speed.addEventListener("change", () => {
      this.restartClock();
      this.render();
    });
    this.$("rewind-prev").addEventListener("click", () => this.jump(-1));
    this.$("rewind-next").addEventListener("click", () => this.jump(1));
    this.$("rewind-step").addEventListener("click", () => this.step());
    this.$("rewind-play").addEventListener("click", () => this.togglePlay());
    this.$("rewind-live").addEventListener("click", () => this.backToLive());
    this.$("rewind-branch").addEventListener("click", () => this.branch());
    store.subscribe(() => {
      if (!this.active) {
        this.liveT = store.t;
        this.liveSeq = store.seq;
      }
      this.render();
    });
  }

  /** The connection's hold: while rewound, live deltas and snapshots only move the slider's end. */
  streamOptions() {
    return {
      held: () => this.active || this.returning,
      onHeld: (msg) => {
        if (msg.type === "delta" || msg.type === "snapshot") {
          this.liveT = msg.t;
          this.liveSeq = msg.seq;
          if (msg.markers?.length) this.markers.push(...msg.markers);
          this.render();
        }
      },
    };
  }

  /** The past seq the page shows, or null when live (the kubectl texts and the Why panel ask at it). */
  at() {
    return this.active ? this.store.seq : null;
  }

  /** Why the live simulation cannot be acted on now (null: it can). */
  heldReason() {
    return this.active ? `Showing ${formatSimTime(this.store.t)} — back to live to act` : null;
  }

  /** What a presenter's followers are told of the rewind: the seq shown (null: live; while playing
   *  back, the seq the playback started from), whether it plays back, and at what speed. */
  shared() {
    if (!this.active || !this.loaded) return { rewound: null, playing: false };
    return { rewound: this.playing ? this.playFrom : this.store.seq, playing: this.playing,
             playback_speed: parseFloat(this.speed.value) || 1 };
  }

  /** Call `listener` whenever `shared()` changes. */
  onChange(listener) {
    this.listeners.push(listener);
  }

  /** (A follower) show what the presenter shows: `moment` is its `shared()`. The latest one wins. */
  async follow(moment) {
    this.led = moment;
    if (this.leading) return;
    this.leading = true;
    try {
      for (let done = null; this.led !== done; ) {
        const wish = (done = this.led);
        if (wish.rewound === null) {
          await this.backToLive();
          continue;
        }
        if (wish.playback_speed && PLAYBACK_SPEEDS.includes(wish.playback_speed)) {
          this.speed.value = String(wish.playback_speed);
          this.restartClock();
        }
        if (wish.playing && this.playing) continue; // both play: the follower keeps its own pace
        this.stop();
        await this.goTo(wish.rewound);
        if (wish.playing && this.led === wish) await this.togglePlay();
      }
    } finally {
      this.leading = false;
    }
  }

  /** Show the recorded seq `seq`: the recorded changes up to it applied when it lies a little ahead
   *  of the moment shown, else a seek. */
  async goTo(seq) {
    const ahead = seq - this.store.seq;
    if (this.active && this.loaded && !this.busy && !this.fetching && ahead > 0 && ahead <= FOLLOW_APPLY_MAX) {
      await this.applyUpTo(seq);
    }
    if (!this.active || this.store.seq !== seq) await this.seek({ seq });
  }

  /** Show the moment `moment` ({t} or {seq}); a fetch at a time, the latest wish wins. Resolves
   *  when the latest wish is shown. */
  seek(moment) {
    if (!this.active) {
      this.active = true;
      this.loaded = false;
      this.markers = this.store.timeline.markers.slice();
    }
    this.wanted = moment;
    this.render();
    if (!this.busy) this.seeking = this.fetchWanted();
    return this.seeking;
  }

  async fetchWanted() {
    this.busy = true;
    try {
      while (this.wanted) {
        const asked = this.wanted;
        this.wanted = null;
        const query = "t" in asked ? `t=${asked.t}` : `seq=${asked.seq}`;
        try {
          const state = await api("GET", `${this.base}state?${query}`);
          if (!this.active) break; // back to live meanwhile
          if (state.seq !== this.store.seq || state.t !== this.store.t) this.store.loadSnapshot(state);
          this.loaded = true;
        } catch (error) {
          if (error.status !== 429) {
            notify(error.message, "error");
            this.stop();
          } else if (!this.wanted) { // the server is busy rewinding: ask again after its Retry-After
            await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
            this.wanted ||= asked;
          }
        }
      }
    } finally {
      this.busy = false;
      document.body.dataset.rewoundSeq = this.active ? String(this.store.seq) : "";
      this.render();
    }
  }

  /** The next recorded change (one seq on) from the moment shown: its recorded delta applied, as
   *  live ones are. */
  async step() {
    this.stop();
    if (!this.active || this.busy || this.fetching) return;
    if (this.store.seq + 1 > this.liveSeq) return this.backToLive();
    await this.applyUpTo(this.store.seq + 1);
  }

  /** The recorded changes after the moment shown up to seq `seq`, applied as live ones are. */
  async applyUpTo(seq) {
    this.fetching = true;
    try {
      while (this.active && this.store.seq < seq) {
        const from = this.store.seq;
        const answer = await api("GET", `${this.base}deltas?after=${from}&upto=${seq}`);
        if (!this.active || this.store.seq !== from || !answer.deltas.length) break;
        for (const delta of answer.deltas) this.store.applyDelta(delta);
      }
    } catch (error) {
      notify(error.message, "error");
    } finally {
      this.fetching = false;
      document.body.dataset.rewoundSeq = this.active ? String(this.store.seq) : "";
      this.render();
    }
  }

  /** The previous (-1) or next (+1) event or command marker from the moment shown. */
  jump(direction) {
    this.stop();
    const now = this.active ? this.store.t : this.liveT;
    const markers = (this.active ? this.markers : this.store.timeline.markers).filter((m) => JUMP_KINDS.has(m.kind));
    const target = direction < 0 ? markers.filter((m) => m.t < now).pop() : markers.find((m) => m.t > now);
    if (!target) {
      if (direction > 0 && this.active) this.backToLive();
      return;
    }
    this.seek({ t: target.t });
  }

  /** Play the record back from the moment shown (from the start when live): its recorded deltas,
   *  applied to the store at the chosen speed as live ones are. */
  async togglePlay() {
    if (this.playing) return this.stop();
    if (this.busy) return;
    if (!this.active) await this.seek({ t: 0 });
    if (!this.active) return;
    this.playing = true;
    this.playFrom = this.store.seq;
    this.queue = [];
    this.fetched = this.store.seq;
    this.restartClock();
    this.render();
    this.tick();
  }

  restartClock() {
    this.playStart = { t: this.store.t, wall: performance.now() };
  }

  /** One playback frame: apply the deltas the chosen speed has reached; read more ahead in time. */
  tick() {
    if (!this.playing) return;
    const speed = parseFloat(this.speed.value) || 1;
    const target = this.playStart.t + (speed * (performance.now() - this.playStart.wall)) / 1000;
    while (this.queue.length && this.queue[0].t <= target) {
      const delta = this.queue.shift();
      if (delta.seq === this.store.seq + 1) this.store.applyDelta(delta);
    }
    document.body.dataset.rewoundSeq = String(this.store.seq);
    if (!this.queue.length && this.fetched >= this.liveSeq) {
      this.backToLive();
      return;
    }
    if (this.queue.length < PLAYBACK_AHEAD && !this.fetching && this.fetched < this.liveSeq) this.readAhead();
    this.timer = setTimeout(() => this.tick(), PLAYBACK_FRAME_MS);
  }

  async readAhead() {
    this.fetching = true;
    try {
      const answer = await api("GET", `${this.base}deltas?after=${this.fetched}&upto=${this.liveSeq}`);
      if (this.playing && answer.deltas.length) {
        this.queue.push(...answer.deltas);
        this.fetched = answer.deltas[answer.deltas.length - 1].seq;
      }
    } catch (error) {
      notify(error.message, "error");
      this.stop();
    } finally {
      this.fetching = false;
    }
  }

  stop() {
    this.playing = false;
    clearTimeout(this.timer);
    this.render();
  }

  /** Leave the past: the live state again (a fresh one: deltas held meanwhile were dropped). */
  async backToLive() {
    this.stop();
    if (!this.active) return;
    this.active = false;
    this.returning = true; // the stream holds on until the live state is in
    this.wanted = null;
    this.render(); // the live controls are given back before the live state loads
    try {
      const state = await api("GET", this.base);
      if (!this.active) this.store.loadSnapshot(state);
    } catch (error) {
      notify(error.message, "error");
    } finally {
      this.returning = false;
      this.stream?.release(); // deltas after this state apply again (a gap asks for a snapshot)
    }
    document.body.dataset.rewoundSeq = "";
    this.render();
  }

  /** "Continue from here": a paused copy of one's own at the moment shown, opened. */
  async branch() {
    try {
      const copy = await api("POST", `${this.base}copy`, { seq: this.store.seq });
      location.href = `/simulations/${copy.id}/`;
    } catch (error) {
      notify(error.message, "error");
    }
  }

  render() {
    const end = Math.max(this.liveT, this.active ? this.store.t : 0);
    this.slider.max = String(end);
    if (document.activeElement !== this.slider || !this.active) this.slider.value = String(this.active ? this.store.t : end);
    const banner = this.$("rewind-banner");
    banner.hidden = !this.active;
    if (this.active) {
      banner.querySelector(".rewind-text").textContent =
        `Rewound to ${formatSimTime(this.store.t)} (live is at ${formatSimTime(this.liveT)})` + (this.busy ? " …" : "");
    }
    this.$("rewind-time").textContent = this.active ? formatSimTime(this.store.t) : "live";
    this.$("rewind-step").disabled = !this.active;
    const play = this.$("rewind-play");
    play.textContent = this.playing ? "❚❚ Pause playback" : "▶ Play back";
    play.setAttribute("aria-pressed", String(this.playing));
    this.root.classList.toggle("rewound", this.active);
    document.documentElement.classList.toggle("rewound", this.active);
    if (this.active) this.controls.hold(this.heldReason());
    else this.controls.release();
    const key = JSON.stringify(this.shared());
    if (key !== this.sharedKey) {
      this.sharedKey = key;
      for (const listener of this.listeners) listener();
    }
  }
}
