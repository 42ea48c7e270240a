// Stillpoint's console page: pairs with the app, shows the live view and
// what happened, and sends controls. Plain JavaScript, served by the app;
// it talks only to the address it was loaded from.
"use strict";

const $ = (id) => document.getElementById(id);
let view = null;
let live = null;
let retry = 500;

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function say(text, kind) {
  const out = $("feedback");
  out.textContent = text;
  out.className = kind || "";
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  let answer = {};
  try {
    answer = await response.json();
  } catch (_) {
    answer = { error: `the app answered ${response.status}` };
  }
  return { ok: response.ok, status: response.status, answer };
}

// The connection that carries the therapist's voice into the scene, and
// controls and the live view both ways on its data channel.
const voice = { pc: null, channel: null, mic: null, remote: null, meter: null, asked: 0, waiting: new Map(), answered: 0 };

// Shows when the client's voice is coming, from its level.
function meter(stream) {
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const look = () => {
    if (voice.remote !== stream) return context.close();
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    $("client-speaking").hidden = Math.sqrt(sum / samples.length) < 0.01;
    setTimeout(look, 200);
  };
  look();
}

// Sends a control on the data channel and waits for its answer.
function overChannel(body) {
  return new Promise((resolve) => {
    const id = ++voice.asked;
    const timer = setTimeout(() => {
      voice.waiting.delete(id);
      resolve({ ok: false, status: 503, answer: { error: "the connection did not answer in time" } });
    }, 20000);
    voice.waiting.set(id, (answer) => {
      clearTimeout(timer);
      voice.answered += 1;
      document.body.dataset.channelAnswers = String(voice.answered);
      resolve({ ok: answer.status === 200, status: answer.status, answer });
    });
    voice.channel.send(JSON.stringify({ id, control: body }));
  });
}

async function control(body, what) {
  say(`${what}…`);
  try {
    const open = voice.channel && voice.channel.readyState === "open";
    const { ok, status, answer } = open ? await overChannel(body) : await post("/api/control", body);
    if (ok) {
      const said = (answer.said || []).join("; ");
      say(`Done: ${what}${said ? ` (${said})` : ""}`, "done");
    } else if (status === 401) {
      showPairing();
    } else {
      say(`Not done: ${answer.error || status}`, "refused");
    }
  } catch (e) {
    say(`Not done: the app cannot be reached (${e.message})`, "refused");
  }
}

function showPairing() {
  $("pairing").hidden = false;
  $("console").hidden = true;
  $("link").textContent = "Not paired";
  if (live) {
    live.onclose = null;
    live.close();
    live = null;
  }
}

function showConsole() {
  $("pairing").hidden = true;
  $("console").hidden = false;
}

