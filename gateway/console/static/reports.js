// The planning office's reports page: the monthly figures of /api/v1/reports/monthly drawn as
// charts (uPlot, as the console's) and bars, for the planning role (Bappedalitbang) and the
// admin. Signs in with a bearer token kept in this tab, as the console does (the same one).
// Beside them, the cases' first action (within the limit or late, the median working hours) and
// the messages sent with their cost, per month, each chart with its table.
// The period's files (CSV, XLSX, open data, the printable PDF) are fetched with that token and saved from a blob:
// a link could not carry the Authorization header.

import { bars } from "./charts.js";

const REPORTS = "/api/v1/reports";
const API = `${REPORTS}/monthly`;
const TOKEN = "pmi-console-token";
const LANGUAGE = "pmi-console-language";
const SEXES = ["F", "M", "unknown"];
const COLOURS = { F: "#be185d", M: "#1d4ed8", unknown: "#4b5563", in_time: "#15803d",
                  late: "#b91c1c", hours: "#334155", sent: "#1d4ed8", cost: "#b45309" };
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
const $ = (selector) => document.querySelector(selector);

const WORDS = {
  id: {
    skip: "Langsung ke isi",
    title: "Laporan PMI",
    console: "Konsol operasi",
    language: "English",
    signout: "Keluar",
    "signin.title": "Masuk",
    "signin.help": "Tempelkan token akses (JWT) peran perencanaan (Bappedalitbang) atau admin. Token hanya disimpan di tab ini.",
    "signin.token": "Token akses",
    "signin.submit": "Masuk",
    "signin.invalid": "Token ditolak: {detail}",
    "signin.refused": "Peran {role} tidak boleh membaca laporan. Laporan untuk peran perencanaan dan admin.",
    "signin.unreachable": "Gateway tidak dapat dihubungi.",
    "reports.title": "Angka bulanan",
    "period.from": "Dari bulan",
    "period.to": "Sampai bulan",
    "period.show": "Tampilkan",
    "status.read": "Angka {from} sampai {to} (waktu WIB), dibaca {time}",
    "status.failed": "Laporan tidak dapat dibaca: {detail}",
    "downloads.title": "Unduh periode ini",
    "downloads.csv": "Angka (CSV)",
    "downloads.xlsx": "Angka (XLSX)",
    "downloads.open_data": "Data terbuka (CSV)",
    "downloads.pdf": "Laporan cetak (PDF)",
    "downloads.saved": "{file} diunduh",
    "downloads.failed": "Berkas tidak dapat diunduh: {detail}",
    "chart.registrations": "Pendaftaran per bulan menurut jenis kelamin",
    "chart.departures": "Keberangkatan per bulan menurut jenis kelamin",
    "chart.returns": "Kepulangan menurut alasan",
    "chart.cases": "Kasus dibuka menurut aspek",
    "table.caption": "Pendaftaran dan keberangkatan per bulan",
    "table.month": "Bulan",
    "table.registrations_f": "Pendaftaran, perempuan",
    "table.registrations_m": "Pendaftaran, laki-laki",
    "table.departures_f": "Keberangkatan, perempuan",
    "table.departures_m": "Keberangkatan, laki-laki",
    "first_actions.title": "Tindakan pertama atas kasus",
    "chart.first_actions": "Kasus ditindak tepat waktu dan terlambat, dan median jam kerja sampai tindakan pertama, per bulan diterima",
    "first_actions.caption": "Tindakan pertama atas kasus per bulan diterima",
    "first_actions.month": "Bulan diterima",
    "first_actions.received": "Diterima",
    "first_actions.in_time": "Tepat waktu",
    "first_actions.late": "Terlambat",
    "first_actions.median": "Median jam kerja",
    "messages.title": "Pesan terkirim",
    "chart.messages": "Pesan terkirim dan biayanya per bulan",
    "messages.caption": "Pesan terkirim, segmen SMS dan biaya per bulan",
    "messages.sent": "Pesan terkirim",
    "messages.segments": "Segmen SMS",
    "messages.cost": "Biaya (Rp)",
    "sex.F": "Perempuan",
    "sex.M": "Laki-laki",
    "sex.unknown": "Tidak diketahui",
    "none": "Belum ada angka pada periode ini.",
    "funnel.title": "Corong PAK CAMAT per program dan tahun",
    "funnel.enrolled": "Terdaftar",
    "funnel.round": "Lolos babak {round}",
    "funnel.completed": "Selesai",
    "funnel.businesses": "Memulai usaha",
    "funnel.awarded": "Penerima penghargaan",
    "funnel.running": "Usaha masih berjalan, {months} bulan",
    "funnel.migrated": "Bermigrasi lagi, {months} bulan",
    "reason.contract_ended": "Kontrak selesai",
    "reason.terminated": "Diberhentikan",
    "reason.deported": "Dideportasi",
    "reason.sick": "Sakit",
    "reason.repatriated": "Dipulangkan negara",
    "reason.other": "Lainnya",
    "aspect.economic": "Ekonomi",
    "aspect.social": "Sosial",
    "aspect.legal": "Hukum",
    "aspect.health": "Kesehatan",
  },
  en: {
    skip: "Skip to content",
    title: "PMI reports",
    console: "Operations console",
    language: "Bahasa Indonesia",
    signout: "Sign out",
    "signin.title": "Sign in",
    "signin.help": "Paste the access token (JWT) of the planning role (Bappedalitbang) or the admin. The token is kept in this tab only.",
    "signin.token": "Access token",
    "signin.submit": "Sign in",
    "signin.invalid": "Token refused: {detail}",
    "signin.refused": "The {role} role may not read the reports. The reports are for the planning role and the admin.",
    "signin.unreachable": "The gateway cannot be reached.",
    "reports.title": "Monthly figures",
    "period.from": "From month",
    "period.to": "To month",
    "period.show": "Show",
    "status.read": "Figures {from} to {to} (WIB), read at {time}",
    "status.failed": "The report could not be read: {detail}",
    "downloads.title": "Download this period",
    "downloads.csv": "Figures (CSV)",
    "downloads.xlsx": "Figures (XLSX)",
    "downloads.open_data": "Open data (CSV)",
    "downloads.pdf": "Printable report (PDF)",
    "downloads.saved": "{file} downloaded",
    "downloads.failed": "The file could not be downloaded: {detail}",
    "chart.registrations": "Registrations per month by sex",
    "chart.departures": "Departures per month by sex",
    "chart.returns": "Returns by reason",
    "chart.cases": "Cases opened by aspect",
    "table.caption": "Registrations and departures per month",
    "table.month": "Month",
    "table.registrations_f": "Registrations, women",
    "table.registrations_m": "Registrations, men",
    "table.departures_f": "Departures, women",
    "table.departures_m": "Departures, men",
    "first_actions.title": "Cases' first action",
    "chart.first_actions": "Cases acted on within the limit and late, and the median working hours to the first action, per month received",
    "first_actions.caption": "Cases' first action per month received",
    "first_actions.month": "Month received",
    "first_actions.received": "Received",
    "first_actions.in_time": "Within the limit",
    "first_actions.late": "Late",
    "first_actions.median": "Median working hours",
    "messages.title": "Messages sent",
    "chart.messages": "Messages sent and their cost per month",
    "messages.caption": "Messages sent, SMS segments and cost per month",
    "messages.sent": "Messages sent",
    "messages.segments": "SMS segments",
    "messages.cost": "Cost (Rp)",
    "sex.F": "Women",
    "sex.M": "Men",
    "sex.unknown": "Not known",
    "none": "No figures in this period yet.",
    "funnel.title": "PAK CAMAT's funnel per programme and year",
    "funnel.enrolled": "Enrolled",
    "funnel.round": "Advanced in round {round}",
    "funnel.completed": "Completed",
    "funnel.businesses": "Started a business",
    "funnel.awarded": "Awarded",
    "funnel.running": "Business still running, {months} months",
    "funnel.migrated": "Migrated again, {months} months",
    "reason.contract_ended": "Contract ended",
    "reason.terminated": "Terminated",
    "reason.deported": "Deported",
    "reason.sick": "Sick",
    "reason.repatriated": "Repatriated",
    "reason.other": "Other",
    "aspect.economic": "Economic",
    "aspect.social": "Social",
    "aspect.legal": "Legal",
    "aspect.health": "Health",
  },
};

