// The operators' console: signs in with a bearer token kept in this tab (sessionStorage), reads
// the JSON endpoints under /api/v1/ops every few seconds and draws them; no page reloads.

import { bars, timeSeries } from "./charts.js";
import { language, locale, setLanguage, t } from "./i18n.js";

const ROOT = "/api/v1";
const API = `${ROOT}/ops`;
const TOKEN = "pmi-console-token";
// how often the page reads the gateway again: CONSOLE_REFRESH_SECONDS, which the gateway writes
// into the page
const REFRESH_MS = 1000 * Number(document.querySelector("meta[name='refresh-seconds']").content);
const VIEWS = ["health", "queues", "letters", "lifecycle", "webhooks", "cases", "gotki", "checkin"];
const $ = (selector) => document.querySelector(selector);

let view = "health";
let pages = []; // the pages the signed-in role may open (/ops/me)
let timer = null;
let lettersSeen = null; // the dead-letter counts the list was last read at
let letters = [];
let lettersAsked = 0; // the latest reading of the dead letters asked for; older answers are dropped

// talking to the gateway -----------------------------------------------------------------------

class Refused extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || String(status));
    this.status = status;
    this.problem = problem;
  }
}

async function call(path, { method = "GET", body, root = API } = {}) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN)}`,
                    Accept: "application/json" };
  if (body) headers["Content-Type"] = "application/json";
  const response = await fetch(root + path, { method, headers,
                                             body: body ? JSON.stringify(body) : undefined });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new Refused(response.status, payload);
  return payload;
}

function element(tag, text, className) {
  const made = document.createElement(tag);
  if (text != null) made.textContent = text;
  if (className) made.className = className;
  return made;
}

function cell(row, text, className) {
  row.append(element("td", text, className));
}

function number(value, digits = 0) {
  if (value == null) return "–";
  return Number(value).toLocaleString(locale(), { maximumFractionDigits: digits,
                                                  minimumFractionDigits: digits });
}

function duration(seconds) {
  if (seconds == null) return "–";
  const s = Math.round(seconds);
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

function moment(iso) {
  if (!iso) return "–";
  return new Date(iso).toLocaleString(locale(), { dateStyle: "short", timeStyle: "medium" });
}

// signing in and out ----------------------------------------------------------------------------

function show(name) {
  for (const section of document.querySelectorAll(".view")) {
    section.hidden = section.id !== `view-${name}`;
  }
  const signedIn = pages.includes(name);
  $("#tabs").hidden = !signedIn;
  $("#signout").hidden = name === "signin";
  $("#overall").hidden = !signedIn || !pages.includes("health");
  for (const button of document.querySelectorAll("#tabs button")) {
    button.hidden = !pages.includes(button.dataset.view);
    button.setAttribute("aria-current", button.dataset.view === name ? "page" : "false");
  }
}

function refuse(error) {
  clearTimeout(timer);
  const role = error.problem?.details?.role || "?";
  $("#refused-detail").textContent = t("refused.detail", { role });
  show("refused");
  $("#refused-back").focus();
}

function signOut() {
  clearTimeout(timer);
  pages = [];
  sessionStorage.removeItem(TOKEN);
  $("#token").value = "";
  show("signin");
  $("#token").focus();
}

async function signIn(event) {
  event.preventDefault();
  const token = $("#token").value.trim().replace(/^Bearer\s+/i, "");
  sessionStorage.setItem(TOKEN, token);
  $("#signin-error").textContent = "";
  try {
    await whoSignedIn();
  } catch (error) {
    if (error.status === 403) return refuse(error);
    sessionStorage.removeItem(TOKEN);
    $("#signin-error").textContent = error instanceof Refused
      ? t("signin.invalid", { detail: error.message }) : t("signin.unreachable");
    return;
  }
  open(location.hash.slice(1));
}

// the pages of the role the token carries; a role with none of them is refused
async function whoSignedIn() {
  const me = await call("/me");
  pages = VIEWS.filter((name) => me.pages.includes(name));
  if (!pages.length) throw new Refused(403, { details: { role: me.role } });
}

// a tab opened again (a reload) with the token of this tab: who it is, then the page
async function resume() {
  try {
    await whoSignedIn();
  } catch (error) {
    if (error.status === 403) return refuse(error);
    return signOut();
  }
  open(location.hash.slice(1));
}

function open(name) {
  if (!pages.length) return;
  view = pages.includes(name) ? name : pages[0];
  if (location.hash.slice(1) !== view) history.replaceState(null, "", `#${view}`);
  show(view);
  refresh();
}

