// PMI Saya: the worker's own app. No framework, no build step; every text in Bahasa Indonesia
// and English (Bahasa Indonesia first); the last known status kept on the phone for offline.
const $ = (id) => document.getElementById(id);
const API = "/api/v1";
const DOCS = ["marital_status_letter", "family_permission_letter", "competency_certificate",
  "health_certificate", "passport", "work_visa", "placement_agreement", "employment_contract"];
const PROBLEMS = { unpaid_wages: "economic", excess_fees: "economic", contract_violation: "legal",
  documents_held: "legal", violence_abuse: "legal", illness_injury: "health", detention_legal: "legal",
  lost_contact: "social", wants_to_return: "social", trafficking: "legal", other: "social" };
const TEXT = {
  id: {
    skip: "Langsung ke isi", title: "PMI Saya", lang: "English",
    "nav.status": "Status", "nav.documents": "Dokumen", "nav.orientation": "Orientasi", "nav.letters": "Surat",
    "nav.problem": "Lapor masalah", "nav.disclosures": "Data saya", "nav.devices": "Perangkat",
    "nav.programs": "Program", "nav.messages": "Pesan",
    "signin.title": "Masuk", "signin.nik": "NIK (16 angka, di KTP)", "signin.phone": "Nomor HP yang terdaftar",
    "signin.ask": "Kirim kode lewat SMS", "signin.code": "Kode 6 angka", "signin.submit": "Masuk",
    "signin.sent": "Jika NIK dan nomor HP cocok, kode 6 angka dikirim ke HP Anda. Berlaku 5 menit.",
    "signin.again": "Minta kode baru",
    "status.title": "Status saya", "status.next": "Langkah berikutnya",
    "status.desk": "Loket LTSA PMI Kabupaten Blitar, Senin–Jumat 08.00–15.00 WIB",
    offline: "Tidak ada sinyal. Ini status terakhir yang diketahui, per ",
    registered: "Terdaftar", documents_verified: "Dokumen lengkap", orientation_completed: "Sudah ikut OPP",
    cleared_for_departure: "Siap berangkat", departed: "Bekerja di luar negeri", returned: "Sudah pulang",
    in_reintegration: "Ikut program usaha", reintegrated: "Program usaha selesai", withdrawn: "Mengundurkan diri",
    deceased: "Meninggal dunia",
    "next.registered": "Lengkapi dokumen Anda. Belum ada: ", "next.registered.wait": "Dokumen Anda sedang diperiksa petugas.",
    "next.documents_verified": "Daftar orientasi pra-penempatan (OPP) di menu Orientasi.",
    "next.orientation_completed": "Bawa kartu BPJS Ketenagakerjaan ke loket.",
    "next.cleared_for_departure": "Semua syarat lengkap. Datang ke loket untuk mencatat keberangkatan.",
    "next.departed": "Jika ada masalah di tempat kerja, laporkan di menu Lapor masalah.",
    "next.returned": "Selamat datang. Lihat program usaha di menu Program.",
    "next.other": "Tanyakan ke loket jika ada pertanyaan.",
    "documents.upload": "Kirim foto dokumen", "documents.type": "Jenis dokumen", "documents.number": "Nomor dokumen",
    "documents.issued": "Tanggal terbit", "documents.expires": "Berlaku sampai (jika ada)",
    "documents.photo": "Foto (kamera)", "documents.send": "Kirim", "documents.sent": "Terkirim. Petugas akan memeriksanya.",
    missing: "Belum ada", submitted: "Diperiksa", verified: "Sah", rejected: "Ditolak", expired: "Kedaluwarsa",
    "orientation.title": "Orientasi pra-penempatan (OPP)", "orientation.seats": "kursi kosong",
    "orientation.enrol": "Daftar", "orientation.enrolled": "Anda terdaftar. Bawa KTP asli.",
    "orientation.none": "Belum ada jadwal.",
    "ticket.title": "Tiket OPP saya", "ticket.code": "Kode tiket: ",
    "ticket.show": "Tunjukkan QR ini dan KTP asli kepada petugas di pintu.",
    "certificate.title": "Sertifikat OPP", "certificate.number": "Nomor: ", "certificate.date": "Tanggal: ",
    "certificate.print": "Lihat dan cetak sertifikat", "certificate.heading": "Sertifikat Orientasi Pra-Penempatan",
    "certificate.holder": "Diberikan kepada", "certificate.place": "Tempat: ",
    "certificate.check": "Periksa keasliannya dengan nomor ini di: ", "certificate.printnow": "Cetak",
    "certificate.back": "Kembali", "certificate.none": "Belum ada sertifikat.",
    "letters.pdf": "Unduh PDF", "letters.none": "Belum ada surat.", requested: "Diminta", acknowledged: "Disetujui desa", refused: "Ditolak",
    issued: "Terbit", revoked: "Dicabut", "letters.request": "Minta surat", "letters.type": "Jenis surat",
    "letters.village": "Kode desa/kelurahan (untuk surat izin keluarga)", "letters.send": "Minta",
    "letters.sent": "Permintaan diterima.", family_permission: "Surat izin keluarga",
    passport_recommendation: "Rekomendasi paspor", skck_recommendation: "Rekomendasi SKCK",
    "disclosures.export": "Unduh semua data saya",
    "problem.title": "Lapor masalah", "problem.type": "Masalahnya", "problem.urgency": "Seberapa mendesak",
    "problem.summary": "Ceritakan singkat", "problem.send": "Kirim laporan", "problem.mine": "Laporan saya",
    "problem.sent": "Laporan diterima. Nomor: {n}, kode: {c}. Berikan keduanya kepada keluarga agar bisa ikut memantau.",
    emergency: "Darurat", high: "Mendesak", normal: "Biasa",
    unpaid_wages: "Gaji tidak dibayar", excess_fees: "Biaya terlalu mahal", contract_violation: "Kontrak dilanggar",
    documents_held: "Paspor/dokumen ditahan", violence_abuse: "Kekerasan", illness_injury: "Sakit atau cedera",
    detention_legal: "Ditahan / masalah hukum", lost_contact: "Hilang kontak", wants_to_return: "Ingin pulang",
    trafficking: "Perdagangan orang", other: "Lainnya",
    "abroad.title": "Kontrak kerja saya", "abroad.country": "Negara", "abroad.employer": "Majikan",
    "abroad.departed": "Berangkat", "abroad.starts": "Kontrak mulai", "abroad.ends": "Kontrak berakhir",
    "abroad.return": "Perkiraan pulang", "abroad.family": "Keluarga dan kontak darurat",
    "abroad.nofamily": "Belum ada keluarga yang dicatat. Hubungi loket.", "abroad.emergency": "kontak darurat",
    spouse: "Suami/istri", parent: "Orang tua", child: "Anak", sibling: "Saudara kandung",
    grandparent: "Kakek/nenek", grandchild: "Cucu", guardian: "Wali", other_relative: "Kerabat lain",
    "programs.title": "Program usaha untuk saya", "programs.none": "Belum ada program yang terbuka untuk Anda.",
    "programs.starts": "Mulai ", "programs.seats": "tempat tersisa", "programs.rounds": "Tahap seleksi: ",
    "programs.apply": "Daftar program ini", "programs.applied": "Pendaftaran diterima. Petugas akan menghubungi Anda.",
    "messages.title": "Pesan untuk saya", "messages.channel": "Kirim pesan lewat", sms: "SMS", whatsapp: "WhatsApp",
    "messages.language": "Bahasa pesan", "messages.id": "Bahasa Indonesia", "messages.en": "English",
    "messages.consent": "Kirim juga pengingat dan kabar (jadwal, dokumen, surat)",
    "messages.always": "Kode masuk selalu dikirim, apa pun pilihan Anda.",
    "messages.save": "Simpan", "messages.saved": "Pilihan tersimpan.",
    "messages.stopped": "Anda pernah membalas BERHENTI: pengingat tidak dikirim sampai Anda mencentang lagi.",
    "disclosures.title": "Siapa menerima data saya", "disclosures.none": "Belum ada instansi yang menerima data Anda.",
    "devices.title": "Perangkat yang masuk", "devices.end": "Keluarkan", "devices.signout": "Keluar dari perangkat ini",
    "devices.active": "Aktif", "devices.ended": "Sudah keluar", "devices.this": "perangkat ini",
    "follow.link": "Keluarga: ikuti laporan dengan nomor dan kode", "follow.title": "Ikuti laporan",
    "follow.number": "Nomor laporan", "follow.code": "Kode laporan", "follow.submit": "Lihat",
    "follow.notfound": "Nomor atau kode tidak cocok.", error: "Gagal: ",
  },
  en: {
    skip: "Skip to content", title: "My PMI", lang: "Bahasa Indonesia",
    "nav.status": "Status", "nav.documents": "Documents", "nav.orientation": "Orientation", "nav.letters": "Letters",
    "nav.problem": "Report a problem", "nav.disclosures": "My data", "nav.devices": "Devices",
    "nav.programs": "Programmes", "nav.messages": "Messages",
    "signin.title": "Sign in", "signin.nik": "NIK (16 digits, on your ID card)", "signin.phone": "Your phone number on record",
    "signin.ask": "Send me a code by SMS", "signin.code": "6-digit code", "signin.submit": "Sign in",
    "signin.sent": "If the NIK and phone match, a 6-digit code is sent to your phone. It lasts 5 minutes.",
    "signin.again": "Ask for a new code",
    "status.title": "My status", "status.next": "Next step",
    "status.desk": "LTSA PMI desk, Blitar district, Monday–Friday 08.00–15.00 WIB",
    offline: "No signal. This is the last known status, as of ",
    registered: "Registered", documents_verified: "Documents complete", orientation_completed: "Orientation done",
    cleared_for_departure: "Ready to leave", departed: "Working abroad", returned: "Back home",
    in_reintegration: "In a business programme", reintegrated: "Business programme done", withdrawn: "Withdrawn",
    deceased: "Deceased",
    "next.registered": "Complete your documents. Still missing: ", "next.registered.wait": "The desk is checking your documents.",
    "next.documents_verified": "Enrol in a pre-departure orientation (OPP) under Orientation.",
    "next.orientation_completed": "Bring your BPJS card to the desk.",
    "next.cleared_for_departure": "Everything is ready. Come to the desk to record your departure.",
    "next.departed": "If something goes wrong at work, use Report a problem.",
    "next.returned": "Welcome home. See the business programmes under Programmes.",
    "next.other": "Ask the desk if you have questions.",
    "documents.upload": "Send a photo of a document", "documents.type": "Which document", "documents.number": "Document number",
    "documents.issued": "Issued on", "documents.expires": "Valid until (if any)",
    "documents.photo": "Photo (camera)", "documents.send": "Send", "documents.sent": "Sent. The desk will check it.",
    missing: "Missing", submitted: "Being checked", verified: "Valid", rejected: "Rejected", expired: "Expired",
    "orientation.title": "Pre-departure orientation (OPP)", "orientation.seats": "free seats",
    "orientation.enrol": "Enrol", "orientation.enrolled": "You are enrolled. Bring your ID card.",
    "orientation.none": "No sessions yet.",
    "ticket.title": "My OPP ticket", "ticket.code": "Ticket code: ",
    "ticket.show": "Show this QR and your ID card to the officer at the door.",
    "certificate.title": "OPP certificate", "certificate.number": "Number: ", "certificate.date": "Date: ",
    "certificate.print": "See and print the certificate", "certificate.heading": "Pre-departure Orientation Certificate",
    "certificate.holder": "Awarded to", "certificate.place": "Place: ",
    "certificate.check": "Check it is genuine with this number at: ", "certificate.printnow": "Print",
    "certificate.back": "Back", "certificate.none": "No certificate yet.",
    "letters.pdf": "Download PDF", "letters.none": "No letters yet.", requested: "Requested", acknowledged: "Acknowledged by the village",
    refused: "Refused", issued: "Issued", revoked: "Revoked", "letters.request": "Ask for a letter",
    "letters.type": "Which letter", "letters.village": "Village code (for the family permission)",
    "letters.send": "Ask", "letters.sent": "Request received.", family_permission: "Family permission",
    passport_recommendation: "Passport recommendation", skck_recommendation: "Police certificate (SKCK) recommendation",
    "disclosures.export": "Download all my data",
    "problem.title": "Report a problem", "problem.type": "The problem", "problem.urgency": "How urgent",
    "problem.summary": "Tell us briefly", "problem.send": "Send the report", "problem.mine": "My reports",
    "problem.sent": "Report received. Number: {n}, code: {c}. Give both to your family so they can follow it.",
    emergency: "Emergency", high: "Urgent", normal: "Normal",
    unpaid_wages: "Wages not paid", excess_fees: "Fees too high", contract_violation: "Contract broken",
    documents_held: "Passport/documents held", violence_abuse: "Violence", illness_injury: "Illness or injury",
    detention_legal: "Detained / legal trouble", lost_contact: "Lost contact", wants_to_return: "Wants to go home",
    trafficking: "Trafficking", other: "Other",
    "abroad.title": "My work contract", "abroad.country": "Country", "abroad.employer": "Employer",
    "abroad.departed": "Left on", "abroad.starts": "Contract starts", "abroad.ends": "Contract ends",
    "abroad.return": "Expected home", "abroad.family": "Family and emergency contacts",
    "abroad.nofamily": "No family on record yet. Ask the desk.", "abroad.emergency": "emergency contact",
    spouse: "Spouse", parent: "Parent", child: "Child", sibling: "Sibling",
    grandparent: "Grandparent", grandchild: "Grandchild", guardian: "Guardian", other_relative: "Other relative",
    "programs.title": "Business programmes for me", "programs.none": "No programme is open to you yet.",
    "programs.starts": "Starts ", "programs.seats": "places left", "programs.rounds": "Selection rounds: ",
    "programs.apply": "Apply to this programme", "programs.applied": "Application received. The desk will contact you.",
    "messages.title": "Messages to me", "messages.channel": "Send messages by", sms: "SMS", whatsapp: "WhatsApp",
    "messages.language": "Language of messages", "messages.id": "Bahasa Indonesia", "messages.en": "English",
    "messages.consent": "Also send reminders and news (sessions, documents, letters)",
    "messages.always": "Sign-in codes are always sent, whatever you choose.",
    "messages.save": "Save", "messages.saved": "Choices saved.",
    "messages.stopped": "You replied STOP once: reminders are not sent until you tick the box again.",
    "disclosures.title": "Who received my data", "disclosures.none": "No agency has received your data yet.",
    "devices.title": "Devices signed in", "devices.end": "Sign out", "devices.signout": "Sign out of this device",
    "devices.active": "Active", "devices.ended": "Signed out", "devices.this": "this device",
    "follow.link": "Family: follow a report with its number and code", "follow.title": "Follow a report",
    "follow.number": "Report number", "follow.code": "Report code", "follow.submit": "Show",
    "follow.notfound": "The number or code does not match.", error: "Failed: ",
  },
};
const DOC_NAMES = {
  id: ["Surat status perkawinan", "Surat izin keluarga", "Sertifikat kompetensi", "Surat keterangan sehat",
    "Paspor", "Visa kerja", "Perjanjian penempatan", "Perjanjian kerja"],
  en: ["Marital status letter", "Family permission letter", "Competency certificate", "Health certificate",
    "Passport", "Work visa", "Placement agreement", "Employment contract"],
};
const kept = {
  get: (k) => { try { return JSON.parse(localStorage.getItem("pmi." + k)); } catch { return null; } },
  set: (k, v) => (v == null ? localStorage.removeItem("pmi." + k) : localStorage.setItem("pmi." + k, JSON.stringify(v))),
};
let lang = kept.get("lang") || "id";
let access = null;
const t = (k) => TEXT[lang][k] ?? TEXT.id[k] ?? k;
const docName = (type) => DOC_NAMES[lang][DOCS.indexOf(type)] || type;
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) k === "text" ? (e.textContent = v) : e.setAttribute(k, v);
  e.append(...children);
  return e;
};
const icon = (name) => {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", "#i-" + name);
  svg.setAttribute("class", "i");
  svg.setAttribute("aria-hidden", "true");
  svg.append(use);
  return svg;
};
const button = (key, name) => el("button", { type: "button" }, icon(name), t(key));
const date = (iso) => (iso ? new Date(iso + (iso.length === 10 ? "T00:00:00+07:00" : "")).toLocaleDateString(
  lang === "id" ? "id-ID" : "en-GB", { dateStyle: "long", timeZone: "Asia/Jakarta" }) : "–");