let current = WORDS[localStorage.getItem(LANGUAGE)] ? localStorage.getItem(LANGUAGE) : "id";
let shown = null; // the last answer drawn, drawn again in the other language
const plots = new Map();

function t(key, values = {}) {
  const text = WORDS[current][key] ?? WORDS.id[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

const locale = () => (current === "id" ? "id-ID" : "en-GB");

function setLanguage(code) {
  current = WORDS[code] ? code : "id";
  localStorage.setItem(LANGUAGE, current);
  document.documentElement.lang = current;
  for (const element of document.querySelectorAll("[data-words]")) {
    element.textContent = t(element.dataset.words);
  }
  $("#language").textContent = t("language");
  $("#language").lang = current === "id" ? "en" : "id";
  document.title = t("title");
  if (shown) draw(shown);
}

// the period ------------------------------------------------------------------------------------

function monthsBack(count) {
  // the district's month (WIB, UTC+7) now, and ``count`` months before it
  const now = new Date(Date.now() + 7 * 3600 * 1000);
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - count, 1));
  return start.toISOString().slice(0, 7);
}

function monthsOf(first, last) {
  const months = [];
  let [year, month] = first.split("-").map(Number);
  while (`${year}-${String(month).padStart(2, "0")}` <= last) {
    months.push(`${year}-${String(month).padStart(2, "0")}`);
    [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
  }
  return months;
}

const monthStart = (month) => Date.parse(`${month}-01T00:00:00Z`) / 1000;

function monthName(month) {
  return new Date(`${month}-01T00:00:00Z`).toLocaleDateString(locale(), {
    month: "short", year: "numeric", timeZone: "UTC" });
}

// reading ---------------------------------------------------------------------------------------

class Refused extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || String(status));
    this.status = status;
    this.problem = problem;
  }
}