// the orientation's door: the sessions to come, and a seat's ticket (typed or read from its QR
// by a scanner that types) with the NIK on the identity card shown -------------------------------

async function refreshCheckin() {
  const { items } = await call("/orientation/sessions?upcoming=true", { root: ROOT });
  const select = $("#checkin-session");
  const chosen = select.value;
  const ids = items.map((s) => s.id).join();
  if (select.dataset.ids === ids) return; // the desk's choice stays while nothing changed
  select.dataset.ids = ids;
  select.replaceChildren(...items.map((session) => {
    const option = element("option", `${moment(session.starts_at)} · ${session.location}`);
    option.value = session.id;
    return option;
  }));
  if (items.some((s) => s.id === chosen)) select.value = chosen;
}

async function checkIn(event) {
  event.preventDefault();
  const result = $("#checkin-result");
  const session = $("#checkin-session").value;
  const body = { ticket: $("#checkin-ticket").value.trim().toUpperCase(),
                 nik: $("#checkin-nik").value.trim() };
  try {
    const done = await call(`/orientation/sessions/${session}/attendance`,
                            { method: "POST", body, root: ROOT });
    result.textContent = t("checkin.done", { number: done.certificate_number });
    $("#checkin-ticket").value = "";
    $("#checkin-nik").value = "";
    $("#checkin-ticket").focus();
  } catch (error) {
    if (error.status === 401) return signOut();
    result.textContent = t("checkin.refused", { detail: error.message });
  }
}

// refreshing ------------------------------------------------------------------------------------

let generation = 0; // the latest refresh; an older one that finishes schedules nothing

async function refresh() {
  clearTimeout(timer);
  const mine = ++generation;
  try {
    const health = pages.includes("health") ? await call("/health") : null;
    if (health) drawOverall(health);
    if (view === "health") {
      drawHealth(health);
      await refreshNotifications();
    }
    if (view === "queues") drawQueues(await call("/queues"));
    if (view === "letters") await refreshLetters(health);
    if (view === "lifecycle") drawLifecycle(await call("/lifecycle"));
    if (view === "webhooks") drawWebhooks(await call("/webhooks"));
    if (view === "cases") await refreshCases();
    if (view === "gotki") await refreshGotki();
    if (view === "checkin") await refreshCheckin();
    $("#refreshed").textContent = t("refreshed", {
      time: new Date().toLocaleTimeString(locale()) });
  } catch (error) {
    if (error.status === 401) return signOut();
    if (error.status === 403) return refuse(error);
    $("#refreshed").textContent = t("stale", { detail: error.message });
  }
  if (mine === generation) timer = setTimeout(refresh, REFRESH_MS);
}

function drawOverall(health) {
  const overall = $("#overall");
  const healthy = health.status === "healthy";
  overall.textContent = healthy ? t("health.healthy")
    : t("health.unhealthy", { names: health.unhealthy.join(", ") });
  overall.title = overall.textContent; // whole, where the header cuts it short
  overall.className = `mark ${healthy ? "good" : "bad"}`;
}

// platform health -------------------------------------------------------------------------------

function drawHealth(health) {
  const banner = $("#health-status");
  banner.textContent = $("#overall").textContent;
  banner.className = `banner ${health.status === "healthy" ? "good" : "bad"}`;
  const cards = [...health.services, health.gateway].map(healthCard);
  $("#health-cards").replaceChildren(...cards);
}