const country = (code) => {
  try { return new Intl.DisplayNames([lang], { type: "region" }).of(code); } catch { return code; }
};
const save = (blob, name) => {
  const link = $("saved-file");
  URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
};
const mark = (key, good) => el("span", { class: "mark " + (good === true ? "ok" : good === false ? "bad" : ""), text: t(key) });
const day = (iso) => new Date(iso).toLocaleString(lang === "id" ? "id-ID" : "en-GB",
  { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Jakarta" });

class Refused extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function call(path, { method = "GET", body, headers = {}, auth = true, raw = false } = {}) {
  const send = () => fetch(API + path, {
    method,
    headers: { ...(body ? { "Content-Type": "application/json" } : {}),
      ...(auth && access ? { Authorization: "Bearer " + access } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  let answer = await send();
  if (answer.status === 401 && auth && (await refresh())) answer = await send();
  if (answer.ok && raw) return answer.blob();
  const data = answer.headers.get("Content-Type")?.includes("json") ? await answer.json() : null;
  if (!answer.ok) throw new Refused(answer.status, data?.detail || answer.statusText);
  return data;
}

async function refresh() {
  const token = kept.get("refresh");
  if (!token) return false;
  const answer = await fetch(API + "/app/token", { method: "POST",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: token }) });
  if (!answer.ok) { signedOut(); return false; }
  signedIn(await answer.json());
  return true;
}

function signedIn(tokens) {
  access = tokens.access_token;
  kept.set("refresh", tokens.refresh_token);
  kept.set("worker", tokens.worker_id);
  kept.set("device", tokens.device_id);
}

function signedOut() {
  access = null;
  for (const k of ["refresh", "worker", "device", "status"]) kept.set(k, null);
}

const me = () => "/workers/" + kept.get("worker");

// views ------------------------------------------------------------------------------------

async function showStatus() {
  const last = kept.get("status");
  if (last) drawStatus(last); // at once, what the phone knew: on a slow signal, the network follows
  $("status-card").setAttribute("aria-busy", "true");
  try {
    drawStatus(await readStatus(last));
    $("offline").hidden = true;
  } catch (exc) {
    if (exc instanceof Refused || !last) throw exc;
    $("offline").textContent = t("offline") + day(last.at);
    $("offline").hidden = false;
  } finally {
    $("status-card").setAttribute("aria-busy", "false");
  }
}

// her record, and what her status needs besides, asked for at once when the last status read
// says they will be needed (each round trip counts on a slow signal)
async function readStatus(last) {
  const was = last?.worker.status;
  const [worker, listed, relatives] = await Promise.all([call(me()),
    !was || was === "registered" ? call(me() + "/documents") : null,
    was === "departed" ? call(me() + "/family") : null]);
  let missing = [], family = [];
  if (worker.status === "registered") {
    const list = listed || await call(me() + "/documents");
    missing = list.items.filter((i) => i.status === "missing" || i.status === "rejected").map((i) => i.type);
  }
  if (worker.status === "departed") family = relatives || await call(me() + "/family");
  const read = { worker, missing, family, at: new Date().toISOString() };
  kept.set("status", read);
  return read;
}

function drawStatus({ worker, missing, family = [] }) {
  const card = $("status-card");
  card.replaceChildren(el("p", { text: worker.full_name }),
    el("p", { class: "status", id: "status-value", "data-status": worker.status, text: t(worker.status) }));
  const next = worker.status === "registered"
    ? (missing.length ? t("next.registered") + missing.map(docName).join(", ") : t("next.registered.wait"))
    : TEXT.id["next." + worker.status] ? t("next." + worker.status) : t("next.other");
  $("status-next").textContent = next;
  showAbroad(worker, family);
}

// while abroad: her contract's dates and her family's contacts, read-only
function showAbroad(worker, family) {
  $("abroad").hidden = worker.status !== "departed";
  if ($("abroad").hidden) return;
  const rows = [["abroad.country", country(worker.destination_country)], ["abroad.employer", worker.employer],
    ["abroad.departed", date(worker.departed_on)], ["abroad.starts", date(worker.contract_starts_on)],
    ["abroad.ends", date(worker.contract_ends_on)], ["abroad.return", date(worker.expected_return_on)]];
  $("contract").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { text: t(k) }), el("dd", { text: v || "–" })]));
  $("family-list").replaceChildren(...(family.length ? family.map((m) =>
    el("li", {}, el("strong", { text: m.full_name }), ` (${t(m.relation)})`,
      ...(m.emergency_contact ? [" ", mark("abroad.emergency", true)] : []),
      ...(m.phone ? [el("p", {}, icon("phone"), el("a", { href: "tel:" + m.phone, text: m.phone }))] : [])))
    : [el("li", { text: t("abroad.nofamily") })]));
}