function render() {
  if (!view) return;
  const code = view.record.client;
  $("alias").textContent = code
    ? `${code}${view.alias ? ` (${view.alias})` : ""}`
    : view.alias || "(no alias given)";
  $("scene").textContent = view.scene ? view.scene.title : "—";
  $("where").textContent = view.scene ? `${view.scene.title} · ${view.alias || "no alias"}` : "Therapist's console";
  if (view.step) {
    $("step").textContent = `${view.step.number} of ${view.step.of}: ${view.step_name}`;
    $("step-say").textContent = view.step_say;
  } else {
    $("step").textContent = "no steps in this scene";
    $("step-say").textContent = "";
  }
  $("elapsed").textContent = clock(view.elapsed_s);
  $("flow").textContent = view.paused_for.length
    ? `paused (${view.paused_for.join(", ")})`
    : view.flow;
  $("place").textContent = view.safe_place ? "in the safe place" : "in the scene";
  $("pacer").textContent = view.pacer ? `on: ${view.pacer}` : "off";
  $("presentation").textContent =
    view.headset_focused === null
      ? view.presentation
      : `${view.presentation} (${view.headset_focused ? "on and in focus" : "not in focus: off the head or in the runtime's menu"})`;
  $("sound").textContent = view.sound;
  $("suds").textContent =
    (view.last_suds === null ? "none given yet" : `last ${view.last_suds}`) +
    (view.suds_asked ? " · question on screen" : "");
  const r = view.record;
  showLock(r.locked);
  const choosing = r.on && !r.locked && !view.started;
  if (choosing && $("client-row").hidden) clients();
  $("client-row").hidden = !choosing;
  $("record").textContent = !r.on
    ? "not kept"
    : r.trouble
      ? `cannot write now (${r.trouble}); kept and tried again`
      : `${r.committed} of ${r.made} entries on the disk`;
  if (document.activeElement !== $("volume")) {
    $("volume").value = view.volume;
  }
  $("volume-shown").textContent = Number(view.volume).toFixed(2);
  const jump = $("jump");
  // With a plan in force, its steps in its order, in the client's words.
  const offered = view.plan
    ? view.plan.steps.map((p) => [p.number, `${p.number}. ${view.steps[p.number - 1] || ""}${p.words ? ` (${p.words})` : ""}`])
    : view.steps.map((name, i) => [i + 1, `${i + 1}. ${name}`]);
  const signature = offered.map(([, label]) => label).join("\n");
  if (jump.dataset.offered !== signature) {
    jump.dataset.offered = signature;
    jump.replaceChildren(...offered.map(([n, label]) => new Option(label, String(n))));
  }
  const planning = Boolean(view.step && r.client && view.scene);
  $("plan-box").hidden = !planning;
  $("plan-state").textContent = view.plan ? `(plan ${view.plan.id} in force)` : "(none yet)";
  if (planning && $("plan-box").dataset.scene !== view.scene.file) {
    $("plan-box").dataset.scene = view.scene.file;
    loadPlan(view.scene.file);
  }
  if (view.step && document.activeElement !== jump) {
    jump.value = String(view.step.number);
  }
  // The step controls only where the scene has steps.
  for (const c of [...document.querySelectorAll("button[data-change]"), jump, $("jump-go"), $("expect-before"), $("expect-after")]) {
    c.disabled = !view.step;
  }
  const choice = $("scene-choice");
  const files = view.scenes.map((s) => s.file).join("\n");
  if (choice.dataset.files !== files) {
    choice.dataset.files = files;
    choice.replaceChildren(
      ...view.scenes.map((s) =>
        new Option(`${s.title}${s.steps.length ? ` (exposure, ${s.steps.length} steps)` : ""}`, s.file),
      ),
    );
    if (view.scene) choice.value = view.scene.file;
    sceneSteps();
  }
  // The rhythm presets the app offers, then four numbers of one's own.
  const rhythm = $("rhythm-preset");
  const presets = view.rhythms.map((r) => r.name).join("\n");
  if (rhythm.dataset.names !== presets) {
    rhythm.dataset.names = presets;
    rhythm.replaceChildren(
      ...view.rhythms.map((r) => new Option(r.label, r.name)),
      new Option("four numbers…", "custom"),
    );
    $("rhythm-seconds").hidden = rhythm.value !== "custom";
  }
  const events = $("events");
  const names = view.events.join("\n");
  if (events.dataset.names !== names) {
    events.dataset.names = names;
    events.replaceChildren(
      ...view.events.map((name) => {
        const b = document.createElement("button");
        b.textContent = `Fire: ${name}`;
        b.addEventListener("click", () => control({ do: "event", name }, `fire ${name}`));
        return b;
      }),
    );
  }
  if (r.session !== null) {
    const ex = $("exports");
    if (ex.dataset.session !== String(r.session)) {
      ex.dataset.session = String(r.session);
      const said = document.createElement("span");
      said.className = "quiet";
      said.textContent =
        `. Your browser saves an export as a plain file named by the client's code and the date` +
        ` (${r.client || "the client"}-YYYY-MM-DD-session-${r.session}); it is not encrypted` +
        ` and Stillpoint cannot delete it: delete it when it is no longer needed.`;
      const progress = ["html", "csv", "json"].flatMap((f, i) => {
        const a = document.createElement("a");
        a.href = `/api/progress?format=${f}`;
        a.textContent = f === "html" ? "report" : f.toUpperCase();
        a.target = "_blank";
        a.rel = "noopener";
        return i ? [document.createTextNode(" · "), a] : [a];
      });
      ex.replaceChildren(
        document.createTextNode("Export this session: "),
        ...["html", "csv", "json"].flatMap((f, i) => {
          const a = document.createElement("a");
          a.href = `/api/export/${r.session}?format=${f}`;
          a.textContent = f === "html" ? "report" : f.toUpperCase();
          a.target = "_blank";
          a.rel = "noopener";
          return i ? [document.createTextNode(" · "), a] : [a];
        }),
        document.createElement("br"),
        document.createTextNode("The client's progress across sessions: "),
        ...progress,
        said,
      );
    }
  }
  for (const li of $("log").children) {
    const mark = li.querySelector(".rec");
    if (mark && !mark.classList.contains("done") && Number(li.dataset.made) <= r.committed) {
      mark.textContent = "recorded";
      mark.classList.add("done");
    }
  }
}

