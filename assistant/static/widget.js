/*! RUNsource chat widget: one script tag, no build step, no third-party code.
 *
 *   <script src="https://assistant.example/widget.js" data-api="https://assistant.example"
 *           data-title="Ask RUNsource" data-position="right" data-theme="auto" defer></script>
 *
 * Everything lives in an open Shadow DOM under <section id="runsource-widget">. Text from the
 * server is never parsed as HTML: the Markdown renderer below builds DOM nodes and text nodes
 * only, and links are kept only when they are http(s) or mailto.
 *
 * Events for the host page (on the widget element, bubbling and composed):
 *   runsource:open, runsource:close, runsource:meta, runsource:delta, runsource:done, runsource:error
 * They carry no message text and no triage evidence: meta {turn_id, level}, delta {length},
 * done {turn_id, level, intent, mode, citations, exercises} (counts), error {message, code}.
 *
 * What the browser keeps: only the session id, its token and an idle deadline, in sessionStorage
 * (this tab only, gone when it closes), forgotten after `idle_minutes` without use. The
 * transcript lives in memory and is fetched again from the server, with the token, after a
 * reload. "Forget this conversation" erases it on the server.
 */
(function () {
  "use strict";

  if (window.RUNsourceWidget && window.RUNsourceWidget.mounted) return; // the tag was pasted twice

  var VERSION = "2";
  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var data = (script && script.dataset) || {};
  var scriptUrl = script && script.src ? script.src : location.href;
  var API = (data.api ? new URL(data.api, document.baseURI) : new URL("/", scriptUrl)).href.replace(/\/+$/, "");
  var TITLE = (data.title || "Ask RUNsource").slice(0, 60);
  var POSITION = /left/.test(data.position || "") ? "left" : "right";
  var THEME = data.theme === "dark" || data.theme === "light" ? data.theme : "auto";
  var STORE_KEY = "runsource-widget:" + API;
  var MAX_ITEMS = 60;
  var DEFAULT_IDLE_MINUTES = 30;

  var REASONS = [
    ["unsafe", "Unsafe advice"],
    ["wrong", "Wrong or inaccurate"],
    ["missed_symptom", "Missed a symptom"],
    ["too_alarming", "Too alarming"],
    ["other", "Something else"],
  ];

  // ------------------------------------------------------------------ DOM helpers: nodes and text only
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null || attrs[k] === false) continue;
        if (k === "text") el.textContent = attrs[k];
        else if (k === "hidden") el.hidden = !!attrs[k];
        else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), attrs[k]);
        else el.setAttribute(k, attrs[k] === true ? "" : String(attrs[k]));
      }
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function append(parent, child) {
    if (child == null || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(parent, c); });
    else parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }

  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    close: "M6 6l12 12M18 6L6 18",
    reset: "M4 12a8 8 0 1 0 2.3-5.6M4 4v4h4",
    forget: "M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13M10 11v6M14 11v6",
    up: "M7 11v9H4v-9h3zm0 0l4-7a2 2 0 0 1 3 2l-1 4h5a2 2 0 0 1 2 2.3l-1.2 6A2 2 0 0 1 16.8 20H7",
    down: "M17 13V4h3v9h-3zm0 0l-4 7a2 2 0 0 1-3-2l1-4H6a2 2 0 0 1-2-2.3l1.2-6A2 2 0 0 1 7.2 4H17",
    send: "M4 12l16-8-6 16-2-6-8-2z",
  };

  function icon(name) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "icon");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  // ------------------------------------------------------------------ safe Markdown
  /** An absolute http(s) or mailto URL, or null: javascript:, data:, vbscript: and the rest are dropped. */
  function safeUrl(raw) {
    if (typeof raw !== "string") return null;
    var url;
    try {
      url = new URL(raw.trim(), API + "/");
    } catch (e) {
      return null;
    }
    return /^(https?|mailto):$/.test(url.protocol) ? url.href : null;
  }

  function link(url, children) {
    var a = h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, children);
    a.appendChild(h("span", { class: "sr-only", text: " (opens in a new tab)" }));
    return a;
  }

  var ESCAPABLE = "\\`*_{}[]()#+-.!<>|~\"'";
  var MAX_DEPTH = 6;

  /** Inline Markdown: code, links, autolinks, bare URLs, strong, emphasis, escapes. */
  function inline(text, depth) {
    var out = [];
    var buf = "";
    var i = 0;
    function flush() {
      if (buf) out.push(document.createTextNode(buf));
      buf = "";
    }
    if (depth > MAX_DEPTH) return [document.createTextNode(text)];
    while (i < text.length) {
      var c = text[i];
      var rest = text.slice(i);
      var m;
      if (c === "\\" && i + 1 < text.length && ESCAPABLE.indexOf(text[i + 1]) >= 0) {
        buf += text[i + 1];
        i += 2;
        continue;
      }
      if (c === "`" && (m = /^(`+)([\s\S]*?[^`])\1(?!`)/.exec(rest))) {
        flush();
        out.push(h("code", { text: m[2].replace(/^ (.*) $/, "$1") }));
        i += m[0].length;
        continue;
      }
      if (c === "[") {
        var close = matching(text, i, "[", "]");
        if (close > 0 && text[close + 1] === "(") {
          var end = matching(text, close + 1, "(", ")");
          if (end > 0) {
            var target = text.slice(close + 2, end).trim().replace(/^<(.*)>$/, "$1");
            target = target.replace(/\s+(".*"|'.*')$/, ""); // an optional link title
            var label = inline(text.slice(i + 1, close), depth + 1);
            var url = safeUrl(target);
            flush();
            if (url) out.push(link(url, label));
            else append_all(out, label); // an unsafe link keeps its words and loses its target
            i = end + 1;
            continue;
          }
        }
        var ref = /^\[(\d{1,2})\]/.exec(rest);
        var source = ref && refs[parseInt(ref[1], 10) - 1];
        if (source) {
          // "[2]" in a reply points at its second citation.
          flush();
          out.push(h("a", { class: "ref", href: source.url, target: "_blank", rel: "noopener noreferrer",
            "aria-label": "Source " + ref[1] + ": " + source.title + " (opens in a new tab)", text: ref[0] }));
          i += ref[0].length;
          continue;
        }
      }
      if (c === "<" && (m = /^<((?:https?:\/\/|mailto:)[^\s<>]+)>/i.exec(rest))) {
        var auto = safeUrl(m[1]);
        flush();
        out.push(auto ? link(auto, [m[1]]) : document.createTextNode(m[0]));
        i += m[0].length;
        continue;
      }
      if ((c === "h" || c === "H") && (i === 0 || /[\s(]/.test(text[i - 1])) && (m = /^https?:\/\/[^\s<>]+/i.exec(rest))) {
        var bare = m[0].replace(/[.,;:!?'"]+$/, "");
        if (bare.slice(-1) === ")" && bare.split("(").length < bare.split(")").length) bare = bare.slice(0, -1);
        var bareUrl = safeUrl(bare);
        if (bareUrl) {
          flush();
          out.push(link(bareUrl, [bare]));
          i += bare.length;
          continue;
        }
      }
      if ((c === "*" || c === "_") && text[i + 1] === c) {
        var strongEnd = closing(text, i + 2, c + c);
        if (strongEnd > i + 2) {
          flush();
          out.push(h("strong", null, inline(text.slice(i + 2, strongEnd), depth + 1)));
          i = strongEnd + 2;
          continue;
        }
      }
      if ((c === "*" || c === "_") && text[i + 1] && !/\s/.test(text[i + 1])) {
        var wordy = c === "_" && i > 0 && /[A-Za-z0-9]/.test(text[i - 1]);
        var emEnd = wordy ? -1 : closing(text, i + 1, c);
        if (emEnd > i + 1 && !(c === "_" && /[A-Za-z0-9]/.test(text[emEnd + 1] || ""))) {
          flush();
          out.push(h("em", null, inline(text.slice(i + 1, emEnd), depth + 1)));
          i = emEnd + 1;
          continue;
        }
      }
      buf += c;
      i++;
    }
    flush();
    return out;
  }

  function append_all(out, nodes) {
    for (var k = 0; k < nodes.length; k++) out.push(nodes[k]);
  }

  /** Index of the bracket closing the one at `start`, or -1. */
  function matching(text, start, open, shut) {
    var level = 0;
    for (var k = start; k < text.length; k++) {
      if (text[k] === "\\") {
        k++;
        continue;
      }
      if (text[k] === open) level++;
      else if (text[k] === shut && --level === 0) return k;
    }
    return -1;
  }

  /** Index of a closing `marker` not preceded by whitespace, or -1. */
  function closing(text, from, marker) {
    var k = from;
    while ((k = text.indexOf(marker, k)) >= 0) {
      if (k > from && !/\s/.test(text[k - 1]) && text[k - 1] !== "\\") {
        if (marker.length === 2 || text[k + 1] !== marker) return k;
        k += 2;
        continue;
      }
      k += marker.length;
    }
    return -1;
  }

  var refs = []; // the citations of the reply being rendered, for "[n]" markers

  /** A reply's Markdown, with its "[n]" markers linked to its citations. */
  function renderReply(markdown, citations) {
    refs = (Array.isArray(citations) ? citations : []).map(function (c) {
      var url = c && safeUrl(c.url);
      return url && typeof c.title === "string" ? { url: url, title: c.title } : null;
    });
    try {
      return renderMarkdown(markdown);
    } finally {
      refs = [];
    }
  }

  var LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;

  /** Block Markdown: headings, paragraphs, lists, quotes, code fences, rules. */
  function renderMarkdown(source, depth) {
    depth = depth || 0;
    var frag = document.createDocumentFragment();
    var lines = String(source == null ? "" : source).replace(/\r\n?/g, "\n").split("\n");
    var para = [];
    var i = 0;
    function endPara() {
      if (para.length) frag.appendChild(h("p", null, inline(para.join(" ").trim(), depth)));
      para = [];
    }
    while (i < lines.length) {
      var line = lines[i];
      var m;
      if (!line.trim()) {
        endPara();
        i++;
      } else if ((m = /^\s{0,3}(```+|~~~+)/.exec(line))) {
        endPara();
        var fence = m[1];
        var code = [];
        i++;
        while (i < lines.length && lines[i].trim().indexOf(fence) !== 0) code.push(lines[i++]);
        i++;
        frag.appendChild(h("pre", null, h("code", { text: code.join("\n") })));
      } else if ((m = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
        endPara();
        // Reply headings sit inside a chat bubble, below the panel's own heading.
        var level = Math.min(6, m[1].length + 2);
        frag.appendChild(h("h" + level, { class: "md-h" }, inline(m[2], depth)));
        i++;
      } else if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
        endPara();
        frag.appendChild(h("hr"));
        i++;
      } else if (/^\s{0,3}>/.test(line)) {
        endPara();
        var quoted = [];
        while (i < lines.length && /^\s{0,3}>/.test(lines[i])) quoted.push(lines[i++].replace(/^\s{0,3}>\s?/, ""));
        var inner = depth < MAX_DEPTH ? renderMarkdown(quoted.join("\n"), depth + 1) : document.createTextNode(quoted.join(" "));
        frag.appendChild(h("blockquote", null, inner));
      } else if ((m = LIST_ITEM.exec(line))) {
        endPara();
        var ordered = /\d/.test(m[2]);
        var list = h(ordered ? "ol" : "ul");
        if (ordered && parseInt(m[2], 10) !== 1) list.setAttribute("start", String(parseInt(m[2], 10)));
        var indent = m[1].length;
        while (i < lines.length) {
          var item = LIST_ITEM.exec(lines[i]);
          if (!item || /\d/.test(item[2]) !== ordered || item[1].length > indent + 1) break;
          var body = [item[3]];
          i++;
          // Lines indented under an item (or a lazy continuation) belong to it.
          while (i < lines.length && lines[i].trim() && !LIST_ITEM.exec(lines[i]) && !/^\s{0,3}(#|>|```)/.test(lines[i])) {
            body.push(lines[i++].trim());
          }
          list.appendChild(h("li", null, inline(body.join(" "), depth)));
        }
        frag.appendChild(list);
      } else {
        para.push(line.trim());
        i++;
      }
    }
    endPara();
    return frag;
  }

  function plainText(markdown) {
    var box = document.createElement("div");
    box.appendChild(renderMarkdown(markdown));
    box.querySelectorAll(".sr-only").forEach(function (n) { n.remove(); });
    return box.textContent.replace(/\s+/g, " ").trim();
  }

  // ------------------------------------------------------------------ storage
  // Only {v, sessionId, token, open, expires} is stored; the transcript (state.items) stays in memory.
  var memory = null; // when sessionStorage is blocked (private mode, strict settings)

  function emptyState() {
    return { v: VERSION, sessionId: null, token: null, open: false, expires: 0, items: [] };
  }

  function idleMs() {
    return Math.max(1, Number(config.idle_minutes) || DEFAULT_IDLE_MINUTES) * 60000;
  }

  function load() {
    var raw = null;
    try {
      window.localStorage.removeItem(STORE_KEY); // version 1 kept whole transcripts there: drop them
    } catch (e) { /* storage blocked */ }
    try {
      raw = window.sessionStorage.getItem(STORE_KEY);
    } catch (e) {
      raw = memory;
    }
    try {
      var s = raw ? JSON.parse(raw) : null;
      if (!s || s.v !== VERSION) return emptyState();
      var id = typeof s.sessionId === "string" && /^[A-Za-z0-9_-]{1,100}$/.test(s.sessionId) ? s.sessionId : null;
      var token = typeof s.token === "string" && /^[A-Za-z0-9_-]{20,200}$/.test(s.token) ? s.token : null;
      var fresh = typeof s.expires === "number" && s.expires > Date.now();
      var out = emptyState();
      out.open = !!s.open;
      if (id && token && fresh) {
        out.sessionId = id;
        out.token = token;
        out.expires = s.expires;
      }
      return out;
    } catch (e) {
      return emptyState();
    }
  }

  function save() {
    state.items = state.items.slice(-MAX_ITEMS);
    var raw = JSON.stringify({ v: VERSION, sessionId: state.sessionId, token: state.token, open: state.open, expires: state.expires });
    try {
      window.sessionStorage.setItem(STORE_KEY, raw);
    } catch (e) {
      memory = raw;
    }
  }

  /** The session was used: it is kept for another idle period. */
  function touch() {
    if (state.sessionId) state.expires = Date.now() + idleMs();
    save();
  }

  function authHeaders(extra) {
    var headers = extra || {};
    if (state.token) headers.Authorization = "Bearer " + state.token;
    return headers;
  }

  // ------------------------------------------------------------------ server
  var config = {
    app_name: "RUNsource",
    clinic_name: "the clinic",
    emergency_number: "",
    emergency_department: "the nearest emergency department",
    urgent_care: "your doctor or an urgent care clinic today",
    doctor_soon: "your doctor",
    booking_url: "",
    clinic_phone: "",
    max_message_chars: 4000,
    idle_minutes: DEFAULT_IDLE_MINUTES,
  };
  var configLoaded = null;

  function loadConfig() {
    if (!configLoaded) {
      configLoaded = fetch(API + "/v1/widget/config", { credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (c) {
          if (c && typeof c === "object") {
            for (var k in config) if (typeof c[k] === typeof config[k]) config[k] = c[k];
            input.maxLength = config.max_message_chars;
            footnote.textContent = footnoteText();
          }
        })
        .catch(function () { configLoaded = null; });
    }
    return configLoaded;
  }

  function WidgetError(message, code) {
    this.message = message;
    this.code = code || "error";
  }

  async function failure(res) {
    var body = null;
    try {
      body = await res.json();
    } catch (e) { /* not JSON */ }
    var msg = body && body.error && typeof body.error.message === "string" ? body.error.message : null;
    if (res.status === 429) {
      var wait = res.headers.get("Retry-After");
      return new WidgetError(msg || "Too many messages. Please wait " + (wait || "a few") + " s and try again.", "rate_limited");
    }
    return new WidgetError(msg || "The assistant could not answer (HTTP " + res.status + "). Please try again.", "http_" + res.status);
  }

  /** Reads a text/event-stream body, calling onEvent(name, data) for each event. */
  async function readEvents(res, onEvent) {
    function dispatch(block) {
      var name = "message";
      var lines = [];
      block.split("\n").forEach(function (line) {
        if (!line || line[0] === ":") return;
        var colon = line.indexOf(":");
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") name = value;
        else if (field === "data") lines.push(value);
      });
      if (lines.length) onEvent(name, lines.join("\n"));
    }
    var buffer = "";
    function drain(final) {
      buffer = buffer.replace(/\r\n/g, "\n");
      if (!final && buffer.slice(-1) === "\r") return; // a \r\n split across two reads
      buffer = buffer.replace(/\r/g, "\n");
      var at;
      while ((at = buffer.indexOf("\n\n")) >= 0) {
        var block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        dispatch(block);
      }
      if (final && buffer.trim()) dispatch(buffer);
    }
    if (!res.body || !res.body.getReader) {
      buffer = await res.text();
      drain(true);
      return;
    }
    var reader = res.body.getReader();
    var decoder = new TextDecoder();
    for (;;) {
      var step = await reader.read();
      if (step.done) break;
      buffer += decoder.decode(step.value, { stream: true });
      drain(false);
    }
    buffer += decoder.decode();
    drain(true);
  }

  function postJSON(path, body) {
    return fetch(API + path, {
      method: "POST",
      headers: authHeaders({ "Content-Type": "application/json" }),
      body: JSON.stringify(body),
      credentials: "omit",
    });
  }

  // ------------------------------------------------------------------ styles
  var CSS = [
    ":host{all:initial}",
    ":host{--rs-accent:#0b5d7a;--rs-accent-ink:#fff;--rs-bg:#fff;--rs-ink:#1d2430;--rs-muted:#4a5565;",
    "--rs-line:#c5cfd9;--rs-bot:#eef2f6;--rs-user:#0b5d7a;--rs-user-ink:#fff;--rs-card:#fff;--rs-focus:#1a5fd0;",
    "--rs-alert-bg:#fdecec;--rs-alert-ink:#7a0f0f;--rs-alert-line:#c81e1e;--rs-alert-cta:#b3161a;",
    "--rs-urgent-bg:#fff3df;--rs-urgent-ink:#5f3600;--rs-urgent-line:#b86e00;",
    "--rs-note-bg:#e7f2f8;--rs-note-ink:#0b3f54;--rs-chip:#fff;--rs-radius:14px;",
    "--rs-shadow:0 12px 40px rgba(16,24,40,.22);--rs-font:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}",
    "@media (prefers-color-scheme:dark){:host([data-theme=auto]){" + dark() + "}}",
    ":host([data-theme=dark]){" + dark() + "}",
    ".root{font:15px/1.5 var(--rs-font);color:var(--rs-ink);-webkit-font-smoothing:antialiased}",
    ".root *,.root *::before,.root *::after{box-sizing:border-box}",
    ".sr-only{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}",
    ".icon{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;flex:none}",
    "button,textarea,input{font:inherit;color:inherit}",
    "button{cursor:pointer}",
    ":focus-visible{outline:3px solid var(--rs-focus);outline-offset:2px}",
    ".launcher{position:fixed;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;",
    "padding:12px 18px;border:0;border-radius:999px;background:var(--rs-accent);color:var(--rs-accent-ink);",
    "font-weight:600;box-shadow:var(--rs-shadow)}",
    ".right .launcher{right:20px}.left .launcher{left:20px}",
    ".panel{position:fixed;bottom:84px;z-index:2147483001;width:min(410px,calc(100vw - 32px));",
    "height:min(660px,calc(100vh - 110px));display:flex;flex-direction:column;background:var(--rs-bg);",
    "border:1px solid var(--rs-line);border-radius:var(--rs-radius);box-shadow:var(--rs-shadow);overflow:hidden}",
    ".panel[hidden]{display:none}",
    ".right .panel{right:16px}.left .panel{left:16px}",
    "header{display:flex;align-items:center;gap:6px;padding:10px 10px 10px 16px;background:var(--rs-accent);color:var(--rs-accent-ink)}",
    "header .titles{flex:1;min-width:0}",
    "h2{margin:0;font-size:1.05rem;line-height:1.3}",
    ".sub{margin:0;font-size:.8rem;opacity:.95}",
    ".tool{display:inline-flex;align-items:center;gap:4px;min-width:40px;min-height:40px;justify-content:center;",
    "border:0;border-radius:8px;background:transparent;color:inherit;padding:6px 8px;font-size:.85rem}",
    ".tool:hover{background:rgba(255,255,255,.16)}",
    "header :focus-visible{outline-color:var(--rs-accent-ink)}",
    ".log{position:relative;flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:12px;overscroll-behavior:contain}",
    ".empty{color:var(--rs-muted);margin:auto 6px;text-align:center}",
    ".msg{max-width:92%;padding:10px 12px;border-radius:12px;overflow-wrap:anywhere}",
    ".msg.user{align-self:flex-end;background:var(--rs-user);color:var(--rs-user-ink);border-bottom-right-radius:4px;white-space:pre-wrap}",
    ".msg.bot{align-self:flex-start;background:var(--rs-bot);border-bottom-left-radius:4px;width:92%}",
    ".msg.failed{opacity:.75}",
    ".msg.error{align-self:stretch;max-width:100%;background:var(--rs-urgent-bg);color:var(--rs-urgent-ink);border:1px solid var(--rs-urgent-line)}",
    ".who{font-size:.75rem;font-weight:600;color:var(--rs-muted);margin:0 0 2px}",
    ".md>:first-child{margin-top:0}.md>:last-child{margin-bottom:0}",
    ".md p,.md ul,.md ol,.md blockquote,.md pre{margin:0 0 .6em}",
    ".md ul,.md ol{padding-left:1.3em}.md li{margin:.15em 0}",
    ".md-h{font-size:1rem;margin:.6em 0 .3em}",
    ".md blockquote{border-left:3px solid var(--rs-line);padding-left:.7em;margin-left:0}",
    ".md code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;background:rgba(127,127,127,.15);padding:0 .25em;border-radius:4px}",
    ".md pre{overflow-x:auto;padding:.6em;background:rgba(127,127,127,.12);border-radius:6px}",
    ".md hr{border:0;border-top:1px solid var(--rs-line)}",
    "a{color:var(--rs-accent);text-decoration:underline;text-underline-offset:2px}",
    ".streaming .md::after{content:'';display:inline-block;width:.5em;height:1em;margin-left:2px;vertical-align:-2px;background:currentColor;opacity:.5;animation:rs-blink 1s steps(2) infinite}",
    "@keyframes rs-blink{50%{opacity:0}}",
    ".banner{border:2px solid var(--rs-alert-line);background:var(--rs-alert-bg);color:var(--rs-alert-ink);border-radius:10px;padding:10px 12px;margin:0 0 10px}",
    ".banner.urgent{border-color:var(--rs-urgent-line);background:var(--rs-urgent-bg);color:var(--rs-urgent-ink)}",
    ".banner.evaluation{border-width:1px;border-color:var(--rs-line);background:var(--rs-note-bg);color:var(--rs-note-ink)}",
    ".banner h3{margin:0 0 4px;font-size:1rem}",
    ".banner p{margin:0 0 6px}.banner ul{margin:0 0 6px;padding-left:1.2em}",
    ".banner a{color:inherit;font-weight:600}",
    ".cta{display:inline-block;margin-top:2px;padding:8px 14px;border-radius:8px;background:var(--rs-alert-cta);color:#fff!important;text-decoration:none;font-weight:700}",
    ".banner.urgent .cta,.banner.evaluation .cta{background:var(--rs-accent);color:var(--rs-accent-ink)!important}",
    ".section-title{font-size:.85rem;font-weight:700;margin:10px 0 6px}",
    ".cards{list-style:none;margin:0;padding:0;display:grid;gap:8px}",
    ".card{background:var(--rs-card);border:1px solid var(--rs-line);border-radius:10px;padding:8px 10px}",
    ".card h4{margin:0 0 2px;font-size:.95rem}",
    ".card p{margin:0 0 4px;font-size:.88rem}",
    ".card .meta{color:var(--rs-muted)}",
    ".sources{margin:0;padding-left:1.3em;font-size:.9rem}",
    "a.ref{text-decoration:none;font-size:.8em;vertical-align:.3em;white-space:nowrap}",
    "a.ref:hover{text-decoration:underline}",
    ".md ul.cards{margin:0 0 .6em;padding:0}",
    ".chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:10px;padding:0;list-style:none}",
    ".chip{border:1px solid var(--rs-accent);background:var(--rs-chip);color:var(--rs-accent);border-radius:999px;padding:6px 12px;font-size:.88rem;text-align:left}",
    ".chip:hover{background:var(--rs-note-bg)}",
    ".fb{display:flex;align-items:center;flex-wrap:wrap;gap:4px;margin-top:10px;font-size:.85rem;color:var(--rs-muted)}",
    ".fb .tool{min-width:36px;min-height:36px;color:var(--rs-ink);border:1px solid transparent}",
    ".fb .tool:hover{background:rgba(127,127,127,.14)}",
    ".fb .tool[aria-pressed=true]{border-color:var(--rs-accent);color:var(--rs-accent)}",
    ".fbform{margin-top:8px;padding:10px;border:1px solid var(--rs-line);border-radius:10px;background:var(--rs-card)}",
    ".fbform fieldset{border:0;margin:0 0 8px;padding:0}",
    ".fbform legend{font-weight:600;margin-bottom:4px;padding:0}",
    ".fbform label{display:flex;align-items:center;gap:6px;padding:2px 0}",
    ".fbform textarea{width:100%;min-height:56px;margin-top:4px;border:1px solid var(--rs-line);border-radius:8px;padding:6px 8px;background:var(--rs-bg)}",
    ".fbform .cmt{display:block}",
    ".row{display:flex;gap:8px;margin-top:8px}",
    ".btn{border:1px solid var(--rs-accent);border-radius:8px;padding:6px 12px;background:var(--rs-accent);color:var(--rs-accent-ink);font-weight:600}",
    ".btn.secondary{background:transparent;color:var(--rs-accent)}",
    ".thanks{margin:6px 0 0;font-size:.85rem;color:var(--rs-muted)}",
    ".pending{align-self:flex-start;color:var(--rs-muted);padding:8px 12px;background:var(--rs-bot);border-radius:12px}",
    ".dots span{display:inline-block;width:6px;height:6px;margin:0 2px;border-radius:50%;background:currentColor;animation:rs-bounce 1.2s infinite}",
    ".dots span:nth-child(2){animation-delay:.15s}.dots span:nth-child(3){animation-delay:.3s}",
    "@keyframes rs-bounce{0%,60%,100%{transform:none;opacity:.5}30%{transform:translateY(-4px);opacity:1}}",
    "form.composer{display:flex;gap:8px;align-items:flex-end;padding:10px;border-top:1px solid var(--rs-line);background:var(--rs-bg)}",
    "form.composer textarea{flex:1;resize:none;min-height:44px;max-height:140px;border:1px solid var(--rs-line);border-radius:10px;padding:10px 12px;background:var(--rs-bg);line-height:1.4}",
    "form.composer textarea::placeholder{color:var(--rs-muted);opacity:1}",
    ".send{min-width:44px;min-height:44px;border:0;border-radius:10px;background:var(--rs-accent);color:var(--rs-accent-ink);display:inline-flex;align-items:center;justify-content:center}",
    ".send[disabled]{opacity:.6;cursor:progress}",
    ".foot{margin:0;padding:0 12px 8px;font-size:.75rem;color:var(--rs-muted);background:var(--rs-bg)}",
    "@media (max-width:480px){.panel{inset:0;width:100%;height:100%;height:100dvh;border-radius:0;border:0}",
    ".open .launcher{display:none}.msg.bot{width:100%;max-width:100%}}",
    "@media (prefers-reduced-motion:reduce){.dots span,.streaming .md::after{animation:none}}",
  ].join("\n");

  function dark() {
    return "--rs-accent:#7cc7e3;--rs-accent-ink:#06202b;--rs-bg:#151b23;--rs-ink:#e6ebf1;--rs-muted:#aeb8c4;" +
      "--rs-line:#3a4654;--rs-bot:#1f2833;--rs-user:#7cc7e3;--rs-user-ink:#06202b;--rs-card:#18202a;--rs-focus:#9ecbff;" +
      "--rs-alert-bg:#3b1214;--rs-alert-ink:#ffd9d9;--rs-alert-line:#ff6b6b;--rs-alert-cta:#c81e1e;" +
      "--rs-urgent-bg:#3a2806;--rs-urgent-ink:#ffe2b0;--rs-urgent-line:#e0a030;--rs-note-bg:#12303d;--rs-note-ink:#cdeaf5;" +
      "--rs-chip:#151b23;--rs-shadow:0 12px 40px rgba(0,0,0,.55)";
  }

  // ------------------------------------------------------------------ build the widget
  var host = h("section", { id: "runsource-widget", "aria-label": TITLE + " chat", "data-theme": THEME });
  var shadow = host.attachShadow({ mode: "open" });
  if (shadow.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS); // constructed sheets also work under a host page's strict style-src
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.appendChild(h("style", { text: CSS }));
  }

  var live = h("div", { class: "sr-only", "aria-live": "polite", "aria-atomic": "true" });
  var launcherText = h("span", { text: TITLE });
  var launcher = h("button", {
    type: "button", class: "launcher", "aria-haspopup": "dialog", "aria-expanded": "false",
    "aria-controls": "rs-panel", onclick: function () { if (panel.hidden) open(true); else close(); },
  }, icon("chat"), launcherText);

  var log = h("div", { class: "log", tabindex: "0", role: "region", "aria-label": "Conversation" });
  var input = h("textarea", {
    id: "rs-input", rows: "1", maxlength: "4000", autocomplete: "off",
    placeholder: "Ask about running and your back…",
  });
  var sendButton = h("button", { type: "submit", class: "send", "aria-label": "Send" }, icon("send"));
  var composer = h("form", { class: "composer", onsubmit: onSubmit },
    h("label", { for: "rs-input", class: "sr-only", text: "Your question" }), input, sendButton);
  var footnote = h("p", { class: "foot", text: "" });
  var panel = h("div", {
    id: "rs-panel", class: "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "rs-title",
    "aria-describedby": "rs-sub", hidden: true,
  },
    h("header", null,
      h("div", { class: "titles" },
        h("h2", { id: "rs-title", text: TITLE }),
        h("p", { id: "rs-sub", class: "sub", text: "Education for runners with low back pain, not a diagnosis" })),
      h("button", { type: "button", class: "tool", title: "New conversation", onclick: function () { reset(); } }, icon("reset"), h("span", { class: "sr-only", text: "New conversation" })),
      h("button", { type: "button", class: "tool", title: "Forget this conversation", onclick: function () { forget(); } }, icon("forget"), h("span", { class: "sr-only", text: "Forget this conversation" })),
      h("button", { type: "button", class: "tool", "aria-label": "Close chat", onclick: function () { close(); } }, icon("close"))),
    log, composer, footnote);
  var root = h("div", { class: "root " + POSITION }, launcher, panel, live);
  shadow.appendChild(root);

  function footnoteText() {
    var number = config.emergency_number;
    return "Education, not a diagnosis. In an emergency call " + (number || "your local emergency number") + ".";
  }
  footnote.textContent = footnoteText();

  // ------------------------------------------------------------------ rendering
  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  /** Scroll to show as much of a reply as fits, from its start: its banner and first words first. */
  function reveal(el) {
    log.scrollTop = Math.min(Math.max(0, el.offsetTop - 8), log.scrollHeight - log.clientHeight);
  }

  function showEmpty() {
    if (!log.querySelector(".msg")) {
      log.replaceChildren(h("p", { class: "empty", text: "Ask a question about low back pain and running, for example: “Is it just tight hamstrings?”" }));
    }
  }

  function addUser(text) {
    var empty = log.querySelector(".empty");
    if (empty) empty.remove();
    var el = h("div", { class: "msg user" }, h("span", { class: "sr-only", text: "You said: " }), text);
    log.appendChild(el);
    scrollToEnd();
    return el;
  }

  /** A tel: link from the leading phone number in `number` ("+44 20 7946 0000", "911"), or null. */
  function tel(number) {
    var m = /^\s*(\+?[0-9][0-9 ().-]*)/.exec(String(number || ""));
    var digits = m ? m[1].replace(/[^0-9+]/g, "") : "";
    return digits ? "tel:" + digits : null;
  }

  function banner(triage) {
    var level = triage && triage.level;
    // Where to go is decided once on the server (triage.care); today or within a day or two, never both.
    var care = (triage && triage.care) || level;
    var flags = (triage && Array.isArray(triage.flags) ? triage.flags : []).filter(function (f) { return f && typeof f.label === "string"; });
    var signs = flags.length ? h("ul", null, flags.map(function (f) { return h("li", { text: f.label }); })) : null;
    if (level === "emergency") {
      var number = config.emergency_number;
      var call = tel(number);
      return h("div", { class: "banner emergency", role: "alert" },
        h("h3", { text: "Emergency: get help now" }),
        h("p", { text: "Call " + (number || "your local emergency number") + " or go to " + config.emergency_department + " now." }),
        signs ? h("p", { text: "Warning sign:" }) : null, signs,
        call ? h("a", { class: "cta", href: call, text: "Call " + number }) : null);
    }
    if (level === "urgent") {
      var phone = tel(config.clinic_phone);
      var soon = care === "day_or_two";
      return h("div", { class: "banner urgent", role: "alert" },
        h("h3", { text: soon ? "See a doctor within a day or two" : "See a doctor today" }),
        h("p", { text: "Contact " + (soon ? config.doctor_soon : config.urgent_care) + ". Hold off on exercises until you have been checked." }),
        signs ? h("p", { text: "Why:" }) : null, signs,
        phone ? h("a", { class: "cta", href: phone, text: "Call " + config.clinic_name }) : null);
    }
    if (level === "evaluation") {
      var book = safeUrl(config.booking_url);
      return h("div", { class: "banner evaluation", role: "note" },
        h("h3", { text: care === "in_person" ? "Book an in-person assessment" : "Worth a gait evaluation" }),
        h("p", { text: care === "in_person"
          ? "Leg symptoms and young runners need an in-person check: a physiotherapist at " + config.clinic_name + " can examine you."
          : "A physiotherapist at " + config.clinic_name + " can look at how you run, in person or online." }),
        book ? h("a", { class: "cta", href: book, target: "_blank", rel: "noopener noreferrer", text: "Book a gait evaluation" }) : null);
    }
    return null;
  }

  function validExercises(exercises) {
    return (Array.isArray(exercises) ? exercises : []).filter(function (e) { return e && typeof e.name === "string"; });
  }

  function exerciseCards(exercises) {
    var list = validExercises(exercises);
    if (!list.length) return null;
    return h("ul", { class: "cards", "aria-label": "Exercises" }, list.map(function (e) {
      var url = safeUrl(e.url);
      // `program` may be a display name or an id such as "prog-core-control"; ids are not for people.
      var program = typeof e.program === "string" && !/^prog-[a-z0-9-]+$/.test(e.program) ? e.program : "";
      var detail = [program, typeof e.dose === "string" ? e.dose : ""].filter(Boolean).join(" · ");
      return h("li", { class: "card" },
        h("h4", { text: e.name }),
        detail ? h("p", { class: "meta", text: detail }) : null,
        typeof e.why === "string" && e.why ? h("p", { text: e.why }) : null,
        url ? link(url, ["How to do " + e.name]) : null);
    }));
  }

  /** Cards take the place of the reply's own list of the same exercises, or go below the text. */
  function placeCards(md, extras, exercises) {
    var cards = exerciseCards(exercises);
    if (!cards) return;
    var urls = {};
    validExercises(exercises).forEach(function (e) { var u = safeUrl(e.url); if (u) urls[u] = true; });
    var lists = md.querySelectorAll("ul, ol");
    for (var k = 0; k < lists.length; k++) {
      var items = Array.prototype.slice.call(lists[k].children);
      var same = items.length > 0 && items.every(function (li) {
        var a = li.querySelector("a[href]");
        return a && urls[a.href];
      });
      if (same) {
        lists[k].replaceWith(cards);
        return;
      }
    }
    extras.appendChild(h("div", { class: "exercises" }, h("p", { class: "section-title", text: "Exercises from the programs" }), cards));
  }

  function sourceList(citations, md) {
    var linked = {};
    md.querySelectorAll("a[href]:not(.ref)").forEach(function (a) { linked[a.href] = true; });
    var list = (Array.isArray(citations) ? citations : []).filter(function (c) {
      return c && typeof c.title === "string" && safeUrl(c.url) && !linked[safeUrl(c.url)];
    });
    if (!list.length) return null;
    return h("div", { class: "cites" },
      h("p", { class: "section-title", text: "Sources" }),
      h("ol", { class: "sources" }, list.map(function (c) {
        return h("li", null, link(safeUrl(c.url), [c.title]));
      })));
  }

  /** The reply's parts: the answer (the escalation first at a raised level) and, at level none,
   *  the one-line safety net for the message footer. Old replies without parts show `reply`. */
  function replyParts(reply) {
    if (typeof reply.answer !== "string" || !reply.answer) return { body: reply.reply, footer: "" };
    var net = typeof reply.safety_net === "string" ? reply.safety_net : "";
    var level = reply.triage && reply.triage.level;
    if (level && level !== "none") return { body: net ? net + "\n\n" + reply.answer : reply.answer, footer: "" };
    return { body: reply.answer, footer: net };
  }

  /** One assistant message; `view.text(md)` while streaming, `view.finish(reply, item)` at the end. */
  function addBot(meta) {
    var md = h("div", { class: "md" });
    var extras = h("div", { class: "extras" });
    var el = h("div", { class: "msg bot streaming", "data-turn": meta.turn_id || "" },
      h("p", { class: "who", text: config.app_name }),
      banner(meta.triage), md, extras);
    var empty = log.querySelector(".empty");
    if (empty) empty.remove();
    log.appendChild(el);
    var pendingText = null;
    var frame = 0;
    function paint() {
      frame = 0;
      md.replaceChildren(renderReply(pendingText, meta.citations));
      reveal(el);
    }
    return {
      el: el,
      text: function (markdown) {
        pendingText = markdown;
        if (!frame) frame = requestAnimationFrame(paint);
      },
      finish: function (reply, item) {
        if (frame) cancelAnimationFrame(frame);
        frame = 0;
        var parts = replyParts(reply);
        md.replaceChildren(renderReply(parts.body, reply.citations));
        el.classList.remove("streaming");
        extras.replaceChildren();
        placeCards(md, extras, reply.exercises);
        if (parts.footer) extras.appendChild(h("div", { class: "safety" }, renderReply(parts.footer, [])));
        append(extras, sourceList(reply.citations, md));
        extras.appendChild(feedbackFor(reply, item));
        reveal(el);
      },
      fail: function () {
        el.classList.remove("streaming");
        el.classList.add("failed");
      },
    };
  }

  function showChips(questions) {
    var old = log.querySelector(".chips");
    if (old) old.remove();
    var list = (Array.isArray(questions) ? questions : []).filter(function (q) { return typeof q === "string" && q.trim(); }).slice(0, 4);
    if (!list.length) return;
    log.appendChild(h("ul", { class: "chips", "aria-label": "Suggested questions" }, list.map(function (q) {
      return h("li", null, h("button", { type: "button", class: "chip", onclick: function () { send(q); }, text: q }));
    })));
  }

  function feedbackFor(reply, item) {
    var box = h("div", { class: "feedback" });
    var thanks = h("p", { class: "thanks", role: "status" });
    var up = h("button", { type: "button", class: "tool", "aria-pressed": "false", "aria-label": "Helpful" }, icon("up"));
    var down = h("button", { type: "button", class: "tool", "aria-pressed": "false", "aria-label": "Not helpful" }, icon("down"));
    var group = h("div", { class: "fb", role: "group", "aria-label": "Rate this reply" }, h("span", { text: "Was this helpful?" }), up, down);
    var form = null;

    function done(rating, reason) {
      item.feedback = { rating: rating, reason: reason || null };
      touch();
      mark();
      thanks.textContent = "Thank you. Your feedback helps the clinic improve the assistant.";
    }
    function mark() {
      var f = item.feedback;
      up.setAttribute("aria-pressed", String(!!f && f.rating === "up"));
      down.setAttribute("aria-pressed", String(!!f && f.rating === "down"));
      up.disabled = down.disabled = !!f;
    }
    function submit(rating, reason, comment) {
      return postJSON("/v1/feedback", { turn_id: reply.turn_id, rating: rating, reason: reason || null, comment: comment || "" })
        .then(function (res) {
          if (!res.ok) return failure(res).then(function (e) { throw e; });
          done(rating, reason);
        })
        .catch(function (e) {
          thanks.textContent = "Could not send the feedback: " + (e && e.message ? e.message : "network error") + ".";
        });
    }
    up.addEventListener("click", function () {
      if (form) form.remove();
      form = null;
      submit("up");
    });
    down.addEventListener("click", function () {
      if (form) {
        form.querySelector("input").focus();
        return;
      }
      var id = "rs-fb-" + (reply.turn_id || Math.random().toString(36).slice(2));
      var comment = h("textarea", { id: id + "-c", maxlength: "2000", rows: "2" });
      form = h("form", { class: "fbform" },
        h("fieldset", null, h("legend", { text: "What was wrong?" }),
          REASONS.map(function (r, n) {
            return h("label", null, h("input", { type: "radio", name: id, value: r[0], checked: n === 0 }), r[1]);
          })),
        h("label", { class: "cmt", for: id + "-c", text: "Comment (optional)" }), comment,
        h("div", { class: "row" },
          h("button", { type: "submit", class: "btn", text: "Send feedback" }),
          h("button", { type: "button", class: "btn secondary", text: "Cancel", onclick: function () { form.remove(); form = null; down.focus(); } })));
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var chosen = form.querySelector("input:checked");
        var f = form;
        submit("down", chosen ? chosen.value : "other", comment.value.trim()).then(function () {
          if (item.feedback && f.isConnected) {
            f.remove();
            form = null;
            thanks.setAttribute("tabindex", "-1");
            thanks.focus(); // the form that held focus is gone
          }
        });
      });
      box.insertBefore(form, thanks);
      form.querySelector("input").focus();
    });
    box.appendChild(group);
    box.appendChild(thanks);
    if (item.feedback) {
      mark();
      thanks.textContent = "Feedback sent. Thank you.";
    }
    return box;
  }

  function addError(message) {
    var el = h("div", { class: "msg error", role: "alert" }, message);
    log.appendChild(el);
    scrollToEnd();
    return el;
  }

  function announce(text) {
    live.textContent = "";
    // A fresh node after a tick makes screen readers announce repeated text too.
    setTimeout(function () { live.textContent = text; }, 50);
  }

  function emit(name, detail) {
    host.dispatchEvent(new CustomEvent("runsource:" + name, { detail: detail, bubbles: true, composed: true }));
  }

  function renderAll() {
    log.replaceChildren();
    var lastBot = null;
    var lastView = null;
    state.items.forEach(function (it) {
      if (it.role === "user") addUser(it.text);
      else {
        lastView = addBot(it.reply);
        lastView.finish(it.reply, it);
        lastBot = it.reply;
      }
    });
    if (lastBot && state.items[state.items.length - 1].role === "bot") showChips(lastBot.follow_ups);
    showEmpty();
    if (lastView) reveal(lastView.el);
  }

  // ------------------------------------------------------------------ behaviour
  var state = load();
  save(); // an expired or unreadable session is dropped from storage now, not at the next write
  var busy = false;

  function setBusy(on) {
    busy = on;
    sendButton.disabled = on;
    log.setAttribute("aria-busy", on ? "true" : "false");
  }

  function open(focus) {
    panel.hidden = false;
    panel.setAttribute("aria-modal", fullScreen() ? "true" : "false");
    root.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    if (!state.open) {
      state.open = true;
      save();
    }
    loadConfig();
    var replies = log.querySelectorAll(".msg.bot");
    if (replies.length) reveal(replies[replies.length - 1]); // layout exists only now the panel shows
    if (focus) input.focus();
    emit("open", {});
  }

  function close() {
    var wasOpen = !panel.hidden;
    panel.hidden = true;
    root.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    state.open = false;
    save();
    if (wasOpen) {
      launcher.focus();
      emit("close", {});
    }
  }

  function reset(message) {
    state = emptyState();
    state.open = !panel.hidden;
    save();
    renderAll();
    announce(message || "Started a new conversation.");
    input.value = "";
    if (!panel.hidden) input.focus();
  }

  /** Erase the conversation on the server, then here. */
  async function forget() {
    if (busy) return;
    if (state.sessionId && state.token) {
      var res = null;
      try {
        res = await fetch(API + "/v1/sessions/" + encodeURIComponent(state.sessionId), {
          method: "DELETE", headers: authHeaders(), credentials: "omit",
        });
      } catch (e) { /* offline: below */ }
      // 404 and 401: the server no longer holds it (erased or expired); nothing is left to erase.
      if (!res || (!res.ok && res.status !== 404 && res.status !== 401)) {
        var message = "Could not erase the conversation. Check your connection and try again.";
        addError(message);
        announce(message);
        return;
      }
    }
    reset("This conversation was erased.");
  }

  function expireIfIdle() {
    if (state.sessionId && state.expires && Date.now() > state.expires) reset("The conversation was put away after a time without use.");
  }

  function onSubmit(ev) {
    ev.preventDefault();
    send(input.value);
  }

  async function send(text) {
    text = String(text || "").trim();
    if (busy || !text) return;
    if (text.length > config.max_message_chars) {
      addError("That message is " + text.length + " characters long; the limit is " + config.max_message_chars + ". Please shorten it.");
      return;
    }
    setBusy(true);
    await loadConfig();
    var chips = log.querySelector(".chips");
    if (chips) chips.remove();
    input.value = "";
    input.style.height = "";
    var userEl = addUser(text);
    var pending = h("div", { class: "pending" }, h("span", { class: "sr-only", text: config.app_name + " is writing a reply" }),
      h("span", { class: "dots", "aria-hidden": "true" }, h("span"), h("span"), h("span")));
    log.appendChild(pending);
    scrollToEnd();
    var view = null;
    var finished = false;
    var sofar = "";
    try {
      var res;
      try {
        res = await fetch(API + "/v1/chat/stream", {
          method: "POST",
          headers: authHeaders({ "Content-Type": "application/json", Accept: "text/event-stream" }),
          body: JSON.stringify({ message: text, session_id: state.sessionId, channel: "web" }),
          credentials: "omit",
        });
      } catch (e) {
        throw new WidgetError("Could not reach the assistant. Check your connection and try again.", "network");
      }
      if (!res.ok) throw await failure(res);
      await readEvents(res, function (name, raw) {
        var payload = JSON.parse(raw);
        if (name === "meta") {
          state.sessionId = payload.session_id;
          if (payload.session_token) state.token = payload.session_token;
          state.items.push({ role: "user", text: text });
          touch();
          pending.remove();
          view = addBot(payload);
          emit("meta", { turn_id: payload.turn_id, level: payload.triage && payload.triage.level });
        } else if (name === "delta" && view) {
          var piece = typeof payload.text === "string" ? payload.text : "";
          sofar += piece;
          view.text(sofar);
          emit("delta", { length: piece.length });
        } else if (name === "done" && view) {
          finished = true;
          var item = { role: "bot", reply: payload, feedback: null };
          state.items.push(item);
          touch();
          view.finish(payload, item);
          showChips(payload.follow_ups);
          announce(config.app_name + " replied: " + plainText(payload.reply));
          emit("done", {
            turn_id: payload.turn_id,
            level: payload.triage && payload.triage.level,
            intent: payload.intent,
            mode: payload.mode,
            citations: Array.isArray(payload.citations) ? payload.citations.length : 0,
            exercises: Array.isArray(payload.exercises) ? payload.exercises.length : 0,
          });
        } else if (name === "error") {
          var err = payload && payload.error ? payload.error : {};
          throw new WidgetError(err.message || "The reply failed. Please try again.", err.code);
        }
      });
      if (!finished) throw new WidgetError("The reply was cut off. Please try again.", "incomplete");
    } catch (e) {
      pending.remove();
      if (view) view.fail();
      if (!view) userEl.classList.add("failed");
      if (!input.value) input.value = view ? "" : text;
      var message = e instanceof WidgetError ? e.message : "Something went wrong showing the reply. Please try again.";
      addError(message);
      announce(message);
      emit("error", { message: message, code: e && e.code });
    } finally {
      setBusy(false);
    }
  }

  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      send(input.value);
    }
  });
  input.addEventListener("input", function () {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 140) + "px";
  });
  // Full screen on a phone the panel is modal: Tab cycles inside it instead of the page hidden behind.
  var phone = window.matchMedia ? window.matchMedia("(max-width: 480px)") : null;
  function fullScreen() {
    return !!(phone && phone.matches);
  }
  function focusables() {
    return Array.prototype.filter.call(panel.querySelectorAll("button, a[href], textarea, input, [tabindex='0']"), function (el) {
      return !el.disabled && el.getClientRects().length > 0 && (el.type !== "radio" || el.checked);
    });
  }
  root.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && !panel.hidden) {
      ev.stopPropagation();
      close();
    } else if (ev.key === "Tab" && !panel.hidden && fullScreen()) {
      var all = focusables();
      if (!all.length) return;
      var active = shadow.activeElement;
      if (ev.shiftKey && (active === all[0] || !panel.contains(active))) {
        ev.preventDefault();
        all[all.length - 1].focus();
      } else if (!ev.shiftKey && active === all[all.length - 1]) {
        ev.preventDefault();
        all[0].focus();
      }
    }
  });

  /** After a reload within the idle period, fetch the transcript from the server with the token. */
  function restoreFromServer() {
    if (!state.sessionId || !state.token || state.items.length) return Promise.resolve();
    var asked = state.sessionId;
    return fetch(API + "/v1/sessions/" + encodeURIComponent(asked), { headers: authHeaders(), credentials: "omit" })
      .then(function (r) {
        if (r.status === 401 || r.status === 404) {
          if (state.sessionId === asked) reset("The earlier conversation is no longer available.");
          return null;
        }
        return r.ok ? r.json() : null;
      })
      .then(function (s) {
        if (!s || !Array.isArray(s.turns) || state.items.length || state.sessionId !== asked) return;
        s.turns.forEach(function (t) {
          var rated = t.feedback && typeof t.feedback.rating === "string" ? { rating: t.feedback.rating, reason: t.feedback.reason || null } : null;
          state.items.push({ role: "user", text: String(t.message) }, { role: "bot", reply: t.reply, feedback: rated });
        });
        touch();
        return loadConfig().then(renderAll); // banners name the clinic's numbers
      })
      .catch(function () { /* offline: keep the empty transcript */ });
  }

  function mount() {
    document.body.appendChild(host);
    renderAll();
    restoreFromServer();
    setInterval(expireIfIdle, 15000);
    if (state.open) open(false);
  }

  window.RUNsourceWidget = {
    mounted: true,
    version: VERSION,
    api: API,
    open: function () { open(true); },
    close: close,
    reset: reset,
    forget: forget,
    send: function (text) { open(false); return send(text); },
    renderMarkdown: function (text) { return renderMarkdown(text); },
    get sessionId() { return state.sessionId; },
  };

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