async function showDocuments() {
  const list = await call(me() + "/documents");
  $("documents-list").replaceChildren(...list.items.map((i) =>
    el("li", { "data-type": i.type }, el("strong", { text: docName(i.type) }), " ", mark(i.status, i.status === "verified" ? true : i.status === "rejected" ? false : null),
      ...(i.document?.reason ? [el("p", { text: i.document.reason })] : []))));
  $("doc-type").replaceChildren(...list.items.filter((i) => i.status !== "verified" && i.status !== "submitted")
    .map((i) => el("option", { value: i.type, text: docName(i.type) })));
}

// a photo from the camera made small on the phone: at most 1600 px, JPEG, before it is sent
async function shrunk(file, longest = 1600) {
  const image = await createImageBitmap(file);
  const scale = Math.min(1, longest / Math.max(image.width, image.height));
  const canvas = el("canvas");
  canvas.width = Math.round(image.width * scale);
  canvas.height = Math.round(image.height * scale);
  canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL("image/jpeg", 0.8).split(",")[1];
}

async function upload(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { type: form.get("type"), number: form.get("number"), issued_on: form.get("issued_on"),
    expires_on: form.get("expires_on") || null,
    file: { content_base64: await shrunk(form.get("photo")), filename: "scan.jpg" } };
  await call(me() + "/documents", { method: "POST", body });
  event.target.reset();
  await showDocuments();
  $("upload-result").textContent = t("documents.sent");
}

