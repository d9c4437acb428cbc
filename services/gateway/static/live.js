// Live updates: a page marked data-live follows the member's event stream and redraws its
// main part when something it shows has changed; a page marked data-follow (work still under
// way, such as an import) redraws itself every few seconds until it is done. Without
// JavaScript, reloading does the same.
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main || !window.fetch) return;
  var status = document.getElementById("live-status");
  var busy = false;
  var again = false;
  var thenAgain = null;

  function redraw(then) {
    if (busy) { again = true; if (then) thenAgain = then; return; }
    busy = true;
    fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        if (!fresh) return;
        if (fresh.innerHTML !== main.innerHTML) {
          main.innerHTML = fresh.innerHTML;
          if (status) status.textContent = document.documentElement.lang === "en" ? "Updated" : "Bijgewerkt";
        }
        if (then) then(fresh);
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { var later = thenAgain; again = false; thenAgain = null; redraw(later); }
      });
  }

  if (main.dataset.follow) {
    var every = Math.max(1, Number(main.dataset.follow) || 2) * 1000;
    var next = function (fresh) {
      if (fresh.dataset.follow) { window.setTimeout(function () { redraw(next); }, every); }
      else { delete main.dataset.follow; }
    };
    window.setTimeout(function () { redraw(next); }, every);
  }

  if (!main.dataset.live || !window.EventSource) return;
  var source = new EventSource("/api/v1/events");
  main.dataset.live.split(" ").forEach(function (kind) {
    source.addEventListener(kind, function () { redraw(); });
  });
  // On (re)connecting, catch up on anything that changed between drawing the page and now.
  source.addEventListener("ready", function () {
    main.dataset.liveReady = "1";
    redraw();
  });
})();
