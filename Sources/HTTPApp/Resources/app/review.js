// The review page of one episode, /app/episodes/{ep_id} (docs/review_app.md): identity cards,
// track strips, unidentified tracks, an SVG timeline, and the edits (label, lock, merge, move,
// split) through the JSON API, which runs the same library code as `episode-run identities`.
"use strict";

const episode = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const base = `/episodes/${encodeURIComponent(episode)}`;
let model = null;
let selected = null;

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
const nameOf = (identity) => identity.labels.name || "";

async function reload() {
  const [review, suggestions] = await Promise.all([
    api("GET", `${base}/review`),
    api("GET", `${base}/suggestions`).catch(() => ({ subjects: [], pairs: [] })),
  ]);
  model = review;
  model.suggestions = suggestions;
  // After an edit the list is new: a and r act on its first suggestion again.
  selectedSuggestion = 0;
  render();
}

function render() {
  document.title = `FaceHarvest · ${episode}`;
  $("#episode-title").textContent = episode;
  const labelled = model.identities.filter(nameOf).length;
  const locked = model.identities.filter((identity) => identity.locked).length;
  $("#summary").textContent = `${model.identities.length} identities · ${labelled} labelled · `
    + `${locked} locked · ${model.unidentified.length} unidentified tracks`;
  $("#identity-count").textContent = `(${model.identities.length})`;
  $("#unidentified-count").textContent = `(${model.unidentified.length}, `
    + `${model.unidentified_s.toFixed(1)} s on screen)`;
  $("#identities").replaceChildren(...model.identities.map(card));
  $("#unidentified").replaceChildren(...model.unidentified.map(unidentifiedTrack));
  $("#timeline").replaceChildren(timeline());
  renderSuggestions();
  applyFilter();
  if (selected && !$(`.card[data-identity="${selected}"]`)) selected = null;
  markSelected();
  document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
  const time = /^#t=([0-9.]+)$/.exec(location.hash);
  if (time) cursor(Number(time[1]));
}

// MARK: cards

function card(identity) {
  const others = model.identities.filter((other) => other.identity_id !== identity.identity_id);
  const minutes = `${identity.seconds.toFixed(1)} s (${(identity.share * 100).toFixed(1)} %)`;
  const article = el("article", {
    class: "card" + (identity.locked ? " locked" : "") + (nameOf(identity) ? "" : " unlabelled")
      + (suggested(identity) ? " suggested" : ""),
    "data-identity": identity.identity_id, tabindex: 0,
    onclick: () => select(identity.identity_id),
    ondragover: (event) => { if (!identity.locked) event.preventDefault(); },
    ondrop: (event) => dropTrack(event, identity.identity_id),
  },
    el("div", { class: "head" },
      el("img", {
        class: "rep", alt: `representative face of ${identity.identity_id}`, width: 112,
        height: 112, src: `${base}/${identity.thumb}?v=${encodeURIComponent(identity.updated_at)}`,
      }),
      el("div", { class: "who" },
        el("h3", {}, el("span", { class: "name" }, nameOf(identity) || "unlabelled"),
          identity.locked ? el("span", { class: "badge", title: "locked" }, "locked") : null,
          suggested(identity) ? el("span", {
            class: "badge suggestion",
            title: `suggested by the show's people registry (similarity ${identity.labels.similarity})`,
          }, "suggested") : null),
        el("div", { class: "id" }, identity.identity_id,
          identity.labels.person_id ? ` · ${identity.labels.person_id}` : ""),
        el("div", { class: "stats" },
          `${identity.num_tracks} tracks · ${identity.num_faces} faces`),
        el("div", { class: "stats" }, `on screen ${minutes}`,
          el("a", {
            href: `#t=${identity.first_seen_s.toFixed(2)}`, class: "seen",
            onclick: (event) => { event.preventDefault(); cursor(identity.first_seen_s); },
          }, ` from ${clock(identity.first_seen_s)}`), ` to ${clock(identity.last_seen_s)}`))),
    labelForm(identity),
    suggestionActions(identity),
    el("div", { class: "actions" },
      el("button", {
        type: "button", class: "lock",
        onclick: () => edit(`identities/${identity.identity_id}/${identity.locked ? "unlock" : "lock"}`,
          undefined, `${identity.identity_id} ${identity.locked ? "unlocked" : "locked"}`),
      }, identity.locked ? "Unlock" : "Lock"),
      el("select", { class: "merge-source", "aria-label": "identity to merge into this one",
        disabled: identity.locked },
        el("option", { value: "" }, "merge in…"),
        others.map((other) => el("option", { value: other.identity_id, disabled: other.locked },
          `${other.identity_id}${nameOf(other) ? " " + nameOf(other) : ""}`))),
      el("button", {
        type: "button", class: "merge", disabled: identity.locked,
        onclick: (event) => merge(identity.identity_id, $(".merge-source", event.target.parentNode).value),
      }, "Merge")),
    el("div", { class: "tracks" }, identity.tracks.map((track) => trackStrip(track, identity))));
  return article;
}