async function showOrientation() {
  const mine = await call(me() + "/orientation");
  await showTicket(mine.seat);
  showEarned(mine.certificate);
  const page = await call(me() + "/orientation/sessions");
  const open = page.items.filter((s) => s.status !== "cancelled");
  $("sessions").replaceChildren(...(open.length ? open.map((s) => {
    const enrol = el("button", { type: "button", text: t("orientation.enrol") });
    enrol.disabled = s.seats_left < 1 || Boolean(mine.seat) || Boolean(mine.certificate);
    enrol.addEventListener("click", () => act(async () => {
      await call(`${me()}/orientation/sessions/${s.id}/enrollment`, { method: "POST" });
      await showOrientation();
      $("orientation-result").textContent = t("orientation.enrolled");
    }));
    return el("li", {}, el("strong", { text: day(s.starts_at) }), el("p", { text: s.location }),
      el("p", { text: `${s.seats_left} ${t("orientation.seats")}` }), enrol);
  }) : [el("li", { text: t("orientation.none") })]));
}

// the seat she holds: its QR (made by the gateway, holding the ticket's code only) for the door
async function showTicket(seat) {
  $("ticket").hidden = !seat?.ticket;
  if (!seat?.ticket) return;
  $("ticket-when").textContent = `${day(seat.session.starts_at)} — ${seat.session.location}`;
  $("ticket-code").replaceChildren(t("ticket.code"), el("strong", { class: "code", text: seat.ticket }));
  const qr = $("ticket-qr");
  URL.revokeObjectURL(qr.src);
  qr.src = URL.createObjectURL(await call(me() + "/orientation/ticket", { raw: true }));
  qr.alt = "QR " + seat.ticket;
}

