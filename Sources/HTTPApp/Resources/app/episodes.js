// The episode list, /app/ (docs/review_app.md, "Episode list"): what each episode has, and a
// button that submits a pipeline job and follows it: its Server-Sent Events when the server
// runs jobs itself, the queue's row (polled) when jobs go to the PostgreSQL queue.
"use strict";

const ARTIFACTS = ["video", "detections", "tracks", "faces", "identities", "screentime"];
const TERMINAL = ["succeeded", "failed", "cancelled"];
let jobsGoTo = "server";

async function loadEpisodes() {
  const { episodes, jobs } = await api("GET", "/episodes");
  jobsGoTo = jobs || "server";
  document.body.dataset.jobs = jobsGoTo;
  const body = document.querySelector("#episodes tbody");
  body.replaceChildren(...episodes.map(row));
  document.getElementById("empty").hidden = episodes.length > 0;
  // Each show's season page (an episode belongs to a show by its id: {show}-sNNeNN).
  const shows = [...new Set(episodes.map((episode) => episode.show_id).filter(Boolean))].sort();
  const line = document.getElementById("shows");
  line.replaceChildren("Seasons: ", ...shows.flatMap((show, index) => [index ? ", " : "",
    el("a", { href: `/app/shows/${encodeURIComponent(show)}` }, show)]));
  line.hidden = shows.length === 0;
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
      el("span", { class: "job-state" }, job ? jobText(job) : "")));
}

/** A job's state; a queued job also says its attempts, worker and phase. */
function jobText(job) {
  const parts = [`${job.job_id}: ${job.state}`];
  if (job.attempts !== undefined) parts.push(`attempt ${job.attempts}/${job.max_attempts}`);
  if (job.worker && job.state === "running") parts.push(job.worker);
  if (job.progress && job.state === "running") parts.push(job.progress.phase || job.progress.stage || "");
  if (job.error && job.state === "failed") parts.push(job.error);
  return parts.filter(Boolean).join(" · ");
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
    const controls = { button, bar, state };
    if (jobsGoTo === "queue") poll(job_id, episode, controls);
    else follow(job_id, episode, controls);
  } catch (error) {
    button.disabled = false;
    state.textContent = "";
    toast(`${episode}: ${error.message}`, "error");
  }
}

/** Follows a queued job by polling its row (queued jobs have no event stream) until a worker
 * ends it; then reloads the list. */
async function poll(jobID, episode, { button, bar, state }) {
  for (;;) {
    let job;
    try {
      job = await api("GET", `/jobs/${encodeURIComponent(jobID)}`);
    } catch (error) {
      toast(`${episode}: ${error.message}`, "error");
      break;
    }
    state.textContent = jobText(job);
    const progress = job.progress || {};
    const total = progress.frames_total || progress.faces_total || 0;
    const done = progress.frames_total ? progress.frames_done : progress.faces_done;
    bar.value = total ? done / total : 0;
    if (TERMINAL.includes(job.state)) {
      toast(`${episode}: ${jobText(job)}`, job.state === "succeeded" ? "info" : "error");
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  button.disabled = false;
  bar.hidden = true;
  loadEpisodes().catch((error) => toast(error.message, "error"));
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