// The steps of the scene chosen in the scene list.
function sceneSteps() {
  const chosen = view && view.scenes.find((s) => s.file === $("scene-choice").value);
  const steps = chosen ? chosen.steps : [];
  const select = $("scene-step");
  select.replaceChildren(...steps.map((name, i) => new Option(`${i + 1}. ${name}`, String(i + 1))));
  select.disabled = steps.length === 0;
}

function logged(message) {
  const li = document.createElement("li");
  const t = document.createElement("span");
  t.className = "t";
  t.textContent = clock(message.at_s);
  const text = document.createElement("span");
  text.textContent = message.text;
  li.append(t, text);
  if (view && view.record.on) {
    li.dataset.made = String(message.made);
    const mark = document.createElement("span");
    mark.className = "rec";
    mark.textContent = "recording…";
    li.append(mark);
  }
  $("log").prepend(li);
}

// The mirror, fetched again about twice a second while the page is seen.
function refreshMirror() {
  const video = $("client-view");
  if (live && live.readyState === WebSocket.OPEN && !document.hidden && video.hidden) {
    const img = $("mirror");
    const next = new Image();
    next.onload = () => {
      img.src = next.src;
      img.hidden = false;
      $("mirror-wait").hidden = true;
    };
    next.src = `/api/mirror?at=${Date.now()}`;
  }
  setTimeout(refreshMirror, 500);
}

// A message of the live view, from the WebSocket or the data channel.
function heard(message) {
  if (message.type === "view") {
    view = message;
    showConsole();
    render();
  } else if (message.type === "said") {
    logged(message);
    render();
  } else if (message.type === "answer") {
    const done = voice.waiting.get(message.id);
    if (done) {
      voice.waiting.delete(message.id);
      done(message);
    }
  }
}

function voiceState(text) {
  $("voice-state").textContent = text;
}

// Waits until the browser has gathered its addresses (they go in the offer
// itself), or two seconds.
function gathered(pc) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    const timer = setTimeout(resolve, 2000);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

function hangUp(why) {
  if (voice.pc) voice.pc.close();
  if (voice.mic) voice.mic.getTracks().forEach((t) => t.stop());
  voice.pc = voice.channel = voice.mic = voice.remote = null;
  $("client-voice").srcObject = null;
  $("client-view").srcObject = null;
  $("client-view").hidden = true;
  $("client-speaking").hidden = true;
  for (const done of voice.waiting.values()) done({ status: 503, error: "the connection ended" });
  voice.waiting.clear();
  $("voice-call").hidden = false;
  $("voice-mute").hidden = $("voice-end").hidden = true;
  voiceState(why);
}