async function read(from, to) {
  const response = await fetch(`${API}?from=${from}&to=${to}`, {
    headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN)}`,
               Accept: "application/json" } });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new Refused(response.status, payload);
  return payload;
}

async function show(event) {
  event?.preventDefault();
  const from = $("#from").value;
  const to = $("#to").value;
  try {
    draw(await read(from, to));
  } catch (error) {
    if (error.status === 401 || error.status === 403) return signOut(error);
    $("#reports-status").textContent = t("status.failed", { detail: error.message });
  }
}

// downloading ---------------------------------------------------------------------------------

function filenameOf(response, fallback) {
  const disposition = response.headers.get("Content-Disposition") || "";
  return /filename="([^"]+)"/.exec(disposition)?.[1] || fallback;
}

async function download(event) {
  const button = event.currentTarget;
  const path = button.dataset.download;
  const from = $("#from").value;
  const to = $("#to").value;
  button.disabled = true;
  try {
    const response = await fetch(`${REPORTS}/${path}?from=${from}&to=${to}`, {
      headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN)}` } });
    if (!response.ok) {
      throw new Refused(response.status, await response.json().catch(() => ({})));
    }
    const name = filenameOf(response, `pmi-${path}-${from}-${to}`);
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000); // once the browser has saved it
    $("#reports-status").textContent = t("downloads.saved", { file: name });
  } catch (error) {
    if (error.status === 401 || error.status === 403) return signOut(error);
    $("#reports-status").textContent = t("downloads.failed", { detail: error.message });
  } finally {
    button.disabled = false;
  }
}

// drawing ---------------------------------------------------------------------------------------

function totals(figures, measure, keyOf) {
  const counted = new Map();
  for (const figure of figures) {
    if (figure.measure !== measure) continue;
    const key = keyOf(figure);
    counted.set(key, (counted.get(key) || 0) + figure.count);
  }
  return counted;
}

const bySex = (figure) => `${figure.month}|${figure.sex || "unknown"}`;

const fromZero = (u, min, max) => [0, Math.max(1, max)];
const nameOfStart = (v) => monthName(new Date(v * 1000).toISOString().slice(0, 7));