function showEarned(certificate) {
  $("earned").hidden = !certificate;
  if (!certificate) return;
  $("earned-number").textContent = t("certificate.number") + certificate.certificate_number;
  $("earned-date").textContent = t("certificate.date") + date(certificate.completed_at);
}

// the certificate as a page to print (or to save as PDF from the phone's print menu)
async function showCertificate() {
  const { certificate } = await call(me() + "/orientation");
  if (!certificate) {
    $("certificate-card").replaceChildren(el("p", { text: t("certificate.none") }));
    return;
  }
  const check = `${location.origin}/verify/certificate/${encodeURIComponent(certificate.certificate_number)}`;
  $("certificate-card").replaceChildren(
    el("p", { class: "seal", text: "LTSA PMI Kabupaten Blitar" }),
    el("h3", { text: t("certificate.heading") }),
    el("p", { text: t("certificate.holder") }), el("p", { class: "holder", text: certificate.holder_name }),
    el("p", { id: "certificate-number", text: t("certificate.number") + certificate.certificate_number }),
    el("p", { text: t("certificate.date") + date(certificate.completed_at) }),
    ...(certificate.session ? [el("p", { text: t("certificate.place") + certificate.session.location })] : []),
    el("p", { class: "small" }, t("certificate.check"), el("a", { href: check, id: "certificate-check", text: check })));
}