async function call() {
  voiceState("Asking for the microphone…");
  try {
    voice.mic = await navigator.mediaDevices.getUserMedia({
      // With headphones nothing of the client's voice reaches the microphone:
      // the browser's echo cancelling, which would also thin the therapist's
      // voice while the client speaks, is left off.
      audio: { echoCancellation: !$("voice-headphones").checked, noiseSuppression: true, autoGainControl: true },
    });
  } catch (e) {
    return hangUp(`No microphone: ${e.message}`);
  }
  const pc = new RTCPeerConnection();
  voice.pc = pc;
  voice.mic.getAudioTracks().forEach((t) => pc.addTrack(t, voice.mic));
  // The client's view, as live video in place of the small mirror.
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.ontrack = (event) => {
    if (event.track.kind === "video") {
      $("client-view").srcObject = new MediaStream([event.track]);
      $("client-view").hidden = false;
      $("mirror").hidden = $("mirror-wait").hidden = true;
      return;
    }
    // The client's own voice, when they speak.
    voice.remote = new MediaStream([event.track]);
    $("client-voice").srcObject = voice.remote;
    meter(voice.remote);
  };
  const channel = pc.createDataChannel("console");
  channel.onopen = () => {
    voice.channel = channel;
    voiceState("Connected: the client hears you beside them.");
    $("voice-call").hidden = true;
    $("voice-mute").hidden = $("voice-end").hidden = false;
  };
  channel.onmessage = (event) => {
    // The live view comes on the WebSocket while it is open: here only
    // the answers, else everything.
    const message = JSON.parse(event.data);
    if (message.type === "answer" || !(live && live.readyState === WebSocket.OPEN)) heard(message);
  };
  channel.onclose = () => hangUp("The connection ended; your voice is not in the scene.");
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === "failed") hangUp("The connection failed; your voice is not in the scene.");
  };
  voiceState("Connecting…");
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const response = await fetch("/api/rtc", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(pc.localDescription),
    credentials: "same-origin",
  });
  if (!response.ok) {
    let why = `the app answered ${response.status}`;
    try {
      why = (await response.json()).error || why;
    } catch (_) {}
    return hangUp(`Not connected: ${why}`);
  }
  await pc.setRemoteDescription(await response.json());
}

function mute() {
  if (!voice.mic) return;
  const track = voice.mic.getAudioTracks()[0];
  track.enabled = !track.enabled;
  $("voice-mute").textContent = track.enabled ? "Mute" : "Unmute";
  voiceState(track.enabled ? "Connected: the client hears you beside them." : "Muted: the client does not hear you.");
}

function watch() {
  live = new WebSocket(`ws://${location.host}/api/live`);
  live.onopen = () => {
    retry = 500;
    $("link").textContent = "Live";
  };
  live.onmessage = (event) => heard(JSON.parse(event.data));
  live.onclose = () => {
    $("link").textContent = "The app is not answering; trying again…";
    setTimeout(start, retry);
    retry = Math.min(retry * 2, 5000);
  };
}

async function questionnaire() {
  const body = $("ssq-items");
  if (body.children.length) return;
  const response = await fetch("/api/questionnaire", { credentials: "same-origin" });
  if (!response.ok) return;
  const { items, ratings } = await response.json();
  $("ssq-scale").textContent =
    `(${items.length} items, 0 ${ratings[0]} to ${ratings.length - 1} ${ratings[ratings.length - 1]})`;
  body.replaceChildren(
    ...items.map((name, i) => {
      const tr = document.createElement("tr");
      const label = document.createElement("td");
      const select = document.createElement("select");
      select.id = `ssq-${i}`;
      label.append(Object.assign(document.createElement("label"), { htmlFor: select.id, textContent: `${i + 1}. ${name}` }));
      ratings.forEach((words, v) => select.append(new Option(`${v} ${words}`, String(v))));
      const cell = document.createElement("td");
      cell.append(select);
      tr.append(label, cell);
      return tr;
    }),
  );
}

function answers() {
  return [...$("ssq-items").querySelectorAll("select")].map((s) => Number(s.value));
}

async function start() {
  try {
    const response = await fetch("/api/view", { credentials: "same-origin" });
    if (response.status === 401) {
      showPairing();
      return;
    }
    view = await response.json();
    showConsole();
    render();
    watch();
    questionnaire();
    loadForms();
  } catch (_) {
    $("link").textContent = "The app is not answering; trying again…";
    setTimeout(start, retry);
    retry = Math.min(retry * 2, 5000);
  }
}

