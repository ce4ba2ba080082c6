// Portico: small progressive enhancements. Every page works without this file.
// Loaded as a module, so it runs once the document has been parsed.

// 1. Forms (or their buttons) with data-confirm="message" ask before they submit.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  // The button that submitted may ask for itself (one form, several actions).
  const message = event.submitter?.dataset.confirm || form.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
});

// 2. Fields marked data-show-for-role="client" show only while that role is chosen.
for (const block of document.querySelectorAll("[data-show-for-role]")) {
  const form = block.closest("form");
  if (!form) continue;
  const radios = [...form.querySelectorAll('input[type="radio"][name="role"]')];
  if (radios.length === 0) continue;
  const update = () => {
    const chosen = radios.find((radio) => radio.checked);
    block.hidden = !chosen || chosen.value !== block.dataset.showForRole;
  };
  for (const radio of radios) radio.addEventListener("change", update);
  // Restored form state (back button) can change the checked radio after load.
  window.addEventListener("pageshow", update);
  update();
}

// 3. The user menu closes on a click outside it, on Escape, and when focus leaves it.
{
  const menus = [...document.querySelectorAll("details.usermenu")];
  if (menus.length > 0) {
    document.addEventListener("click", (event) => {
      for (const menu of menus) {
        if (menu.open && !menu.contains(event.target)) menu.open = false;
      }
    });
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      for (const menu of menus) {
        if (!menu.open) continue;
        const hadFocus = menu.contains(document.activeElement);
        menu.open = false;
        if (hadFocus) menu.querySelector("summary")?.focus();
      }
    });
    for (const menu of menus) {
      menu.addEventListener("focusout", (event) => {
        const next = event.relatedTarget;
        if (menu.open && next instanceof Node && !menu.contains(next)) menu.open = false;
      });
    }
  }
}

// 4. The Kanban board: drag a card within or between columns. The drop is sent as "put this
// card after that one" (the server orders concurrent moves), and the page reloads if the
// server refuses. Without script, each card's move buttons do the same with plain forms.
{
  const board = document.querySelector("[data-board]");
  if (board) {
    const project = board.dataset.project;
    const csrf = board.dataset.csrf;
    const status = document.querySelector("[data-board-status]");
    let dragged = null;

    const cardAfter = (list, y) => {
      // The card the dragged one should follow: the last card whose middle is above y.
      let after = null;
      for (const card of list.querySelectorAll(".board-card:not(.dragging)")) {
        const box = card.getBoundingClientRect();
        if (y > box.top + box.height / 2) after = card;
      }
      return after;
    };

    const updateCounts = () => {
      for (const column of board.querySelectorAll("[data-column]")) {
        const count = column.querySelector(".count");
        if (count) count.textContent = column.querySelectorAll(".board-card").length;
      }
    };

    board.addEventListener("dragstart", (event) => {
      const card = event.target.closest?.(".board-card");
      if (!card) return;
      dragged = card;
      card.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.task);
    });

    board.addEventListener("dragend", () => {
      dragged?.classList.remove("dragging");
      for (const c of board.querySelectorAll(".drop-target")) c.classList.remove("drop-target");
      dragged = null;
    });

    board.addEventListener("dragover", (event) => {
      const column = event.target.closest?.("[data-column]");
      if (!column || !dragged) return;
      event.preventDefault();
      for (const c of board.querySelectorAll(".drop-target")) if (c !== column) c.classList.remove("drop-target");
      column.classList.add("drop-target");
    });

    board.addEventListener("drop", async (event) => {
      const column = event.target.closest?.("[data-column]");
      if (!column || !dragged) return;
      event.preventDefault();
      const card = dragged;
      const list = column.querySelector("[data-cards]");
      const after = cardAfter(list, event.clientY);
      if (after) after.after(card);
      else list.prepend(card);
      column.classList.remove("drop-target");
      updateCounts();
      const body = new URLSearchParams({ column: column.dataset.column, after: after ? after.dataset.task : "" });
      try {
        const response = await fetch(`/projects/${project}/tasks/${card.dataset.task}/move`, {
          method: "POST",
          headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch", "Content-Type": "application/x-www-form-urlencoded" },
          body,
          credentials: "same-origin",
        });
        if (!response.ok) throw new Error(`status ${response.status}`);
        if (status) status.textContent = `Moved to ${column.querySelector("h2")?.textContent ?? "the column"}.`;
      } catch {
        window.location.reload();
      }
    });
  }
}