async function showLetters() {
  const letters = await call(me() + "/letters");
  const items = letters.items || letters;
  $("letter-type").replaceChildren(...["family_permission", "passport_recommendation", "skck_recommendation"]
    .map((k) => el("option", { value: k, text: t(k) })));
  $("letters-list").replaceChildren(...(items.length ? items.map((l) => {
    const item = el("li", { "data-status": l.status }, el("strong", { text: l.letter_type_label?.[lang] || l.letter_type }), " ",
      mark(l.status, l.status === "issued" ? true : l.status === "refused" ? false : null));
    if (l.status === "issued") {
      if (l.number) item.append(el("p", { text: l.number }));
      const pdf = button("letters.pdf", "download");
      pdf.addEventListener("click", () => act(async () =>
        save(await call(`${me()}/letters/${l.id}/pdf`, { raw: true }), `surat-${l.letter_type}.pdf`)));
      item.append(pdf);
    }
    return item;
  }) : [el("li", { text: t("letters.none") })]));
}

async function askLetter(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { letter_type: form.get("letter_type") };
  if (form.get("village_code").trim()) body.village_code = form.get("village_code").trim();
  await call(me() + "/letters", { method: "POST", body });
  event.target.reset();
  await showLetters();
  $("letter-result").textContent = t("letters.sent");
}