// The client's plan for `scene` into the editor: every step of the scene,
// those in the plan numbered in its order.
async function loadPlan(scene) {
  const response = await fetch(`/api/plan?scene=${encodeURIComponent(scene)}`, { credentials: "same-origin" });
  if (!response.ok) return;
  const sent = await response.json();
  const chosen = new Map(sent.plan.steps.map((s, i) => [s.step, { ...s, order: sent.id === null ? "" : i + 1 }]));
  $("plan-rows").replaceChildren(
    ...sent.scene_steps.map((name, i) => {
      const s = chosen.get(name) || { order: "", words: "", predicted_suds: "", feared: "" };
      const tr = document.createElement("tr");
      tr.dataset.step = name;
      const cell = (input) => {
        const td = document.createElement("td");
        td.append(input);
        return td;
      };
      const field = (key, value, attrs) => Object.assign(document.createElement("input"), { value, ...attrs, className: key });
      const label = document.createElement("td");
      label.textContent = `${i + 1}. ${name}`;
      tr.append(
        cell(field("order", s.order, { type: "number", min: 1, max: sent.scene_steps.length, size: 3 })),
        label,
        cell(field("words", s.words, { maxLength: 200 })),
        cell(field("predicted", s.predicted_suds, { type: "number", min: 0, max: 100, size: 3 })),
        cell(field("feared", s.feared, { maxLength: 200 })),
      );
      return tr;
    }),
  );
}

async function savePlan() {
  const scene = $("plan-box").dataset.scene;
  const rows = [...$("plan-rows").children]
    .map((tr) => ({
      order: Number(tr.querySelector(".order").value),
      step: tr.dataset.step,
      words: tr.querySelector(".words").value.trim(),
      predicted_suds: Number(tr.querySelector(".predicted").value || 0),
      feared: tr.querySelector(".feared").value.trim(),
    }))
    .filter((s) => s.order > 0)
    .sort((a, b) => a.order - b.order)
    .map(({ order, ...step }) => step);
  const { ok, status, answer } = await post("/api/plan", { scene, steps: rows });
  if (status === 401) return showPairing();
  $("plan-result").textContent = ok ? `Saved as plan ${answer.id}; in force now.` : answer.error;
}

// This session's SUDS and notes, as corrected so far, each with a form to
// correct it (and a note's to close it).
async function loadAmendable() {
  const session = $("exports").dataset.session;
  if (!session) {
    $("amend-result").textContent = "Nothing is recorded in this session yet.";
    return;
  }
  const response = await fetch(`/api/entries?session=${session}`, { credentials: "same-origin" });
  if (response.status === 401) return showPairing();
  const listed = await response.json();
  if (!response.ok) {
    $("amend-result").textContent = listed.error;
    return;
  }
  $("amend-rows").replaceChildren(
    ...listed.map((e) => {
      const tr = document.createElement("tr");
      tr.dataset.entry = String(e.id);
      const td = (text) => {
        const cell = document.createElement("td");
        cell.textContent = text;
        return cell;
      };
      const recorded = td(e.kind === "suds" ? `SUDS ${e.value} · ${e.text}` : e.text);
      recorded.className = "note";
      const fix = document.createElement("td");
      const actions = document.createElement("td");
      if (e.closed) {
        fix.textContent = "closed";
      } else {
        const value = e.kind === "suds"
          ? Object.assign(document.createElement("input"), { type: "number", min: 0, max: 100, size: 3, className: "amend-value" })
          : Object.assign(document.createElement("input"), { maxLength: 2000, className: "amend-value", placeholder: "the right words" });
        const why = Object.assign(document.createElement("input"), { maxLength: 2000, className: "amend-why", placeholder: "why" });
        const correct = Object.assign(document.createElement("button"), { textContent: "Correct", className: "amend-correct" });
        correct.addEventListener("click", () => {
          if (value.value.trim() === "") {
            $("amend-result").textContent = e.kind === "suds" ? "Not done: give the right SUDS, 0 to 100." : "Not done: give the note's right words.";
            return;
          }
          const body = { session: Number(session), entry: e.id, why: why.value };
          if (e.kind === "suds") body.suds = Number(value.value);
          else body.note = value.value;
          amend(body, `entry ${e.id} corrected`);
        });
        fix.append(value, " ", why);
        actions.append(correct);
        if (e.kind === "note") {
          const close = Object.assign(document.createElement("button"), { textContent: "Close", className: "amend-close" });
          close.addEventListener("click", () =>
            amend({ session: Number(session), entry: e.id, close_by: $("amend-by").value }, `note ${e.id} closed`),
          );
          actions.append(" ", close);
        }
      }
      tr.append(td(String(e.id)), td(clock(e.at_s)), td(e.step === null ? "" : String(e.step)), recorded, fix, actions);
      return tr;
    }),
  );
}