/** A people-registry suggestion (docs/people.md) is labels.source "people". */
function suggested(identity) {
  return identity.labels.source === "people";
}

/** Accept / Reject for a suggested label; nothing otherwise. */
function suggestionActions(identity) {
  if (!suggested(identity)) return null;
  const id = identity.identity_id;
  return el("div", { class: "suggestion-actions" },
    el("button", {
      type: "button", class: "accept", disabled: identity.locked,
      onclick: () => edit(`identities/${id}/suggestion/accept`, undefined, `${id}: suggestion accepted`),
    }, "Accept"),
    el("button", {
      type: "button", class: "reject", disabled: identity.locked,
      onclick: () => edit(`identities/${id}/suggestion/reject`, undefined, `${id}: suggestion rejected`),
    }, "Reject"));
}

function labelForm(identity) {
  return el("form", {
    class: "label-form",
    onsubmit: (event) => {
      event.preventDefault();
      const form = event.target;
      edit(`identities/${identity.identity_id}/label`,
        { name: form.elements.name.value.trim(), person_id: form.elements.person_id.value.trim() },
        `${identity.identity_id} labelled`);
    },
  },
    el("input", { name: "name", placeholder: "name", value: identity.labels.name || "",
      "aria-label": `name of ${identity.identity_id}`, disabled: identity.locked }),
    el("input", { name: "person_id", placeholder: "person id", value: identity.labels.person_id || "",
      "aria-label": `person id of ${identity.identity_id}`, disabled: identity.locked }),
    el("button", { type: "submit", class: "save", disabled: identity.locked }, "Save"));
}

/** One track: its crops (each a link to its frame's time), and move / split. */
function trackStrip(track, identity) {
  const targets = model.identities.filter((other) =>
    !identity || other.identity_id !== identity.identity_id);
  const locked = identity && identity.locked;
  return el("div", {
    class: "track", "data-track": track.track_id, draggable: locked ? "false" : "true",
    ondragstart: (event) => event.dataTransfer.setData("text/track", track.track_id),
  },
    el("div", { class: "track-head" },
      el("span", { class: "track-id" }, track.track_id),
      el("span", { class: "span", title: "click: play this moment",
        onclick: (event) => { event.stopPropagation(); playAt(track.start_s); } },
        `${clock(track.start_s)}–${clock(track.end_s)} · ${track.num_faces} faces`)),
    el("div", { class: "crops" }, track.crops.length
      ? track.crops.map((crop) => el("img", {
        class: "crop", loading: "lazy", width: 56, height: 56, src: `${base}/${crop.path}`,
        alt: `${track.track_id} frame ${crop.frame_idx}`,
        title: `frame ${crop.frame_idx} at ${clock(crop.t_s)} (click: show on the timeline)`,
        onclick: (event) => { event.stopPropagation(); showFrame(track, crop); },
      }))
      : el("span", { class: "none" }, "no crops saved")),
    el("div", { class: "track-actions" },
      el("select", { class: "move-target", disabled: locked, "aria-label": `move ${track.track_id} to` },
        el("option", { value: "" }, identity ? "move to…" : "assign to…"),
        targets.map((other) => el("option", { value: other.identity_id, disabled: other.locked },
          `${other.identity_id}${nameOf(other) ? " " + nameOf(other) : ""}`))),
      el("button", {
        type: "button", class: "move", disabled: locked,
        onclick: (event) => move(track.track_id, $(".move-target", event.target.parentNode).value),
      }, identity ? "Move" : "Assign"),
      identity ? el("button", {
        type: "button", class: "split", disabled: locked || identity.tracks.length < 2,
        title: "make this track an identity of its own",
        onclick: () => edit(`tracks/${track.track_id}/split`, undefined, `${track.track_id} split off`),
      }, "Split") : null));
}

