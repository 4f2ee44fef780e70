// The demo's Webex-like web chat. It talks only to the Webex simulator's control API on this
// origin (see the simulator's crate documentation) and never turns text into HTML: every node
// is built with createElement/textContent, and links are limited to safe schemes.
"use strict";

(function () {
  const state = {
    cfg: null,
    people: [],
    bot: null,
    me: null,
    rooms: [],
    room: null,
    rendered: new Map(), // message id -> <li>
    since: 0,
    pollGeneration: 0,
    unread: new Set(), // room ids with messages not seen yet
  };

  const $ = (id) => document.getElementById(id);
  const CARD = "application/vnd.microsoft.card.adaptive";

  // ---- small DOM helpers -------------------------------------------------------------------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === undefined || value === null || value === false) continue;
        if (key === "class") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function initials(name) {
    const words = String(name || "?").trim().split(/\s+/);
    return ((words[0] || "?")[0] + (words.length > 1 ? words[words.length - 1][0] : "")).toUpperCase();
  }

  function status(text, isError) {
    const node = $("status");
    node.textContent = text || "";
    node.className = isError ? "error" : "";
  }

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(state.cfg.webexBase + path, options);
    let json = null;
    try {
      json = await response.json();
    } catch (_) {
      json = null;
    }
    if (!response.ok) {
      const why = (json && json.message) || "HTTP " + response.status;
      throw new Error(why);
    }
    return json;
  }

  // ---- links ---------------------------------------------------------------------------------

  // Only these schemes become links; anything else (javascript:, data:, …) stays text.
  function safeUrl(raw) {
    const url = String(raw || "").trim();
    if (url.startsWith("/") && !url.startsWith("//")) return url;
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url);
    if (!scheme) return null;
    const name = scheme[1].toLowerCase();
    return ["http", "https", "mailto", "webexteams"].includes(name) ? url : null;
  }

  function link(href, children) {
    const a = el("a", { href, rel: "noopener noreferrer" }, children);
    if (!href.startsWith("/")) a.target = "_blank";
    return a;
  }

  // ---- markdown (the subset Webex renders) ----------------------------------------------------

  const PUNCTUATION = "\\`*_{}[]()#+-.!|<>~\"'$%&,/:;=?@^";

  // Index of the closing `delim` after `from`, skipping escapes and code spans; -1 if none.
  function findClose(src, from, delim) {
    let i = from;
    while (i < src.length) {
      const c = src[i];
      if (c === "\\") {
        i += 2;
        continue;
      }
      if (c === "`" && delim !== "`") {
        const end = src.indexOf("`", i + 1);
        if (end < 0) return -1;
        i = end + 1;
        continue;
      }
      if (src.startsWith(delim, i)) {
        if (delim.length === 1 && (delim === "*" || delim === "_") && src[i + 1] === delim) {
          i += 2; // part of a ** or __ pair
          continue;
        }
        return i;
      }
      i += 1;
    }
    return -1;
  }

  const isWordChar = (c) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

  // Appends the inline markdown `src` to `parent`.
  function inline(src, parent) {
    let text = "";
    const flush = () => {
      if (text) parent.append(document.createTextNode(text));
      text = "";
    };
    let i = 0;
    while (i < src.length) {
      const c = src[i];
      const rest = src.slice(i);
      if (c === "\\" && i + 1 < src.length && PUNCTUATION.includes(src[i + 1])) {
        text += src[i + 1];
        i += 2;
        continue;
      }
      if (c === "`") {
        const end = src.indexOf("`", i + 1);
        if (end > i) {
          flush();
          parent.append(el("code", { text: src.slice(i + 1, end) }));
          i = end + 1;
          continue;
        }
      }
      if (rest.startsWith("**") || rest.startsWith("__")) {
        const delim = rest.slice(0, 2);
        const end = findClose(src, i + 2, delim);
        if (end > i + 2) {
          flush();
          const strong = el("strong");
          inline(src.slice(i + 2, end), strong);
          parent.append(strong);
          i = end + 2;
          continue;
        }
      }
      if ((c === "*" || c === "_") && src[i + 1] !== " " && src[i + 1] !== undefined) {
        const opensHere = c === "*" || !isWordChar(src[i - 1]);
        const end = opensHere ? findClose(src, i + 1, c) : -1;
        if (end > i + 1 && (c === "*" || !isWordChar(src[end + 1]))) {
          flush();
          const em = el("em");
          inline(src.slice(i + 1, end), em);
          parent.append(em);
          i = end + 1;
          continue;
        }
      }
      if (c === "[") {
        const close = findClose(src, i + 1, "]");
        if (close > i && src[close + 1] === "(") {
          const paren = src.indexOf(")", close + 2);
          const href = paren > close ? safeUrl(src.slice(close + 2, paren)) : null;
          if (href) {
            flush();
            const a = link(href);
            inline(src.slice(i + 1, close), a);
            parent.append(a);
            i = paren + 1;
            continue;
          }
        }
      }
      if (c === "<") {
        const mention = /^<@(?:personId|personEmail|groupMention):([^|>]*)\|([^>]*)>/.exec(rest);
        if (mention) {
          flush();
          parent.append(el("span", { class: "mention", text: mention[2] }));
          i += mention[0].length;
          continue;
        }
        const all = /^<@all>/.exec(rest);
        if (all) {
          flush();
          parent.append(el("span", { class: "mention", text: "All" }));
          i += all[0].length;
          continue;
        }
        const auto = /^<([a-z][a-z0-9+.-]*:[^\s<>]+)>/i.exec(rest);
        const href = auto && safeUrl(auto[1]);
        if (href) {
          flush();
          parent.append(link(href, auto[1]));
          i += auto[0].length;
          continue;
        }
      }
      text += c;
      i += 1;
    }
    flush();
  }

  const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;

  // Renders Webex markdown into a fragment: paragraphs, headings, nested lists, quotes, code.
  function markdown(src) {
    const out = document.createDocumentFragment();
    const lines = String(src || "").replace(/\r\n?/g, "\n").split("\n");
    let paragraph = null;
    let lists = []; // stack of {indent, list, item}
    const endParagraph = () => {
      paragraph = null;
    };
    const endLists = () => {
      lists = [];
    };
    for (let n = 0; n < lines.length; n += 1) {
      const line = lines[n];
      if (/^\s*```/.test(line)) {
        endParagraph();
        endLists();
        const code = [];
        n += 1;
        while (n < lines.length && !/^\s*```/.test(lines[n])) {
          code.push(lines[n]);
          n += 1;
        }
        out.append(el("pre", null, el("code", { text: code.join("\n") })));
        continue;
      }
      if (line.trim() === "") {
        endParagraph();
        endLists();
        continue;
      }
      const item = LIST_ITEM.exec(line);
      if (item) {
        endParagraph();
        const indent = item[1].replace(/\t/g, "    ").length;
        const ordered = /\d/.test(item[2]);
        while (lists.length && indent < lists[lists.length - 1].indent) lists.pop();
        let top = lists[lists.length - 1];
        if (!top || indent > top.indent) {
          const list = el(ordered ? "ol" : "ul");
          if (top && top.item) top.item.append(list);
          else out.append(list);
          top = { indent, list, item: null };
          lists.push(top);
        }
        const li = el("li");
        inline(item[3], li);
        top.list.append(li);
        top.item = li;
        continue;
      }
      if (lists.length && /^\s+\S/.test(line)) {
        const top = lists[lists.length - 1];
        top.item.append(" ");
        inline(line.trim(), top.item);
        continue;
      }
      endLists();
      const heading = /^(#{1,6})\s+(.*)$/.exec(line);
      if (heading) {
        endParagraph();
        const h = el("h" + Math.min(heading[1].length + 1, 6));
        inline(heading[2], h);
        out.append(h);
        continue;
      }
      const quote = /^>\s?(.*)$/.exec(line);
      if (quote) {
        endParagraph();
        const q = el("blockquote");
        inline(quote[1], q);
        out.append(q);
        continue;
      }
      if (paragraph) paragraph.append(el("br"));
      else {
        paragraph = el("p");
        out.append(paragraph);
      }
      inline(line, paragraph);
    }
    return out;
  }

  // ---- Adaptive Cards -------------------------------------------------------------------------

  function cardElement(item, parent, inputs) {
    if (!item || typeof item !== "object" || item.isVisible === false) return;
    switch (item.type) {
      case "TextBlock": {
        const classes = ["text-block"];
        if (item.size === "large" || item.size === "extraLarge" || item.size === "Large") classes.push("large");
        if (String(item.weight).toLowerCase() === "bolder") classes.push("bolder");
        if (item.isSubtle) classes.push("subtle");
        const block = el("div", { class: classes.join(" ") });
        inline(String(item.text || ""), block);
        parent.append(block);
        break;
      }
      case "RichTextBlock": {
        const block = el("div", { class: "text-block" });
        for (const run of item.inlines || []) block.append(typeof run === "string" ? run : String(run.text || ""));
        parent.append(block);
        break;
      }
      case "FactSet": {
        const table = el("table", { class: "facts" });
        for (const fact of item.facts || []) {
          const th = el("th");
          inline(String(fact.title || ""), th);
          const td = el("td");
          inline(String(fact.value || ""), td);
          table.append(el("tr", null, th, td));
        }
        parent.append(table);
        break;
      }
      case "Container": {
        const box = el("div");
        for (const child of item.items || []) cardElement(child, box, inputs);
        parent.append(box);
        break;
      }
      case "ColumnSet": {
        const row = el("div", { class: "columns" });
        for (const column of item.columns || []) {
          const col = el("div");
          for (const child of column.items || []) cardElement(child, col, inputs);
          row.append(col);
        }
        parent.append(row);
        break;
      }
      case "Image": {
        const src = String(item.url || "");
        if (src.startsWith("/") || src.startsWith("data:image/")) {
          parent.append(el("img", { src, alt: item.altText || "" }));
        } else if (item.altText) {
          parent.append(el("div", { class: "text-block subtle", text: item.altText }));
        }
        break;
      }
      case "ActionSet":
        parent.append(cardActions(item.actions || [], inputs));
        break;
      case "Input.Text":
      case "Input.Number":
      case "Input.Date":
      case "Input.Time":
      case "Input.ChoiceSet":
      case "Input.Toggle":
        cardInput(item, parent, inputs);
        break;
      default:
        break;
    }
  }

  function cardInput(item, parent, inputs) {
    const id = String(item.id || "");
    if (!id) return;
    const field = el("div", { class: "input", "data-input-id": id });
    const controlId = "card-" + Math.random().toString(36).slice(2);
    if (item.label) field.append(el("label", { class: "input-label", for: controlId, text: item.label }));
    let read;
    if (item.type === "Input.ChoiceSet") {
      const choices = Array.isArray(item.choices) ? item.choices : [];
      const initial = String(item.value || "").split(",").filter(Boolean);
      if (item.isMultiSelect || item.style === "expanded") {
        const name = controlId;
        const boxes = choices.map((choice, index) => {
          const input = el("input", {
            type: item.isMultiSelect ? "checkbox" : "radio",
            name,
            id: controlId + "-" + index,
            value: String(choice.value),
          });
          input.checked = initial.includes(String(choice.value));
          field.append(el("div", { class: "choice" }, input,
            el("label", { for: controlId + "-" + index, text: String(choice.title) })));
          return input;
        });
        read = () => boxes.filter((b) => b.checked).map((b) => b.value).join(",");
      } else {
        const select = el("select", { id: controlId });
        if (!initial.length) select.append(el("option", { value: "", text: item.placeholder || "Choose…" }));
        for (const choice of choices) {
          const option = el("option", { value: String(choice.value), text: String(choice.title) });
          option.selected = initial.includes(String(choice.value));
          select.append(option);
        }
        field.append(select);
        read = () => select.value;
      }
    } else if (item.type === "Input.Toggle") {
      const box = el("input", { type: "checkbox", id: controlId });
      const on = item.valueOn === undefined ? "true" : String(item.valueOn);
      const off = item.valueOff === undefined ? "false" : String(item.valueOff);
      box.checked = String(item.value) === on;
      field.append(el("div", { class: "choice" }, box, el("label", { for: controlId, text: String(item.title || "") })));
      read = () => (box.checked ? on : off);
    } else {
      const kind = { "Input.Number": "number", "Input.Date": "date", "Input.Time": "time" }[item.type] || "text";
      const control = item.isMultiline
        ? el("textarea", { id: controlId, rows: 3, placeholder: item.placeholder })
        : el("input", {
          type: kind,
          id: controlId,
          placeholder: item.placeholder,
          min: item.min,
          max: item.max,
          maxlength: item.maxLength,
        });
      if (item.value !== undefined && item.value !== null) control.value = String(item.value);
      field.append(control);
      read = () => control.value;
    }
    const error = el("div", { class: "error", hidden: true });
    field.append(error);
    parent.append(field);
    inputs.push({ item, read, error });
  }

  // Checks isRequired, regex, min and max; shows each input's errorMessage.
  function validate(inputs) {
    let ok = true;
    for (const { item, read, error } of inputs) {
      const value = read();
      let bad = item.isRequired && value === "";
      if (!bad && value !== "" && item.regex) {
        try {
          bad = !new RegExp("^(?:" + item.regex + ")$").test(value);
        } catch (_) {
          bad = false;
        }
      }
      if (!bad && value !== "" && item.type === "Input.Number") {
        const number = Number(value);
        bad = Number.isNaN(number) || (item.min !== undefined && number < item.min)
          || (item.max !== undefined && number > item.max);
      }
      error.hidden = !bad;
      error.textContent = bad ? item.errorMessage || "Please check this field." : "";
      ok = ok && !bad;
    }
    return ok;
  }

  function cardActions(actions, inputs) {
    const wrapper = el("div");
    const row = el("div", { class: "actions" });
    wrapper.append(row);
    for (const action of actions) {
      if (action.type === "Action.Submit") {
        row.append(el("button", {
          type: "button",
          text: action.title || "Submit",
          onclick: () => submitCard(action, inputs, row),
        }));
      } else if (action.type === "Action.OpenUrl") {
        const href = safeUrl(action.url);
        if (href) row.append(link(href, action.title || action.url));
      } else if (action.type === "Action.ShowCard" && action.card) {
        const inner = el("div", { hidden: true });
        cardBody(action.card, inner, inputs);
        row.append(el("button", {
          type: "button",
          text: action.title || "More",
          onclick: () => { inner.hidden = !inner.hidden; },
        }));
        wrapper.append(inner);
      }
    }
    return wrapper;
  }

  async function submitCard(action, inputs, row) {
    if (!validate(inputs)) {
      status("Please check the highlighted fields.", true);
      return;
    }
    const values = {};
    for (const { item, read } of inputs) values[item.id] = read();
    if (action.data && typeof action.data === "object") Object.assign(values, action.data);
    const card = row.closest(".card");
    try {
      await api("POST", "/_sim/submit", {
        personId: state.me.id,
        messageId: card.dataset.messageId,
        inputs: values,
      });
      card.classList.add("submitted");
      status("Sent.");
    } catch (e) {
      status("Could not send the card: " + e.message, true);
    }
  }

  function cardBody(card, parent, inputs) {
    for (const item of card.body || []) cardElement(item, parent, inputs);
    if (Array.isArray(card.actions) && card.actions.length) parent.append(cardActions(card.actions, inputs));
  }

  // Every Action.Submit of a card reads every input of it: the list is shared and complete by
  // the time anyone clicks.
  function renderCard(content, messageId) {
    const box = el("div", { class: "card", "data-message-id": messageId });
    cardBody(content || {}, box, []);
    return box;
  }

  // ---- messages -------------------------------------------------------------------------------

  function personName(id, fallback) {
    const person = state.people.find((p) => p.id === id);
    return (person && person.displayName) || fallback || "Someone";
  }

  function humanSize(bytes) {
    if (!(bytes >= 0)) return "";
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function renderMessage(m) {
    const fromBot = state.bot && m.personId === state.bot.id;
    const name = m.personDisplayName || personName(m.personId, m.personEmail);
    const content = el("div", { class: "content" });
    const cards = (m.attachments || []).filter((a) => a && a.contentType === CARD);
    // Like Webex, a card replaces its markdown fallback.
    if (cards.length === 0 && m.markdown) content.append(markdown(m.markdown));
    else if (cards.length === 0 && m.text) content.append(markdown(m.text));
    for (const file of m.fileLinks || []) {
      const href = safeUrl(file.url);
      if (!href) continue;
      const box = el("div", { class: "file" });
      if (String(file.contentType || "").startsWith("image/")) {
        box.append(el("img", { src: href, alt: file.filename || "image" }));
      }
      box.append(el("a", { class: "file-link", href, download: file.filename || true, text: file.filename || "file" }));
      box.append(el("span", { class: "file-size", text: [file.contentType, humanSize(file.size)].filter(Boolean).join(" · ") }));
      content.append(box);
    }
    for (const card of cards) content.append(renderCard(card.content, m.id));
    const when = m.created ? new Date(m.created) : null;
    const meta = el("div", { class: "meta" }, el("strong", { text: name }),
      when ? when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "",
      m.edits > 0 || m.updated ? el("span", { class: "edited", text: "(edited)" }) : null);
    return el("li", {
      class: "message" + (fromBot ? " from-bot" : ""),
      "data-id": m.id,
      "data-author": m.personEmail || "",
    }, el("span", { class: "avatar" + (fromBot ? " bot" : ""), text: initials(name) }),
    el("div", { class: "body" }, meta, content));
  }

  function nearBottom() {
    const list = $("messages");
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }

  function upsert(m) {
    if (!state.room || m.roomId !== state.room.id) return;
    const stick = nearBottom();
    const node = renderMessage(m);
    const old = state.rendered.get(m.id);
    const empty = $("messages").querySelector(".empty");
    if (empty) empty.remove();
    if (old) old.replaceWith(node);
    else $("messages").append(node);
    state.rendered.set(m.id, node);
    if (typeof m.seq === "number") state.since = Math.max(state.since, m.seq);
    if (stick || !old) $("messages").scrollTop = $("messages").scrollHeight;
  }

  function remove(id) {
    const node = state.rendered.get(id);
    if (node) node.remove();
    state.rendered.delete(id);
  }

  // ---- spaces ---------------------------------------------------------------------------------

  function roomTitle(room) {
    if (room.type === "direct") {
      const other = (room.members || []).find((p) => p.id !== state.me.id);
      return other ? other.displayName : room.title;
    }
    return room.title;
  }

  function renderRooms() {
    const list = $("spaces");
    while (list.firstChild) list.firstChild.remove();
    for (const room of state.rooms) {
      const title = roomTitle(room);
      const isBot = room.type === "direct" && (room.members || []).some((p) => state.bot && p.id === state.bot.id);
      const classes = [];
      if (state.room && state.room.id === room.id) classes.push("active");
      if (state.unread.has(room.id)) classes.push("unread");
      const li = el("li", { class: classes.join(" "), "data-room-id": room.id },
        el("button", { type: "button", onclick: () => openRoom(room) },
          el("span", { class: "avatar" + (isBot ? " bot" : room.type === "group" ? " group" : ""), text: initials(title) }),
          el("span", { text: title })));
      list.append(li);
    }
  }

  async function loadRooms() {
    const answer = await api("GET", "/_sim/people/" + encodeURIComponent(state.me.id) + "/rooms");
    state.rooms = answer.items || [];
    renderRooms();
  }

  async function openRoom(room) {
    state.room = room;
    state.unread.delete(room.id);
    state.rendered.clear();
    renderRooms();
    $("space-title").textContent = roomTitle(room);
    $("space-members").textContent = room.type === "group"
      ? (room.members || []).map((p) => p.displayName).join(", ")
      : "";
    $("composer").placeholder = room.type === "group"
      ? "Write to " + room.title + " (your message mentions the bot)"
      : "Write a message to " + roomTitle(room);
    const list = $("messages");
    while (list.firstChild) list.firstChild.remove();
    const answer = await api("GET", "/_sim/rooms/" + encodeURIComponent(room.id) + "/messages");
    const items = answer.items || [];
    if (!items.length) list.append(el("li", { class: "empty", text: "No messages yet. Say hello!" }));
    for (const m of items) upsert(m);
    $("composer").focus();
  }

  function preferredRoom() {
    if (state.room) {
      const same = state.rooms.find((r) => r.id === state.room.id);
      if (same) return same;
    }
    const botDirect = state.rooms.find((r) => r.type === "direct"
      && (r.members || []).some((p) => state.bot && p.id === state.bot.id));
    return botDirect || state.rooms[0] || null;
  }

  // ---- live updates ---------------------------------------------------------------------------

  async function poll(generation) {
    while (generation === state.pollGeneration) {
      try {
        const answer = await api("GET", "/_sim/events?since=" + state.since
          + "&personId=" + encodeURIComponent(state.me.id) + "&timeout=25");
        if (generation !== state.pollGeneration) return;
        let roomsChanged = false;
        for (const event of answer.events || []) {
          if (event.kind === "messageCreated" || event.kind === "messageUpdated") {
            if (event.message) upsert(event.message);
            if (!state.room || event.roomId !== state.room.id) {
              if (event.kind === "messageCreated") state.unread.add(event.roomId);
              roomsChanged = true;
            }
          } else if (event.kind === "messageDeleted") {
            remove(event.messageId);
          } else if (event.kind === "roomCreated" || event.kind === "membershipCreated") {
            roomsChanged = true;
          }
        }
        state.since = Math.max(state.since, answer.lastSeq || 0);
        if (roomsChanged) {
          await loadRooms();
          if (!state.room) {
            const room = preferredRoom();
            if (room) await openRoom(room);
          }
        }
        status("");
      } catch (e) {
        if (generation !== state.pollGeneration) return;
        status("Connection lost (" + e.message + "); retrying…", true);
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }

  // ---- who am I -------------------------------------------------------------------------------

  async function selectPerson(person) {
    state.me = person;
    state.room = null;
    state.since = 0;
    state.unread.clear();
    state.pollGeneration += 1;
    try {
      window.localStorage.setItem("slbot-demo-person", person.emails[0]);
    } catch (_) {
      // Storage may be disabled; the default person is used next time.
    }
    await api("POST", "/_sim/sessions", { personId: person.id });
    await loadRooms();
    const room = preferredRoom();
    if (room) await openRoom(room);
    else {
      $("space-title").textContent = "No spaces yet";
      const list = $("messages");
      while (list.firstChild) list.firstChild.remove();
    }
    poll(state.pollGeneration);
  }

  async function send(event) {
    event.preventDefault();
    const box = $("composer");
    const text = box.value.trim();
    if (!text || !state.room) return;
    const body = { personId: state.me.id, roomId: state.room.id, text };
    const botIsMember = state.bot && (state.room.members || []).some((p) => p.id === state.bot.id);
    if (state.room.type === "group" && botIsMember) body.mentions = [state.bot.id];
    $("send").disabled = true;
    try {
      const message = await api("POST", "/_sim/say", body);
      box.value = "";
      upsert(message);
      status("");
    } catch (e) {
      status("Not sent: " + e.message, true);
    } finally {
      $("send").disabled = false;
      box.focus();
    }
  }

  async function init() {
    try {
      const response = await fetch("/chat/config.json", { credentials: "same-origin" });
      state.cfg = await response.json();
      const people = await api("GET", "/_sim/people");
      state.people = people.items || [];
      state.bot = state.people.find((p) => (p.emails || []).includes(state.cfg.botEmail)) || null;
      const humans = state.people.filter((p) => p.type !== "bot");
      const who = $("who");
      for (const p of humans) who.append(el("option", { value: p.id, text: p.displayName + " <" + p.emails[0] + ">" }));
      const asked = new URLSearchParams(window.location.search).get("as");
      let remembered = null;
      try {
        remembered = window.localStorage.getItem("slbot-demo-person");
      } catch (_) {
        remembered = null;
      }
      const wanted = [asked, remembered, state.cfg.defaultEmail].filter(Boolean);
      const me = wanted.map((email) => humans.find((p) => (p.emails || []).includes(email))).find(Boolean)
        || humans[0];
      if (!me) {
        status("There are no people in the Webex simulator.", true);
        return;
      }
      who.value = me.id;
      who.addEventListener("change", () => {
        const person = humans.find((p) => p.id === who.value);
        if (person) selectPerson(person).catch((e) => status(e.message, true));
      });
      $("composer-form").addEventListener("submit", send);
      $("composer").addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey) {
          e.preventDefault();
          $("composer-form").requestSubmit();
        }
      });
      await selectPerson(me);
    } catch (e) {
      status("The chat could not start: " + e.message, true);
    }
  }

  document.addEventListener("DOMContentLoaded", init);
})();