async function download() {
  const data = await call(me() + "/export");
  save(new Blob([JSON.stringify(data, null, 1)], { type: "application/json" }), "data-saya.json");
}

async function showProblem() {
  if (!$("problem-type").options.length) {
    $("problem-type").replaceChildren(...Object.keys(PROBLEMS).map((k) => el("option", { value: k, text: t(k) })));
    $("problem-urgency").replaceChildren(...["normal", "high", "emergency"].map((k) => el("option", { value: k, text: t(k) })));
  }
  const cases = kept.get("cases") || [];
  $("my-cases").replaceChildren(...cases.map((c) => el("li", { "data-number": c.number }, el("strong", { text: c.number }))));
  for (const c of cases) followed(c.number, c.code).then((found) =>
    document.querySelector(`#my-cases [data-number="${c.number}"]`)?.append(" ", mark(found.status, null))).catch(() => {});
}

async function report(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const type = form.get("case_type");
  const made = await call(me() + "/cases", { method: "POST",
    body: { case_type: type, aspect: PROBLEMS[type], urgency: form.get("urgency"), summary: form.get("summary") } });
  kept.set("cases", [...(kept.get("cases") || []), { number: made.number, code: made.code }]);
  $("problem-result").textContent = t("problem.sent").replace("{n}", made.number).replace("{c}", made.code);
  event.target.reset();
  await showProblem();
}

const followed = (number, code) =>
  call("/public/cases/" + encodeURIComponent(number), { auth: false, headers: { "X-Case-Code": code } });

async function follow(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const box = $("follow-result");
  box.hidden = false;
  try {
    const found = await followed(form.get("number").trim(), form.get("code").trim());
    box.replaceChildren(el("p", { class: "status", text: found.status_label?.[lang] || found.status }),
      ...(found.notes || []).map((n) => el("p", { text: n.text || n.note || JSON.stringify(n) })));
  } catch (exc) {
    box.replaceChildren(el("p", { class: "error", text: exc.status === 404 ? t("follow.notfound") : t("error") + exc.message }));
  }
}

// after return: the programmes open to her, and applying to one
async function showPrograms() {
  const open = await call(me() + "/invitations");
  $("programs-note").textContent = open.note || "";
  $("programs-list").replaceChildren(...(open.programs.length ? open.programs.map((p) => {
    const apply = button("programs.apply", "check");
    apply.disabled = p.seats_left < 1;
    apply.addEventListener("click", () => act(async () => {
      await call(`${me()}/reintegration/programs/${p.id}/enrollment`, { method: "POST" });
      await showPrograms();
      $("programs-result").textContent = t("programs.applied");
    }));
    return el("li", {}, el("strong", { text: p.name }), el("p", { text: t("programs.starts") + date(p.starts_on) }),
      el("p", { text: `${p.seats_left} ${t("programs.seats")}` }),
      el("p", { text: t("programs.rounds") + p.rounds.map((r) => r.name).join(", ") }), apply);
  }) : [el("li", { text: t("programs.none") })]));
}

// her choices of the messages the platform sends her (sign-in codes go whatever she chose)
async function showMessages() {
  const choices = await call(me() + "/notification-choices");
  const form = $("messages-form");
  for (const input of form.querySelectorAll("input[type=radio]"))
    input.checked = input.value === choices[input.name];
  form.elements.consent.checked = choices.consent && !choices.opted_out;
  $("messages-stopped").hidden = !choices.opted_out;
}

async function choose(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { language: form.get("language"), consent: form.get("consent") === "on" };
  if (form.get("channel")) body.channel = form.get("channel");
  await call(me() + "/notification-choices", { method: "PATCH", body });
  await showMessages();
  $("messages-result").textContent = t("messages.saved");
}

async function showDisclosures() {
  const page = await call(me() + "/disclosures");
  $("disclosures-list").replaceChildren(...(page.items.length ? page.items.map((d) =>
    el("li", {}, el("strong", { text: d.agency }), el("p", { text: `${d.what} — ${day(d.disclosed_at)}` }),
      el("p", { text: (d.fields || []).join(", ") })))
    : [el("li", { text: t("disclosures.none") })]));
}