function unidentifiedTrack(entry) {
  const strip = trackStrip(entry.track, null);
  const best = entry.best_identity_id
    ? ` · closest ${entry.best_identity_id} (${(entry.best_similarity ?? 0).toFixed(2)})` : "";
  strip.querySelector(".track-head").append(el("span", { class: "reason" }, `${entry.reason}${best}`));
  return strip;
}

// MARK: review by suggestion (docs/identities.md, "Review by suggestion")

let selectedSuggestion = 0;

/** Every suggestion with a candidate, then the likely merges: what Accept and Reject (keys a
 * and r act on the selected one, the first by default) do to each. */
function suggestionItems() {
  const items = model.suggestions.subjects.filter((s) => s.candidates.length).map((subject) => {
    const top = subject.candidates[0];
    const ids = subject.candidates.map((c) => c.identity_id);
    const acceptOne = (target) => subject.kind === "track"
      ? move(subject.id, target)
      : edit("identities/merge", { kept: target, absorbed: subject.id },
        `${subject.id} merged into ${target}`);
    return {
      kind: subject.kind, subject, top, key: `${subject.id}>${ids.join(",")}`, acceptOne,
      accept: () => acceptOne(top.identity_id),
      reject: () => edit("suggestions/reject", { subject: subject.id, identity_ids: ids },
        `${subject.id} is none of ${ids.join(", ")}`),
    };
  });
  for (const pair of model.suggestions.pairs) {
    const [kept, other] = pair.identity_ids;
    items.push({
      kind: "pair", pair, key: `${other}>${kept}`,
      accept: () => merge(kept, other),
      reject: () => edit("suggestions/reject", { subject: other, identity_ids: [kept] },
        `${other} is not ${kept}`),
    });
  }
  return items;
}

function identityChip(id, similarity, why) {
  const identity = model.identities.find((i) => i.identity_id === id);
  return el("span", { class: "chip", "data-identity": id, title: why || "" },
    identity ? el("img", { src: `${base}/${identity.thumb}?v=${encodeURIComponent(identity.updated_at)}`,
      width: 40, height: 40, alt: id }) : null,
    `${identity && nameOf(identity) ? nameOf(identity) + " " : ""}${id}`,
    similarity === undefined ? null : el("small", {}, ` ${similarity.toFixed(2)}`));
}

function subjectPicture(subject) {
  if (subject.kind === "identity") return identityChip(subject.id);
  const entry = model.unidentified.find((u) => u.track_id === subject.id);
  const crop = entry && entry.track.crops[0];
  return el("span", { class: "chip" },
    crop ? el("img", { src: `${base}/${crop.path}`, width: 40, height: 40, alt: subject.id }) : null,
    `${subject.id} (${subject.reason})`);
}

function renderSuggestions() {
  const items = suggestionItems();
  selectedSuggestion = Math.min(selectedSuggestion, Math.max(0, items.length - 1));
  $("#suggestion-count").textContent =
    `(${items.length}; a accepts the first candidate, a click another; r: none of them)`;
  $("#suggestions").replaceChildren(...items.map((item, index) => el("div", {
    class: "suggestion" + (index === selectedSuggestion ? " selected" : ""),
    "data-key": item.key, "data-kind": item.kind,
    onclick: () => { selectedSuggestion = index; renderSuggestions(); },
  },
    item.kind === "pair"
      ? [el("span", { class: "what" }, "probably one person:"),
        identityChip(item.pair.identity_ids[0]), "+", identityChip(item.pair.identity_ids[1]),
        el("small", {}, ` ${item.pair.similarity.toFixed(2)}`)]
      : [subjectPicture(item.subject), "→",
        ...item.subject.candidates.map((c) => {
          const chip = identityChip(c.identity_id, c.similarity, `${c.why} (click: accept this one)`);
          chip.classList.add("candidate");
          chip.addEventListener("click", (event) => { event.stopPropagation(); item.acceptOne(c.identity_id); });
          return chip;
        }),
        item.subject.excluded.length ? el("small", { class: "excluded" }, "excluded: "
          + item.subject.excluded.map((x) => `${x.identity_id} (${x.reason})`).join(", ")) : null],
    el("button", { type: "button", class: "accept-suggestion",
      onclick: (event) => { event.stopPropagation(); item.accept(); } }, "Accept"),
    el("button", { type: "button", class: "reject-suggestion",
      onclick: (event) => { event.stopPropagation(); item.reject(); } }, "Reject"))));
}