// 5. Uploads: drop files on the zone or choose them; they are sent with a progress bar, and the
// page reloads to list them. Without a script, the form posts and the server redirects back.
for (const form of document.querySelectorAll("form[data-upload]")) {
  const input = form.querySelector("input[type=file]");
  const zone = form.querySelector(".dropzone");
  const bar = form.querySelector("[data-upload-progress]");
  const status = form.querySelector("[data-upload-status]");
  const send = () => {
    if (!input.files.length) return;
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "fetch");
    request.responseType = "json";
    bar.hidden = false;
    bar.value = 0;
    status.textContent = `Uploading ${input.files.length} file(s)…`;
    status.dataset.kind = "info";
    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    request.addEventListener("load", () => {
      const report = request.response || { uploaded: [], errors: ["The upload failed."] };
      const done = report.uploaded.map((f) => f.name);
      status.textContent = [done.length ? `Uploaded ${done.join(", ")}.` : "", ...report.errors].join(" ");
      // Coloured like the server's messages: all in, some refused, or none in.
      status.dataset.kind = !report.errors.length ? "success" : done.length ? "warning" : "error";
      if (done.length && !report.errors.length) window.location.reload();
    });
    request.addEventListener("error", () => {
      status.textContent = "The upload was interrupted; nothing was saved. Try again.";
      status.dataset.kind = "error";
    });
    request.send(new FormData(form));
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    input.files = event.dataTransfer.files;
    send();
  });
}

// Money as the viewer reads it; section 7 replaces this where the browser can format money.
let localiseMoney = (text) => text;

// 6. The invoice form: "Add a line" appends an empty row from the template, and the total so
// far follows the typing: the server computes it by the rules that saving uses, so what is
// shown is what the draft will say (or why it cannot be saved yet).
{
  const add = document.querySelector("[data-add-line]");
  const template = document.querySelector("template[data-line-template]");
  const body = document.querySelector("[data-lines]");
  if (add && template && body) {
    add.addEventListener("click", () => {
      const row = template.content.firstElementChild.cloneNode(true);
      const n = body.children.length + 1;
      for (const field of row.querySelectorAll("[id]")) {
        const label = row.querySelector(`label[for="${field.id}"]`);
        field.id = field.id.replace(/-\d+$/, `-${n}`);
        if (label) label.htmlFor = field.id;
      }
      body.appendChild(row);
      row.querySelector("textarea, input")?.focus();
    });
  }
  const box = document.querySelector("[data-running-total]");
  const form = box?.closest("form");
  if (box && form) {
    box.hidden = false;
    const figure = (name) => box.querySelector(`[data-figure="${name}"]`);
    const problem = box.querySelector("[data-figure-problem]");
    let timer = null;
    let asked = 0;
    const show = (figures) => {
      for (const name of ["subtotal", "tax", "total"]) figure(name).textContent = localiseMoney(figures[name]);
      const discount = figures.discount;
      figure("discount").hidden = !discount;
      box.querySelector('[data-figure-label="discount"]').hidden = !discount;
      figure("discount").textContent = discount ? localiseMoney(discount) : "";
      problem.hidden = true;
    };
    const refuse = (message) => {
      for (const name of ["subtotal", "tax", "total"]) figure(name).textContent = "—";
      problem.textContent = message;
      problem.hidden = false;
    };
    const update = async () => {
      const ticket = ++asked;
      try {
        const response = await fetch(box.dataset.runningTotal, {
          method: "POST",
          body: new URLSearchParams(new FormData(form)),
          credentials: "same-origin",
        });
        const answer = await response.json();
        if (ticket !== asked) return; // a newer question is on its way
        if (response.ok) show(answer);
        else refuse(answer.error || "The total cannot be worked out yet.");
      } catch {
        if (ticket === asked) refuse("The total could not be fetched; it is worked out again when you save.");
      }
    };
    form.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(update, 300);
    });
    form.addEventListener("change", update);
    update();
  }
}