// One chart per container, a point per month: ``lines`` [{ label, colour, values, scale }]; a
// line of another scale than the counts ("y") is read on its own axis, on the right.
function plotMonths(container, months, lines) {
  const others = [...new Set(lines.map((line) => line.scale || "y"))].filter((s) => s !== "y");
  const width = Math.max(240, container.clientWidth || 600);
  plots.get(container)?.destroy();
  const plot = new window.uPlot({
    width,
    height: 220,
    series: [
      { value: (u, v) => (v == null ? "" : nameOfStart(v)) },
      ...lines.map((line) => ({ label: line.label, stroke: COLOURS[line.colour], width: 2,
                                scale: line.scale || "y", dash: line.scale ? [6, 4] : undefined,
                                points: { show: true, size: 6 } })),
    ],
    axes: [{ values: (u, ticks) => ticks.map(nameOfStart) },
           { incrs: COUNT_STEPS }, // people and messages are counted in whole numbers
           ...others.map((scale) => ({ scale, side: 1, grid: { show: false },
                                       label: lines.find((line) => line.scale === scale).label }))],
    scales: { x: { time: false }, y: { range: fromZero },
              ...Object.fromEntries(others.map((scale) => [scale, { range: fromZero }])) },
    legend: { live: false },
  }, [months.map(monthStart), ...lines.map((line) => line.values)], container);
  plots.set(container, plot);
}

function monthly(container, months, counted) {
  const sexes = SEXES.filter((sex) => sex !== "unknown"
    || months.some((month) => counted.get(`${month}|unknown`)));
  plotMonths(container, months, sexes.map((sex) => ({
    label: t(`sex.${sex}`), colour: sex,
    values: months.map((month) => counted.get(`${month}|${sex}`) || 0) })));
}

// a row per month: its name, then its cells (numbers right-aligned, as the locale writes them)
function tableRows(tbody, months, cellsOf) {
  tbody.replaceChildren(...months.map((month) => {
    const row = document.createElement("tr");
    row.dataset.month = month;
    const head = document.createElement("th");
    head.scope = "row";
    head.textContent = monthName(month);
    row.append(head);
    for (const value of cellsOf(month)) {
      const cell = document.createElement("td");
      cell.className = "num";
      cell.textContent = value;
      row.append(cell);
    }
    return row;
  }));
}

const whole = (count) => (count || 0).toLocaleString(locale());
const hours = (value) => (value == null ? "–" : value.toLocaleString(locale(), {
  minimumFractionDigits: 1, maximumFractionDigits: 1 }));

function firstActions(months, rows) {
  const of = new Map(rows.map((row) => [row.month, row]));
  const inTime = (month) => of.get(month)?.acted_in_time || 0;
  const late = (month) => (of.get(month)?.acted || 0) - inTime(month);
  const median = (month) => of.get(month)?.median_working_hours ?? null;
  plotMonths($("#chart-first-actions"), months, [
    { label: t("first_actions.in_time"), colour: "in_time", values: months.map(inTime) },
    { label: t("first_actions.late"), colour: "late", values: months.map(late) },
    { label: t("first_actions.median"), colour: "hours", scale: "hours",
      values: months.map(median) },
  ]);
  tableRows($("#first-actions-table tbody"), months, (month) => [
    whole(of.get(month)?.received), whole(inTime(month)), whole(late(month)),
    hours(median(month))]);
}

function messages(months, figures) {
  const sent = totals(figures, "notifications_sent", (f) => f.month);
  const segments = totals(figures, "notification_segments", (f) => f.month);
  const cost = totals(figures, "notification_cost_rupiah", (f) => f.month);
  plotMonths($("#chart-messages"), months, [
    { label: t("messages.sent"), colour: "sent", values: months.map((m) => sent.get(m) || 0) },
    { label: t("messages.cost"), colour: "cost", scale: "rupiah",
      values: months.map((m) => cost.get(m) || 0) },
  ]);
  tableRows($("#messages-table tbody"), months, (month) => [
    whole(sent.get(month)), whole(segments.get(month)), whole(cost.get(month))]);
}