function actOnSuggestion(accept) {
  const item = suggestionItems()[selectedSuggestion];
  if (!item) return toast("no suggestion left", "info");
  accept ? item.accept() : item.reject();
}

// MARK: edits

async function edit(path, body, done) {
  try {
    const identity = await api("POST", `${base}/${path}`, body ?? {});
    toast(`${done}${identity && identity.identity_id ? ` (${identity.identity_id})` : ""}`);
    await reload();
  } catch (error) {
    toast(error.message, "error");
  }
}

function merge(kept, absorbed) {
  if (!absorbed) return toast(`choose the identity to merge into ${kept}`, "error");
  edit("identities/merge", { kept, absorbed }, `${absorbed} merged into ${kept}`);
}

function move(track, target) {
  if (!target) return toast(`choose where ${track} goes`, "error");
  edit(`tracks/${track}/move`, { to: target }, `${track} moved to ${target}`);
}

function dropTrack(event, target) {
  const track = event.dataTransfer.getData("text/track");
  if (!track) return;
  event.preventDefault();
  move(track, target);
}

// MARK: timeline

const ROW = 18;
const LABEL = 170;
const WIDTH = 1000;

/** One row per identity (longest screen time first) and one for unidentified tracks: a bar
 * per track, dashed lines at cuts, a time axis. */
function timeline() {
  const duration = Math.max(model.duration_s, 0.001);
  const rows = [...model.identities].sort((a, b) => b.seconds - a.seconds)
    .map((identity) => ({ id: identity.identity_id, label: nameOf(identity) || identity.identity_id,
      tracks: identity.tracks, cls: "bar" }));
  if (model.unidentified.length) {
    rows.push({ id: "", label: "unidentified", tracks: model.unidentified.map((u) => u.track), cls: "bar other" });
  }
  const height = rows.length * ROW + 24;
  const x = (seconds) => LABEL + (seconds / duration) * (WIDTH - LABEL - 10);
  const svg = el("svg", { viewBox: `0 0 ${WIDTH} ${height}`, width: "100%", role: "img",
    "aria-label": `timeline of ${episode}` });
  rows.forEach((row, index) => {
    const y = index * ROW;
    svg.append(el("text", { svg: true, x: 4, y: y + 13, class: "row-label",
      onclick: () => row.id && select(row.id, true) }, row.label));
    for (const track of row.tracks) {
      const end = track.end_s + model.frame_step_s;
      svg.append(el("rect", { svg: true, class: row.cls, x: x(track.start_s), y: y + 3,
        width: Math.max(1.5, x(end) - x(track.start_s)), height: ROW - 6,
        "data-track": track.track_id, onclick: () => playAt(track.start_s) },
        el("title", { svg: true }, `${row.label} · ${track.track_id} · ${clock(track.start_s)}–${clock(end)}`)));
    }
  });
  for (const cut of model.cuts_s) {
    svg.append(el("line", { svg: true, class: "cut", x1: x(cut), x2: x(cut), y1: 0,
      y2: rows.length * ROW }));
  }
  const step = niceStep(duration);
  for (let t = 0; t <= duration + 1e-9; t += step) {
    svg.append(el("text", { svg: true, class: "tick", x: x(t), y: height - 6 }, clock(t)));
  }
  svg.append(el("line", { svg: true, id: "cursor", x1: 0, x2: 0, y1: 0, y2: rows.length * ROW,
    visibility: "hidden" }));
  svg.dataset.scale = JSON.stringify({ left: LABEL, width: WIDTH - LABEL - 10, duration });
  return svg;
}

function niceStep(duration) {
  for (const step of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600]) {
    if (duration / step <= 10) return step;
  }
  return 1200;
}

