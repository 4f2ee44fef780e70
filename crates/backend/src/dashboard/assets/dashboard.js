// The dashboard's only script: while the first CSSM fetch runs, poll its progress and reload
// when the inventory is ready. Everything else works without JavaScript.
(function () {
  "use strict";
  var url = document.querySelector('meta[name="slbot-progress"]');
  if (!url) { return; }
  var every = 1000 * Number((document.querySelector('meta[name="slbot-poll"]') || {}).content || 2);
  var bar = document.getElementById("progress");
  var text = document.getElementById("progress-text");
  function poll() {
    fetch(url.content, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        if (p.state === "ready" || p.state === "error") { window.location.reload(); return; }
        if (p.accountsTotal > 0) {
          bar.max = p.accountsTotal; bar.value = p.accountsDone;
          text.textContent = "Reading your licenses: " + p.accountsDone + " of " + p.accountsTotal + " smart accounts done…";
        }
        window.setTimeout(poll, every);
      })
      .catch(function () { window.setTimeout(poll, every * 2); });
  }
  window.setTimeout(poll, every);
})();