function healthCard(row) {
  const card = element("article", null, `card ${row.marks.length ? "bad" : "good"}`);
  card.dataset.service = row.name;
  const title = element("h3", row.name);
  title.append(" ", element("span", row.up ? t("health.up") : t("health.down"),
                            `pill ${row.up ? "good" : "bad"}`));
  card.append(title);
  const facts = element("dl", null, "facts");
  const fact = (key, value) => facts.append(element("dt", t(key)), element("dd", value));
  fact("health.instances", number(row.instances));
  if (row.name === "gateway") {
    fact("health.broker", row.broker);
    fact("health.database", row.database);
  } else {
    fact("health.outbox", number(row.outbox_backlog));
    fact("health.oldest", duration(row.oldest_unpublished_age_seconds));
    if ("inbox_lag_messages" in row) {
      fact("health.consumers", number(row.consumers));
      fact("health.lag", number(row.inbox_lag_messages));
      fact("health.lag_time", duration(row.inbox_lag_seconds));
      fact("health.failures", number(row.failures_per_second, 2));
      fact("health.dead", number(row.dead_letters));
    }
  }
  card.append(facts);
  if (row.reason) card.append(element("p", row.reason, "reason"));
  const marks = element("ul", null, "marks");
  for (const mark of row.marks) marks.append(element("li", mark, "pill bad"));
  card.append(marks);
  return card;
}

// messages to workers ---------------------------------------------------------------------------

async function refreshNotifications() {
  const unavailable = $("#notify-unavailable");
  try {
    const answer = await call("/notifications");
    unavailable.hidden = true;
    $("#notify-cards").replaceChildren(...answer.channels.map(channelCard));
  } catch (error) {
    if (error.status === 401 || error.status === 403) throw error;
    unavailable.textContent = t("notify.unavailable", { detail: error.message });
    unavailable.hidden = false;
  }
}

function channelCard(row) {
  const down = row.up === false;
  const card = element("article", null, `card ${down ? "bad" : "good"}`);
  card.dataset.channel = row.channel;
  const title = element("h3", `${row.channel} · ${row.provider || "–"}`);
  const state = row.up == null ? t("notify.unknown") : (down ? t("health.down") : t("health.up"));
  title.append(" ", element("span", state, `pill ${down ? "bad" : "good"}`));
  card.append(title);
  const facts = element("dl", null, "facts");
  const fact = (key, value) => facts.append(element("dt", t(key)), element("dd", value));
  const sum = (name, hours) => hours.reduce((total, hour) => total + hour[name], 0);
  const last = row.hours.slice(-1);
  fact("notify.waiting", number(row.waiting));
  fact("notify.due", number(row.due));
  fact("notify.sent_hour", number(sum("sent", last)));
  fact("notify.delivered_hour", number(sum("delivered", last)));
  fact("notify.failed_hour", number(sum("failed", last)));
  fact("notify.sent_day", number(sum("sent", row.hours)));
  fact("notify.failed_day", number(sum("failed", row.hours)));
  card.append(facts);
  const perHour = element("div", null, "bars");
  bars(perHour, row.hours.slice(-6).map((hour) => ({
    label: new Date(hour.hour).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" }),
    value: hour.sent })), { keepOrder: true });
  card.append(element("p", t("notify.per_hour"), "reason"), perHour);
  if (row.error) card.append(element("p", row.error, "reason"));
  return card;
}

// queues ----------------------------------------------------------------------------------------

function drawQueues(answer) {
  const body = $("#queue-table tbody");
  body.replaceChildren(...answer.queues.map((queue) => {
    const row = element("tr", null, queue.marks.length ? "bad" : "");
    row.dataset.queue = queue.name;
    row.append(element("th", queue.name));
    row.firstChild.scope = "row";
    cell(row, number(queue.ready), "num ready");
    cell(row, number(queue.unacked), "num");
    cell(row, number(queue.consumers), "num consumers");
    cell(row, number(queue.publish_rate, 1), "num");
    cell(row, number(queue.deliver_rate, 1), "num");
    const consumed = queue.kind === "agency" || queue.kind === "parked"
      ? (queue.last_consumed_at ? moment(queue.last_consumed_at) : t("queues.never")) : "";
    cell(row, consumed);
    cell(row, queue.marks.join(", ") || t("queues.ok"), "state");
    return row;
  }));
  const charted = answer.queues.filter((q) => ["inbox", "agency", "dead-letter"].includes(q.kind));
  const longest = charted.reduce((a, q) => (q.history.at.length > a.length ? q.history.at : a), []);
  const align = (values) => [...Array(longest.length - values.length).fill(null), ...values];
  timeSeries($("#chart-depth"), longest, charted.map((q) => ({
    label: q.name, values: align(q.history.ready) })), locale());
  const flowing = charted.filter((q) => q.kind !== "dead-letter");
  timeSeries($("#chart-rates"), longest, flowing.map((q) => ({
    label: q.name, values: align(q.history.deliver_rate) })), locale());
}

