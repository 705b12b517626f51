// The operator page: signs in, then shows the municipalities, the reasons files wait and a transfer search, all read
// from the same JSON API the command-line tool uses. Every value from the server is set with textContent, never as
// HTML, because file names come from municipalities.
"use strict";

let csrfToken = null;

function element(id) {
  return document.getElementById(id);
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({ credentials: "same-origin" }, options || {}));
  const body = await response.json();
  if (!response.ok) {
    const error = new Error(body.error + " (" + body.action + ")");
    error.status = response.status;
    throw error;
  }
  return body;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) {
    td.className = className;
  }
  row.appendChild(td);
  return td;
}

function formatTime(iso) {
  if (!iso) {
    return "";
  }
  return iso.substring(0, 19).replace("T", " ");
}

function formatAge(seconds) {
  if (seconds === null || seconds === undefined) {
    return "";
  }
  if (seconds < 60) {
    return seconds + " 秒 / s";
  }
  if (seconds < 3600) {
    return Math.floor(seconds / 60) + " 分 / min";
  }
  return Math.floor(seconds / 3600) + " 時間 / h";
}

function renderMunicipalities(statuses) {
  const body = element("municipalities").querySelector("tbody");
  body.replaceChildren();
  for (const status of statuses) {
    const row = document.createElement("tr");
    row.dataset.code = status.code;
    if (status.paused) {
      row.className = "paused";
    } else if (status.deadLetters > 0 || status.agentVersionNotAccepted) {
      row.className = "attention";
    }
    cell(row, status.code);
    cell(row, status.name);
    cell(row, status.paused ? "一時停止 / paused (" + status.pausedBy + ")" : "稼働 / running");
    cell(row, status.uploadMessages, "number upload-messages");
    cell(row, status.uploadBytes, "number upload-bytes");
    cell(row, status.oldestWaitingAt ? formatAge(status.oldestWaitingSeconds) : "", "oldest");
    cell(row, status.downloadMessages, "number download-messages");
    cell(row, status.deadLetters, "number dead-letters");
    cell(row, status.deliveredTodayFiles + " 件 / files, " + status.deliveredTodayBytes + " B", "delivered-today");
    cell(row, formatTime(status.lastDeliveredAt), "last-delivered");
    cell(row, formatTime(status.agentLastSeenAt), "agent-last-seen");
    cell(row, status.agentVersion, "agent-version");
    const digest = cell(row, status.agentConfigDigest ? status.agentConfigDigest.substring(0, 12) : "",
      "agent-config-digest");
    digest.title = status.agentConfigDigest || "";
    cell(row, versionFlags(status), "agent-version-flag");
    body.appendChild(row);
  }
}

function versionFlags(status) {
  const flags = [];
  if (status.agentVersionNotAccepted) {
    flags.push("受付外のバージョン / version not accepted");
  }
  if (status.agentVersionDiffersFromMajority) {
    flags.push("多数派と異なる / differs from majority");
  }
  if (status.agentConfigDigestOutdated) {
    flags.push("同じエージェントの最新の設定と異なる / older config of its agent");
  }
  return flags.join("; ");
}

function renderVersions(report) {
  element("central-version").textContent = report.central.version;
  element("central-digest").textContent = report.central.configDigest;
  element("central-role").textContent = report.central.role;
  element("accepted-versions").textContent = report.acceptedAgentVersions.length === 0
    ? "すべて / any" : report.acceptedAgentVersions.join(", ");
  element("majority-version").textContent = report.majorityVersion || "-";
  const summary = report.summary;
  element("version-summary").textContent = "接続済みエージェント " + summary.agentsSeen + " / agents seen "
    + summary.agentsSeen + "; 受付外 " + summary.versionNotAccepted + " / not accepted " + summary.versionNotAccepted
    + "; 多数派と異なる " + summary.versionDiffersFromMajority + " / differ from majority "
    + summary.versionDiffersFromMajority + "; 古い設定 " + summary.configDigestOutdated + " / outdated config "
    + summary.configDigestOutdated + "; 設定ダイジェストの種類 " + summary.configDigests + " / distinct config digests "
    + summary.configDigests + "; エージェント数 " + summary.instances + " / agent installations " + summary.instances;
  element("version-summary").className = summary.versionNotAccepted > 0 ? "error" : "";
}

