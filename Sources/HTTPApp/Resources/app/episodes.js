// The episode list, /app/ (docs/review_app.md, "Episode list"): what each episode has, and a
// button that submits a pipeline job and follows its Server-Sent Events.
"use strict";

const ARTIFACTS = ["video", "detections", "tracks", "faces", "identities", "screentime"];

async function loadEpisodes() {
  const { episodes } = await api("GET", "/episodes");
  const body = document.querySelector("#episodes tbody");
  body.replaceChildren(...episodes.map(row));
  document.getElementById("empty").hidden = episodes.length > 0;
}

function row(episode) {
  const counts = episode.counts || {};
  const count = (key) => (counts[key] === undefined ? "–" : counts[key]);
  const have = ARTIFACTS.filter((name) => episode.artifacts[name]);
  const job = episode.last_job;
  const link = episode.artifacts.identities
    ? el("a", { href: `/app/episodes/${encodeURIComponent(episode.ep_id)}` }, episode.ep_id)
    : episode.ep_id;
  return el("tr", { "data-ep": episode.ep_id },
    el("td", {}, link),
    el("td", { class: "artifacts" }, ARTIFACTS.map((name) =>
      el("span", { class: have.includes(name) ? "have" : "missing", title: name }, name))),
    el("td", {}, count("tracks")), el("td", {}, count("faces")),
    el("td", {}, count("identities")), el("td", {}, count("labelled")),
    el("td", {}, count("locked")),
    el("td", {}, episode.last_written_at ? new Date(episode.last_written_at).toLocaleString() : "–"),
    el("td", { class: "run" },
      el("button", {
        type: "button", class: "run-pipeline", disabled: !episode.artifacts.video,
        onclick: (event) => runPipeline(episode.ep_id, event.target.closest("tr")),
      }, "Run pipeline"),
      el("progress", { max: 1, value: 0, hidden: true }),
      el("span", { class: "job-state" }, job ? `${job.job_id}: ${job.state}` : "")));
}

async function runPipeline(episode, row) {
  const button = row.querySelector("button.run-pipeline");
  const bar = row.querySelector("progress");
  const state = row.querySelector(".job-state");
  button.disabled = true;
  try {
    const { job_id } = await api("POST", "/jobs/pipeline", { ep_id: episode, save_crops: true });
    state.textContent = `${job_id}: queued`;
    bar.hidden = false;
    follow(job_id, episode, { button, bar, state });
  } catch (error) {
    button.disabled = false;
    state.textContent = "";
    toast(`${episode}: ${error.message}`, "error");
  }
}

/** Follows a job's SSE stream: progress moves the bar; done or error reloads the list. */
function follow(jobID, episode, { button, bar, state }) {
  const events = new EventSource(`/jobs/${encodeURIComponent(jobID)}/events`);
  events.addEventListener("progress", (event) => {
    const data = JSON.parse(event.data);
    const total = data.frames_total || data.faces_total || 0;
    const done = data.frames_total ? data.frames_done : data.faces_done;
    bar.value = total ? done / total : 0;
    state.textContent = `${jobID}: ${data.phase || data.stage || "running"}`;
  });
  const finish = (message, kind) => {
    events.close();
    button.disabled = false;
    bar.hidden = true;
    toast(`${episode}: ${message}`, kind);
    loadEpisodes().catch((error) => toast(error.message, "error"));
  };
  events.addEventListener("done", () => finish(`${jobID} succeeded`, "info"));
  events.addEventListener("error", (event) => {
    if (event.data) {
      const data = JSON.parse(event.data);
      finish(`${jobID} ${data.error}: ${data.detail || ""}`, "error");
    }
    else if (events.readyState === EventSource.CLOSED) finish(`${jobID}: stream closed`, "error");
  });
}

loadEpisodes().catch((error) => toast(error.message, "error"));
