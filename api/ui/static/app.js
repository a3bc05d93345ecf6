/* Debug Sessions web UI: progressive enhancement only. Every page and form works without this file; it adds
   live updates (the sessions list over server-sent events, a session's page by polling its live part),
   relative times and the expiry countdown, copy-to-clipboard, and the request form's steps and preview
   without reloading. No framework, no build step. */
(function () {
  "use strict";

  var doc = document;
  var announcer = null;

  function announce(text) {
    if (!announcer) announcer = doc.getElementById("announcer");
    if (!announcer) return;
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function toLogin() {
    window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname + window.location.search) +
      "&error=" + encodeURIComponent("your login has expired");
  }

  /* --- times: the same words as api/ui/format.py --------------------------------------------------- */

  function span(seconds) {
    var s = Math.floor(Math.abs(seconds));
    if (s < 60) return s + " s";
    var minutes = Math.floor(s / 60);
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 24) return minutes ? hours + " h " + minutes + " min" : hours + " h";
    var days = Math.floor(hours / 24);
    hours = hours % 24;
    return hours ? days + " d " + hours + " h" : days + " d";
  }

  function relative(iso) {
    var when = Date.parse(iso);
    if (isNaN(when)) return "";
    var delta = (when - Date.now()) / 1000;
    if (Math.abs(delta) < 1) return "now";
    return delta > 0 ? "in " + span(delta) : span(delta) + " ago";
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  function countdown(iso) {
    var left = Math.floor((Date.parse(iso) - Date.now()) / 1000);
    if (isNaN(left)) return "";
    if (left <= 0) return "(expired)";
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    return "(" + h + ":" + pad(m) + ":" + pad(s) + " left)";
  }

  function tick() {
    doc.querySelectorAll("time[data-relative]").forEach(function (t) {
      var text = relative(t.getAttribute("datetime"));
      if (text && t.textContent !== text) t.textContent = text;
    });
    doc.querySelectorAll("[data-countdown]").forEach(function (el) {
      el.textContent = countdown(el.getAttribute("data-countdown"));
    });
  }

  /* --- small things ------------------------------------------------------------------------------------ */

  function enhance(root) {
    root.querySelectorAll(".no-js").forEach(function (el) { el.remove(); });
    root.querySelectorAll("button[data-copy]").forEach(function (b) { b.hidden = !navigator.clipboard; });
  }

  doc.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      button.textContent = "Copied";
      announce("Command copied to the clipboard");
      window.setTimeout(function () { button.textContent = "Copy"; }, 1500);
    }, function () { announce("Could not copy; select the command instead"); });
  });

  /* Keep what the user typed when a part of a page is replaced. */
  function carryOver(from, to) {
    var focused = doc.activeElement && from.contains(doc.activeElement) ? doc.activeElement.id : "";
    from.querySelectorAll("input[id], textarea[id], select[id]").forEach(function (old) {
      if (old.type === "hidden" || !old.dataset.dirty) return;
      var fresh = to.querySelector("#" + CSS.escape(old.id));
      if (!fresh || fresh.tagName !== old.tagName) return;
      if (old.type === "checkbox") fresh.checked = old.checked;
      else if (old.tagName === "SELECT" && old.multiple) {
        Array.prototype.forEach.call(fresh.options, function (o) {
          var was = old.querySelector('option[value="' + CSS.escape(o.value) + '"]');
          o.selected = !!(was && was.selected);
        });
      } else fresh.value = old.value;
      fresh.dataset.dirty = "1";
    });
    return focused;
  }

  doc.addEventListener("input", function (event) {
    if (event.target && event.target.dataset) event.target.dataset.dirty = "1";
  });

  /* --- the sessions list: live rows and counts ---------------------------------------------------- */

  function liveList() {
    var rows = doc.getElementById("rows");
    if (!rows || !window.EventSource) return;
    var empty = doc.getElementById("empty-note");
    var firstPage = rows.getAttribute("data-first-page") === "true";
    var source = new EventSource(rows.getAttribute("data-events"));

    function fromHtml(html) {
      var t = doc.createElement("template");
      t.innerHTML = "<table><tbody>" + html + "</tbody></table>";
      return t.content.querySelector("tr");
    }
    function find(name) {
      return rows.querySelector('tr[data-session="' + CSS.escape(name) + '"]');
    }
    function refreshEmpty() { if (empty) empty.hidden = rows.children.length > 0; }

    source.addEventListener("open", function () {
      var note = doc.querySelector("[data-live-note]");
      if (note) note.hidden = false;
    });
    source.addEventListener("row", function (event) {
      var data = JSON.parse(event.data);
      var current = find(data.name);
      if (!data.show) {
        if (current) current.remove();
        refreshEmpty();
        return;
      }
      var row = fromHtml(data.html);
      if (!row) return;
      if (current) {
        var before = current.getAttribute("data-state");
        current.replaceWith(row);
        if (before !== row.getAttribute("data-state")) {
          announce(data.name + " is now " + row.getAttribute("data-state"));
        }
      } else if (data.entered && firstPage) {
        rows.insertBefore(row, rows.firstChild);
        announce("New in this list: " + data.name);
      }
      tick();
      refreshEmpty();
    });
    source.addEventListener("gone", function (event) {
      var current = find(JSON.parse(event.data).name);
      if (current) current.remove();
      refreshEmpty();
    });
    source.addEventListener("counts", function (event) {
      var counts = JSON.parse(event.data);
      Object.keys(counts).forEach(function (tab) {
        var el = doc.querySelector('[data-count="' + tab + '"]');
        if (el) {
          el.textContent = String(counts[tab]);
          el.setAttribute("title", counts[tab] + " sessions");
        }
      });
    });
    source.addEventListener("error", function (event) {
      if (event.data) {  /* the stream's own error event: the API refused */
        var data = JSON.parse(event.data);
        source.close();
        if (data.status === 401) toLogin();
        return;
      }
      if (source.readyState === EventSource.CLOSED) {  /* refused before streaming: logged out? */
        fetch(window.location.href, { headers: { "X-UI-Fragment": "1" }, credentials: "same-origin" })
          .then(function (r) { if (r.status === 401) toLogin(); });
      }
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  /* --- a session's page: poll its live part ---------------------------------------------------------- */

  /* A part's HTML without the words of its times: those change every second and app.js writes them anyway. */
  function stable(html) {
    return html.replace(/(<time[^>]*>)[^<]*(<\/time>)/g, "$1$2");
  }

  function rememberSections() {
    doc.querySelectorAll("#live [data-section]").forEach(function (el) { el.uiServerHtml = stable(el.outerHTML); });
  }

  function liveSession() {
    var live = doc.getElementById("live");
    if (!live) return;
    var url = live.getAttribute("data-live-url");
    var etag = "";
    var busy = false;

    function terminal() {
      var summary = live.querySelector('[data-section="summary"]');
      var state = summary ? summary.getAttribute("data-state") : "";
      return state === "Expired" || state === "Terminated" || state === "Failed";
    }

    function apply(html) {
      var t = doc.createElement("template");
      t.innerHTML = html;
      var changed = [];
      var names = Array.prototype.map.call(t.content.querySelectorAll("[data-section]"), function (el) {
        return el.getAttribute("data-section");
      });
      var freshSummary = t.content.querySelector('[data-section="summary"]');
      var oldSummary = live.querySelector('[data-section="summary"]');
      var stateChanged = !!(freshSummary && oldSummary &&
        freshSummary.getAttribute("data-state") !== oldSummary.getAttribute("data-state"));
      t.content.querySelectorAll("[data-section]").forEach(function (fresh) {
        var name = fresh.getAttribute("data-section");
        var current = live.querySelector('[data-section="' + name + '"]');
        if (!current) {
          fresh.uiServerHtml = stable(fresh.outerHTML);
          live.appendChild(fresh);
          enhance(fresh);
          return;
        }
        var html = stable(fresh.outerHTML);
        if (current.uiServerHtml === html) return;  /* as the server last sent it (ticks change the DOM) */
        if (current.querySelector(".field-error") && !stateChanged) return;  /* keep a refusal in view */
        var focused = carryOver(current, fresh);
        current.replaceWith(fresh);
        fresh.uiServerHtml = html;
        enhance(fresh);
        if (focused) {
          var again = doc.getElementById(focused);
          if (again) again.focus();
        }
        changed.push(name);
      });
      live.querySelectorAll("[data-section]").forEach(function (current) {
        if (names.indexOf(current.getAttribute("data-section")) < 0) current.remove();  /* e.g. no debug forms now */
      });
      if (changed.indexOf("summary") >= 0) {
        var state = live.querySelector("[data-testid=session-state]");
        if (state) announce("Session state: " + state.textContent);
      }
      tick();
    }

    function poll() {
      if (busy || doc.visibilityState === "hidden") return;
      busy = true;
      var headers = { "X-UI-Fragment": "1" };
      if (etag) headers["If-None-Match"] = etag;
      fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" }).then(function (r) {
        if (r.status === 401) { toLogin(); return null; }
        if (r.status !== 200) return null;
        etag = r.headers.get("ETag") || "";
        return r.text();
      }).then(function (html) {
        if (html) apply(html);
      }).catch(function () { /* offline for a moment: the next poll tries again */ })
        .then(function () { busy = false; });
    }

    (function loop() {
      window.setTimeout(function () { poll(); loop(); }, terminal() ? 10000 : 2000);
    })();
    doc.addEventListener("visibilitychange", function () { if (doc.visibilityState === "visible") poll(); });
  }

  /* --- the request form: steps and preview in place --------------------------------------------- */

  function requestForm() {
    var form = doc.getElementById("create-form");
    if (!form) return;
    var steps = doc.getElementById("create-steps");
    var pending = null;

    function replaceSteps(html, focusId) {
      var t = doc.createElement("template");
      t.innerHTML = html;
      var focused = carryOver(steps, t.content);
      steps.replaceChildren(t.content);
      enhance(steps);
      tick();
      var target = doc.getElementById(focusId || focused || "");
      if (target) target.focus();
    }

    function load(params, focusId) {
      if (pending) pending.abort();
      pending = new AbortController();
      var controller = pending;
      steps.setAttribute("aria-busy", "true");
      return fetch(form.getAttribute("data-steps-url") + "?" + params.toString(), {
        headers: { "X-UI-Fragment": "1" }, credentials: "same-origin", signal: controller.signal
      }).then(function (r) {
        if (r.status === 401) { toLogin(); return null; }
        return r.text();
      }).then(function (html) {
        if (html !== null && controller === pending) replaceSteps(html, focusId);
      }).catch(function (e) { if (e.name !== "AbortError") announce("Could not load the next step"); })
        .then(function () { if (controller === pending) steps.removeAttribute("aria-busy"); });
    }

    form.addEventListener("change", function (event) {
      var step = event.target.getAttribute && event.target.getAttribute("data-step");
      if (!step) return;
      var params = new URLSearchParams({ fragment: "steps" });
      var template = form.elements.namedItem("templateRef");
      params.set("template", template ? template.value : "");
      if (step !== "template") {
        var cluster = form.elements.namedItem("cluster");
        params.set("cluster", cluster ? cluster.value : "");
      }
      if (step === "binding") params.set("binding", event.target.value);
      load(params, event.target.id);
    });

    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (!submitter || submitter.value !== "preview") return;
      event.preventDefault();
      var body = new URLSearchParams(new FormData(form));
      body.set("action", "preview");
      if (pending) pending.abort();
      pending = new AbortController();
      var controller = pending;
      steps.setAttribute("aria-busy", "true");
      fetch(form.getAttribute("action"), {
        method: "POST", body: body, credentials: "same-origin", signal: controller.signal,
        headers: { "X-UI-Fragment": "1", "Content-Type": "application/x-www-form-urlencoded" }
      }).then(function (r) {
        if (r.status === 401) { toLogin(); return null; }
        return r.text();
      }).then(function (html) {
        if (html === null || controller !== pending) return;
        replaceSteps(html);
        var panel = doc.getElementById("preview");
        var problem = doc.getElementById("form-error") || steps.querySelector(".field-error");
        if (panel) { panel.focus(); announce("Preview ready"); }
        else if (problem) { announce(problem.textContent); }
      }).catch(function (e) { if (e.name !== "AbortError") announce("Preview failed; try again"); })
        .then(function () { if (controller === pending) steps.removeAttribute("aria-busy"); });
    });
  }

  function start() {
    rememberSections();
    doc.documentElement.classList.add("js");
    enhance(doc);
    tick();
    window.setInterval(tick, 1000);
    liveList();
    liveSession();
    requestForm();
    var focus = doc.querySelector("#live[data-focus='approve'], #live[data-focus='reject']");
    if (focus) {
      var reason = doc.getElementById("decision-reason");
      if (reason) reason.focus();
    }
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start);
  else start();
})();