// dead letters ----------------------------------------------------------------------------------

function filter() {
  const service = $("#letters-service").value;
  const match = $("#letters-match").value.trim();
  return { service, match };
}

async function refreshLetters(health, force = false) {
  // Reading the dead letters takes each one and gives it back: read them again only when
  // their number changed, when asked, or after an action, not at every refresh.
  const counts = health.services.map((s) => `${s.name}:${s.dead_letters}`).join(",");
  if (force || counts !== lettersSeen) {
    const { service, match } = filter();
    const query = new URLSearchParams();
    if (service) query.set("service", service);
    if (match) query.set("match", match);
    const asked = ++lettersAsked;
    const [found, actions] = await Promise.all([call(`/dead-letters?${query}`),
                                                call("/actions")]);
    if (asked !== lettersAsked) return; // a newer reading (another filter) is on its way
    letters = found.items;
    lettersSeen = counts;
    drawLetters();
    drawActions(actions.items);
  }
}

function drawLetters() {
  const body = $("#letters-table tbody");
  body.replaceChildren(...letters.map((letter, index) => {
    const row = element("tr");
    row.dataset.eventId = letter.event_id || "";
    row.dataset.service = letter.service;
    cell(row, letter.service);
    const event = element("td");
    event.append(element("code", letter.event_type || "–"), element("br"),
                 element("small", letter.event_id || "–"));
    if (letter.replays) event.append(" ", element("small", t("letters.replays",
                                                              { count: letter.replays })));
    row.append(event);
    cell(row, number(letter.attempts), "num");
    cell(row, moment(letter.failed_at));
    cell(row, letter.error, "error-text");
    const actions = element("div", null, "row-actions");
    actions.append(button("letters.inspect", () => inspect(index)));
    if (letter.event_id) {
      actions.append(button("letters.replay", () => actOnOne("replay", letter)),
                     button("letters.discard", () => actOnOne("discard", letter), "danger"));
    }
    const actionsCell = element("td");
    actionsCell.append(actions);
    row.append(actionsCell);
    return row;
  }));
  $("#letters-empty").hidden = letters.length > 0;
  $("#letters-table").hidden = letters.length === 0;
  const many = letters.length > 0;
  $("#replay-matching").disabled = !many;
  $("#discard-matching").disabled = !many;
}

function button(key, onClick, className) {
  const made = element("button", t(key), className);
  made.type = "button";
  made.addEventListener("click", onClick);
  return made;
}

function inspect(index) {
  $("#letter-body").textContent = JSON.stringify(letters[index], null, 2);
  $("#letter-detail").hidden = false;
  $("#letter-body").focus();
}

