// The season page of a show, /app/shows/{show_id} (docs/review_app.md, "Season page"): every
// person's screen time in every episode as a table with a small SVG bar chart per person, the
// episodes' review state, and the CSV the season report writes.
"use strict";

const show = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());

async function loadSeason() {
  const report = await api("GET", `/shows/${encodeURIComponent(show)}/season`);
  document.title = `FaceHarvest · ${show}`;
  document.getElementById("show-title").textContent = `${show} · season`;
  document.getElementById("csv").href = `/shows/${encodeURIComponent(show)}/season.csv`;
  const episodes = report.episodes.filter((episode) => episode.status === "ok");
  const reviewed = Object.fromEntries(report.episodes.map((e) => [e.ep_id, e.reviewed]));
  const max = Math.max(1, ...report.rows.map((row) => row.seconds));
  const head = el("tr", {},
    el("th", {}, "Person"), el("th", {}, ""),
    episodes.map((episode) => el("th", {
      class: reviewed[episode.ep_id] ? "" : "unreviewed",
      title: reviewed[episode.ep_id] ? "reviewed" : "not reviewed: identities unlabelled or suggestions waiting",
    }, el("a", { href: `/app/episodes/${encodeURIComponent(episode.ep_id)}` }, episode.ep_id),
      reviewed[episode.ep_id] ? null : el("span", { class: "review-mark" }, "not reviewed"))),
    el("th", {}, "Total"));
  document.querySelector("#season thead").replaceChildren(head);
  document.querySelector("#season tbody").replaceChildren(
    ...report.totals.map((total) => personRow(total, report.rows, episodes, max)));
  document.getElementById("season-episodes").replaceChildren(...report.episodes.map((episode) =>
    el("li", { "data-ep": episode.ep_id, class: episode.reviewed ? "reviewed" : "unreviewed" },
      el("a", { href: `/app/episodes/${encodeURIComponent(episode.ep_id)}` }, episode.ep_id), " · ",
      episode.status === "ok"
        ? `${episode.identities} identities, ${episode.labelled} labelled, `
          + `${episode.suggested} suggested, ${episode.reviewed ? "reviewed" : "not reviewed"}`
        : episode.status)));
  document.body.dataset.loaded = "yes";
}

/** One person's row: who, a bar per episode, the seconds (each a link to the episode
 * filtered to the person), the total. */
function personRow(total, rows, episodes, max) {
  const key = total.person_id || total.name;
  const cells = episodes.map((episode) => rows.find((row) => row.kind === total.kind
    && row.person_id === total.person_id && row.name === total.name && row.ep_id === episode.ep_id));
  const label = total.kind === "person" ? total.name : `(${total.name})`;
  return el("tr", { class: total.kind, "data-kind": total.kind, "data-person": key },
    el("th", { scope: "row" }, label, total.person_id && total.person_id !== total.name
      ? el("small", {}, ` ${total.person_id}`) : null),
    el("td", {}, bars(cells, max)),
    cells.map((row, index) => el("td", {
      class: "seconds", "data-ep": episodes[index].ep_id, "data-seconds": row ? row.seconds : 0,
    }, total.kind === "person"
      ? el("a", {
        href: `/app/episodes/${encodeURIComponent(episodes[index].ep_id)}?filter=${encodeURIComponent(key)}`,
      }, seconds(row))
      : seconds(row))),
    el("td", { class: "total", "data-seconds": total.seconds },
      `${total.seconds.toFixed(1)} s (${(total.share * 100).toFixed(1)} %)`));
}

/** A small bar chart: one bar per episode, heights by seconds against the table's largest. */
function bars(cells, max) {
  const width = 10;
  return el("svg", { svg: true, class: "bars", width: cells.length * (width + 2), height: 24,
    viewBox: `0 0 ${cells.length * (width + 2)} 24`, role: "img", "aria-label": "seconds per episode" },
    cells.map((row, index) => {
      const height = Math.max(row && row.seconds > 0 ? 1 : 0, Math.round(22 * (row ? row.seconds : 0) / max));
      return el("rect", { svg: true, x: index * (width + 2), y: 24 - height, width, height },
        el("title", { svg: true }, row ? `${row.ep_id}: ${row.seconds.toFixed(1)} s` : ""));
    }));
}

function seconds(row) {
  return row ? `${row.seconds.toFixed(1)} s` : "–";
}

loadSeason().catch((error) => {
  document.querySelector("#season tbody").replaceChildren(
    el("tr", {}, el("td", { class: "error" }, error.message)));
  toast(error.message, "error");
});