function draw(answer) {
  shown = answer;
  const months = monthsOf(answer.from, answer.to);
  const registrations = totals(answer.figures, "registrations", bySex);
  const departures = totals(answer.figures, "departures", bySex);
  monthly($("#chart-registrations"), months, registrations);
  monthly($("#chart-departures"), months, departures);
  tableRows($("#monthly-table tbody"), months, (month) => [
    registrations.get(`${month}|F`), registrations.get(`${month}|M`),
    departures.get(`${month}|F`), departures.get(`${month}|M`)].map(whole));
  const labelled = (counted, prefix) => [...counted].map(([key, value]) => ({
    label: t(`${prefix}.${key}`), value }));
  fill($("#bars-returns"), labelled(totals(answer.figures, "returns", (f) => f.detail), "reason"));
  fill($("#bars-cases"), labelled(
    totals(answer.figures, "cases_opened", (f) => f.detail.split(":")[0]), "aspect"));
  firstActions(months, answer.first_actions || []);
  messages(months, answer.figures);
  $("#funnels").replaceChildren(...(answer.programmes.length
    ? answer.programmes.map(funnel) : [paragraph(t("none"))]));
  $("#reports-status").textContent = t("status.read", {
    from: monthName(answer.from), to: monthName(answer.to),
    time: new Date().toLocaleTimeString(locale()) });
}

function fill(container, entries) {
  if (entries.length) bars(container, entries);
  else container.replaceChildren(paragraph(t("none")));
}

function paragraph(text) {
  const made = document.createElement("p");
  made.textContent = text;
  return made;
}

function funnel(programme) {
  const block = document.createElement("figure");
  block.className = "card funnel";
  block.dataset.program = programme.program_id;
  const title = document.createElement("h4");
  title.textContent = `${programme.name} (${programme.year})`;
  const chart = document.createElement("div");
  chart.className = "bars";
  const steps = [
    { label: t("funnel.enrolled"), value: programme.enrolled },
    ...programme.advanced.map((step) => ({ label: t("funnel.round", { round: step.round }),
                                           value: step.count })),
    { label: t("funnel.completed"), value: programme.completed },
    { label: t("funnel.businesses"), value: programme.businesses_started },
    { label: t("funnel.awarded"), value: programme.awarded },
    ...programme.follow_ups.flatMap((follow) => [
      { label: t("funnel.running", { months: follow.months }), value: follow.business_running },
      { label: t("funnel.migrated", { months: follow.months }), value: follow.migrated_again },
    ]),
  ];
  bars(chart, steps, { keepOrder: true, max: Math.max(1, programme.enrolled) });
  block.append(title, chart);
  return block;
}

// signing in and out ----------------------------------------------------------------------------

function signedIn(yes) {
  $("#view-signin").hidden = yes;
  $("#view-reports").hidden = !yes;
  $("#signout").hidden = !yes;
}

function signOut(error) {
  sessionStorage.removeItem(TOKEN);
  shown = null;
  signedIn(false);
  $("#token").value = "";
  $("#signin-error").textContent = !error ? ""
    : error.status === 403 ? t("signin.refused", { role: error.problem?.details?.role || "?" })
      : t("signin.invalid", { detail: error.message });
  $("#token").focus();
}

async function signIn(event) {
  event.preventDefault();
  sessionStorage.setItem(TOKEN, $("#token").value.trim().replace(/^Bearer\s+/i, ""));
  try {
    draw(await read($("#from").value, $("#to").value));
  } catch (error) {
    if (error instanceof Refused) return signOut(error);
    sessionStorage.removeItem(TOKEN);
    $("#signin-error").textContent = t("signin.unreachable");
    return;
  }
  signedIn(true);
}

function start() {
  $("#from").value = monthsBack(11);
  $("#to").value = monthsBack(0);
  setLanguage(current);
  $("#language").addEventListener("click", () => setLanguage(current === "id" ? "en" : "id"));
  $("#signin-form").addEventListener("submit", signIn);
  $("#signout").addEventListener("click", () => signOut());
  $("#period").addEventListener("submit", show);
  for (const button of document.querySelectorAll("[data-download]")) {
    button.addEventListener("click", download);
  }
  if (sessionStorage.getItem(TOKEN)) {
    signedIn(true);
    show();
  }
}

start();