function confirmed(text, action) {
  const dialog = $("#confirm");
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = t(`confirm.${action}`);
  $("#confirm-ok").className = action === "discard" ? "danger" : "primary";
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

async function actOnOne(action, letter) {
  const text = t(`confirm.${action}_one`, { event: letter.event_id, service: letter.service });
  if (!(await confirmed(text, action))) return;
  await act(action, [{ service: letter.service, event_id: letter.event_id }]);
}

async function actOnMatching(action) {
  const { match } = filter();
  const services = [...new Set(letters.map((letter) => letter.service))];
  const text = t(`confirm.${action}_many`, { count: letters.length,
                                             services: services.join(", ") });
  if (!(await confirmed(text, action))) return;
  await act(action, services.map((service) => (match ? { service, match }
                                                     : { service, all: true })));
}

async function act(action, choices) {
  const outcome = [];
  try {
    for (const choice of choices) {
      const answer = await call(`/dead-letters/${action}`, { method: "POST", body: choice });
      outcome.push(t(action === "replay" ? "letters.replayed" : "letters.discarded",
                     { count: answer.count, service: answer.service }));
    }
  } catch (error) {
    outcome.push(t("error.problem", { title: error.problem?.title || "", detail: error.message }));
  }
  $("#letters-outcome").textContent = outcome.join(" ");
  $("#letter-detail").hidden = true;
  await refreshLetters(await call("/health"), true);
}

function drawActions(items) {
  const list = $("#actions-list");
  if (!items.length) {
    list.replaceChildren(element("li", t("letters.no_history")));
    return;
  }
  list.replaceChildren(...items.map((item) => element("li", t("letters.record", {
    at: moment(item.at), who: `${item.actor.subject} (${item.actor.role})`,
    action: t(`action.${item.action}`), count: item.count, service: item.service,
    selection: Object.entries(item.selection).map(([k, v]) => `${k}=${v}`).join(", "),
  }))));
}

// agencies' webhooks ----------------------------------------------------------------------------

function drawWebhooks(answer) {
  $("#hooks-empty").hidden = answer.endpoints.length > 0;
  $("#hooks-table tbody").replaceChildren(...answer.endpoints.map((hook) => {
    const enabled = hook.status === "enabled";
    const row = element("tr", null, enabled && !hook.consecutive_failures ? "" : "bad");
    row.dataset.endpoint = hook.id;
    row.append(element("th", hook.agency));
    row.firstChild.scope = "row";
    cell(row, hook.description ? `${hook.description} (${hook.url})` : hook.url);
    cell(row, enabled ? t("hooks.enabled") : t("hooks.disabled", { reason: hook.disabled_reason }),
         "state");
    cell(row, moment(hook.last_success_at));
    cell(row, `${number(hook.consecutive_failures)}${hook.more_failures ? "+" : ""}`,
         "num failures");
    cell(row, number(hook.pending), "num pending");
    cell(row, duration(hook.oldest_pending_age_seconds), "num");
    return row;
  }));
  const list = $("#notices-list");
  if (!answer.notices.length) {
    list.replaceChildren(element("li", t("hooks.no_notices")));
    return;
  }
  list.replaceChildren(...answer.notices.map((notice) => element("li", t("hooks.notice", {
    at: moment(notice.created_at), agency: notice.agency, subject: notice.subject,
    state: t(`notice.${notice.state}`, { at: moment(notice.mailed_at) }),
  }))));
}

// lifecycle and desks ---------------------------------------------------------------------------

function entries(counts) {
  return Object.entries(counts || {}).map(([label, value]) => ({ label, value }));
}

function drawLifecycle(answer) {
  const workers = answer.workers || {};
  bars($("#bars-status"), entries(workers.by_status));
  bars($("#bars-stage"), entries(workers.by_stage));
  bars($("#bars-regency"), entries(workers.by_regency));
  bars($("#bars-country"), entries(workers.by_destination_country || workers.by_country));
  const desk = answer.documents_desk?.by_type || {};
  $("#desk-table tbody").replaceChildren(...Object.entries(desk).map(([type, row]) => {
    const line = element("tr");
    line.dataset.type = type;
    line.append(element("th", type));
    cell(line, number(row.backlog), "num");
    cell(line, number(row.decisions), "num");
    cell(line, duration(row.median_decision_seconds), "num");
    cell(line, duration(row.p90_decision_seconds), "num");
    return line;
  }));
  const seats = answer.orientation;
  if (seats) {
    bars($("#bars-seats"), [
      { label: t("life.seats_total"), value: seats.enrolled, max: Math.max(1, seats.capacity) },
      ...seats.sessions.map((s) => ({ label: `${moment(s.starts_at)} · ${s.location}`,
                                      value: s.enrolled, max: s.capacity })),
    ], { keepOrder: true });
  }
  const funnels = answer.reintegration?.funnels || [];
  $("#funnels").replaceChildren(...(funnels.length ? funnels.map((funnel) => {
    const block = element("div", null, "funnel");
    block.append(element("h4", funnel.name));
    const chart = element("div", null, "bars");
    bars(chart, funnel.steps.map((step) => ({
      label: t(`step.${step.step}`, { name: step.name }), value: step.count })),
    { keepOrder: true, max: Math.max(1, funnel.steps[0].count) });
    block.append(chart);
    return block;
  }) : [element("p", t("life.no_programs"))]));
  const missing = $("#life-unavailable");
  missing.hidden = !answer.unavailable.length;
  missing.textContent = t("life.unavailable", { names: answer.unavailable.join(", ") });
}

// protection cases ------------------------------------------------------------------------------

// The cases page answers caseworkers and the admin: an operator signed in sees why not, in the
// page, and keeps the rest of the console.
async function refreshCases() {
  let answer;
  try {
    answer = await call("/cases");
  } catch (error) {
    if (error.status !== 403) throw error;
    $("#cases-refused").hidden = false;
    $("#cases-body").hidden = true;
    return;
  }
  $("#cases-refused").hidden = true;
  $("#cases-body").hidden = false;
  drawCases(answer);
}

function labelled(counts, prefix) {
  return entries(counts).map(({ label, value }) => ({ label: t(`${prefix}.${label}`), value }));
}

function drawCases(answer) {
  const summary = $("#cases-summary");
  summary.textContent = t("cases.summary", { open: number(answer.open),
                                             overdue: number(answer.overdue) });
  summary.className = `banner ${answer.overdue ? "bad" : "good"}`;
  bars($("#bars-case-urgency"), labelled(answer.by_urgency, "urgency"), { keepOrder: true });
  bars($("#bars-case-type"), labelled(answer.by_type, "case"));
  bars($("#bars-case-country"), entries(answer.by_country));
  const weeks = answer.weeks || [];
  timeSeries($("#chart-cases"), weeks.map((w) => Date.parse(`${w.week}T00:00:00Z`) / 1000), [
    { label: t("cases.opened"), values: weeks.map((w) => w.opened) },
    { label: t("cases.resolved"), values: weeks.map((w) => w.resolved) },
  ], locale(), { dates: true });
  $("#cases-table tbody").replaceChildren(...answer.items.map((item) => {
    const line = element("tr", null, item.overdue.length ? "bad" : "");
    line.dataset.case = item.id;
    line.append(element("th", item.number));
    const type = t(`case.${item.case_type}`);
    cell(line, item.sensitive ? `${type} (${t("cases.protected")})` : type);
    cell(line, t(`urgency.${item.urgency}`));
    cell(line, t(`status.${item.status}`));
    cell(line, item.destination_country || "–");
    cell(line, item.assigned_to || t("cases.unassigned"));
    cell(line, duration(item.age_seconds), "num");
    cell(line, item.overdue.map((limit) => t(`late.${limit}`)).join(", ") || "–", "state");
    line.append(referralsCell(item.referrals || []));
    return line;
  }));
  $("#cases-empty").hidden = answer.items.length > 0;
}

// A case's referrals, one a line: to whom and when, how it reached the body, and its answers
// (who, where it stands, when), the thread the caseworker reads whole on the case.
function referralsCell(referrals) {
  const td = element("td", null, "referrals");
  if (!referrals.length) {
    td.textContent = t("cases.no_referral");
    return td;
  }
  const list = element("ul");
  for (const referral of referrals) {
    const item = element("li");
    item.dataset.referral = referral.id;
    const body = referral.agency || referral.name || referral.country;
    const kind = t(`referral.${referral.kind}`);
    const whom = body ? `${kind}: ${body}` : kind;
    item.append(element("span", whom, "whom"), ` · ${moment(referral.referred_at)} · `);
    const state = referral.last_error && referral.delivery === "queued" ? "bad" : "";
    item.append(element("span", t(`delivery.${referral.delivery}`), `delivery ${state}`));
    const answers = element("ul", null, "answers");
    for (const answer of referral.answers) {
      answers.append(element("li", `${t(`answer.${answer.status}`)}: ${answer.answered_by || "–"}`
                                   + ` (${moment(answer.answered_at || answer.recorded_at)})`));
    }
    if (!referral.answers.length) answers.append(element("li", t("cases.no_answer"), "none"));
    item.append(answers);
    list.append(item);
  }
  td.append(list);
  return td;
}

// Go-TKI's letters: the requests not yet issued, where each waits ------------------------------

const STAGES = ["village", "second_officer", "issue"];

function stageOf(letter) {
  if (letter.status === "acknowledged" || letter.letter_type !== "family_permission") {
    return "issue";
  }
  return letter.form_uploaded_at ? "second_officer" : "village";
}

async function refreshGotki() {
  const [requested, acknowledged] = await Promise.all(["requested", "acknowledged"].map(
    (status) => call(`/letters?status=${status}&limit=200`, { root: ROOT })));
  drawGotki([...requested.items, ...acknowledged.items]
    .sort((a, b) => Date.parse(a.requested_at) - Date.parse(b.requested_at)));
}

function drawGotki(items) {
  const staged = items.map((letter) => ({ letter, stage: stageOf(letter) }));
  const count = (stage) => staged.filter((row) => row.stage === stage).length;
  const summary = $("#gotki-summary");
  summary.textContent = t("gotki.summary", { count: number(items.length),
    village: number(count("village")), check: number(count("second_officer")) });
  summary.className = `banner ${items.length ? "" : "good"}`;
  bars($("#bars-gotki-stage"),
       STAGES.map((stage) => ({ label: t(`stage.${stage}`), value: count(stage) })),
       { keepOrder: true });
  const byType = {};
  for (const { letter } of staged) {
    const label = letter.letter_type_label?.[language()] || letter.letter_type;
    byType[label] = (byType[label] || 0) + 1;
  }
  bars($("#bars-gotki-type"), entries(byType));
  const now = Date.now();
  $("#gotki-table tbody").replaceChildren(...staged.map(({ letter, stage }) => {
    const line = element("tr");
    line.dataset.letter = letter.id;
    line.append(element("th", letter.letter_type_label?.[language()] || letter.letter_type));
    cell(line, letter.village_code || "–");
    cell(line, t(`stage.${stage}`), "state");
    cell(line, moment(letter.requested_at));
    cell(line, duration((now - Date.parse(letter.requested_at)) / 1000), "num");
    cell(line, letter.form_refusal_reason
      ? t("gotki.refused", { reason: letter.form_refusal_reason }) : "–");
    return line;
  }));
  $("#gotki-empty").hidden = items.length > 0;
}

// starting --------------------------------------------------------------------------------------

function toggleLanguage() {
  setLanguage(language() === "id" ? "en" : "id");
  const other = language() === "id" ? "en" : "id";
  $("#language").textContent = t("language");
  $("#language").lang = other;
  if (sessionStorage.getItem(TOKEN) && VIEWS.includes(view) && !$(`#view-${view}`).hidden) {
    lettersSeen = null;
    refresh();
  }
}

function start() {
  setLanguage(language());
  $("#language").textContent = t("language");
  $("#language").lang = language() === "id" ? "en" : "id";
  $("#language").addEventListener("click", toggleLanguage);
  $("#signin-form").addEventListener("submit", signIn);
  $("#signout").addEventListener("click", signOut);
  $("#refused-back").addEventListener("click", signOut);
  for (const tab of document.querySelectorAll("#tabs button")) {
    tab.addEventListener("click", () => {
      // the view opens at once: a hash already naming it fires no hashchange
      if (location.hash.slice(1) !== tab.dataset.view) {
        history.pushState(null, "", `#${tab.dataset.view}`);
      }
      open(tab.dataset.view);
    });
  }
  window.addEventListener("hashchange", () => {
    if (sessionStorage.getItem(TOKEN)) open(location.hash.slice(1));
  });
  $("#letters-filter").addEventListener("submit", async (event) => {
    event.preventDefault();
    await refreshLetters(await call("/health"), true);
  });
  $("#checkin-form").addEventListener("submit", checkIn);
  $("#replay-matching").addEventListener("click", () => actOnMatching("replay"));
  $("#discard-matching").addEventListener("click", () => actOnMatching("discard"));
  for (const service of ["registration", "documents", "orientation", "reintegration"]) {
    const option = element("option", service);
    option.value = service;
    $("#letters-service").append(option);
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && sessionStorage.getItem(TOKEN) && !$(`#view-${view}`).hidden) refresh();
  });
  if (sessionStorage.getItem(TOKEN)) resume();
  else show("signin");
}

start();
