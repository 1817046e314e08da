// The page of `drumsplit serve`: upload, follow the job, then play the
// stems in sync (Web Audio) with solo and mute, draw their waveforms and
// the MIDI transcription. Plain JavaScript, no libraries, nothing fetched
// from elsewhere.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...kids) => {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    for (const k of kids) e.append(k);
    return e;
  };

  // ---- state, also read by the browser test through window.drumsplit ----

  const player = {
    ctx: null,        // the AudioContext
    master: null,     // GainNode all stems go through
    stems: [],        // {name, url, buffer, gain, source, mute, solo, startedAt, canvas, picture}
    duration: 0,      // seconds: the longest stem
    playing: false,
    offset: 0,        // seconds into the stems where playback (re)started
    startTime: 0,     // ctx.currentTime when it did
    frame: 0,         // requestAnimationFrame id
    notes: null,      // the MIDI file's notes, if any: {time, note, velocity}
  };

  window.drumsplit = {
    ready: false,     // every stem decoded and drawn
    job: null,        // the last view of the job
    state() {
      return {
        playing: player.playing,
        position: position(),
        duration: player.duration,
        contextState: player.ctx ? player.ctx.state : "none",
        stems: player.stems.map((s) => ({
          name: s.name, mute: s.mute, solo: s.solo, audible: audible(s),
          gain: s.gain ? s.gain.gain.value : null, startedAt: s.startedAt,
        })),
        notes: player.notes ? player.notes.length : null,
      };
    },
  };

  // ---- upload ----

  const drop = $("drop");
  const fileInput = $("file");
  fileInput.addEventListener("change", () => {
    if (fileInput.files.length) upload(fileInput.files[0]);
  });
  for (const ev of ["dragenter", "dragover"]) {
    drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const ev of ["dragleave", "drop"]) {
    drop.addEventListener(ev, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) upload(f);
  });
  // A file dropped next to the drop zone must not make the browser leave.
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());

  function upload(file) {
    reset();
    const max = Number(document.body.dataset.maxUpload || 0);
    if (max > 0 && file.size > max) {
      // The server would refuse it after the whole upload; say so now.
      showJob(file.name, "Not uploaded", 0);
      fail(`file too large: the most this server takes is ${document.body.dataset.maxUploadText}`);
      return;
    }
    const form = new FormData();
    form.append("midi", $("midi").checked ? "true" : "false");
    form.append("residual", $("residual").checked ? "true" : "false");
    form.append("file", file, file.name);
    showJob(file.name, "Uploading…", 0);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/jobs");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) showJob(file.name, `Uploading… ${pct(e.loaded / e.total)}`, e.loaded / e.total);
    };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
      if (xhr.status !== 202) {
        fail(body.error || `upload failed (HTTP ${xhr.status})`);
        return;
      }
      history.replaceState(null, "", "#" + body.id);
      watch(body.id);
    };
    xhr.onerror = () => fail("upload failed: the server cannot be reached");
    xhr.send(form);
  }

  // ---- following a job: Server-Sent Events, else polling ----

  let watching = null; // {close()} of the current watch

  function watch(id) {
    if (watching) watching.close();
    const url = "/api/jobs/" + encodeURIComponent(id);
    let finished = false;
    let timer = 0;
    let es = null;
    const poll = async () => {
      try {
        const r = await fetch(url, { cache: "no-store" });
        const v = await r.json();
        if (!r.ok) { finished = true; fail(v.error || `HTTP ${r.status}`); return; }
        update(v);
      } catch (_) { /* the server may be restarting: keep trying */ }
      if (!finished) timer = setTimeout(poll, 1000);
    };
    const update = (v) => {
      render(v);
      if (v.state === "done" || v.state === "failed") {
        finished = true;
        if (es) es.close();
      }
    };
    if (window.EventSource) {
      es = new EventSource(url + "/events");
      es.onmessage = (e) => update(JSON.parse(e.data));
      es.onerror = () => {
        // The stream ended or is not possible (a proxy): poll instead.
        es.close();
        if (!finished) poll();
      };
    } else {
      poll();
    }
    watching = { close() { finished = true; if (es) es.close(); clearTimeout(timer); } };
  }

  function render(v) {
    window.drumsplit.job = v;
    switch (v.state) {
      case "queued":
        showJob(v.name, v.position > 1 ?
          `Queued: ${v.position - 1} job${v.position > 2 ? "s" : ""} ahead of this one` :
          "Queued: next in line", 0);
        break;
      case "running":
        showJob(v.name, `Separating… ${pct(v.progress)}`, v.progress);
        break;
      case "failed":
        showJob(v.name, "Failed", 0);
        fail(v.error || "the job failed");
        break;
      case "done":
        showJob(v.name, "Done: loading the stems…", 1);
        showResult(v);
        break;
    }
  }

  function showJob(name, status, progress) {
    $("job").hidden = false;
    $("job-name").textContent = name;
    $("status").textContent = status;
    $("progress").value = progress;
  }

  function fail(msg) {
    const e = $("error");
    e.textContent = msg;
    e.hidden = false;
  }

  function pct(f) { return Math.floor(Math.max(0, Math.min(1, f)) * 100) + "%"; }

  // ---- the result: players, waveforms, downloads ----

  const stemNames = { kick: "Kick", snare: "Snare", toms: "Toms", hh: "Hi-hat", ride: "Ride", crash: "Crash" };

  let shown = null; // the id of the job whose result is on the page

  async function showResult(v) {
    if (shown === v.id) return;
    shown = v.id;
    $("result").hidden = false;
    $("zip").href = v.zip;
    const list = $("stems");
    list.textContent = "";
    const AC = window.AudioContext || window.webkitAudioContext;
    player.ctx = new AC();
    player.master = player.ctx.createGain();
    player.master.connect(player.ctx.destination);
    for (const f of v.files) {
      if (f.midi) {
        showMIDI(f);
        continue;
      }
      const s = { name: f.stem, url: f.url, buffer: null, mute: false, solo: false, startedAt: null };
      s.gain = player.ctx.createGain();
      s.gain.connect(player.master);
      s.canvas = el("canvas", { title: "click to play from here" });
      s.canvas.addEventListener("click", (e) => {
        const r = s.canvas.getBoundingClientRect();
        seek(((e.clientX - r.left) / r.width) * player.duration);
      });
      s.soloBtn = el("button", { type: "button", className: "solo", textContent: "S", title: "solo" });
      s.muteBtn = el("button", { type: "button", className: "mute", textContent: "M", title: "mute" });
      s.soloBtn.setAttribute("aria-pressed", "false");
      s.muteBtn.setAttribute("aria-pressed", "false");
      s.soloBtn.addEventListener("click", () => { s.solo = !s.solo; mix(); });
      s.muteBtn.addEventListener("click", () => { s.mute = !s.mute; mix(); });
      s.row = el("div", { className: "stem" },
        el("span", { className: "name", textContent: stemNames[f.stem] || f.stem }),
        el("span", { className: "toggles" }, s.soloBtn, s.muteBtn),
        s.canvas,
        el("a", { className: "button", href: f.url, download: f.name, textContent: "Download" }));
      s.row.dataset.stem = f.stem;
      list.append(s.row);
      player.stems.push(s);
    }
    try {
      await Promise.all(player.stems.map(async (s) => {
        const r = await fetch(s.url);
        if (!r.ok) throw new Error(`${s.name}: HTTP ${r.status}`);
        s.buffer = await decode(await r.arrayBuffer());
      }));
    } catch (e) {
      fail("cannot load the stems: " + e.message);
      return;
    }
    player.duration = Math.max(0, ...player.stems.map((s) => s.buffer.duration));
    for (const s of player.stems) s.picture = waveform(s);
    $("status").textContent = "Done";
    mix();
    draw();
    window.drumsplit.ready = true;
  }

  // decode wraps decodeAudioData's callback form, which older Safari needs.
  function decode(data) {
    return new Promise((ok, bad) => player.ctx.decodeAudioData(data, ok, bad));
  }

  // ---- playback: every stem's source starts at the same context time ----

  $("play").addEventListener("click", () => (player.playing ? pause() : play()));
  $("stop").addEventListener("click", () => { pause(); player.offset = 0; draw(); });

  function position() {
    if (!player.playing) return player.offset;
    // Before the scheduled start (or while a browser holds the context
    // suspended) the clock is behind startTime: still at offset.
    const t = player.offset + player.ctx.currentTime - player.startTime;
    return Math.max(player.offset, Math.min(player.duration, t));
  }

  function play() {
    if (!window.drumsplit.ready) return;
    player.ctx.resume();
    if (player.offset >= player.duration) player.offset = 0;
    // One start time for all, a moment ahead so that every source is
    // scheduled before it comes.
    const when = player.ctx.currentTime + 0.05;
    for (const s of player.stems) {
      const src = player.ctx.createBufferSource();
      src.buffer = s.buffer;
      src.connect(s.gain);
      src.start(when, Math.min(player.offset, s.buffer.duration));
      s.source = src;
      s.startedAt = when;
    }
    player.startTime = when;
    player.playing = true;
    setPlayButton();
    tick();
  }

  function pause() {
    if (!player.playing) return;
    player.offset = position();
    for (const s of player.stems) {
      if (s.source) { s.source.stop(); s.source.disconnect(); s.source = null; }
    }
    player.playing = false;
    cancelAnimationFrame(player.frame);
    setPlayButton();
  }

  function seek(t) {
    const again = player.playing;
    pause();
    player.offset = Math.max(0, Math.min(player.duration, t));
    if (again) play(); else draw();
  }

  function setPlayButton() {
    const b = $("play");
    b.textContent = player.playing ? "Pause" : "Play";
    b.setAttribute("aria-pressed", String(player.playing));
  }

  function tick() {
    if (position() >= player.duration) {
      pause();
      player.offset = 0;
      draw();
      return;
    }
    draw();
    player.frame = requestAnimationFrame(tick);
  }

  // audible: solo wins over mute; with no stem soloed, every unmuted one plays.
  function audible(s) {
    return player.stems.some((x) => x.solo) ? s.solo : !s.mute;
  }

  function mix() {
    for (const s of player.stems) {
      const on = audible(s);
      s.gain.gain.setValueAtTime(on ? 1 : 0, player.ctx.currentTime);
      s.soloBtn.setAttribute("aria-pressed", String(s.solo));
      s.muteBtn.setAttribute("aria-pressed", String(s.mute));
      s.row.classList.toggle("silent", !on);
    }
  }

  // ---- pictures ----

  // waveform draws the min/max envelope of a stem's mono mix once into an
  // offscreen canvas; draw copies it and adds the playhead.
  function waveform(s) {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(s.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(s.canvas.clientHeight * dpr));
    s.canvas.width = w;
    s.canvas.height = h;
    const pic = document.createElement("canvas");
    pic.width = w;
    pic.height = h;
    const g = pic.getContext("2d");
    const b = s.buffer;
    const chans = [];
    for (let c = 0; c < b.numberOfChannels; c++) chans.push(b.getChannelData(c));
    const n = b.length;
    const perPx = (player.duration * b.sampleRate) / w;
    // The louder stems fill their height; quiet ones stay visibly quiet
    // down to -40 dB of full scale.
    let peak = 0;
    for (const ch of chans) for (let i = 0; i < n; i += 7) peak = Math.max(peak, Math.abs(ch[i]));
    const scale = (h / 2) / Math.max(peak, 0.01);
    g.fillStyle = "#f0a830";
    for (let x = 0; x < w; x++) {
      const a = Math.floor(x * perPx);
      const e = Math.min(n, Math.floor((x + 1) * perPx));
      let lo = 0, hi = 0;
      for (let i = a; i < e; i++) {
        let v = 0;
        for (const ch of chans) v += ch[i];
        v /= chans.length;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const y0 = h / 2 - hi * scale;
      const y1 = h / 2 - lo * scale;
      g.fillRect(x, y0, 1, Math.max(1, y1 - y0));
    }
    return pic;
  }

  function draw() {
    const t = position();
    const frac = player.duration > 0 ? t / player.duration : 0;
    for (const s of player.stems) {
      if (!s.picture) continue;
      const g = s.canvas.getContext("2d");
      g.clearRect(0, 0, s.canvas.width, s.canvas.height);
      g.drawImage(s.picture, 0, 0);
      const x = Math.round(frac * s.canvas.width);
      g.fillStyle = "#ffffff";
      g.fillRect(x, 0, Math.max(1, window.devicePixelRatio || 1), s.canvas.height);
    }
    if (player.notes) drawRoll(t);
    $("time").textContent = `${clock(t)} / ${clock(player.duration)}`;
  }

  function clock(t) {
    const m = Math.floor(t / 60);
    const s = Math.floor(t % 60);
    return `${m}:${String(s).padStart(2, "0")}`;
  }

  // ---- MIDI: a piano roll of the transcription ----

  const drumNames = {
    35: "kick", 36: "kick", 37: "side stick", 38: "snare", 40: "snare", 39: "clap",
    41: "floor tom", 43: "floor tom", 45: "low tom", 47: "mid tom", 48: "high tom", 50: "high tom",
    42: "hh closed", 44: "hh pedal", 46: "hh open", 49: "crash", 57: "crash 2", 52: "china",
    55: "splash", 51: "ride", 59: "ride 2", 53: "ride bell",
  };

  async function showMIDI(f) {
    $("midi-view").hidden = false;
    $("midi-link").href = f.url;
    $("midi-link").download = f.name;
    try {
      const r = await fetch(f.url);
      player.notes = parseMIDI(new Uint8Array(await r.arrayBuffer()));
    } catch (e) {
      player.notes = [];
      fail("cannot read the MIDI file: " + e.message);
    }
    draw();
  }

  // parseMIDI reads the notes of a Standard MIDI File, with times in
  // seconds (tempo changes applied).
  function parseMIDI(b) {
    const str = (o, n) => String.fromCharCode(...b.subarray(o, o + n));
    const u32 = (o) => (b[o] << 24 | b[o + 1] << 16 | b[o + 2] << 8 | b[o + 3]) >>> 0;
    const u16 = (o) => b[o] << 8 | b[o + 1];
    if (str(0, 4) !== "MThd") throw new Error("not a MIDI file");
    const division = u16(12);
    if (division & 0x8000) throw new Error("SMPTE time is not supported");
    const events = []; // {tick, tempo} or {tick, note, velocity}
    let o = 8 + u32(4);
    while (o + 8 <= b.length) {
      const len = u32(o + 4);
      const end = Math.min(b.length, o + 8 + len);
      if (str(o, 4) === "MTrk") {
        let p = o + 8, tick = 0, status = 0;
        const vlq = () => { let v = 0, c; do { c = b[p++]; v = v * 128 + (c & 127); } while (c & 128 && p < end); return v; };
        while (p < end) {
          tick += vlq();
          let s = b[p];
          if (s & 0x80) p++; else s = status;
          if (s === 0xff) {
            const type = b[p++];
            const n = vlq();
            if (type === 0x51 && n === 3) events.push({ tick, tempo: b[p] << 16 | b[p + 1] << 8 | b[p + 2] });
            p += n;
          } else if (s === 0xf0 || s === 0xf7) {
            p += vlq();
          } else {
            status = s;
            const kind = s & 0xf0;
            const d1 = b[p++];
            const d2 = kind === 0xc0 || kind === 0xd0 ? 0 : b[p++];
            if (kind === 0x90 && d2 > 0) events.push({ tick, note: d1, velocity: d2 });
          }
        }
      }
      o = end;
    }
    events.sort((a, b) => a.tick - b.tick || (a.tempo ? -1 : 1));
    const notes = [];
    let tempo = 500000, lastTick = 0, time = 0;
    for (const e of events) {
      time += ((e.tick - lastTick) / division) * (tempo / 1e6);
      lastTick = e.tick;
      if (e.tempo) tempo = e.tempo; else notes.push({ time, note: e.note, velocity: e.velocity });
    }
    return notes;
  }

  function drawRoll(t) {
    const c = $("roll");
    const dpr = window.devicePixelRatio || 1;
    const keys = [...new Set(player.notes.map((n) => n.note))].sort((a, b) => b - a);
    const rowH = 14 * dpr;
    c.style.height = Math.max(40, keys.length * 14 + 4) + "px";
    c.width = Math.max(1, Math.round(c.clientWidth * dpr));
    c.height = Math.max(1, Math.round(c.clientHeight * dpr));
    const g = c.getContext("2d");
    g.clearRect(0, 0, c.width, c.height);
    const label = 84 * dpr;
    const span = Math.max(player.duration, ...player.notes.map((n) => n.time + 0.05), 0.001);
    g.font = `${11 * dpr}px system-ui, sans-serif`;
    g.textBaseline = "middle";
    keys.forEach((k, i) => {
      const y = 2 * dpr + i * rowH;
      g.fillStyle = i % 2 ? "#1b1e23" : "#20242a";
      g.fillRect(0, y, c.width, rowH);
      g.fillStyle = "#9aa0a6";
      g.fillText(drumNames[k] || `note ${k}`, 4 * dpr, y + rowH / 2);
    });
    const x0 = label, w = c.width - label;
    for (const n of player.notes) {
      const y = 2 * dpr + keys.indexOf(n.note) * rowH;
      g.fillStyle = `rgba(240,168,48,${0.35 + 0.65 * n.velocity / 127})`;
      g.fillRect(x0 + (n.time / span) * w, y + 2 * dpr, 3 * dpr, rowH - 4 * dpr);
    }
    g.fillStyle = "#ffffff";
    g.fillRect(x0 + (t / span) * w, 0, dpr, c.height);
  }

  // ---- starting over ----

  function reset() {
    pause();
    if (watching) watching.close();
    if (player.ctx) player.ctx.close();
    Object.assign(player, { ctx: null, master: null, stems: [], duration: 0, offset: 0, notes: null });
    window.drumsplit.ready = false;
    window.drumsplit.job = null;
    shown = null;
    $("result").hidden = true;
    $("midi-view").hidden = true;
    $("error").hidden = true;
    $("stems").textContent = "";
  }

  // The waveforms are drawn again for the new width once resizing stops.
  let resizing = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      for (const s of player.stems) if (s.buffer) s.picture = waveform(s);
      draw();
    }, 150);
  });

  // A job's address (#id) shows it again after a reload, or when it is
  // pasted into the address bar of the page.
  const jobInHash = () => {
    const m = /^#([0-9a-f]{16})$/.exec(location.hash);
    return m ? m[1] : null;
  };
  window.addEventListener("hashchange", () => {
    const id = jobInHash();
    if (id) {
      reset();
      watch(id);
    }
  });
  if (jobInHash()) watch(jobInHash());
})();