// 7. Amounts in the viewer's locale: the server writes them unambiguously ("EUR 1,234.50",
// "-JPY 1,500") and the browser shows them as the viewer reads money ("€1,234.50",
// "1.234,50 €"). The exact decimal string is formatted (no float), with the currency's own
// number of decimals; the server's text stays as a tooltip. Charts, code and form fields
// keep the server's text.
{
  let currencies;
  try {
    currencies = new Set(Intl.supportedValuesOf("currency"));
  } catch {
    currencies = null;
  }
  const amount = /(-?)\b([A-Z]{3}) (\d{1,3}(?:,\d{3})*(?:\.(\d+))?)(?![\d.,]*\d)/g;
  // The languages the viewer set in the browser, which the engine's default locale may not be.
  const locales = navigator.languages && navigator.languages.length ? [...navigator.languages] : undefined;
  const formats = new Map();
  const formatOf = (code, digits) => {
    const key = code + digits;
    if (!formats.has(key)) {
      formats.set(key, new Intl.NumberFormat(locales, {
        style: "currency", currency: code, minimumFractionDigits: digits, maximumFractionDigits: digits,
      }));
    }
    return formats.get(key);
  };
  const skip = "svg, code, pre, script, style, textarea, input, select, option, .no-localise";
  if (currencies) {
    localiseMoney = (text) =>
      text.replace(amount, (whole, sign, code, number, fraction) => {
        if (!currencies.has(code)) return whole;
        return formatOf(code, fraction ? fraction.length : 0).format(sign + number.replaceAll(",", ""));
      });
    const walker = document.createTreeWalker(document.querySelector("main") || document.body, NodeFilter.SHOW_TEXT);
    const changes = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.nodeValue.includes(" ") || node.parentElement?.closest(skip)) continue;
      const text = localiseMoney(node.nodeValue);
      if (text !== node.nodeValue) changes.push([node, text]);
    }
    for (const [node, text] of changes) {
      const parent = node.parentElement;
      if (parent && !parent.title && parent.textContent.trim() === node.nodeValue.trim()) parent.title = node.nodeValue.trim();
      node.nodeValue = text;
    }
    // An invoice's line figures carry no currency (the table's caption says it): the same
    // locale's digits and separators, so that "1,250.00" reads "1.250,00" beside "1.250,00 €".
    const plain = /^-?\d{1,3}(?:,\d{3})*(?:\.(\d+))?$/;
    const numberFormats = new Map();
    for (const cell of document.querySelectorAll("[data-plain-numbers] td.num")) {
      const text = cell.textContent.trim();
      const match = plain.exec(text);
      if (!match) continue;
      const digits = match[1] ? match[1].length : 0;
      if (!numberFormats.has(digits)) {
        numberFormats.set(digits, new Intl.NumberFormat(locales, { minimumFractionDigits: digits, maximumFractionDigits: digits }));
      }
      cell.textContent = numberFormats.get(digits).format(text.replaceAll(",", ""));
    }
  }
}

// 8. The one-time message after an action gets a button that dismisses it (it stays in view
// while the page scrolls, so it must be possible to put away).
for (const message of document.querySelectorAll("[data-flash]")) {
  const close = document.createElement("button");
  close.type = "button";
  close.className = "flash-close";
  close.setAttribute("aria-label", "Dismiss this message");
  close.textContent = "\u00d7";
  close.addEventListener("click", () => message.remove());
  message.append(close);
}