async function showDevices() {
  const devices = await call(me() + "/devices");
  $("devices-list").replaceChildren(...devices.map((d) => {
    const item = el("li", {}, el("strong", { text: d.name }),
      d.id === kept.get("device") ? ` (${t("devices.this")})` : "", " ",
      mark(d.active ? "devices.active" : "devices.ended", d.active), el("p", { text: day(d.last_used_at) }));
    if (d.active && d.id !== kept.get("device")) {
      const end = el("button", { type: "button", text: t("devices.end") });
      end.addEventListener("click", () => act(async () => {
        await call(`${me()}/devices/${d.id}`, { method: "DELETE" });
        await showDevices();
      }));
      item.append(end);
    }
    return item;
  }));
}

// sign-in ----------------------------------------------------------------------------------

let challenge = null;

async function ask(event) {
  event.preventDefault();
  const form = new FormData($("ask-form"));
  const answer = await call("/app/sign-in", { method: "POST", auth: false,
    body: { nik: form.get("nik").trim(), phone: form.get("phone").replace(/[\s().-]/g, "") } });
  challenge = answer.challenge;
  $("code-form").hidden = false;
  $("code").focus();
}

async function verify(event) {
  event.preventDefault();
  const name = /Android|iPhone/.exec(navigator.userAgent)?.[0] || "ponsel";
  signedIn(await call("/app/sign-in/verify", { method: "POST", auth: false,
    body: { challenge, code: $("code").value.trim(), device_name: name } }));
  $("code-form").hidden = true;
  $("ask-form").reset();
  location.hash = "#status";
  await route();
}

// the page ---------------------------------------------------------------------------------

const VIEWS = { status: showStatus, documents: showDocuments, orientation: showOrientation,
  certificate: showCertificate, letters: showLetters, programs: showPrograms, problem: showProblem,
  messages: showMessages, disclosures: showDisclosures, devices: showDevices };

async function act(work, error = $("signin-error")) {
  try {
    await work();
  } catch (exc) {
    const shown = document.querySelector(".view:not([hidden]) [role=status], .view:not([hidden]) [role=alert]") || error;
    shown.textContent = t("error") + exc.message;
  }
}

function show(name) {
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== "view-" + name;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.hash === "#" + (name === "certificate" ? "orientation" : name)) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  $("tabs").hidden = !kept.get("worker");
}

async function route() {
  const name = location.hash.slice(1) || "status";
  if (name === "follow") return show("follow");
  if (!kept.get("worker")) return show("signin");
  const view = VIEWS[name] ? name : "status";
  if (!access && navigator.onLine) {
    // opened again: her last status at once, while the refresh token is traded for a new pair
    if (view === "status" && kept.get("status")) {
      show(view);
      drawStatus(kept.get("status"));
      $("status-card").setAttribute("aria-busy", "true");
    }
    await refresh().catch(() => {});
  }
  if (!kept.get("worker")) return show("signin");
  show(view);
  await act(VIEWS[view]);
}

function translate() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  $("language").textContent = t("lang");
  $("language").lang = lang === "id" ? "en" : "id";
}

$("language").addEventListener("click", () => {
  lang = lang === "id" ? "en" : "id";
  kept.set("lang", lang);
  translate();
  route();
});
$("ask-form").addEventListener("submit", (e) => act(() => ask(e)));
$("code-again").addEventListener("click", () => { $("code-form").hidden = true; $("nik").focus(); });
$("code-form").addEventListener("submit", (e) => act(() => verify(e)));
$("upload-form").addEventListener("submit", (e) => act(() => upload(e)));
$("problem-form").addEventListener("submit", (e) => act(() => report(e)));
$("follow-form").addEventListener("submit", (e) => act(() => follow(e)));
$("letter-form").addEventListener("submit", (e) => act(() => askLetter(e)));
$("export").addEventListener("click", () => act(download));
$("messages-form").addEventListener("submit", (e) => act(() => choose(e)));
$("print").addEventListener("click", () => window.print());
$("signout").addEventListener("click", () => act(async () => {
  await call(`${me()}/devices/${kept.get("device")}`, { method: "DELETE" }).catch(() => {});
  signedOut();
  location.hash = "#status";
  await route();
}));
window.addEventListener("hashchange", route);
translate();
route();
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", { scope: "/app" });