/** Marks time `seconds` on the timeline. */
function cursor(seconds) {
  const line = $("#cursor");
  if (!line) return;
  const scale = JSON.parse(line.parentNode.dataset.scale);
  const at = scale.left + (seconds / scale.duration) * scale.width;
  line.setAttribute("x1", at);
  line.setAttribute("x2", at);
  line.setAttribute("visibility", "visible");
  history.replaceState(null, "", `#t=${seconds.toFixed(2)}`);
}

/** A face's frame: its crop large, the frame number and time, the time marked on the timeline. */
function showFrame(track, crop) {
  const box = $("#frame-info");
  box.replaceChildren(
    el("img", { src: `${base}/${crop.path}`, alt: "" }),
    el("div", {}, `${track.track_id} · frame ${crop.frame_idx} · ${clock(crop.t_s)}`,
      crop.quality === null ? "" : ` · quality ${Number(crop.quality).toFixed(2)}`),
    el("button", { type: "button", onclick: () => { box.hidden = true; } }, "Close"));
  box.hidden = false;
  playAt(crop.t_s);
}

/** Shows the video at `seconds` (loaded on first use, through Range requests) and marks the
 * time on the timeline. */
function playAt(seconds) {
  const video = $("#video");
  video.dataset.requested = String(seconds);
  if (!video.getAttribute("src")) {
    video.preload = "metadata";
    video.src = `${base}/video`;
    video.load();
  }
  const seek = () => { video.currentTime = seconds; };
  if (video.readyState >= 1) seek();
  else video.addEventListener("loadedmetadata", seek, { once: true });
  video.hidden = false;
  cursor(seconds);
}

// MARK: selection, filter, keyboard

function visibleCards() {
  return $$(".card").filter((card) => !card.hidden);
}

function select(identityID, scroll = false) {
  selected = identityID;
  markSelected();
  const card = $(`.card[data-identity="${identityID}"]`);
  if (card && scroll) card.scrollIntoView({ block: "nearest" });
}

function markSelected() {
  for (const card of $$(".card")) card.classList.toggle("selected", card.dataset.identity === selected);
}

function applyFilter() {
  const text = $("#filter").value.trim().toLowerCase();
  const unlabelledOnly = $("#unlabelled-only").checked;
  for (const card of $$(".card")) {
    const identity = model.identities.find((i) => i.identity_id === card.dataset.identity);
    const haystack = [identity.identity_id, identity.labels.name || "", identity.labels.person_id || ""]
      .join(" ").toLowerCase();
    card.hidden = (unlabelledOnly && nameOf(identity) !== "") || (text && !haystack.includes(text));
  }
}

function step(delta) {
  const cards = visibleCards();
  if (!cards.length) return;
  const index = cards.findIndex((card) => card.dataset.identity === selected);
  const next = cards[Math.min(cards.length - 1, Math.max(0, index + delta))] || cards[0];
  select(next.dataset.identity, true);
  next.focus({ preventScroll: true });
}

function onKey(event) {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName);
  if (event.key === "Escape") { event.target.blur?.(); $("#frame-info").hidden = true; return; }
  if (typing || event.metaKey || event.ctrlKey || event.altKey) return;
  const card = selected && $(`.card[data-identity="${selected}"]`);
  const actions = {
    "j": () => step(1), "k": () => step(-1),
    "l": () => card && $("input[name=name]", card).focus(),
    "x": () => card && $("button.lock", card).click(),
    "m": () => card && $("select.merge-source", card).focus(),
    "u": () => { $("#unlabelled-only").click(); },
    "/": () => $("#filter").focus(),
    "?": () => $("#help").showModal(),
    "a": () => actOnSuggestion(true),
    "r": () => actOnSuggestion(false),
  };
  if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
}

// `?filter=` (the season page links an episode filtered to one person) fills the filter box.
$("#filter").value = new URLSearchParams(location.search).get("filter") || "";
$("#filter").addEventListener("input", applyFilter);
$("#unlabelled-only").addEventListener("change", applyFilter);
$("#help-button").addEventListener("click", () => $("#help").showModal());
document.addEventListener("keydown", onKey);
reload().catch((error) => {
  $("#identities").replaceChildren(el("p", { class: "error" }, error.message));
  toast(error.message, "error");
});
