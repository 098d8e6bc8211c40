// The orderbot demo's Slack stand-in page. Everything the bot sent is rendered
// with createElement and textContent (never innerHTML), so a card's text cannot
// inject markup; the mrkdwn renderer below turns Slack's markup into DOM nodes.
"use strict";

(function () {
  // show is how many of the channel's newest messages to fetch ("Load older"
  // raises it); open holds the threads the user expanded, by message ts.
  const state = { channel: new URLSearchParams(location.search).get("channel") || "", users: {}, channels: {}, keys: {}, busy: false,
    show: 100, open: {} };

  // el builds an element with a class and children (strings become text nodes).
  function el(tag, cls, ...children) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }

  // ---- mrkdwn ---------------------------------------------------------------

  const EMOJI = {
    white_check_mark: "✅", sparkles: "✨", rotating_light: "🚨", warning: "⚠️", books: "📚", zzz: "💤",
    raising_hand: "🙋", red_circle: "🔴", large_orange_circle: "🟠", large_yellow_circle: "🟡",
    large_blue_circle: "🔵", white_circle: "⚪", hourglass: "⌛", hourglass_flowing_sand: "⏳", bell: "🔔",
    mag: "🔍", link: "🔗", package: "📦", truck: "🚚", moneybag: "💰", credit_card: "💳", x: "❌",
    arrows_counterclockwise: "🔄", fire: "🔥", information_source: "ℹ️", pushpin: "📌", busts_in_silhouette: "👥",
    bust_in_silhouette: "👤", heavy_check_mark: "✔️", no_entry: "⛔", clock3: "🕒", alarm_clock: "⏰",
    arrow_right: "➡️", cyclone: "🌀", leftwards_arrow_with_hook: "↩️", outbox: "📤", pencil2: "✏️", stopwatch: "⏱️", ticket: "🎫", eyes: "👀", wave: "👋", memo: "📝", repeat: "🔁", tada: "🎉", lock: "🔒", unlock: "🔓",
    envelope: "✉️", outbox_tray: "📤", no_entry_sign: "🚫", grey_question: "❔", bar_chart: "📊",
  };

  // unescape decodes the three entities Slack escapes in text.
  function unescape(s) {
    return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function emojify(s) {
    return s.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);
  }

  function safeHref(u) {
    return /^(https?:|mailto:)/i.test(u) ? u : null;
  }

  function userName(id) {
    return state.users[id] || id;
  }

  function formatDate(token) {
    // <!date^1700000000^{date_short_pretty} {time}|fallback>
    const [head, fallback] = splitOnce(token, "|");
    const parts = head.split("^");
    const ts = Number(parts[1]);
    if (!isFinite(ts)) return fallback || head;
    const d = new Date(ts * 1000);
    return d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  function splitOnce(s, sep) {
    const i = s.indexOf(sep);
    return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
  }

  // angle renders one <...> token: a link, a mention, a channel, a date or a
  // special mention.
  function angle(inner) {
    if (inner.startsWith("@")) {
      const [id] = splitOnce(inner.slice(1), "|");
      return el("span", "mention", "@" + userName(id));
    }
    if (inner.startsWith("#")) {
      const [id, name] = splitOnce(inner.slice(1), "|");
      return el("span", "mention", "#" + (name || state.channels[id] || id));
    }
    if (inner.startsWith("!date^")) return el("span", "date", formatDate(inner));
    if (inner.startsWith("!subteam^")) {
      const [id, name] = splitOnce(inner.slice(9), "|");
      return el("span", "mention", name || "@" + id);
    }
    if (inner.startsWith("!")) {
      const [kw, label] = splitOnce(inner.slice(1), "|");
      return el("span", "mention", label || "@" + kw);
    }
    const [url, label] = splitOnce(inner, "|");
    const href = safeHref(unescape(url));
    const text = unescape(label || url);
    if (!href) return document.createTextNode(text);
    const a = el("a", null, text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  const TOKEN = /<([^<>\n]+)>|`([^`\n]+)`|(?<![\p{L}\p{N}*])\*([^*\n]+)\*(?![\p{L}\p{N}*])|(?<![\p{L}\p{N}_])_([^_\n]+)_(?![\p{L}\p{N}_])|(?<![\p{L}\p{N}~])~([^~\n]+)~(?![\p{L}\p{N}~])/gu;

  // inline renders a run of mrkdwn without block quotes into parent.
  function inline(parent, s) {
    let last = 0;
    TOKEN.lastIndex = 0;
    const matches = [...s.matchAll(TOKEN)];
    for (const m of matches) {
      if (m.index > last) parent.append(emojify(unescape(s.slice(last, m.index))));
      if (m[1] !== undefined) parent.append(angle(m[1]));
      else if (m[2] !== undefined) parent.append(el("code", null, unescape(m[2])));
      else {
        const tag = m[3] !== undefined ? "b" : m[4] !== undefined ? "i" : "s";
        const inner = el(tag, null);
        inline(inner, m[3] ?? m[4] ?? m[5]);
        parent.append(inner);
      }
      last = m.index + m[0].length;
    }
    if (last < s.length) parent.append(emojify(unescape(s.slice(last))));
  }

  // mrkdwn renders Slack mrkdwn into a new element: lines starting with ">"
  // (sent as "&gt;") become block quotes.
  function mrkdwn(s) {
    const out = el("div", "mrkdwn");
    const lines = String(s).split("\n");
    let quote = null;
    lines.forEach((line, i) => {
      const q = line.match(/^(?:&gt;|>)\s?(.*)$/);
      if (q) {
        if (!quote) { quote = el("blockquote"); out.append(quote); }
        else quote.append("\n");
        inline(quote, q[1]);
        return;
      }
      quote = null;
      inline(out, line);
      if (i < lines.length - 1) out.append("\n");
    });
    return out;
  }

  function textObj(t) {
    if (!t) return el("span");
    if (t.type === "mrkdwn") return mrkdwn(t.text || "");
    const span = el("span", "text", t.emoji === false ? t.text : emojify(t.text || ""));
    return span;
  }

  function plain(t) {
    return t && t.text ? t.text : "";
  }

  // ---- Block Kit ------------------------------------------------------------

  // ctx says where an element sits: {channel, ts, ephemeral, blockID, modal}.
  function element(e, ctx) {
    switch (e.type) {
      case "button": {
        const b = el("button", "el" + (e.style ? " " + e.style : ""), plain(e.text));
        b.type = "button";
        b.dataset.actionId = e.action_id || "";
        if (ctx.modal) { b.disabled = true; return b; }
        b.addEventListener("click", () => {
          const go = () => act(b, ctx, { type: "button", action_id: e.action_id, value: e.value || "" });
          if (e.confirm) confirmBox(e.confirm, go); else go();
        });
        return b;
      }
      case "static_select":
      case "overflow":
      case "radio_buttons": // shown as a select: the page only needs the choice
      case "users_select": {
        const s = el("select", "el");
        s.dataset.actionId = e.action_id || "";
        s.dataset.type = e.type;
        const ph = el("option", null, e.type === "overflow" ? "⋯" : plain(e.placeholder) || "Choose…");
        ph.value = "";
        ph.disabled = !ctx.modal;
        ph.selected = true;
        s.append(ph);
        options(e).forEach((o) => {
          const opt = el("option", null, o.label);
          opt.value = o.value;
          if (e.initial_option && e.initial_option.value === o.value) opt.selected = true;
          if (e.initial_user && e.initial_user === o.value) opt.selected = true;
          s.append(opt);
        });
        if (!ctx.modal) {
          s.addEventListener("change", () => {
            if (!s.value) return;
            const go = () => act(s, ctx, { type: e.type, action_id: e.action_id, selected: s.value });
            if (e.confirm) confirmBox(e.confirm, go); else go();
          });
        }
        return s;
      }
      case "image":
        return el("span", "unsupported", "[image: " + (e.alt_text || "") + "]");
      default:
        return el("span", "unsupported", "[" + (e.type || "element") + "]");
    }
  }

  function options(e) {
    if (e.type === "users_select") {
      return Object.entries(state.users).map(([id, name]) => ({ value: id, label: name }));
    }
    let opts = e.options || [];
    if (e.option_groups) opts = e.option_groups.flatMap((g) => g.options || []);
    return opts.map((o) => ({ value: o.value, label: plain(o.text) }));
  }

  function block(b, ctx) {
    const c = Object.assign({}, ctx, { blockID: b.block_id || "" });
    switch (b.type) {
      case "header":
        return el("div", "b-header", emojify(plain(b.text)));
      case "section": {
        const body = el("div", "body");
        if (b.text) body.append(textObj(b.text));
        if (b.fields && b.fields.length) body.append(el("div", "fields", ...b.fields.map(textObj)));
        const sec = el("div", "b-section", body);
        if (b.accessory) sec.append(element(b.accessory, c));
        return sec;
      }
      case "context":
        return el("div", "b-context", ...(b.elements || []).map((x) =>
          x.type === "image" ? el("span", null, "[" + (x.alt_text || "image") + "]") : textObj(x)));
      case "divider":
        return el("hr", "b-divider");
      case "actions":
        return el("div", "b-actions", ...(b.elements || []).map((x) => element(x, c)));
      case "input":
        return inputBlock(b, c);
      case "image":
        return el("div", "unsupported", "[image: " + (b.alt_text || "") + "]");
      default:
        return el("div", "unsupported", "[" + b.type + " block]");
    }
  }

  function blocks(list, ctx) {
    const d = el("div", "blocks");
    (list || []).forEach((b) => d.append(block(b, ctx)));
    return d;
  }

  // ---- messages ---------------------------------------------------------------

  function when(ts) {
    const d = new Date(Number(ts) * 1000);
    return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function message(m, channel, reply) {
    const head = el("div", "who", "orderbot", el("span", "app", "APP"), el("span", "when", when(m.ts)));
    if (m.updates > 0) head.append(el("span", "edited", " (edited)"));
    const d = el("div", "msg", head);
    d.dataset.ts = m.ts;
    const ctx = { channel: channel, ts: m.ts, ephemeral: false };
    if (m.blocks && m.blocks.length) d.append(blocks(m.blocks, ctx));
    else d.append(mrkdwn(m.text || ""));
    if (!reply && m.replies && m.replies.length) {
      // Threads are folded, as in Slack, to the count and the latest reply,
      // so that several cards fit on a screen; a click unfolds the rest.
      const open = !!state.open[m.ts];
      const n = m.replies.length;
      const label = n + (n === 1 ? " reply" : " replies") + (n > 1 ? (open ? " · hide" : " · show all") : "");
      const count = el("div", "thread-count", label);
      count.addEventListener("click", () => {
        state.open[m.ts] = !open;
        state.keys.messages = "";
        poll();
      });
      const t = el("div", "thread", count);
      (open ? m.replies : m.replies.slice(-1)).forEach((r) => t.append(message(r, channel, true)));
      d.append(t);
    }
    return d;
  }

  function renderMessages(st) {
    const box = document.getElementById("messages");
    const scroller = document.getElementById("scroll");
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    box.replaceChildren();
    if (st.older) {
      const b = el("button", "older", "Load older messages (" + st.older + " more)");
      b.type = "button";
      b.addEventListener("click", () => {
        state.show += 200;
        poll();
      });
      box.append(b);
    }
    if (!st.messages.length) box.append(el("div", "empty", "No cards in this channel yet. The bot posts here when it finds an anomaly for this department."));
    st.messages.forEach((m) => box.append(message(m, st.channel, false)));
    // Stay at the bottom when there, else keep the reader's place as
    // messages arrive below or older ones load above.
    scroller.scrollTop = atBottom ? scroller.scrollHeight : scroller.scrollHeight - fromBottom;
  }

  function renderEphemerals(st) {
    const box = document.getElementById("ephemerals");
    box.replaceChildren();
    st.ephemerals.slice(-5).forEach((e) => {
      const d = el("div", "ephemeral", el("div", "only", "Only visible to you · " + new Date(e.at).toLocaleTimeString()));
      const ctx = { channel: st.channel, ts: "", ephemeral: true };
      d.append(e.blocks && e.blocks.length ? blocks(e.blocks, ctx) : mrkdwn(e.text || ""));
      box.append(d);
    });
    const scroller = document.getElementById("scroll");
    if (st.ephemerals.length) scroller.scrollTop = scroller.scrollHeight;
  }

  function renderChannels(st) {
    const ul = document.getElementById("channel-list");
    ul.replaceChildren();
    st.channels.forEach((c) => {
      const li = el("li", c.id === st.channel ? "active" : "", el("span", null, "# " + c.name));
      li.dataset.channel = c.id;
      if (c.messages) li.append(el("span", "count", String(c.messages)));
      li.addEventListener("click", () => select(c.id));
      ul.append(li);
    });
    const cur = st.channels.find((c) => c.id === st.channel);
    document.getElementById("channel-title").textContent = "# " + (cur ? cur.name : st.channel);
  }

  function renderNotices(st) {
    const box = document.getElementById("notices");
    box.replaceChildren(el("h2", null, "SMS and emails the simulated providers received"));
    if (!st.notices_configured) {
      box.append(el("p", "empty", "Customer notices are not configured in this build."));
      return;
    }
    if (!st.notices.length) box.append(el("p", "empty", "No customer notices sent yet."));
    st.notices.forEach((n) => {
      const d = el("div", "notice", el("div", "meta", n.medium.toUpperCase() + " to " + n.to + " · " + new Date(n.at).toLocaleString()));
      if (n.subject) d.append(el("div", null, el("b", null, n.subject)));
      d.append(el("div", "text", n.body));
      box.append(d);
    });
  }

  // ---- modals -----------------------------------------------------------------

  function inputBlock(b, ctx) {
    const d = el("div", "b-input");
    d.dataset.blockId = b.block_id || "";
    const label = el("label", null, plain(b.label));
    if (b.optional) label.append(el("span", "optional", " (optional)"));
    d.append(label);
    const e = b.element || {};
    let input;
    if (e.type === "plain_text_input") {
      input = e.multiline ? el("textarea") : el("input");
      if (!e.multiline) input.type = "text";
      if (e.placeholder) input.placeholder = plain(e.placeholder);
      if (e.max_length) input.maxLength = e.max_length;
      if (e.initial_value) input.value = e.initial_value;
      input.dataset.type = "plain_text_input";
    } else {
      input = element(e, Object.assign({}, ctx, { modal: true }));
    }
    input.dataset.actionId = e.action_id || "";
    input.dataset.input = "1";
    d.append(input);
    if (b.hint) d.append(el("div", "hint", plain(b.hint)));
    if (ctx.errors && ctx.errors[b.block_id]) d.append(el("div", "error", ctx.errors[b.block_id]));
    return d;
  }

  // modalValues reads what the user entered in the open modal, by block id.
  function modalValues(form) {
    const values = {};
    if (!form) return values;
    form.querySelectorAll(".b-input").forEach((blk) => {
      const input = blk.querySelector("[data-input]");
      if (!input) return;
      values[blk.dataset.blockId] = values[blk.dataset.blockId] || {};
      values[blk.dataset.blockId][input.dataset.actionId] = { type: input.dataset.type || "plain_text_input", value: input.value };
    });
    return values;
  }

  function renderModal(st) {
    const root = document.getElementById("modal-root");
    // Like Slack, a redrawn modal (errors after a submission, an update) keeps
    // what the user already entered.
    const old = document.getElementById("modal");
    const kept = old && st.view && old.dataset.viewId === st.view.id ? modalValues(old) : {};
    root.replaceChildren();
    if (!st.view) return;
    const v = st.view.view || {};
    const ctx = { channel: st.channel, ts: "", ephemeral: false, modal: true, errors: st.view.errors || {} };
    const body = blocks(v.blocks, ctx);
    body.className = "mbody";
    const foot = el("div", "mfoot");
    const close = el("button", "el", plain(v.close) || "Cancel");
    close.type = "button";
    close.id = "modal-close";
    close.addEventListener("click", () => post("/api/close", { view_id: st.view.id }));
    foot.append(close);
    const form = el("form", "modal", el("h2", null, plain(v.title)), body, foot);
    form.id = "modal";
    form.dataset.viewId = st.view.id;
    if (v.submit) {
      const submit = el("button", "el primary", plain(v.submit));
      submit.type = "submit";
      submit.id = "modal-submit";
      foot.append(submit);
    }
    form.querySelectorAll(".b-input").forEach((blk) => {
      const input = blk.querySelector("[data-input]");
      const v = input && kept[blk.dataset.blockId] && kept[blk.dataset.blockId][input.dataset.actionId];
      if (v) input.value = v.value;
    });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const values = modalValues(form);
      form.querySelectorAll("button").forEach((b) => (b.disabled = true));
      post("/api/submit", { view_id: st.view.id, values: values });
    });
    root.append(el("div", "overlay", form));
  }

  function confirmBox(c, go) {
    const root = document.getElementById("modal-root");
    const yes = el("button", "el primary", plain(c.confirm) || "Yes");
    const no = el("button", "el", plain(c.deny) || "Cancel");
    yes.type = no.type = "button";
    yes.id = "confirm-yes";
    const box = el("div", "overlay", el("div", "modal", el("h2", null, plain(c.title)),
      el("div", "mbody", textObj(c.text)), el("div", "mfoot", no, yes)));
    no.addEventListener("click", () => box.remove());
    yes.addEventListener("click", () => { box.remove(); go(); });
    root.append(box);
  }

  // ---- talking to the fake ----------------------------------------------------

  function setStatus(s) {
    document.getElementById("status").textContent = s;
  }

  async function post(path, body) {
    try {
      const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const j = await r.json().catch(() => ({}));
      setStatus(r.ok ? "sent" : j.error || "failed: HTTP " + r.status);
    } catch (e) {
      setStatus("the stand-in is not answering");
    }
    state.keys = {}; // redraw everything from the next state
    poll();
  }

  function act(control, ctx, a) {
    control.disabled = true;
    post("/api/action", Object.assign({ channel: ctx.channel, ts: ctx.ts, ephemeral: ctx.ephemeral, block_id: ctx.blockID }, a));
  }

  function select(id) {
    state.channel = id;
    state.keys = {};
    state.show = 100;
    history.replaceState(null, "", "?channel=" + encodeURIComponent(id));
    poll();
  }

  // changed tells whether a part of the state differs from what is drawn, so
  // that a poll does not reset a select the user is about to use.
  function changed(name, v) {
    const k = JSON.stringify(v);
    if (state.keys[name] === k) return false;
    state.keys[name] = k;
    return true;
  }

  async function poll() {
    if (state.busy) return;
    state.busy = true;
    try {
      const r = await fetch("/api/state?channel=" + encodeURIComponent(state.channel) + "&show=" + state.show);
      if (!r.ok) throw new Error("HTTP " + r.status);
      const st = await r.json();
      state.channel = st.channel;
      state.users = {};
      st.users.forEach((u) => (state.users[u.id] = u.name));
      document.getElementById("me").textContent = st.user.name;
      state.channels = {};
      st.channels.forEach((c) => (state.channels[c.id] = c.name));
      const clock = document.getElementById("clock");
      if (st.now) {
        // The simulated time, in UTC like the cards' SLA stamps, and the speed.
        const d = new Date(st.now);
        clock.textContent = "Simulated time " + d.toISOString().slice(0, 16).replace("T", " ") + " UTC" + (st.speed > 1 ? " · ×" + st.speed : "");
        clock.dataset.now = st.now;
        clock.dataset.speed = String(st.speed || 1);
      }
      if (changed("channels", [st.channels, st.channel])) renderChannels(st);
      if (changed("messages", [st.channel, st.older, st.messages])) renderMessages(st);
      if (changed("ephemerals", [st.channel, st.ephemerals])) renderEphemerals(st);
      if (changed("view", st.view)) renderModal(st);
      if (changed("notices", [st.notices_configured, st.notices])) renderNotices(st);
      document.body.dataset.ready = "1";
    } catch (e) {
      setStatus("the stand-in is not answering");
    } finally {
      state.busy = false;
    }
  }

  document.querySelectorAll(".tab").forEach((t) => t.addEventListener("click", () => {
    document.querySelectorAll(".tab").forEach((x) => x.classList.toggle("active", x === t));
    document.getElementById("slack-pane").hidden = t.dataset.tab !== "slack";
    document.getElementById("notices-pane").hidden = t.dataset.tab !== "notices";
  }));
  document.getElementById("command-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = document.getElementById("command-text");
    post("/api/command", { channel: state.channel, command: "/ob", text: input.value });
    input.value = "";
  });
  poll();
  setInterval(poll, 1000);
})();