async function amend(body, done) {
  const { ok, status, answer } = await post("/api/amend", body);
  if (status === 401) return showPairing();
  $("amend-result").textContent = ok ? `Done: ${done} (entry ${answer.id}).` : `Not done: ${answer.error}`;
  if (ok) loadAmendable();
}

// The questionnaires the console can give, each asked item by item.
let forms = [];
async function loadForms() {
  const response = await fetch("/api/questionnaires", { credentials: "same-origin" });
  if (!response.ok) return;
  forms = await response.json();
  $("form-choice").replaceChildren(...forms.map((f) => new Option(f.title, f.id)));
  showForm();
}

function showForm() {
  const form = forms.find((f) => f.id === $("form-choice").value);
  if (!form) return;
  $("form-instructions").textContent = form.instructions;
  $("form-licence").textContent = `${form.citation} ${form.licence}`;
  $("form-items").replaceChildren(
    ...form.items.map((text, i) => {
      const tr = document.createElement("tr");
      const label = document.createElement("td");
      const select = document.createElement("select");
      select.id = `form-${i}`;
      label.append(Object.assign(document.createElement("label"), { htmlFor: select.id, textContent: `${i + 1}. ${text}` }));
      form.scale.forEach((a) => select.append(new Option(`${a.value} ${a.words}`, String(a.value))));
      const cell = document.createElement("td");
      cell.append(select);
      tr.append(label, cell);
      return tr;
    }),
  );
}

// The record's clients, newest first, to choose whom the session is for.
async function clients() {
  const response = await fetch("/api/clients", { credentials: "same-origin" });
  if (!response.ok) return;
  const listed = await response.json();
  const select = $("client-choice");
  const current = view && view.record.client;
  select.replaceChildren(
    ...listed.map((c) => {
      const sessions = c.sessions === 1 ? "1 session" : `${c.sessions} sessions`;
      const option = new Option(`${c.code}${c.alias ? ` · ${c.alias}` : ""} (${sessions})`, c.code);
      option.selected = c.code === current;
      return option;
    }),
  );
  // No clients yet: only a new one can be made.
  for (const id of ["client-choice", "client-go", "client-choice-label"]) $(id).hidden = listed.length === 0;
}

// The unlock form while the record cannot be written: the passphrase,
// twice for a record yet to be made; words only for a plain record.
function showLock(locked) {
  $("unlock").hidden = !locked;
  if (!locked) return;
  const words = {
    passphrase:
      "The record is encrypted. Type its passphrase to unlock it for this run; the session does not start until then.",
    new_passphrase:
      "There is no record yet. Choose its passphrase (at least 10 characters; several words are easier to keep). " +
      "Without it the record cannot be opened: a forgotten passphrase loses every session in it.",
    plain:
      "The record is not encrypted, and a therapist's record must be. Close Stillpoint and run " +
      "`stillpoint journal encrypt`; the session does not start until then.",
  };
  $("unlock-why").textContent = words[locked] || "";
  $("unlock-form").hidden = locked === "plain";
  $("unlock-again-row").hidden = locked !== "new_passphrase";
  $("unlock-again").required = locked === "new_passphrase";
}

