// The "Menu" disclosure is open on a wide screen and closed on a phone. Without script (or
// where CSS shows its content itself) the disclosure simply works as it is.
(function () {
  "use strict";
  var menu = document.getElementById("menu");
  if (!menu || !window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 64rem)");
  function fit() { menu.open = wide.matches; }
  fit();
  if (wide.addEventListener) wide.addEventListener("change", fit);
})();
