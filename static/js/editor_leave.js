// The sheet editor's save and leave logic. Unsaved input is never thrown away without a word:
// - leaving with unsaved changes asks first: the browser's own warning (closing, reloading, typing an address) and an
//   in-page dialog for the page's links (取消, the menu) and the 退出 button;
// - the input is kept as a draft in this browser (localStorage, per sheet and version) and offered back when the
//   editor is opened again (恢复未保存的修改 / 丢弃); a save clears it. Restoring sends the draft to the server, which
//   shows it in the editor without saving it, and when the sheet changed since the draft was made lists every
//   difference from the current content before anything can be saved over it;
// - when the server refused the input, the page goes to the first field marked red and puts the cursor there.
(function () {
  "use strict";
  const form = document.getElementById("sheet-editor");
  if (!form) return;
  const sheet = form.dataset.sheet;
  const version = form.dataset.version;
  const PREFIX = `targetflow.draft.${sheet}.`; // + the version the changes were made on
  const SAVING = `targetflow.saving.${sheet}`; // sessionStorage: the draft of a save this tab sent
  const dialog = document.getElementById("leave-dialog");
  const offer = document.querySelector("[data-testid=draft-offer]");

  // ---------------------------------------------------------------- storage (private modes may refuse it)
  function read(store, key) {
    try { return JSON.parse(store.getItem(key) || "null"); } catch (error) { return null; }
  }
  function write(store, key, value) {
    try { store.setItem(key, JSON.stringify(value)); } catch (error) { /* full or refused: the warning still protects */ }
  }
  function remove(store, key) {
    try { store.removeItem(key); } catch (error) { /* nothing kept */ }
  }
  function draftKeys() {
    const keys = [];
    try {
      for (let i = 0; i < localStorage.length; i += 1) {
        const key = localStorage.key(i);
        if (key && key.startsWith(PREFIX)) keys.push(key);
      }
    } catch (error) { /* no storage */ }
    return keys;
  }
  const clearDrafts = () => draftKeys().forEach((key) => remove(localStorage, key));

  // ---------------------------------------------------------------- what the page holds
  function fields() {
    const pairs = [];
    new FormData(form).forEach((value, name) => {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") pairs.push([name, value]);
    });
    return pairs;
  }
  const baseline = JSON.stringify(fields()); // as opened (sheet_editor.js has numbered the rows by now)
  const unsaved = form.hasAttribute("data-unsaved"); // the server showed input it did not save
  const dirty = () => unsaved || JSON.stringify(fields()) !== baseline;

  let offered = null; // a draft offered back: kept as it is until restored or discarded
  let leaving = false;
  let sent = false; // the form went to the server: what it holds is no longer a draft here

  function saveDraft() {
    if (offered || sent) return;
    if (!dirty()) {
      remove(localStorage, PREFIX + version);
      return;
    }
    write(localStorage, PREFIX + version, { sheet, version, savedAt: new Date().toISOString(), fields: fields() });
  }
  let timer = null;
  function scheduleSave() {
    clearTimeout(timer);
    timer = setTimeout(saveDraft, 300);
  }
  ["input", "change"].forEach((type) => form.addEventListener(type, scheduleSave));
  form.addEventListener("click", scheduleSave); // rows added, moved, removed, a suggestion chosen
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden" && !leaving) saveDraft(); });

  // ---------------------------------------------------------------- saving clears the draft
  form.addEventListener("submit", (event) => {
    if (event.defaultPrevented) return;
    leaving = true;
    sent = true;
    clearTimeout(timer);
    // kept for this tab until the server answers: a save that never arrived is offered back next time
    write(sessionStorage, SAVING, { version, draft: { sheet, version, savedAt: new Date().toISOString(), fields: fields() } });
    clearDrafts();
  });

  // ---------------------------------------------------------------- leaving asks first
  window.addEventListener("beforeunload", (event) => {
    if (leaving || !dirty()) return;
    saveDraft();
    event.preventDefault();
    event.returnValue = ""; // older browsers need a value to ask
  });

  function askToLeave(go) {
    saveDraft();
    if (!dialog || typeof dialog.showModal !== "function") {
      if (window.confirm("有未保存的修改。离开这一页，刚才的修改不会保存到系统（本机已暂存一份，下次打开编辑页时可以恢复）。确定离开吗？")) {
        leaving = true;
        go();
      }
      return;
    }
    dialog.onclose = null;
    dialog.querySelector("[data-leave-stay]").onclick = () => dialog.close();
    dialog.querySelector("[data-leave-go]").onclick = () => {
      leaving = true;
      dialog.close();
      go();
    };
    dialog.showModal();
    dialog.querySelector("[data-leave-stay]").focus();
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || leaving || event.defaultPrevented || !dirty()) return;
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return; // a new tab
    if (link.target && link.target !== "_self") return;
    if (link.hasAttribute("download") || link.getAttribute("href").startsWith("#")) return;
    event.preventDefault();
    askToLeave(() => { window.location.href = link.href; });
  }, true);

  document.addEventListener("submit", (event) => {
    const other = event.target;
    if (other === form || leaving || event.defaultPrevented || !dirty()) return; // e.g. 退出
    event.preventDefault();
    askToLeave(() => HTMLFormElement.prototype.submit.call(other));
  }, true);

  // ---------------------------------------------------------------- the draft offered back
  function when(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }

  function restore(draft) {
    const post = document.createElement("form");
    post.method = "post";
    post.action = window.location.pathname;
    post.hidden = true;
    const add = (name, value) => {
      const box = document.createElement("textarea"); // keeps line breaks as typed
      box.name = name;
      box.value = value;
      post.appendChild(box);
    };
    add("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    draft.fields.forEach(([name, value]) => add(name, value));
    add("restore_draft", "1");
    document.body.appendChild(post);
    leaving = true;
    HTMLFormElement.prototype.submit.call(post);
  }

  function showOffer(key, draft) {
    offered = { key, draft };
    const moved = String(draft.version) !== String(version);
    offer.querySelector("[data-draft-text]").textContent =
      `这张表有一份未保存的修改，${when(draft.savedAt)} 暂存在本机浏览器。` +
      (moved
        ? `它是在版本 ${draft.version} 上做的，此后这张表已被修改（当前版本 ${version}）：恢复后会列出它与当前内容的每一处差别，核对后再决定是否保存。`
        : "恢复后请核对并保存；丢弃则不再保留。");
    offer.hidden = false;
    offer.querySelector("[data-draft-restore]").onclick = () => restore(draft);
    offer.querySelector("[data-draft-discard]").onclick = () => {
      clearDrafts();
      offered = null;
      offer.hidden = true;
      saveDraft();
    };
  }

  const sending = read(sessionStorage, SAVING);
  remove(sessionStorage, SAVING);
  if (unsaved) {
    // the server showed this input again (a refused save, or a restored draft): it is the draft now
    clearDrafts();
    saveDraft();
  } else {
    if (sending && String(sending.version) === version && sending.draft) {
      write(localStorage, PREFIX + version, sending.draft); // the save this tab sent never arrived: offer it back
    }
    const drafts = draftKeys()
      .map((key) => ({ key, draft: read(localStorage, key) }))
      .filter((item) => item.draft && Array.isArray(item.draft.fields))
      .sort((a, b) => String(b.draft.savedAt).localeCompare(String(a.draft.savedAt)));
    const newest = drafts[0];
    if (newest && String(newest.draft.version) === version && JSON.stringify(newest.draft.fields) === baseline) {
      clearDrafts(); // nothing that is not on the page already
    } else if (newest && offer) {
      showOffer(newest.key, newest.draft);
    }
  }

  // ---------------------------------------------------------------- to the first field the server marked red
  const refused = form.querySelector("[data-testid=input-errors]");
  if (refused) {
    const first = Array.from(form.querySelectorAll("span.error")).find((mark) => mark.offsetParent !== null);
    const holder = first && first.closest("label, td");
    const input = holder && holder.querySelector("textarea, select, input:not([type=hidden])");
    (input || refused).scrollIntoView({ block: "center" });
    if (input) input.focus({ preventScroll: true });
  }
})();