function wire() {
  $("voice-call").addEventListener("click", call);
  $("voice-mute").addEventListener("click", mute);
  $("voice-end").addEventListener("click", () => hangUp("You ended the connection; your voice is not in the scene."));
  $("form-choice").addEventListener("change", showForm);
  $("form-record").addEventListener("click", () => {
    const id = $("form-choice").value;
    const form = forms.find((f) => f.id === id);
    if (!form) return;
    const answers = form.items.map((_, i) => Number($(`form-${i}`).value));
    control({ do: "form", id, when: $("form-when").value, answers }, `record the ${form.title}`);
  });
  $("plan-save").addEventListener("click", savePlan);
  $("amend-box").addEventListener("toggle", () => {
    if ($("amend-box").open) loadAmendable();
  });
  $("client-go").addEventListener("click", () => {
    const code = $("client-choice").value;
    if (code) control({ do: "client", code }, `record for client ${code}`);
  });
  $("client-make").addEventListener("click", async () => {
    const alias = $("client-new").value.trim();
    await control({ do: "client", new: alias }, alias ? `record for a new client, ${alias}` : "record for a new client");
    $("client-new").value = "";
    setTimeout(clients, 500);
  });
  $("unlock-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { passphrase: $("unlock-pass").value };
    if (!$("unlock-again-row").hidden) body.again = $("unlock-again").value;
    $("unlock-result").textContent = "Checking…";
    const { ok, status, answer } = await post("/api/unlock", body);
    $("unlock-pass").value = "";
    $("unlock-again").value = "";
    if (status === 401) return showPairing();
    $("unlock-result").textContent = ok ? "Unlocked." : answer.error;
  });
  $("pair-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("code").value.replace(/\s/g, "");
    const { ok, answer } = await post("/api/pair", { code });
    $("pair-result").textContent = ok ? "Paired." : answer.error;
    if (ok) start();
  });
  for (const b of document.querySelectorAll("button[data-do]")) {
    b.addEventListener("click", () => {
      const body = { do: b.dataset.do };
      if (b.dataset.change) body.change = b.dataset.change;
      if (b.dataset.on) body.on = b.dataset.on === "true";
      control(body, b.textContent.toLowerCase());
    });
  }
  $("jump-go").addEventListener("click", () => {
    const to = Number($("jump").value);
    control({ do: "step", to }, `go to step ${to}`);
  });
  $("scene-choice").addEventListener("change", sceneSteps);
  $("scene-go").addEventListener("click", () => {
    const file = $("scene-choice").value;
    const body = { do: "scene", file };
    const step = $("scene-step");
    if (!step.disabled && step.value) body.step = Number(step.value);
    const title = $("scene-choice").selectedOptions[0]?.textContent || file;
    control(body, `go to ${title}${body.step ? `, step ${body.step}` : ""}`);
  });
  $("rhythm-preset").addEventListener("change", () => {
    $("rhythm-seconds").hidden = $("rhythm-preset").value !== "custom";
  });
  $("rhythm-set").addEventListener("click", () => {
    const preset = $("rhythm-preset").value;
    if (preset === "custom") {
      const seconds = ["rhythm-in", "rhythm-hold-in", "rhythm-out", "rhythm-hold-out"].map((id) => Number($(id).value));
      control({ do: "rhythm", seconds }, `set the rhythm to ${seconds.join(", ")} s`);
    } else {
      control({ do: "rhythm", preset }, `set the rhythm to ${preset}`);
    }
  });
  $("volume").addEventListener("change", () => {
    control({ do: "volume", to: Number($("volume").value) }, "set the volume");
  });
  $("expect-before").addEventListener("click", () => {
    const likelihood = Number($("expect-likely").value);
    const expected_peak = Number($("expect-peak").value);
    control({ do: "expect_before", likelihood, expected_peak }, `record the expectancy (${likelihood}% likely, peak ${expected_peak})`);
  });
  $("expect-after").addEventListener("click", () => {
    const happened = $("expect-happened").value === "yes";
    const surprise = Number($("expect-surprise").value);
    const felt_peak = Number($("expect-felt").value);
    control({ do: "expect_after", happened, surprise, felt_peak }, `record what was found (peak ${felt_peak})`);
  });
  $("suds-record").addEventListener("click", () => {
    const value = Number($("suds-heard").value);
    control({ do: "record_suds", value }, `record SUDS ${value}`);
  });
  for (const when of ["before", "after"]) {
    $(`ssq-${when}`).addEventListener("click", () =>
      control({ do: "questionnaire", when, answers: answers() }, `record the questionnaire (${when})`),
    );
  }
  $("note-add").addEventListener("click", async () => {
    const text = $("note").value;
    await control({ do: "note", text }, "add the note");
    if ($("feedback").className === "done") $("note").value = "";
  });
}

wire();
start();
refreshMirror();
