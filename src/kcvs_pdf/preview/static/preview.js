// Keeps the draft preview current. The server says on /events when a newer snapshot is ready;
// the view is then fetched and swapped in, and after an edit the edited section is scrolled to.
"use strict";

(() => {
  let shown = document.getElementById("view");
  let revealedEdit = null;
  let fetching = false;
  let behind = false;

  function reveal(view) {
    const target = view.dataset.focus && document.getElementById(view.dataset.focus);
    if (!target || view.dataset.edit === revealedEdit) {
      return;
    }
    revealedEdit = view.dataset.edit;
    const top = view.querySelector(".top");
    const covered = top ? top.offsetHeight : 0;
    window.scrollTo(0, target.getBoundingClientRect().top + window.scrollY - covered - 12);
  }

  async function refresh() {
    // One fetch at a time; news arriving meanwhile means one more fetch after it.
    if (fetching) {
      behind = true;
      return;
    }
    fetching = true;
    try {
      do {
        behind = false;
        const response = await fetch("/view", { cache: "no-store" });
        if (!response.ok) {
          break;
        }
        const template = document.createElement("template");
        template.innerHTML = (await response.text()).trim();
        const fresh = template.content.firstElementChild;
        if (Number(fresh.dataset.generation) > Number(shown.dataset.generation)) {
          shown.replaceWith(fresh);
          shown = fresh;
          reveal(fresh);
        }
      } while (behind);
    } catch {
      // The server is gone: the event stream says so (see "offline").
    } finally {
      fetching = false;
    }
  }

  const offline = document.querySelector(".offline");
  const events = new EventSource("/events");
  events.addEventListener("snapshot", (event) => {
    const [instance, generation] = event.data.split(" ");
    if (instance !== shown.dataset.instance) {
      // A preview started anew: its snapshots count from the start again.
      window.location.reload();
    } else if (Number(generation) > Number(shown.dataset.generation)) {
      refresh();
    }
  });
  events.addEventListener("open", () => { offline.hidden = true; });
  events.addEventListener("error", () => { offline.hidden = false; });
  reveal(shown);
})();