function renderWhy(explanations) {
  const list = element("why");
  list.replaceChildren();
  if (explanations.length === 0) {
    const item = document.createElement("li");
    item.textContent = "待機中のファイルはありません。 / No file is waiting.";
    list.appendChild(item);
  }
  for (const explanation of explanations) {
    const item = document.createElement("li");
    item.dataset.code = explanation.code;
    const title = document.createElement("strong");
    title.textContent = explanation.code + " " + explanation.name + ": ";
    item.appendChild(title);
    item.appendChild(document.createTextNode(explanation.sentence));
    if (explanation.reasons.length > 1) {
      const more = document.createElement("ul");
      for (const reason of explanation.reasons.slice(1)) {
        const sub = document.createElement("li");
        sub.textContent = reason.japanese + " / " + reason.english;
        more.appendChild(sub);
      }
      item.appendChild(more);
    }
    list.appendChild(item);
  }
}

function renderTransfers(transfers) {
  const body = element("transfers").querySelector("tbody");
  body.replaceChildren();
  for (const transfer of transfers) {
    const row = document.createElement("tr");
    row.dataset.fileId = transfer.fileId;
    cell(row, transfer.municipality);
    cell(row, transfer.fileName, "file-name");
    cell(row, transfer.ifKind);
    cell(row, transfer.size, "number");
    cell(row, formatTime(transfer.announcedAt));
    cell(row, formatTime(transfer.storedAt));
    cell(row, formatTime(transfer.deliveredAt || transfer.rejectedAt));
    cell(row, transfer.outcome, "outcome");
    cell(row, transfer.reason);
    body.appendChild(row);
  }
}

/** Labels of a download's state, as the page shows them. */
const DOWNLOAD_STATES = { queued: "待ち / queued", received: "受信済み / received", refused: "拒否・取下げ / refused" };

function renderDownloads(downloads) {
  const body = element("downloads").querySelector("tbody");
  body.replaceChildren();
  for (const download of downloads) {
    const row = document.createElement("tr");
    row.dataset.fileId = download.fileId;
    row.dataset.state = download.state;
    cell(row, formatTime(download.at));
    cell(row, DOWNLOAD_STATES[download.state] || download.state, "state");
    cell(row, download.fileName, "file-name");
    cell(row, download.size, "number");
    cell(row, download.fileId);
    cell(row, download.reason);
    body.appendChild(row);
  }
}

async function showDownloads(event) {
  event.preventDefault();
  element("downloads-error").textContent = "";
  const code = element("downloads-municipality").value.trim();
  try {
    renderDownloads(await api("/operator/api/municipalities/" + encodeURIComponent(code) + "/downloads"));
  } catch (error) {
    element("downloads-error").textContent = "表示できません / Cannot show: " + error.message;
  }
}

async function refresh() {
  const [statuses, explanations, versions] = await Promise.all([
    api("/operator/api/municipalities"), api("/operator/api/why"), api("/operator/api/versions")]);
  renderVersions(versions);
  renderMunicipalities(statuses);
  renderWhy(explanations);
  element("updated").textContent = "更新 / updated " + new Date().toLocaleTimeString("ja-JP");
  document.body.dataset.loaded = "true";
}

async function search(event) {
  if (event) {
    event.preventDefault();
  }
  const query = new URLSearchParams();
  const fields = { municipality: "search-municipality", from: "search-from", to: "search-to",
    name: "search-name", outcome: "search-outcome" };
  for (const [parameter, id] of Object.entries(fields)) {
    const value = element(id).value.trim();
    if (value) {
      query.set(parameter, value);
    }
  }
  renderTransfers(await api("/operator/api/transfers?" + query.toString()));
}

function showSignedIn(me) {
  element("who-name").textContent = me.name;
  element("who-role").textContent = me.role;
  element("who").hidden = false;
  element("sign-in-section").hidden = true;
  element("main").hidden = false;
}

async function signIn(event) {
  event.preventDefault();
  element("sign-in-error").textContent = "";
  try {
    const answer = await api("/operator/api/sign-in", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: element("sign-in-name").value, password: element("sign-in-password").value })
    });
    element("sign-in-password").value = "";
    csrfToken = answer.csrfToken;
    showSignedIn(answer);
    await refresh();
    await search();
  } catch (error) {
    element("sign-in-error").textContent = "サインインできません / Sign-in failed: " + error.message;
  }
}

async function signOut() {
  await fetch("/operator/api/sign-out", { method: "POST", credentials: "same-origin",
    headers: { "X-CSRF-Token": csrfToken || "" } });
  window.location.reload();
}

document.addEventListener("DOMContentLoaded", () => {
  element("sign-in-form").addEventListener("submit", signIn);
  element("search-form").addEventListener("submit", search);
  element("downloads-form").addEventListener("submit", showDownloads);
  element("refresh").addEventListener("click", refresh);
  element("sign-out").addEventListener("click", signOut);
  setInterval(() => {
    if (!element("main").hidden) {
      refresh().catch(() => {});
    }
  }, 10000);
});
