// Presenter mode: the owner's page tells the pages that follow it what it shows (the timeline's
// window, the pod whose details are open, the past moment it rewound to and its playback); a
// viewer opts in with "Follow presenter"; the presenter's page shows how many pages watch.
import { CAN_OWN } from "./role.js";

/** The presenter's side: share the view whenever the presenter changes it (one message per frame). */
function share(stream, store, view, timeline, rewind) {
  let queued = false;
  const send = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      stream.send({ type: "view", view: { ...view.state(store.t), selected: timeline.selected ?? null, ...rewind.shared() } });
    });
  };
  view.onChange(send);
  timeline.onSelectionChange(send);
  rewind.onChange(send);
  return send;
}

/** A viewer's side: follow the presenter's view (and rewind) while the toggle is on; off, the
 *  viewer's page stays where it is and rewinds on its own. */
function follow(button, view, timeline, rewind) {
  let following = false;
  let last = null;
  const apply = () => {
    if (!following || !last) return;
    view.setState(last);
    if ((last.selected ?? null) !== timeline.selected) timeline.select(last.selected ?? null);
    if ("rewound" in last) {
      rewind.follow({ rewound: last.rewound, playing: Boolean(last.playing), playback_speed: last.playback_speed });
    }
  };
  button.hidden = false;
  button.addEventListener("click", () => {
    following = !following;
    button.setAttribute("aria-pressed", String(following));
    document.body.dataset.following = String(following);
    apply();
  });
  return (presented) => {
    last = presented;
    apply();
  };
}

/** Wire presenter mode to the page's stream; returns the stream callbacks it needs. */
export function presenterMode(store, view, timeline, rewind) {
  const audience = document.getElementById("audience");
  const button = document.getElementById("follow-presenter");
  let sendView = () => {};
  const callbacks = {
    onOpen: () => sendView(), // a (re)connected presenter tells the followers where it is
    onAudience: (viewers) => {
      if (!audience) return;
      audience.hidden = false;
      audience.textContent = `${viewers} watching`;
      audience.dataset.viewers = String(viewers);
    },
    onPresenter: button && !CAN_OWN ? follow(button, view, timeline, rewind) : () => {},
  };
  return {
    callbacks,
    start(stream) {
      if (CAN_OWN) sendView = share(stream, store, view, timeline, rewind);
    },
  };
}
