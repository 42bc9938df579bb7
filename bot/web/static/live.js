// The desk's live updates (progressive enhancement: without this the page still works).
// Listens to /desk/events (server-sent events); on "changed", fetches the page again and
// swaps its <main>, keeping whatever the author is typing untouched while a field has focus.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource || !window.fetch) { return; }
  live.textContent = "Live: this page updates when questions arrive or are answered.";
  var busy = false;
  function typing() {
    var a = document.activeElement;
    return a && (a.tagName === "TEXTAREA" || a.tagName === "INPUT") && a.value !== "";
  }
  function refresh() {
    if (busy) { return; }
    if (typing()) { live.textContent = "New activity: it shows once you send or clear what you are typing."; setTimeout(refresh, 3000); return; }
    busy = true;
    fetch(live.dataset.page || window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("main");
        var main = document.querySelector("main");
        if (fresh && main) { main.replaceWith(fresh); }
        live = document.getElementById("live");
        if (live) { live.textContent = "Live: updated " + new Date().toLocaleTimeString() + "."; }
        document.dispatchEvent(new CustomEvent("desk:updated"));
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }
  var source = new EventSource("/desk/events?live=" + encodeURIComponent(live.dataset.live));
  source.addEventListener("changed", refresh);
})();
