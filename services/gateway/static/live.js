// Live updates: a page marked data-live follows the member's event stream and redraws its
// main part when something it shows has changed. Without JavaScript, reloading does the same.
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main || !main.dataset.live || !window.EventSource || !window.fetch) return;
  var status = document.getElementById("live-status");
  var busy = false;
  var again = false;

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        if (fresh && fresh.innerHTML !== main.innerHTML) {
          main.innerHTML = fresh.innerHTML;
          if (status) status.textContent = document.documentElement.lang === "en" ? "Updated" : "Bijgewerkt";
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  var source = new EventSource("/api/v1/events");
  main.dataset.live.split(" ").forEach(function (kind) {
    source.addEventListener(kind, refresh);
  });
  // On (re)connecting, catch up on anything that changed between drawing the page and now.
  source.addEventListener("ready", function () {
    main.dataset.liveReady = "1";
    refresh();
  });
})();
